/**
 * The AutoML search: candidate families × feature subsets × hyper-parameters, scored by rolling-origin
 * time-ordered validation (train on everything before a block, validate on the block; every validation block
 * holds both classes), the decision threshold tuned for the objective on the pooled out-of-fold predictions.
 * Selection is robust, not greedy: a candidate's score is the mean of its pooled and its worst fold value; when
 * two or more candidates lie within one standard error of the best (validation cannot rank them) the ensemble
 * across views wins if it is in that band too, else the simplest in the band wins (threshold < logistic < trees,
 * fewer features first), because simple models on stable signals are the ones that survive drift.
 * The winner is refitted on all rows (a time-stratified sample above `refitRowLimit`).
 * Pure: data in, leaderboard and artifact out; progress and stopping through callbacks.
 */

import type { TrainingBaseline } from '../monitoring/baseline';
import type { LabelledTable } from '../telemetry/table';
import { ARTIFACT_FORMAT_VERSION, type ArtifactModel, type ModelArtifact, type ModelFamily } from './artifact';
import { binColumn, fitFeatureBins } from './binning';
import { calibrateWinner } from './calibrate-winner';
import {
  type CandidateSetup,
  type Context,
  compareToBaseline,
  fitPlan,
  trainCandidate,
  unscoredCandidate,
} from './candidate';
import { type BuiltEnsemble, buildEnsembleCandidate, ensembleArtifact, refitMember } from './ensemble-candidate';
import { AutoMLInputError } from './errors';
import { DRIFT_LIMIT, isRelativeFeature, levelDrift, timeBlockFolds } from './folds';
import type { BinaryMetrics, Objective } from './objective';
import { candidatePlans, featureSubsets } from './plans';
import { mulberry32 } from './random';
import type { EnsembleMember, FeatureStability, ValidationReport } from './report';
import { stratifiedSample } from './sampling';
import { selectCandidate } from './selection';
import { withTrainingBaseline } from './training-baseline';
import type { BinnedData } from './tree';
import { buildValidationReport } from './validation-report';

// The pieces a search is made of, for callers that import them from the search as before.
export { DRIFT_LIMIT, isRelativeFeature, levelDrift, timeBlockFolds } from './folds';
export { REFERENCE_GBT_PARAMS } from './plans';
export { DRIFT_MARGIN, selectCandidate } from './selection';

export interface SearchOptions {
  readonly jobName: string;
  /** @default 'F1' */
  readonly objective?: Objective;
  /**
   * Candidates tried, the single-signal threshold candidate included (the ensemble candidate built from them is
   * extra). @default 12 plus a logistic and a gbt per feature view (feature-views.ts)
   */
  readonly maxCandidates?: number;
  readonly maxRuntimePerCandidateSeconds?: number;
  /** The whole search and refit; the search stops early enough to leave room for the refit. */
  readonly maxJobRuntimeSeconds?: number;
  /** @default 1 */
  readonly seed?: number;
  /** Rolling-origin folds (fewer when blocks lacking a class are merged). @default 3 */
  readonly folds?: number;
  /** Above this many rows the search scores candidates on a time-stratified sample. @default 40000 */
  readonly searchRowLimit?: number;
  /** Above this many rows the winner is refitted on a time-stratified sample. @default 1000000 */
  readonly refitRowLimit?: number;
  readonly onProgress?: (event: SearchProgress) => void;
  /** Polled inside training loops; true aborts the running candidate and ends the search with the best so far. */
  readonly shouldStop?: () => boolean;
  readonly now?: () => number;
}

export type SearchProgress =
  | { readonly type: 'candidate-started'; readonly index: number; readonly total: number; readonly name: string }
  | {
      readonly type: 'candidate-finished';
      readonly index: number;
      readonly total: number;
      readonly candidate: CandidateResult;
    }
  | { readonly type: 'refitting'; readonly name: string };

export type CandidateStatus = 'Completed' | 'Failed' | 'Stopped';
export type HyperParameters = Record<string, number | string | boolean>;

