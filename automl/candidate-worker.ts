/**
 * A worker of the candidate pool (pool.ts): holds the search's setup (compacted to the folds' rows) and trains the
 * candidate whose index it is sent, posting its result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ArtifactModel } from './artifact';
import { type CandidateSetup, trainCandidate } from './candidate';
import { refitMember } from './ensemble-candidate';
import type { CandidateResult } from './search';

export interface CandidateWorkerData {
  readonly setup: CandidateSetup;
  /** Int32Array[1] on a SharedArrayBuffer: non-zero stops the running candidate (status Stopped). */
  readonly stopFlag: SharedArrayBuffer;
}

export interface CandidateRequest {
  readonly index: number;
  /** Refit plan `index` on every row of the setup (an ensemble member) instead of training it on the folds. */
  readonly refit?: { readonly deadline: number | undefined };
}

export interface RefitReply {
  readonly index: number;
  readonly model: ArtifactModel;
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
  const { setup, stopFlag } = workerData as CandidateWorkerData;
  const stop = new Int32Array(stopFlag);
  const shouldStop = () => Atomics.load(stop, 0) !== 0;
  port.on('message', ({ index, refit }: CandidateRequest) => {
    if (refit) {
      const rows = Uint32Array.from({ length: setup.table.rowCount }, (_, i) => i);
      const fitted = refitMember(setup, index, { all: rows, refit: rows }, refit.deadline);
      port.postMessage({ index, model: fitted.model } satisfies RefitReply);
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
