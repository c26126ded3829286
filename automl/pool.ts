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
 *
 * On more than one worker nothing waits on a single thread that could run beside the workers: the same workers
 * (already started, holding the refit rows' bin codes from the start) refit a winning ensemble's tree members, a
 * worker left without candidates starting on the likely members at once (pool-refit.ts: speculative, longest
 * first), and this thread computes the training baseline while they train. One worker keeps the serial order:
 * candidates on the worker, then everything else here.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { TrainingBaseline } from '../monitoring/baseline';
import type { LabelledTable } from '../telemetry/table';
import type { ArtifactModel } from './artifact';
import { type CandidateSetup, compareToBaseline, hyperParameters, unscoredCandidate } from './candidate';
import type {
  CandidateReply,
  CandidateRequest,
  CandidateWorkerData,
  RefitReply,
  SetupMessage,
} from './candidate-worker';
import { buildEnsembleCandidate, refitMember } from './ensemble-candidate';
import { AutoMLInputError } from './errors';
import { isRelativeFeature } from './folds';
import { guessMembers, MemberRefits, refitSetupOf } from './pool-refit';
import type { FeatureStability } from './report';
import {
  type CandidateResult,
  finishSearch,
  type PreparedSearch,
  prepareSearch,
  type SearchOptions,
  type SearchResult,
  selectCandidate,
} from './search';
import { trainingBaselineInSlices } from './training-baseline';
import { featureStabilityInSlices } from './validation-report';

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
  /** The ensemble member (plan index) it refits; undefined when none. */
  refit: number | undefined;
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
  const stopFlag = new SharedArrayBuffer(4);
  const stop = new Int32Array(stopFlag);
  const script = options.workerScript ?? join(__dirname, 'pool-worker.js');
  const newWorker = () => new Worker(script, { workerData: { stopFlag } satisfies CandidateWorkerData });
  // On more than one worker, they load their code while this thread prepares the search.
  const early = poolSize > 1 ? Array.from({ length: poolSize }, newWorker) : [];
  let prepared: PreparedSearch;
  try {
    prepared = prepareSearch(train, validation, options);
  } catch (error) {
    for (const worker of early) void worker.terminate();
    throw error;
  }
  const { setup, jobDeadline } = prepared;
  const { plans, searchDeadline, objective } = setup;
  const now = Date.now;
  const results: (CandidateResult | undefined)[] = plans.map(() => undefined);
  const outOfFold: (Float64Array | undefined)[] = plans.map(() => undefined);
  // On more than one worker, an ensemble's members refit on the same workers (see MemberRefits); a logistic one
  // (fitted on every row) only while the refit rows are every row, its columns sent with the request.
  const everyRow = prepared.refitRows.length === setup.table.rowCount;
  const onWorker = (index: number) => {
    const family = plans[index]?.plan.family;
    return family === 'gbt' || family === 'forest' || (family === 'logistic' && everyRow);
  };
  const cost = (index: number) => {
    const c = results[index];
    return c ? c.endedAt - c.startedAt : 0;
  };
  const refits = poolSize > 1 ? new MemberRefits(plans.length, onWorker, cost) : undefined;
  const setupMessage: SetupMessage = {
    setup: compactSetup(setup),
    ...(refits ? { refitSetup: refitSetupOf(prepared), cancelFlags: refits.cancelFlags } : {}),
  };
  let next = 0;
  let completed = 0;
  let stopped = false;
  let stoppedAt = 0;
  let timedOut = false;
  /** Candidates are over (all done, or Stop / the deadline): idle workers only refit. */
  let searched = false;
  /** Called when a refit ends or a worker dies, while the refit phase waits. */
  let refitChanged: (() => void) | undefined;
  let beside: ReturnType<typeof besideWorkers> | undefined;

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
  const guess = () => guessMembers(results, (i) => unfinished(i, 'Stopped', 0));

  const slots: Slot[] = [];
  const retire = (slot: Slot): void => {
    if (slot.retired) return;
    slot.retired = true;
    void slot.worker.terminate();
  };

  /** Starts a member refit on an idle worker, when one is wanted (never after Stop). */
  const startRefit = (slot: Slot): boolean => {
    if (!refits || stopped || slot.retired) return false;
    const index = refits.next(guess);
    if (index === undefined) return false;
    slot.refit = index;
    const planned = plans[index];
    // Trees read the bin codes the workers hold; a logistic member reads its features' raw columns.
    const columns =
      planned?.plan.family === 'logistic'
        ? planned.subset.features.map((f) => [f, setup.table.columns[f] ?? new Float64Array(0)] as const)
        : undefined;
    const refit = { deadline: jobDeadline, ...(columns ? { columns } : {}) };
    slot.worker.postMessage({ index, refit } satisfies CandidateRequest);
    return true;
  };

  await new Promise<void>((resolve) => {
    const timer = setInterval(tick, POLL_MS);

    function settleIfDone(): void {
      if (searched || slots.some((s) => s.index !== undefined)) return;
      if (next < plans.length && !stopped && !timedOut) return;
      searched = true;
      clearInterval(timer);
      resolve();
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
      if (searched || !planned || stopped || timedOut) {
        slot.index = undefined;
        // No candidate left for this worker: it refits the members the candidates so far would give.
        if (slot.refit === undefined) startRefit(slot);
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
      const worker = early.shift() ?? newWorker();
      worker.postMessage(setupMessage);
      const s: Slot = slot ?? {
        worker,
        index: undefined,
        refit: undefined,
        startedAt: 0,
        crash: undefined,
        retired: false,
      };
      Object.assign(s, { worker, crash: undefined, retired: false, refit: undefined });
      worker.on('message', (reply: CandidateReply | RefitReply) => {
        if (s.worker !== worker) return;
        if ('model' in reply) {
          if (s.refit !== reply.index) return;
          s.refit = undefined;
          refits?.done(reply.index, reply.model);
          if (!searched) dispatch(s);
          else if (!startRefit(s)) refitChanged?.();
          return;
        }
        if (s.index !== reply.index) return;
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
        if (s.refit !== undefined) refits?.done(s.refit, undefined);
        s.refit = undefined;
        if (index !== undefined) {
          const reason = `candidate worker crashed: ${s.crash ?? `exited with code ${code}`}`;
          record(index, unfinished(index, 'Failed', s.startedAt, reason));
        }
        if (!searched && next < plans.length && !stopped && !timedOut) dispatch(spawn(s));
        else settleIfDone();
        refitChanged?.();
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
    for (const worker of early.splice(0)) void worker.terminate();
    for (const slot of slots) dispatch(slot);
    // On more than one worker, the winner's training baseline is computed here while they train.
    if (poolSize > 1) beside = besideWorkers(setup);
    settleIfDone();
  });

  // Candidates in plan order; they were dispatched in that order, so the list has no gaps.
  const ordered = results.filter((c): c is CandidateResult => c !== undefined);
  const candidates = ordered.map((c) => compareToBaseline(c, ordered[0]));
  // The ensemble is built here (as finishSearch would) so that, if it wins, its members refit on the workers.
  const built = stopped ? undefined : buildEnsembleCandidate(setup, candidates, jobDeadline, now, outOfFold);
  const wins = built !== undefined && selectCandidate([...candidates, built.candidate]) === candidates.length;
  let models: ArtifactModel[] | undefined;
  if (wins && refits) {
    options.onProgress?.({ type: 'refitting', name: built.candidate.name });
    refits.settle(built.members.map((m) => m.planIndex));
    for (const slot of slots) if (slot.refit === undefined) startRefit(slot);
    // Logistic members refit here meanwhile when the workers hold a sample of the rows.
    const rows = { all: prepared.allRows, refit: prepared.refitRows };
    const here = new Map<number, ArtifactModel>();
    const refitHere = (planIndex: number) => refitMember(setup, planIndex, rows, jobDeadline).model;
    for (const m of built.members) if (!onWorker(m.planIndex)) here.set(m.planIndex, refitHere(m.planIndex));
    await new Promise<void>((resolve) => {
      refitChanged = () => {
        if (refits.complete() || slots.every((s) => s.retired || s.refit === undefined)) resolve();
      };
      refitChanged();
    });
    // A member whose worker died is refitted here.
    models = built.members.map(
      (m) => here.get(m.planIndex) ?? refits.models.get(m.planIndex) ?? refitHere(m.planIndex),
    );
  }
  for (const slot of slots) retire(slot);
  const ensemble = { built, ...(models ? { models } : {}) };
  const flags = { stopped, timedOut, outOfFold, ensemble, ...(await beside) };
  return finishSearch(prepared, candidates, flags, options);
}

/** What finishSearch would compute on this thread after the refit, computed while the workers train. */
async function besideWorkers(setup: CandidateSetup): Promise<{
  readonly trainingBaseline: TrainingBaseline;
  readonly featureStability: FeatureStability[];
}> {
  const trainingBaseline = await trainingBaselineInSlices(setup.table);
  return { trainingBaseline, featureStability: await featureStabilityInSlices(setup, isRelativeFeature) };
}
