import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import { writeFileAtomic } from '../fs';
import { readStateFile, readStateFiles, type StateFileError } from '../state-file';

/**
 * The local SendTaskSuccess / SendTaskFailure: a `.waitForTaskToken` task waits on a token; another
 * process (the `occupancy approve` CLI, the console) answers it by writing a file the runtime picks up.
 * Files are keyed by a hash of the token, so the token itself never lands in a file name.
 */

export type TaskOutcome =
  | { readonly kind: 'success'; readonly output: unknown }
  | { readonly kind: 'failure'; readonly error: string; readonly cause: string };

export class TaskTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskDoesNotExist';
  }
}

/** A waiting task: its token, the run and state that wait, since when (epoch ms). */
export interface PendingTask {
  readonly token: string;
  readonly runId?: string;
  readonly state?: string;
  readonly since: number;
  readonly [key: string]: unknown;
}

const PENDING_TASK = {
  what: 'pending task token',
  schema: z.looseObject({
    token: z.string().min(1),
    runId: z.string().optional(),
    state: z.string().optional(),
    since: z.number(),
  }) as z.ZodType<PendingTask>,
};

const TASK_OUTCOME = {
  what: 'task token answer',
  schema: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('success'), output: z.unknown() }),
    z.object({ kind: z.literal('failure'), error: z.string(), cause: z.string() }),
  ]) as z.ZodType<TaskOutcome>,
};

const key = (token: string): string => createHash('sha256').update(token).digest('hex').slice(0, 32);

export class TaskTokenBroker {
  private readonly pendingDir: string;
  private readonly answersDir: string;

  constructor(stateDir: string) {
    const root = join(resolve(stateDir), 'task-tokens');
    this.pendingDir = join(root, 'pending');
    this.answersDir = join(root, 'answers');
    mkdirSync(this.pendingDir, { recursive: true });
    mkdirSync(this.answersDir, { recursive: true });
  }

  /** Registers a waiting task and resolves with its answer; polls for the answer file. */
  wait(token: string, meta: Record<string, unknown>, pollMs = 200, signal?: AbortSignal): Promise<TaskOutcome> {
    const k = key(token);
    // Atomic, so `status` and crash recovery in another process never read a torn pending file.
    writeFileAtomic(join(this.pendingDir, `${k}.json`), JSON.stringify({ token, ...meta, since: Date.now() }));
    return new Promise((resolvePromise, reject) => {
      const timer = setInterval(() => {
        const answer = join(this.answersDir, `${k}.json`);
        if (!existsSync(answer)) return;
        clearInterval(timer);
        let outcome: TaskOutcome;
        try {
          outcome = readStateFile(answer, TASK_OUTCOME);
        } catch (error) {
          reject(error);
          return;
        } finally {
          rmSync(answer, { force: true });
          rmSync(join(this.pendingDir, `${k}.json`), { force: true });
        }
        resolvePromise(outcome);
      }, pollMs);
      signal?.addEventListener('abort', () => {
        clearInterval(timer);
        this.forget(token);
        reject(new Error('aborted'));
      });
    });
  }

  /** Drops a pending token (the task timed out or its execution ended). */
  forget(token: string): void {
    rmSync(join(this.pendingDir, `${key(token)}.json`), { force: true });
  }

  /** Waiting tasks, and the pending files that could not be read back. */
  scan(): { pending: PendingTask[]; bad: StateFileError[] } {
    const files = readdirSync(this.pendingDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(this.pendingDir, f));
    const { values, bad } = readStateFiles(files, PENDING_TASK);
    return { pending: values, bad };
  }

  /** Waiting tasks (unreadable pending files are left out: see scan). */
  pending(): PendingTask[] {
    return this.scan().pending;
  }

  /** Drops every pending token of a run whose execution is over (crash recovery); returns how many. */
  forgetRun(runId: string, tokens: readonly string[] = []): number {
    let removed = 0;
    for (const task of this.pending()) {
      if (task.runId !== runId && !tokens.includes(task.token)) continue;
      this.forget(task.token);
      removed++;
    }
    for (const token of tokens) {
      const file = join(this.pendingDir, `${key(token)}.json`);
      if (!existsSync(file)) continue;
      rmSync(file, { force: true });
      removed++;
    }
    return removed;
  }

  /** SendTaskSuccess / SendTaskFailure: refused for a token nobody waits on, as Step Functions does. */
  answer(token: string, outcome: TaskOutcome): void {
    const k = key(token);
    if (!existsSync(join(this.pendingDir, `${k}.json`))) {
      throw new TaskTokenError('Task Timed Out or does not exist: no execution is waiting on this token');
    }
    writeFileAtomic(join(this.answersDir, `${k}.json`), JSON.stringify(outcome));
  }
}
