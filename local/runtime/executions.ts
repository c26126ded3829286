import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../fs';

/**
 * The local execution store: what `sfn:listExecutions` / `describeExecution` read, and the history the
 * console and `occupancy status` show. One JSON file per execution, written atomically.
 */

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface StateRecord {
  readonly name: string;
  readonly type: string;
  status: 'running' | 'succeeded' | 'failed' | 'caught' | 'retried';
  readonly enteredAt: number;
  exitedAt?: number;
  input?: unknown;
  output?: unknown;
  error?: string;
}

export interface ExecutionRecord {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  status: ExecutionStatus;
  readonly startDate: number;
  stopDate?: number;
  readonly input: unknown;
  output?: unknown;
  error?: string;
  cause?: string;
  /** The process running it: a RUNNING execution whose process is gone was interrupted. */
  readonly pid: number;
  readonly states: StateRecord[];
}

export class ExecutionStore {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(resolve(stateDir), 'executions');
    mkdirSync(this.dir, { recursive: true });
  }

  private path(name: string): string {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new Error(`Invalid execution name "${name}"`);
    return join(this.dir, `${name}.json`);
  }

  save(record: ExecutionRecord): void {
    writeFileAtomic(this.path(record.name), JSON.stringify(record, null, 2));
  }

  get(name: string): ExecutionRecord | undefined {
    const path = this.path(name);
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ExecutionRecord) : undefined;
  }

  /** Newest first. */
  list(status?: ExecutionStatus): ExecutionRecord[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as ExecutionRecord)
      .filter((r) => status === undefined || r.status === status)
      .sort((a, b) => b.startDate - a.startDate);
  }

  /**
   * Marks RUNNING executions whose process is gone as FAILED with the reason (restart safety).
   * Returns the names it marked.
   */
  failInterrupted(now = Date.now(), isAlive: (pid: number) => boolean = processAlive): string[] {
    const marked: string[] = [];
    for (const record of this.list('RUNNING')) {
      if (record.pid === process.pid || isAlive(record.pid)) continue;
      record.status = 'FAILED';
      record.stopDate = now;
      record.error = 'Local.Interrupted';
      record.cause = `The local runtime (pid ${record.pid}) stopped while this execution was running; the endpoint was left as it was.`;
      for (const state of record.states) if (state.status === 'running') state.status = 'failed';
      this.save(record);
      marked.push(record.name);
    }
    return marked;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
