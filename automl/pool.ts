/**
 * The AutoML search on a pool of worker threads (one per core by default): the same plans, seeds and
 * leaderboard as `runSearch`, whatever the pool size, because each candidate draws from its own seeded stream and
 * results are kept by candidate index, not by completion order. Workers never see the whole table: candidates
 * train and score on the folds' rows only (at most `searchRowLimit`, 40 000 by default), so each worker gets a
 * compact copy of those rows (`compactSetup`: a few MB on the 1 M-row fleet). SharedArrayBuffers were tried and
 * dropped: two workers reading the same shared arrays trained each candidate about 2× slower (bench figures in
 * the commit), which cancelled the second core.
 *
 * Budget and Stop as in `runSearch`: no candidate starts after Stop or past the search deadline; running ones
 * abort through the shared stop flag or their deadline, and the best so far is refitted. A worker that crashes
 * fails its candidate (with the reason) and is replaced; the job fails only when no candidate completes.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LabelledTable } from '../telemetry/table';
import type { ArtifactModel } from './artifact';
import { type CandidateSetup, compareToBaseline, hyperParameters, unscoredCandidate } from './candidate';
import type { CandidateReply, CandidateRequest, CandidateWorkerData, RefitReply } from './candidate-worker';
import { type BuiltEnsemble, buildEnsembleCandidate, refitMember } from './ensemble-candidate';
import { AutoMLInputError } from './errors';
import {
  type CandidateResult,
  finishSearch,
  type PreparedSearch,
  prepareSearch,
  type SearchOptions,
  type SearchResult,
  selectCandidate,
} from './search';

export interface PoolSearchOptions extends SearchOptions {
  /** Worker threads training candidates. @default os.availableParallelism() */
  readonly poolSize?: number;
  /** The worker entry (tests substitute one that crashes). @default automl/pool-worker.js */
  readonly workerScript?: string;
}

/** How often Stop (`shouldStop`) and the job deadline are checked while candidates train. */
const POLL_MS = 25;
/** A worker still busy this long after Stop or the job deadline is terminated; its candidate is Stopped. */
const GRACE_MS = 2000;

/**
 * The setup restricted to the rows the folds use, renumbered in their order (so every row comparison, sort and
 * draw goes as on the full table, and a candidate's result is the same). Pure.
 */
export function compactSetup(setup: CandidateSetup): CandidateSetup {
  const used = new Uint8Array(setup.table.rowCount);
  for (const fold of setup.folds) {
    for (const r of fold.train) used[r] = 1;
    for (const r of fold.valid) used[r] = 1;
  }
  return keepRows(setup, used);
}

/** The setup restricted to the rows marked in `used`, renumbered in order; folds renumbered (all their rows kept). */
function keepRows(setup: CandidateSetup, used: Uint8Array): CandidateSetup {
  const { table, data, folds } = setup;
  const position = new Int32Array(table.rowCount).fill(-1);
  const kept: number[] = [];
  for (let r = 0; r < table.rowCount; r++) {
    if (used[r] !== 1) continue;
    position[r] = kept.length;
    kept.push(r);
  }
  const renumber = (rows: Uint32Array) => Uint32Array.from(rows, (r) => position[r] ?? 0);
  return {
    ...setup,
    table: {
      ...table,
      columns: table.columns.map((col) => Float64Array.from(kept, (r) => col[r] ?? Number.NaN)),
      target: Uint8Array.from(kept, (r) => table.target[r] ?? 0),
      rowCount: kept.length,
    },
    data: { bins: data.bins, codes: data.codes.map((codes) => Uint8Array.from(kept, (r) => codes[r] ?? 0)) },
    folds: folds.map((f) => ({ train: renumber(f.train), valid: renumber(f.valid) })),
  };
}

export function defaultPoolSize(): number {
  return availableParallelism();
}

interface Slot {
  worker: Worker;
  /** The candidate it trains; undefined when idle or retired. */
  index: number | undefined;
  startedAt: number;
  crash: string | undefined;
  retired: boolean;
}