export interface CandidateResult {
  readonly name: string;
  readonly family: ModelFamily;
  readonly featureSubset: string;
  readonly features: string[];
  readonly hyperParameters: HyperParameters;
  readonly status: CandidateStatus;
  /** Objective on the pooled out-of-fold predictions at the tuned threshold. */
  readonly objective: { readonly name: Objective; readonly value: number };
  readonly foldValues: number[];
  readonly threshold: number;
  readonly validation: BinaryMetrics | undefined;
  /** False when the best single-signal threshold does at least as well on validation. */
  readonly beatsBaseline: boolean;
  /** Selection score: mean of the pooled objective and the worst fold's. */
  readonly robustValue?: number;
  /** Features read whose level drifts between time blocks (see `levelDrift`). */
  readonly driftingFeatures?: string[];
  /** Set on the ensemble candidate: its members and their out-of-fold weights. */
  readonly ensemble?: EnsembleMember[];
  readonly startedAt: number;
  readonly endedAt: number;
  readonly failureReason?: string;
}

export interface SearchResult {
  readonly objective: Objective;
  /** Candidates in the order tried. */
  readonly candidates: CandidateResult[];
  /** The best single-signal threshold, scored the same way (the reference every candidate is compared to). */
  readonly baseline: CandidateResult;
  readonly best: { readonly candidate: CandidateResult; readonly artifact: ModelArtifact } | undefined;
  readonly stopped: boolean;
  readonly timedOut: boolean;
  /** Folds, gap vs spread of the top candidates, per-feature stability, and a statement when not separable. */
  readonly validation: ValidationReport;
}

/** Joins train and a later validation table into one time-ordered series. */
export function concatTables(train: LabelledTable, validation: LabelledTable | undefined): LabelledTable {
  if (!validation) return train;
  const missing = train.names.filter((n) => !validation.names.includes(n));
  if (missing.length > 0) {
    throw new AutoMLInputError(
      `Validation CSV lacks train column(s) ${missing.join(', ')}`,
      missing[0] ?? 'validation',
    );
  }
  const n = train.rowCount + validation.rowCount;
  const columns = train.names.map((name, i) => {
    const col = new Float64Array(n);
    col.set(train.columns[i] ?? new Float64Array(0), 0);
    col.set(validation.columns[validation.names.indexOf(name)] ?? new Float64Array(0), train.rowCount);
    return col;
  });
  const target = new Uint8Array(n);
  target.set(train.target, 0);
  target.set(validation.target, train.rowCount);
  return { ...train, columns, rowCount: n, target };
}

/** A search ready to run: the candidates' setup plus what the final refit needs. */
export interface PreparedSearch {
  readonly setup: CandidateSetup;
  readonly startedAt: number;
  readonly jobDeadline: number | undefined;
  readonly allRows: Uint32Array;
  readonly refitRows: Uint32Array;
}

/** Validates the data, builds the folds, bins, drift figures and candidate plans. */
export function prepareSearch(
  train: LabelledTable,
  validation: LabelledTable | undefined,
  options: SearchOptions,
): PreparedSearch {
  const objective = options.objective ?? 'F1';
  const now = options.now ?? Date.now;
  const seed = options.seed ?? 1;
  const rng = mulberry32(seed);
  const folds = options.folds ?? 3;
  const table = concatTables(train, validation);
  const n = table.rowCount;
  if (table.names.length === 0) throw new AutoMLInputError('No numeric feature columns besides the target', 'features');
  if (n < 20 * (folds + 1)) {
    throw new AutoMLInputError(`Need at least ${20 * (folds + 1)} labelled rows, got ${n}`, 'train');
  }
  let positives = 0;
  for (let i = 0; i < n; i++) positives += table.target[i] ?? 0;
  if (positives === 0 || positives === n) {
    throw new AutoMLInputError(
      `Target "${table.targetName}" has a single class in the training data`,
      table.targetName,
    );
  }
  const startedAt = now();
  const budgetMs = options.maxJobRuntimeSeconds === undefined ? undefined : options.maxJobRuntimeSeconds * 1000;
  const allRows = Uint32Array.from({ length: n }, (_, i) => i);
  // Search rows are a subset of the refit rows (the step is a multiple), so only refit rows need bin codes.
  const refitStep = Math.max(1, Math.ceil(n / (options.refitRowLimit ?? 1_000_000)));
  const searchStep = refitStep * Math.max(1, Math.ceil(n / (options.searchRowLimit ?? 40_000) / refitStep));
  // Random within time blocks (see stratifiedSample), from its own stream so the plans' draws do not change.
  const sampleRng = mulberry32(seed ^ 0x5a3b1e);
  const refitRows = stratifiedSample(allRows, refitStep, sampleRng);
  const searchRows = stratifiedSample(refitRows, searchStep / refitStep, sampleRng);
  const foldList = timeBlockFolds(searchRows, table.target, folds);
  const bins = table.columns.map((col) => fitFeatureBins(col, searchRows));
  const data: BinnedData = {
    codes: table.columns.map((col, i) =>
      binColumn(bins[i] ?? fitFeatureBins(col, searchRows), col, refitStep === 1 ? undefined : refitRows),
    ),
    bins,
  };
  // Relative features (deltas, spreads, time of day) describe change, not level: they are never counted as drifting.
  const drift = table.columns.map((col, i) =>
    isRelativeFeature(table.names[i] ?? '') ? 0 : levelDrift(col, table.target, searchRows),
  );
  const subsets = featureSubsets(table, foldList, drift);
  const maxCandidates = options.maxCandidates === undefined ? undefined : Math.max(1, options.maxCandidates);
  const plans = candidatePlans(subsets, maxCandidates, rng, objective);
  const setup: CandidateSetup = {
    objective,
    seed,
    table,
    data,
    folds: foldList,
    drifting: drift.map((d) => d > DRIFT_LIMIT),
    plans,
    // The search leaves a quarter of the budget for refitting the winner on more rows.
    searchDeadline: budgetMs === undefined ? undefined : startedAt + budgetMs * 0.75,
    maxRuntimePerCandidateSeconds: options.maxRuntimePerCandidateSeconds,
  };
  const jobDeadline = budgetMs === undefined ? undefined : startedAt + budgetMs;
  return { setup, startedAt, jobDeadline, allRows, refitRows };
}

