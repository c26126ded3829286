import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../fs';

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
    writeFileSync(join(this.pendingDir, `${k}.json`), JSON.stringify({ token, ...meta, since: Date.now() }));
    return new Promise((resolvePromise, reject) => {
      const timer = setInterval(() => {
        const answer = join(this.answersDir, `${k}.json`);
        if (!existsSync(answer)) return;
        clearInterval(timer);
        const outcome = JSON.parse(readFileSync(answer, 'utf8')) as TaskOutcome;
        rmSync(answer, { force: true });
        rmSync(join(this.pendingDir, `${k}.json`), { force: true });
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

  pending(): Array<{ token: string } & Record<string, unknown>> {
    return readdirSync(this.pendingDir)
      .filter((f) => f.endsWith('.json'))
      .map(
        (f) =>
          JSON.parse(readFileSync(join(this.pendingDir, f), 'utf8')) as { token: string } & Record<string, unknown>,
      );
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
