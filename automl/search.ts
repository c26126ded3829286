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
import type { LabelledTable } from '../telemetry/table';
import { ARTIFACT_FORMAT_VERSION, type ArtifactModel, type ModelArtifact, type ModelFamily } from './artifact';
import { binColumn, fitFeatureBins } from './binning';
import { calibrateWinner } from './calibrate-winner';
import {
  type CandidatePlan,
  type CandidateSetup,
  type Context,
  compareToBaseline,
  type FeatureSubset,
  type Fold,
  fitPlan,
  type Plan,
  trainCandidate,
  unscoredCandidate,
} from './candidate';
import { DRIFT_MARGIN } from './drift-margin';
import { type BuiltEnsemble, buildEnsembleCandidate, ensembleArtifact, refitMember } from './ensemble-candidate';
import { AutoMLInputError } from './errors';
import { featureViews, viewPlans } from './feature-views';
import { DEFAULT_FOREST_PARAMS } from './forest';
import { DEFAULT_GBT_PARAMS, type GbtParams } from './gbt';
import { DEFAULT_LOGISTIC_PARAMS } from './logistic';
import { type BinaryMetrics, type Objective, rocAuc } from './objective';
import { mulberry32, type Rng } from './random';
import type { EnsembleMember, ValidationReport } from './report';
import { stratifiedSample } from './sampling';
import { withTrainingBaseline } from './training-baseline';
import type { BinnedData } from './tree';
import { buildValidationReport } from './validation-report';

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

/**
 * Names of features that describe change, spread or time rather than an absolute level: they transfer across
 * seasons and rooms (`temperature_delta`, `sound_std_5`, `sound_secs_since_cross`, `hvac_status_is_fan`,
 * `hour_sin`). Rolling means (`temperature_mean_5`) are levels and do not count.
 */
const RELATIVE_FEATURE =
  /(_delta|_diff|_change|_std|_stddev|_var|_slope|_range|secs_since|_since_|_is_|^hour|^weekday|^dow|^minute|_sin$|_cos$)/i;

export function isRelativeFeature(name: string): boolean {
  return RELATIVE_FEATURE.test(name);
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

/** Fewest rows of each class a validation block needs to say anything about F1. */
const MIN_CLASS_ROWS = 5;

/**
 * Rolling-origin folds over the last 70% of time in `folds` equal blocks, each trained on everything before it.
 * A block lacking either class (a weekend, a quiet week) is merged into the next one (the last into the one
 * before), so every fold can rank models on both kinds of error.
 */
export function timeBlockFolds(rows: Uint32Array, y: Uint8Array, folds: number): Fold[] {
  const n = rows.length;
  const first = Math.floor(n * 0.3);
  const size = (n - first) / folds;
  const bounds: { start: number; end: number }[] = [];
  for (let k = 0; k < folds; k++) {
    const start = Math.floor(first + k * size);
    const end = k === folds - 1 ? n : Math.floor(first + (k + 1) * size);
    bounds.push({ start, end });
  }
  const informative = (start: number, end: number): boolean => {
    let positives = 0;
    for (let i = start; i < end; i++) positives += y[rows[i] ?? 0] ?? 0;
    return positives >= MIN_CLASS_ROWS && end - start - positives >= MIN_CLASS_ROWS;
  };
  const merged: { start: number; end: number }[] = [];
  let pendingStart: number | undefined;
  for (const b of bounds) {
    const start = pendingStart ?? b.start;
    if (informative(start, b.end)) {
      merged.push({ start, end: b.end });
      pendingStart = undefined;
    } else pendingStart = start;
  }
  if (pendingStart !== undefined) {
    const last = merged.pop();
    merged.push({ start: last?.start ?? pendingStart, end: n });
  }
  return merged.map(({ start, end }) => ({ train: rows.subarray(0, start), valid: rows.subarray(start, end) }));
}

/** |AUC − 0.5| of one feature on the rows given (0 when a class is absent). */
function univariateStrength(col: Float64Array, y: Uint8Array, rows: Uint32Array): number {
  const values = new Float64Array(rows.length);
  const labels = new Uint8Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] ?? 0;
    const v = col[r] ?? Number.NaN;
    values[i] = Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v;
    labels[i] = y[r] ?? 0;
  }
  const auc = rocAuc(labels, values);
  return Number.isNaN(auc) ? 0 : Math.abs(auc - 0.5);
}