export async function runSearchPool(
  train: LabelledTable,
  validation: LabelledTable | undefined,
  options: PoolSearchOptions,
): Promise<SearchResult> {
  const poolSize = options.poolSize ?? defaultPoolSize();
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new AutoMLInputError(`poolSize must be a whole number ≥ 1, got ${poolSize}`, 'poolSize');
  }
  const prepared = prepareSearch(train, validation, options);
  const { setup, jobDeadline } = prepared;
  const { plans, searchDeadline, objective } = setup;
  const now = Date.now;
  const stopFlag = new SharedArrayBuffer(4);
  const stop = new Int32Array(stopFlag);
  const results: (CandidateResult | undefined)[] = plans.map(() => undefined);
  const outOfFold: (Float64Array | undefined)[] = plans.map(() => undefined);
  const workerData: CandidateWorkerData = { setup: compactSetup(setup), stopFlag };
  const script = options.workerScript ?? join(__dirname, 'pool-worker.js');
  let next = 0;
  let completed = 0;
  let stopped = false;
  let stoppedAt = 0;
  let timedOut = false;

  const unfinished = (index: number, status: 'Failed' | 'Stopped', startedAt: number, reason?: string) => {
    const planned = plans[index];
    const identity = {
      name: planned?.name ?? `c${index + 1}`,
      family: planned?.plan.family ?? 'threshold',
      featureSubset: planned?.subset.name ?? '',
      features: (planned?.subset.features ?? []).map((f) => setup.table.names[f] ?? ''),
      hyperParameters: planned ? hyperParameters(planned.plan) : {},
      startedAt,
    };
    return unscoredCandidate(identity, status, objective, now(), reason);
  };

  await new Promise<void>((resolve) => {
    const slots: Slot[] = [];
    const timer = setInterval(tick, POLL_MS);
    let settled = false;

    function settleIfDone(): void {
      if (settled || slots.some((s) => s.index !== undefined)) return;
      if (next < plans.length && !stopped && !timedOut) return;
      settled = true;
      clearInterval(timer);
      for (const slot of slots) retire(slot);
      resolve();
    }

    function retire(slot: Slot): void {
      if (slot.retired) return;
      slot.retired = true;
      void slot.worker.terminate();
    }

    function record(index: number, candidate: CandidateResult): void {
      results[index] = candidate;
      completed++;
      options.onProgress?.({
        type: 'candidate-finished',
        index: completed,
        total: plans.length,
        candidate: compareToBaseline(candidate, index === 0 ? undefined : results[0]),
      });
    }

    function dispatch(slot: Slot): void {
      const planned = plans[next];
      if (planned && planned.plan.family !== 'threshold') {
        if (options.shouldStop?.()) {
          if (!stopped) stoppedAt = now();
          stopped = true;
        } else if (searchDeadline !== undefined && now() >= searchDeadline) timedOut = true;
      }
      if (!planned || stopped || timedOut) {
        slot.index = undefined;
        settleIfDone();
        return;
      }
      const index = next++;
      slot.index = index;
      slot.startedAt = now();
      options.onProgress?.({ type: 'candidate-started', index: index + 1, total: plans.length, name: planned.name });
      slot.worker.postMessage({ index } satisfies CandidateRequest);
    }

    function spawn(slot?: Slot): Slot {
      const worker = new Worker(script, { workerData });
      const s: Slot = slot ?? { worker, index: undefined, startedAt: 0, crash: undefined, retired: false };
      Object.assign(s, { worker, crash: undefined, retired: false });
      worker.on('message', (reply: CandidateReply) => {
        if (s.worker !== worker || s.index !== reply.index) return;
        outOfFold[reply.index] = reply.outOfFold;
        record(reply.index, reply.candidate);
        dispatch(s);
      });
      worker.on('error', (error) => {
        if (s.worker === worker) s.crash = `${error.name}: ${error.message}`;
      });
      worker.on('exit', (code) => {
        if (s.worker !== worker || s.retired) return;
        const index = s.index;
        s.retired = true;
        s.index = undefined;
        if (index !== undefined) {
          const reason = `candidate worker crashed: ${s.crash ?? `exited with code ${code}`}`;
          record(index, unfinished(index, 'Failed', s.startedAt, reason));
        }
        if (next < plans.length && !stopped && !timedOut) dispatch(spawn(s));
        else settleIfDone();
      });
      return s;
    }

    /** Relays Stop to the workers; ends workers that outlive Stop or the job deadline by GRACE_MS. */
    function tick(): void {
      if (!stopped && options.shouldStop?.()) {
        stopped = true;
        stoppedAt = now();
      }
      if (stopped) Atomics.store(stop, 0, 1);
      const late =
        (stopped && now() > stoppedAt + GRACE_MS) || (jobDeadline !== undefined && now() > jobDeadline + GRACE_MS);
      if (!late) return;
      for (const slot of slots) {
        if (slot.index === undefined) continue;
        const reason = stopped ? undefined : 'MaxAutoMLJobRuntime reached before the candidate finished';
        record(slot.index, unfinished(slot.index, 'Stopped', slot.startedAt, reason));
        slot.index = undefined;
        retire(slot);
      }
      if (!stopped) timedOut = true;
      settleIfDone();
    }

    for (let i = 0; i < Math.min(poolSize, plans.length); i++) slots.push(spawn());
    for (const slot of slots) dispatch(slot);
    settleIfDone();
  });

  // Candidates in plan order; they were dispatched in that order, so the list has no gaps.
  const ordered = results.filter((c): c is CandidateResult => c !== undefined);
  const candidates = ordered.map((c) => compareToBaseline(c, ordered[0]));
  // The ensemble is built here (as finishSearch would) so that, if it wins, its members refit on the cores.
  const built = stopped ? undefined : buildEnsembleCandidate(setup, candidates, jobDeadline, now, outOfFold);
  const wins = built !== undefined && selectCandidate([...candidates, built.candidate]) === candidates.length;
  const refitOnPool = wins && built !== undefined && poolSize > 1;
  if (refitOnPool) options.onProgress?.({ type: 'refitting', name: built.candidate.name });
  const models = refitOnPool ? await refitMembersOnPool(prepared, built, script, poolSize) : undefined;
  const ensemble = { built, ...(models ? { models } : {}) };
  return finishSearch(prepared, candidates, { stopped, timedOut, outOfFold, ensemble }, options);
}

