import type { Json } from './runner';

export interface AsyncInvokeOptions {
  /** Concurrent invocations allowed (the function's reserved concurrency). @default 1 */
  readonly reservedConcurrency?: number;
  /** Retries of an event whose invocation failed (the function's MaximumRetryAttempts). @default 2 */
  readonly retryAttempts?: number;
  /** Local time per AWS second: the waits between retries (1 min, then 2 min on AWS). @default 1 */
  readonly timeScale?: number;
  /** An event that failed every attempt (on AWS: discarded, or sent to an on-failure destination). */
  readonly onFailure?: (error: unknown, event: Json) => void;
}

/**
 * A Lambda target's asynchronous invocation (EventBridge invokes Lambda targets with InvocationType Event): events
 * wait in the function's queue and run at most `reservedConcurrency` at a time; the others wait as Lambda's
 * throttled events do, and a failed invocation is retried twice, a minute then two minutes later
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
 */
export class AsyncInvokeQueue {
  private readonly queue: { event: Json; attempt: number }[] = [];
  private running = 0;
  private waiting = 0;
  private idle: (() => void)[] = [];
  private readonly reserved: number;
  private readonly retries: number;
  private readonly timeScale: number;

  constructor(
    private readonly invoke: (event: Json) => Promise<unknown>,
    private readonly options: AsyncInvokeOptions = {},
  ) {
    this.reserved = options.reservedConcurrency ?? 1;
    if (!(this.reserved >= 1)) throw new RangeError(`reservedConcurrency must be ≥ 1, got ${this.reserved}`);
    this.retries = options.retryAttempts ?? 2;
    this.timeScale = options.timeScale ?? 1;
  }

  /** Queues the event (Invoke with InvocationType Event returns once the event is queued). */
  enqueue(event: Json): void {
    this.queue.push({ event, attempt: 0 });
    this.pump();
  }

  /** Resolves once every queued event has run (its retries included). */
  drained(): Promise<void> {
    if (this.running === 0 && this.waiting === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.running < this.reserved && this.queue.length > 0) {
      const item = this.queue.shift() as { event: Json; attempt: number };
      this.running++;
      this.invoke(item.event)
        .catch((error: unknown) => this.failed(item, error))
        .finally(() => {
          this.running--;
          this.pump();
          this.settle();
        });
    }
  }

  private failed(item: { event: Json; attempt: number }, error: unknown): void {
    if (item.attempt >= this.retries) {
      this.options.onFailure?.(error, item.event);
      return;
    }
    this.waiting++;
    const delayMs = (item.attempt + 1) * 60_000 * this.timeScale;
    setTimeout(() => {
      this.waiting--;
      this.queue.push({ event: item.event, attempt: item.attempt + 1 });
      this.pump();
      this.settle();
    }, delayMs);
  }

  private settle(): void {
    if (this.running > 0 || this.waiting > 0 || this.queue.length > 0) return;
    const idle = this.idle;
    this.idle = [];
    for (const resolve of idle) resolve();
  }
}
