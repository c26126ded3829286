import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import { writeFileAtomic } from '../fs';
import { processAlive } from '../process-alive';
import { readStateFileIfExists, readStateFiles, type StateFileError } from '../state-file';

/**
 * The local execution store: what `sfn:listExecutions` / `describeExecution` read, and the history the
 * console and `occupancy status` show. One JSON file per execution, written atomically.
 */

const EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

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

const StateRecordSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  status: z.enum(['running', 'succeeded', 'failed', 'caught', 'retried']),
  enteredAt: z.number(),
  exitedAt: z.number().optional(),
  input: z.unknown().optional(),
  output: z.unknown().optional(),
  error: z.string().optional(),
});

const ExecutionRecordSchema = z.looseObject({
  executionArn: z.string().min(1),
  name: z.string().min(1),
  stateMachineArn: z.string().min(1),
  status: z.enum(EXECUTION_STATUSES),
  startDate: z.number(),
  stopDate: z.number().optional(),
  input: z.unknown(),
  output: z.unknown().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
  pid: z.number().int(),
  states: z.array(StateRecordSchema),
});

export const EXECUTION_RECORD = {
  what: 'execution record',
  schema: ExecutionRecordSchema as z.ZodType<ExecutionRecord>,
};

/** What the process that ran an interrupted execution left behind, as the interrupted run's cause says. */
export type InterruptionCause = (record: ExecutionRecord) => string;

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

  /** The record, undefined when there is none; throws StateFileError when its file cannot be read back. */
  get(name: string): ExecutionRecord | undefined {
    return readStateFileIfExists(this.path(name), EXECUTION_RECORD);
  }

  /** Every record newest first, and the files that could not be read back (`occupancy status` reports them). */
  scan(status?: ExecutionStatus): { records: ExecutionRecord[]; bad: StateFileError[] } {
    const files = readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(this.dir, f));
    const { values, bad } = readStateFiles(files, EXECUTION_RECORD);
    const records = values
      .filter((r) => status === undefined || r.status === status)
      .sort((a, b) => b.startDate - a.startDate);
    return { records, bad };
  }

  /**
   * Newest first. A file that cannot be read back is left out here (the console and listExecutions keep working);
   * `run` refuses to start and `status` names it (see local/state-check.ts).
   */
  list(status?: ExecutionStatus): ExecutionRecord[] {
    return this.scan(status).records;
  }

  /**
   * Marks RUNNING executions whose process is gone as FAILED (`Local.Interrupted`) with the reason (restart
   * safety). Returns the names it marked.
   */
  failInterrupted(
    now = Date.now(),
    isAlive: (pid: number) => boolean = processAlive,
    cause: InterruptionCause = (record) =>
      `The local runtime (pid ${record.pid}) stopped while this execution was running.`,
    /** Records already read (a caller that scanned the store once); marked ones are updated in place. */
    records: readonly ExecutionRecord[] = this.list('RUNNING'),
  ): string[] {
    const marked: string[] = [];
    for (const record of records) {
      if (record.status !== 'RUNNING' || record.pid === process.pid || isAlive(record.pid)) continue;
      record.status = 'FAILED';
      record.stopDate = now;
      record.error = 'Local.Interrupted';
      record.cause = cause(record);
      for (const state of record.states) if (state.status === 'running') state.status = 'failed';
      this.save(record);
      marked.push(record.name);
    }
    return marked;
  }
}