/**
 * How far a feature's level wanders between five time blocks among the unoccupied rows, relative to the gap
 * between the classes' means: humidity on a wet day moves more than occupancy moves it, light at night does not.
 * Occupancy itself changing between blocks (weekends) does not count as drift.
 */
export function levelDrift(col: Float64Array, y: Uint8Array, rows: Uint32Array): number {
  const blocks = 5;
  const means: number[] = [];
  const sums = [0, 0];
  const counts = [0, 0];
  for (let b = 0; b < blocks; b++) {
    const from = Math.floor((b * rows.length) / blocks);
    const to = Math.floor(((b + 1) * rows.length) / blocks);
    let blockSum = 0;
    let blockCount = 0;
    for (let i = from; i < to; i++) {
      const r = rows[i] ?? 0;
      const v = col[r] ?? Number.NaN;
      if (Number.isNaN(v)) continue;
      const label = y[r] === 1 ? 1 : 0;
      sums[label] = (sums[label] ?? 0) + v;
      counts[label] = (counts[label] ?? 0) + 1;
      if (label === 0) {
        blockSum += v;
        blockCount++;
      }
    }
    if (blockCount >= MIN_CLASS_ROWS) means.push(blockSum / blockCount);
  }
  const [n0 = 0, n1 = 0] = counts;
  if (means.length < 2 || n0 === 0 || n1 === 0) return 0;
  const gap = Math.abs((sums[1] ?? 0) / n1 - (sums[0] ?? 0) / n0);
  const range = Math.max(...means) - Math.min(...means);
  if (range === 0) return 0;
  return gap > 0 ? range / gap : Number.POSITIVE_INFINITY;
}

/** Features whose unoccupied level moves more than this share of the class gap across time blocks drift. */
export const DRIFT_LIMIT = 0.5;

function featureSubsets(table: LabelledTable, folds: Fold[], drift: readonly number[]): FeatureSubset[] {
  const all = table.names.map((_, i) => i);
  const subsets: FeatureSubset[] = [{ name: 'all', features: all }];
  const add = (name: string, features: number[]) => {
    if (features.length === 0) return;
    const key = [...features].sort((a, b) => a - b).join(',');
    if (subsets.some((s) => [...s.features].sort((a, b) => a - b).join(',') === key)) return;
    subsets.push({ name, features });
  };
  const column = (i: number) => table.columns[i] ?? new Float64Array(0);
  const stable = all.filter((i) => (drift[i] ?? 0) <= DRIFT_LIMIT);
  // Ranked by the weakest fold: a signal that separates the classes in every block, not just on average.
  const strength = all.map((i) => Math.min(...folds.map((f) => univariateStrength(column(i), table.target, f.valid))));
  const ranked = [...all].sort((a, b) => (strength[b] ?? 0) - (strength[a] ?? 0));
  const rankedStable = ranked.filter((i) => stable.includes(i));
  for (const k of [1, 2, 3]) add(`top${k}`, (rankedStable.length >= k ? rankedStable : ranked).slice(0, k));
  add('stable', stable);
  add(
    'relative',
    all.filter((i) => isRelativeFeature(table.names[i] ?? '')),
  );
  add('top-half', ranked.slice(0, Math.ceil(all.length / 2)));
  // Per-sensor views are kept even when equal to a subset above: the ensemble draws its members from them.
  return [...subsets, ...featureViews(table.names)];
}

const pick = <T>(rng: Rng, values: readonly T[]): T => values[Math.floor(rng() * values.length)] as T;
const logUniform = (rng: Rng, lo: number, hi: number): number =>
  Math.exp(Math.log(lo) + rng() * (Math.log(hi) - Math.log(lo)));