/** Runs the candidates one after another on this thread (pool.ts runs them on worker threads). */
export function runSearch(
  train: LabelledTable,
  validation: LabelledTable | undefined,
  options: SearchOptions,
): SearchResult {
  const prepared = prepareSearch(train, validation, options);
  const { plans, searchDeadline } = prepared.setup;
  const now = options.now ?? Date.now;
  let stopped = false;
  const shouldStop = () => {
    if (!stopped && options.shouldStop?.()) stopped = true;
    return stopped;
  };
  const candidates: CandidateResult[] = [];
  const outOfFold: (Float64Array | undefined)[] = [];
  let timedOut = false;
  for (let index = 0; index < plans.length; index++) {
    const planned = plans[index];
    if (!planned) break;
    // The threshold candidate is the reference every other is compared to: it always runs (it is cheap).
    if (planned.plan.family !== 'threshold') {
      if (shouldStop()) break;
      if (searchDeadline !== undefined && now() >= searchDeadline) {
        timedOut = true;
        break;
      }
    }
    options.onProgress?.({ type: 'candidate-started', index: index + 1, total: plans.length, name: planned.name });
    const keepOutOfFold = (pooled: Float64Array) => {
      outOfFold[index] = pooled;
    };
    const trained = trainCandidate(prepared.setup, index, { shouldStop, now, keepOutOfFold });
    const result = compareToBaseline(trained, candidates[0]);
    candidates.push(result);
    options.onProgress?.({ type: 'candidate-finished', index: index + 1, total: plans.length, candidate: result });
  }
  return finishSearch(prepared, candidates, { stopped, timedOut, outOfFold }, options);
}

/**
 * Selects among `candidates` (in plan order) and refits the winner on all rows (a time-stratified sample above
 * `refitRowLimit`). The refit is not interruptible: a stopped job still ends with its best-so-far model.
 */
