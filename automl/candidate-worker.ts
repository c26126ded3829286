/**
 * A worker of the candidate pool (pool.ts): receives the search's setup (compacted to the folds' rows) as its first
 * message, so it can start before the setup is ready, then trains the candidate whose index it is sent (or refits
 * an ensemble member), posting its result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ArtifactModel } from './artifact';
import { type CandidateSetup, trainCandidate } from './candidate';
import { refitMember } from './ensemble-candidate';
import { TrainingStopped } from './errors';
import type { CandidateResult } from './search';

export interface CandidateWorkerData {
  /** Int32Array[1] on a SharedArrayBuffer: non-zero stops the running candidate (status Stopped). */
  readonly stopFlag: SharedArrayBuffer;
}

/** The worker's first message. */
export interface SetupMessage {
  readonly setup: CandidateSetup;
  /** What ensemble member refits read (pool-refit.ts `refitSetupOf`). @default `setup` */
  readonly refitSetup?: CandidateSetup;
  /** Int32 per plan: non-zero cancels that plan's refit (see MemberRefits). */
  readonly cancelFlags?: SharedArrayBuffer;
}

export interface CandidateRequest {
  readonly index: number;
  /** Refit plan `index` on every row of the setup (an ensemble member) instead of training it on the folds. */
  readonly refit?: {
    readonly deadline: number | undefined;
    /** Raw columns (feature index, values of the refit rows) a logistic member reads; the setup holds none. */
    readonly columns?: readonly (readonly [number, Float64Array])[];
  };
}

export interface RefitReply {
  readonly index: number;
  /** Undefined when the refit was cancelled. */
  readonly model: ArtifactModel | undefined;
}

export interface CandidateReply {
  readonly index: number;
  readonly candidate: CandidateResult;
  /** A completed candidate's pooled out-of-fold probabilities (the ensemble is built from them). */
  readonly outOfFold?: Float64Array;
}

export interface CandidateWorkerHooks {
  /** Test hook, called before candidate `index` trains (e.g. to make a worker crash). */
  readonly beforeCandidate?: (index: number) => void;
}

export function serveCandidates(hooks: CandidateWorkerHooks = {}): void {
  const port = parentPort;
  if (!port) throw new Error('serveCandidates runs in a worker thread of the candidate pool');
  const { stopFlag } = workerData as CandidateWorkerData;
  const stop = new Int32Array(stopFlag);
  const shouldStop = () => Atomics.load(stop, 0) !== 0;
  let setup: CandidateSetup | undefined;
  let refitSetup: CandidateSetup | undefined;
  let cancel: Int32Array | undefined;
  let refitRows: Uint32Array | undefined;
  port.on('message', (message: SetupMessage | CandidateRequest) => {
    if ('setup' in message) {
      setup = message.setup;
      refitSetup = message.refitSetup ?? message.setup;
      cancel = message.cancelFlags ? new Int32Array(message.cancelFlags) : undefined;
      return;
    }
    if (!setup || !refitSetup) throw new Error('candidate request before the setup message');
    const { index, refit } = message;
    if (refit) {
      refitRows ??= Uint32Array.from({ length: refitSetup.table.rowCount }, (_, i) => i);
      const rows = { all: refitRows, refit: refitRows };
      const flags = cancel;
      const cancelled = flags ? () => Atomics.load(flags, index) !== 0 : undefined;
      let model: ArtifactModel | undefined;
      try {
        const given = new Map(refit.columns ?? []);
        const table = { ...refitSetup.table, columns: refitSetup.table.columns.map((c, f) => given.get(f) ?? c) };
        model = refitMember({ ...refitSetup, table }, index, rows, refit.deadline, cancelled).model;
      } catch (error) {
        if (!(error instanceof TrainingStopped)) throw error;
      }
      port.postMessage({ index, model } satisfies RefitReply);
      return;
    }
    hooks.beforeCandidate?.(index);
    let outOfFold: Float64Array | undefined;
    const keepOutOfFold = (pooled: Float64Array) => {
      outOfFold = pooled;
    };
    const candidate = trainCandidate(setup, index, { shouldStop, now: Date.now, keepOutOfFold });
    const reply: CandidateReply = { index, candidate, ...(outOfFold ? { outOfFold } : {}) };
    // One number per validation row of the folds: a few hundred kB at most.
    port.postMessage(reply);
  });
}