const round3 = (x: number): number => Number(x.toPrecision(3));

/** Learning rate 0.1, 31 leaves, no depth cap, no L2, 20 rows a leaf, up to 200 trees with early stopping. */
export const REFERENCE_GBT_PARAMS: GbtParams = {
  ...DEFAULT_GBT_PARAMS,
  learningRate: 0.1,
  maxIterations: 200,
  maxDepth: 64,
  lambda: 0,
  maxLeaves: 31,
  minSamplesLeaf: 20,
};

/** Plans in order of value per second: cheap strong candidates first, so a short budget still ranks them. */
function candidatePlans(
  subsets: FeatureSubset[],
  maxCandidates: number | undefined,
  rng: Rng,
  objective: Objective,
): CandidatePlan[] {
  const plans: { subset: FeatureSubset; plan: Plan }[] = [];
  const byName = (name: string) => subsets.find((s) => s.name === name);
  const all = subsets[0] ?? { name: 'all', features: [] };
  const logistic = { family: 'logistic', params: DEFAULT_LOGISTIC_PARAMS } as const;
  const gbt = { family: 'gbt', params: DEFAULT_GBT_PARAMS } as const;
  // The all-feature gbt takes histogram boosting's reference defaults (LightGBM's and scikit-learn's): the most
  // tried setting for the strongest generic learner, and the one the bench compares against.
  const referenceGbt = { family: 'gbt', params: REFERENCE_GBT_PARAMS } as const;
  const push = (subset: FeatureSubset | undefined, plan: Plan) => {
    if (subset) plans.push({ subset, plan });
  };
  push({ name: 'single-signal', features: all.features }, { family: 'threshold', params: { objective } });
  push(all, referenceGbt);
  push(byName('top1'), logistic);
  push(byName('top2'), logistic);
  push(all, logistic);
  push(byName('stable'), gbt);
  push(byName('relative'), gbt);
  push(byName('top3'), logistic);
  push(byName('stable'), logistic);
  push(byName('relative'), logistic);
  push(byName('top-half'), gbt);
  push(all, { family: 'forest', params: DEFAULT_FOREST_PARAMS });
  plans.push(
    ...viewPlans(
      subsets.filter((s) => s.name.startsWith('view-')),
      plans,
    ),
  );
  const count = maxCandidates ?? Math.max(12, plans.length);
  const searchable = subsets.filter((s) => s.features.length > 1 && !s.name.startsWith('view-'));
  let guard = 0;
  while (plans.length < count && guard++ < 10 * count) {
    const subset = pick(rng, searchable.length > 0 ? searchable : subsets);
    const family = pick(rng, ['gbt', 'gbt', 'logistic', 'forest'] as const);
    if (family === 'gbt') {
      plans.push({
        subset,
        plan: {
          family,
          params: {
            ...DEFAULT_GBT_PARAMS,
            learningRate: round3(logUniform(rng, 0.05, 0.3)),
            maxLeaves: pick(rng, [7, 15, 31, 63]),
            minSamplesLeaf: pick(rng, [5, 20, 50, 100]),
            lambda: pick(rng, [0, 1, 10]),
            rowSubsample: pick(rng, [0.7, 1]),
          },
        },
      });
    } else if (family === 'logistic') {
      plans.push({
        subset,
        plan: { family, params: { ...DEFAULT_LOGISTIC_PARAMS, C: round3(logUniform(rng, 0.001, 100)) } },
      });
    } else {
      plans.push({
        subset,
        plan: {
          family,
          params: {
            ...DEFAULT_FOREST_PARAMS,
            featureFraction: pick(rng, [0.3, 0.5, 0.8, 1]),
            minSamplesLeaf: pick(rng, [1, 5, 20]),
          },
        },
      });
    }
  }
  return plans.slice(0, count).map((p, i) => ({
    ...p,
    name: `c${String(i + 1).padStart(3, '0')}-${p.plan.family}-${p.subset.name}`,
  }));
}