/**
 * Refits the ensemble's tree members on fresh workers holding the refit rows (the folds' rows are fewer above
 * `searchRowLimit`), while logistic members, fitted on every row, refit on this thread. Same models as the serial
 * refit: each member draws from its own seeded stream and rows keep their order.
 */
async function refitMembersOnPool(
  prepared: PreparedSearch,
  built: BuiltEnsemble,
  script: string,
  poolSize: number,
): Promise<ArtifactModel[]> {
  const { setup, allRows, refitRows, jobDeadline } = prepared;
  const rows = { all: allRows, refit: refitRows };
  const isTree = (planIndex: number) => setup.plans[planIndex]?.plan.family !== 'logistic';
  const trees = built.members.map((m) => m.planIndex).filter(isTree);
  const models = new Map<number, ArtifactModel>();
  if (trees.length > 0) {
    const used = new Uint8Array(setup.table.rowCount);
    for (const r of refitRows) used[r] = 1;
    const refitSetup = keepRows({ ...setup, folds: [] }, used);
    const workerData: CandidateWorkerData = { setup: refitSetup, stopFlag: new SharedArrayBuffer(4) };
    const queue = [...trees];
    const workers = Array.from({ length: Math.min(poolSize, trees.length) }, () => new Worker(script, { workerData }));
    const done = Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const next = () => {
              const index = queue.shift();
              if (index === undefined) resolve();
              else worker.postMessage({ index, refit: { deadline: jobDeadline } } satisfies CandidateRequest);
            };
            worker.on('message', (reply: RefitReply) => {
              models.set(reply.index, reply.model);
              next();
            });
            worker.on('error', reject);
            worker.on('exit', (code) => reject(new Error(`refit worker exited with code ${code}`)));
            next();
          }),
      ),
    );
    // Logistic members train here meanwhile.
    for (const m of built.members) {
      if (!isTree(m.planIndex)) models.set(m.planIndex, refitMember(setup, m.planIndex, rows, jobDeadline).model);
    }
    try {
      await done;
    } catch {
      // A crashed refit worker: the members it did not return are refitted here.
    } finally {
      for (const worker of workers) void worker.terminate();
    }
  }
  return built.members.map((m) => models.get(m.planIndex) ?? refitMember(setup, m.planIndex, rows, jobDeadline).model);
}
