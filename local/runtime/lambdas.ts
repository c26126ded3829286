import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { lambdaContext } from '../aws-endpoints/lambda-context';
import { lambdaBundle } from './bundles';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './identity';

/**
 * Lambda functions run locally as Lambda runs them: the bundled entry (./bundles.ts) loaded in an instance of its
 * own — a worker thread with the function's environment as its `process.env` — whose `handler(event, context)` is
 * called one event at a time. The instance lives on (warm) until the stack closes; one that crashed is replaced by a
 * fresh one (a cold start again). SDK clients reach the local AWS endpoints through `AWS_ENDPOINT_URL`, the SDK's
 * own endpoint setting (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html). What a handler
 * writes to stdout/stderr (Powertools' JSON logs and EMF metrics) goes to `<logDir>/<function>.log`, as to its
 * CloudWatch log group.
 */

export interface LocalFunction {
  /** As in the function's ARN; names the log file and the context. */
  readonly functionName: string;
  /** The entry CDK bundles (relative to the repository), e.g. "tasks/evaluate.ts". */
  readonly entry: string;
  /** The function's configuration, read when its instance starts (as Lambda fixes it at deployment). */
  readonly environment: () => Record<string, string>;
  readonly timeoutSeconds: number;
  readonly memoryMB: number;
}

/** An error the handler threw, as Lambda reports it (errorType → the name a Task state's Catch matches). */
export class LambdaFunctionError extends Error {
  constructor(errorType: string, message: string) {
    super(message);
    this.name = errorType;
  }
}

// The instance: loads the bundle, then answers invocations. CommonJS, evaluated by the Worker (no transpiler).
const INSTANCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
// stdout/stderr written to the log file synchronously: every line of an invocation is there when it returns.
const fd = workerData.logFd;
const sink = (chunk, encoding, callback) => {
  fs.writeSync(fd, typeof chunk === 'string' ? chunk : Buffer.from(chunk));
  const done = typeof encoding === 'function' ? encoding : callback;
  if (typeof done === 'function') done();
  return true;
};
process.stdout.write = sink;
process.stderr.write = sink;
const { handler } = require(workerData.bundle);
parentPort.on('message', async ({ id, event, context }) => {
  const ctx = { ...context, getRemainingTimeInMillis: () => Math.max(0, context.deadline - Date.now()) };
  delete ctx.deadline;
  try {
    const result = await handler(event, ctx);
    parentPort.postMessage({ id, ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    console.error(JSON.stringify({ errorType: e.name, errorMessage: e.message, stack: String(e.stack).split('\\n') }));
    parentPort.postMessage({ id, ok: false, errorType: e.name || 'Error', errorMessage: e.message });
  }
});
`;

type Reply =
  | { id: string; ok: true; result: unknown }
  | { id: string; ok: false; errorType: string; errorMessage: string };

interface Instance {
  readonly worker: Worker;
  readonly pending: Map<string, { resolve: (r: Reply) => void; reject: (e: Error) => void }>;
  /** Invocations of one instance run one after another. */
  queue: Promise<unknown>;
}

export class LocalLambdas {
  private readonly instances = new Map<string, Promise<Instance>>();

  constructor(
    private readonly options: {
      readonly logDir: string;
      /** Base URL of the local AWS endpoints (AWS_ENDPOINT_URL), read when an instance starts. */
      readonly endpointUrl: () => string;
    },
  ) {}

  /** Invokes the function with `event` (RequestResponse) and resolves with its result. */
  async invoke(fn: LocalFunction, event: unknown): Promise<unknown> {
    const instance = await this.instance(fn);
    const run = instance.queue.then(() => this.call(instance, fn, event));
    instance.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(
      all.map(async (p) => {
        const instance = await p.catch(() => undefined);
        if (!instance) return;
        await instance.worker.terminate();
      }),
    );
  }

  private async call(instance: Instance, fn: LocalFunction, event: unknown): Promise<unknown> {
    const timeoutMs = fn.timeoutSeconds * 1000;
    // The context less its function (not cloneable): the instance rebuilds getRemainingTimeInMillis from `deadline`.
    const { getRemainingTimeInMillis: _, ...shape } = lambdaContext(fn.functionName, {
      timeoutMs,
      memoryMB: fn.memoryMB,
    });
    const id = shape.awsRequestId;
    const context = { ...shape, deadline: Date.now() + timeoutMs };
    // Keeps the process alive only while an invocation is in flight (an idle instance does not hold it open).
    instance.worker.ref();
    try {
      const reply = await new Promise<Reply>((resolve, reject) => {
        instance.pending.set(id, { resolve, reject });
        instance.worker.postMessage({ id, event, context });
      });
      if (reply.ok) return reply.result;
      throw new LambdaFunctionError(reply.errorType, reply.errorMessage);
    } finally {
      instance.pending.delete(id);
      instance.worker.unref();
    }
  }

  private instance(fn: LocalFunction): Promise<Instance> {
    let existing = this.instances.get(fn.functionName);
    if (!existing) {
      existing = this.start(fn);
      this.instances.set(fn.functionName, existing);
      existing.catch(() => this.instances.delete(fn.functionName));
    }
    return existing;
  }

  private async start(fn: LocalFunction): Promise<Instance> {
    const bundle = await lambdaBundle(fn.entry);
    mkdirSync(this.options.logDir, { recursive: true });
    const logFd = openSync(join(this.options.logDir, `${fn.functionName}.log`), 'a');
    const worker = new Worker(INSTANCE, {
      eval: true,
      // File descriptors belong to the process: opened and closed here, written by the instance.
      workerData: { bundle, logFd },
      env: {
        ...fn.environment(),
        AWS_REGION: LOCAL_REGION,
        AWS_DEFAULT_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL: this.options.endpointUrl(),
        AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
        // Powertools counts a cold start only for on-demand instances, as Lambda labels them.
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMB),
      },
      resourceLimits: { maxOldGenerationSizeMb: fn.memoryMB },
    });
    worker.unref();
    const instance: Instance = { worker, pending: new Map(), queue: Promise.resolve() };
    worker.on('message', (reply: Reply) => instance.pending.get(reply.id)?.resolve(reply));
    const fail = (error: Error) => {
      // The instance is gone (crashed, out of memory): its invocations fail; the next one starts a fresh instance.
      if (this.instances.get(fn.functionName) !== undefined) this.instances.delete(fn.functionName);
      for (const { reject } of instance.pending.values()) reject(error);
    };
    worker.on('error', (error) => fail(new LambdaFunctionError('Runtime.ExitError', error.message)));
    worker.on('exit', (code) => {
      closeSync(logFd);
      fail(new LambdaFunctionError('Runtime.ExitError', `RequestId: instance exited with code ${code}`));
    });
    return instance;
  }
}