export function finishSearch(
  prepared: PreparedSearch,
  tried: CandidateResult[],
  flags: {
    readonly stopped: boolean;
    readonly timedOut: boolean;
    /** Per plan index: the candidate's pooled out-of-fold probabilities (else rebuilt for the ensemble). */
    readonly outOfFold?: readonly (Float64Array | undefined)[];
    /** The ensemble already built (and its members refitted) by the caller: the pool refits them on its workers. */
    readonly ensemble?: { readonly built: BuiltEnsemble | undefined; readonly models?: readonly ArtifactModel[] };
    /** The table's training baseline, computed by the caller meanwhile (the pool does). */
    readonly trainingBaseline?: TrainingBaseline;
    /** The features' stability between folds (validation report), computed by the caller meanwhile. */
    readonly featureStability?: FeatureStability[];
  },
  options: SearchOptions,
): SearchResult {
  const { setup, startedAt, jobDeadline, allRows, refitRows } = prepared;
  const { table, objective, seed, plans, searchDeadline } = setup;
  const now = options.now ?? Date.now;
  const n = table.rowCount;
  const stopped = flags.stopped;
  const timedOut = flags.timedOut || (!stopped && searchDeadline !== undefined && now() >= searchDeadline);
  const baseline = tried.find((c) => c.family === 'threshold');
  // The ensemble of the best per sensor and per family competes on the same leaderboard (not after Stop).
  const ensemble = flags.ensemble
    ? flags.ensemble.built
    : stopped
      ? undefined
      : buildEnsembleCandidate(setup, tried, jobDeadline, now, flags.outOfFold);
  const candidates = ensemble ? [...tried, compareToBaseline(ensemble.candidate, baseline)] : tried;
  const bestIndex = selectCandidate(candidates);
  const bestCandidate = candidates[bestIndex];
  const bestPlan = plans.find((p) => p.name === bestCandidate?.name);
  let best: SearchResult['best'];
  const metadata = (c: CandidateResult, usedFeatures: string[], extra: HyperParameters) => ({
    formatVersion: ARTIFACT_FORMAT_VERSION,
    version: `${options.jobName}/${c.name}`,
    featureNames: [...table.names],
    usedFeatures,
    target: table.targetName,
    threshold: Math.min(1, Math.max(0, c.threshold)),
    objective: c.objective,
    training: {
      candidateName: c.name,
      trainedAt: new Date(now()).toISOString(),
      rows: n,
      featureSubset: c.featureSubset,
      hyperParameters: { ...c.hyperParameters, ...extra },
      validation: c.validation
        ? Object.fromEntries(Object.entries(c.validation).map(([k, v]) => [k, Number.isFinite(v) ? v : null]))
        : {},
      seed,
    },
  });
  if (ensemble && bestIndex === candidates.length - 1 && bestCandidate) {
    options.onProgress?.({ type: 'refitting', name: bestCandidate.name });
    const rows = { all: allRows, refit: refitRows };
    const models =
      flags.ensemble?.models ?? ensemble.members.map((m) => refitMember(setup, m.planIndex, rows, jobDeadline).model);
    const base = metadata(bestCandidate, bestCandidate.features, {});
    best = { candidate: bestCandidate, artifact: ensembleArtifact(base, ensemble, models, setup) };
  } else if (bestCandidate && bestPlan) {
    options.onProgress?.({ type: 'refitting', name: bestCandidate.name });
    // The final refit is not interruptible: a stopped job still ends with its best-so-far model. It honours the
    // job deadline by adding fewer trees.
    const refitCtx: Context = { table, data: setup.data, rng: mulberry32(seed + 7919), shouldStop: undefined };
    const fitted = fitPlan(
      refitCtx,
      bestPlan.plan,
      bestPlan.subset.features,
      bestPlan.plan.family === 'logistic' ? allRows : refitRows,
      jobDeadline,
      objective === 'F1' && n <= 300_000,
    );
    const usedFeatures =
      fitted.model.family === 'threshold' ? [table.names[fitted.model.feature] ?? ''] : bestCandidate.features;
    const artifact: ModelArtifact = {
      ...metadata(bestCandidate, usedFeatures, fitted.extra),
      family: bestPlan.plan.family,
      preprocessing:
        bestPlan.plan.family === 'logistic'
          ? { missingValues: 'mean', standardised: true }
          : { missingValues: 'native', standardised: false },
      model: fitted.model,
    };
    // Calibrated on the winner's out-of-fold predictions, the threshold moved to the calibrated scale.
    best = {
      candidate: bestCandidate,
      artifact: calibrateWinner(artifact, setup, bestCandidate.name, jobDeadline, now),
    };
  }
  // Every artifact, the ensemble's included, carries the baseline the live monitor measures drift against.
  if (best) best = { ...best, artifact: withTrainingBaseline(best.artifact, table, flags.trainingBaseline) };
  const reference =
    baseline ??
    unscoredCandidate(
      {
        name: 'baseline-threshold',
        family: 'threshold',
        featureSubset: 'single-signal',
        features: [],
        hyperParameters: {},
        startedAt,
      },
      'Stopped',
      objective,
      now(),
    );
  const validation = buildValidationReport(setup, candidates, bestIndex, isRelativeFeature, flags.featureStability);
  return { objective, candidates, baseline: reference, best, stopped, timedOut, validation };
}