/** Lower is simpler: the family first, then the number of features read. */
function complexity(c: CandidateResult): number {
  const family = ['threshold', 'logistic', 'gbt', 'forest', 'ensemble'].indexOf(c.family);
  return family * 1000 + c.features.length;
}

/** Tolerance of the one-standard-error rule, floored and capped so a noisy split cannot excuse a much worse model. */
function standardError(foldValues: readonly number[]): number {
  const k = foldValues.length;
  if (k < 2) return 0.005;
  const mean = foldValues.reduce((a, b) => a + b, 0) / k;
  const variance = foldValues.reduce((a, b) => a + (b - mean) ** 2, 0) / (k - 1);
  return Math.min(0.02, Math.max(0.005, Math.sqrt(variance / k)));
}

export { DRIFT_MARGIN };

/**
 * The ensemble when validation cannot rank the single candidates: two or more of them lie within one standard error
 * of the top, so which one is best is noise, and picking the simplest of them bets on one feature subset the folds
 * did not prefer. Averaging their views (the ensemble, within the same band) is the hedge that does not need the
 * evidence to rank them. -1 when the evidence ranks them or no ensemble is within the band.
 */
function inseparableHedge(
  candidates: readonly CandidateResult[],
  floor: number,
  stableOnly: boolean,
  value: (c: CandidateResult) => number,
): number {
  const eligible = (c: CandidateResult) =>
    c.status === 'Completed' && value(c) >= floor && !(stableOnly && (c.driftingFeatures?.length ?? 0) > 0);
  const tied = candidates.filter((c) => c.family !== 'ensemble' && eligible(c)).length;
  if (tied < 2) return -1;
  return candidates.findIndex((c) => c.family === 'ensemble' && eligible(c));
}

/**
 * The candidate to deploy. Among completed candidates: the top robust value, except that a candidate reading
 * drifting features only counts as top when it beats the best drift-free one by DRIFT_MARGIN (its validation
 * score is the part least likely to hold in the future); then, when two or more single candidates lie within one
 * standard error of the top (validation cannot rank them), the ensemble if it is within that band too; else the
 * simplest candidate within one standard error of the top (drift-free ones only when the top is). -1 when none
 * completed.
 */
export function selectCandidate(candidates: readonly CandidateResult[]): number {
  const value = (c: CandidateResult) => c.robustValue ?? c.objective.value;
  const drifts = (c: CandidateResult) => (c.driftingFeatures?.length ?? 0) > 0;
  const argmax = (keep: (c: CandidateResult) => boolean): number => {
    let top = -1;
    candidates.forEach((c, i) => {
      const current = candidates[top];
      if (c.status === 'Completed' && keep(c) && (!current || value(c) > value(current) + 1e-12)) top = i;
    });
    return top;
  };
  let top = argmax(() => true);
  const stableTop = argmax((c) => !drifts(c));
  const topCandidate = candidates[top];
  const stableCandidate = candidates[stableTop];
  if (!topCandidate) return -1;
  let stableOnly = !drifts(topCandidate);
  if (!stableOnly && stableCandidate && value(topCandidate) - value(stableCandidate) < DRIFT_MARGIN) {
    top = stableTop;
    stableOnly = true;
  }
  const best = candidates[top] ?? topCandidate;
  const floor = value(best) - standardError(best.foldValues);
  const hedge = inseparableHedge(candidates, floor, stableOnly, value);
  if (hedge >= 0) return hedge;
  let chosen = top;
  candidates.forEach((c, i) => {
    const current = candidates[chosen];
    if (c.status !== 'Completed' || value(c) < floor || !current || (stableOnly && drifts(c))) return;
    const simpler = complexity(c) < complexity(current);
    const asSimpleButBetter = complexity(c) === complexity(current) && value(c) > value(current) + 1e-12;
    if (simpler || asSimpleButBetter) chosen = i;
  });
  return chosen;
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
  if (best) best = { ...best, artifact: withTrainingBaseline(best.artifact, table) };
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
  const validation = buildValidationReport(setup, candidates, bestIndex, isRelativeFeature);
  return { objective, candidates, baseline: reference, best, stopped, timedOut, validation };
}
