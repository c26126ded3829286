/**
 * The AutoML search: candidate families × feature subsets × hyper-parameters, scored by rolling-origin
 * time-ordered validation (train on everything before a block, validate on the block; every validation block
 * holds both classes), the decision threshold tuned for the objective on the pooled out-of-fold predictions.
 * Selection is robust, not greedy: a candidate's score is the mean of its pooled and its worst fold value, and
 * among the candidates within one standard error of the best the simplest wins (threshold < logistic < trees,
 * fewer features first), because simple models on stable signals are the ones that survive drift.
 * The winner is refitted on all rows (a time-stratified sample above `refitRowLimit`).
 * Pure: data in, leaderboard and artifact out; progress and stopping through callbacks.
 */
import { fitBestThreshold } from '../evaluation';
import type { LabelledTable } from '../telemetry/table';
import { ARTIFACT_FORMAT_VERSION, type ArtifactModel, type ModelArtifact, type ModelFamily } from './artifact';
import { binColumn, fitFeatureBins } from './binning';
import { AutoMLInputError, TrainingStopped } from './errors';
import { DEFAULT_FOREST_PARAMS, type ForestParams, fitForest, predictForestRow } from './forest';
import { DEFAULT_GBT_PARAMS, fitGbt, type GbtParams, predictGbtRow } from './gbt';
import { DEFAULT_LOGISTIC_PARAMS, fitLogistic, type LogisticParams, predictLogisticRow } from './logistic';
import { type BinaryMetrics, binaryMetrics, type Objective, objectiveValue, rocAuc, tuneThreshold } from './objective';
import { mulberry32, type Rng } from './random';
import { fitThresholdRuleBinned, predictRuleRows, type ThresholdRuleModel, thresholdScale } from './threshold';
import type { BinnedData } from './tree';

export interface SearchOptions {
  readonly jobName: string;
  /** @default 'F1' */
  readonly objective?: Objective;
  /** Candidates tried, the single-signal threshold candidate included. @default 12 */
  readonly maxCandidates?: number;
  readonly maxRuntimePerCandidateSeconds?: number;
  /** The whole search and refit; the search stops early enough to leave room for the refit. */
  readonly maxJobRuntimeSeconds?: number;
  /** @default 1 */
  readonly seed?: number;
  /** Rolling-origin folds (fewer when blocks lacking a class are merged). @default 3 */
  readonly folds?: number;
  /** Above this many rows the search scores candidates on an every-k-th-row sample. @default 40000 */
  readonly searchRowLimit?: number;
  /** Above this many rows the winner is refitted on an every-k-th-row sample. @default 120000 */
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
}

type Plan =
  | { family: 'gbt'; params: GbtParams }
  | { family: 'logistic'; params: LogisticParams }
  | { family: 'forest'; params: ForestParams }
  | { family: 'threshold'; params: { objective: Objective } };

interface CandidatePlan {
  readonly name: string;
  readonly subset: FeatureSubset;
  readonly plan: Plan;
}

interface FeatureSubset {
  readonly name: string;
  readonly features: number[];
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

interface Fold {
  readonly train: Uint32Array;
  readonly valid: Uint32Array;
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
  return subsets;
}

const pick = <T>(rng: Rng, values: readonly T[]): T => values[Math.floor(rng() * values.length)] as T;
const logUniform = (rng: Rng, lo: number, hi: number): number =>
  Math.exp(Math.log(lo) + rng() * (Math.log(hi) - Math.log(lo)));
const round3 = (x: number): number => Number(x.toPrecision(3));

/** Plans in order of value per second: cheap strong candidates first, so a short budget still ranks them. */
function candidatePlans(subsets: FeatureSubset[], count: number, rng: Rng, objective: Objective): CandidatePlan[] {
  const plans: { subset: FeatureSubset; plan: Plan }[] = [];
  const byName = (name: string) => subsets.find((s) => s.name === name);
  const all = subsets[0] ?? { name: 'all', features: [] };
  const logistic = { family: 'logistic', params: DEFAULT_LOGISTIC_PARAMS } as const;
  const gbt = { family: 'gbt', params: DEFAULT_GBT_PARAMS } as const;
  const push = (subset: FeatureSubset | undefined, plan: Plan) => {
    if (subset) plans.push({ subset, plan });
  };
  push({ name: 'single-signal', features: all.features }, { family: 'threshold', params: { objective } });
  push(all, gbt);
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
  const searchable = subsets.filter((s) => s.features.length > 1);
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

interface Fitted {
  readonly model: ArtifactModel;
  readonly extra: HyperParameters;
}

interface Context {
  readonly table: LabelledTable;
  readonly data: BinnedData;
  readonly rng: Rng;
  readonly shouldStop: (() => boolean) | undefined;
}

function fitPlan(
  ctx: Context,
  plan: Plan,
  features: number[],
  rows: Uint32Array,
  deadline: number | undefined,
  exact: boolean,
): Fitted {
  const { table, data, rng, shouldStop } = ctx;
  const control = { rng, shouldStop, deadline };
  switch (plan.family) {
    case 'gbt': {
      // Early stopping on the most recent 15% of the rows: the model is picked for the future, not the past.
      const cut = Math.floor(rows.length * 0.85);
      const fit = fitGbt(data, table.target, rows.subarray(0, cut), rows.subarray(cut), features, plan.params, control);
      return { model: { family: 'gbt', ...fit.model }, extra: { iterations: fit.iterations } };
    }
    case 'forest': {
      const model = fitForest(data, table.target, rows, features, plan.params, control);
      return { model: { family: 'forest', ...model }, extra: { trees: model.trees.length } };
    }
    case 'logistic': {
      const model = fitLogistic(table.columns, table.target, rows, features, plan.params, shouldStop);
      return { model: { family: 'logistic', ...model }, extra: {} };
    }
    case 'threshold': {
      const rule = exact ? exactRule(table, rows, features) : undefined;
      const fitted =
        rule ?? fitThresholdRuleBinned(data, table.columns, table.target, rows, features, plan.params.objective)?.rule;
      if (!fitted) throw new AutoMLInputError('No signal to fit a threshold rule on', 'features');
      return {
        model: { family: 'threshold', ...fitted },
        extra: { signal: table.names[fitted.feature] ?? '', level: fitted.level, direction: fitted.direction },
      };
    }
  }
}

/** Every-cut F1 rule (the evaluation core's), for the final refit when the table is small enough to sort. */
function exactRule(table: LabelledTable, rows: Uint32Array, features: number[]): ThresholdRuleModel | undefined {
  let positives = 0;
  for (let i = 0; i < rows.length; i++) positives += table.target[rows[i] ?? 0] ?? 0;
  if (positives === 0) return undefined;
  const source = rows.length === table.rowCount ? table : subTable(table, rows);
  const rule = fitBestThreshold(
    source,
    features.map((f) => table.names[f] ?? ''),
  );
  const feature = table.names.indexOf(rule.signal);
  return {
    feature,
    level: rule.level,
    direction: rule.direction,
    scale: thresholdScale(table.columns[feature] ?? new Float64Array(0), rows),
  };
}

function predictRows(table: LabelledTable, model: ArtifactModel, rows: Uint32Array): Float64Array {
  if (model.family === 'threshold') return predictRuleRows(model, table.columns, rows);
  const width = table.columns.length;
  const row = new Float64Array(width);
  const out = new Float64Array(rows.length);
  const score =
    model.family === 'gbt'
      ? (v: Float64Array) => predictGbtRow(model, v)
      : model.family === 'forest'
        ? (v: Float64Array) => predictForestRow(model, v)
        : (v: Float64Array) => predictLogisticRow(model, v);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] ?? 0;
    for (let c = 0; c < width; c++) row[c] = table.columns[c]?.[r] ?? Number.NaN;
    out[i] = score(row);
  }
  return out;
}

function gather(y: Uint8Array, rows: Uint32Array): Uint8Array {
  const out = new Uint8Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = y[rows[i] ?? 0] ?? 0;
  return out;
}

function subTable(table: LabelledTable, rows: Uint32Array): LabelledTable {
  return {
    ...table,
    columns: table.columns.map((col) => Float64Array.from(rows, (r) => col[r] ?? Number.NaN)),
    rowCount: rows.length,
    target: gather(table.target, rows),
  };
}

function hyperParameters(plan: Plan): HyperParameters {
  return { family: plan.family, ...plan.params };
}

/** Lower is simpler: the family first, then the number of features read. */
function complexity(c: CandidateResult): number {
  const family = c.family === 'threshold' ? 0 : c.family === 'logistic' ? 1 : c.family === 'gbt' ? 2 : 3;
  return family * 1000 + c.features.length;
}

/** Mean of the pooled objective and the worst fold: a model must hold up in every period, not on average. */
function robustValue(pooled: number, foldValues: readonly number[]): number {
  return foldValues.length === 0 ? pooled : (pooled + Math.min(...foldValues)) / 2;
}

/** Tolerance of the one-standard-error rule, floored and capped so a noisy split cannot excuse a much worse model. */
function standardError(foldValues: readonly number[]): number {
  const k = foldValues.length;
  if (k < 2) return 0.005;
  const mean = foldValues.reduce((a, b) => a + b, 0) / k;
  const variance = foldValues.reduce((a, b) => a + (b - mean) ** 2, 0) / (k - 1);
  return Math.min(0.02, Math.max(0.005, Math.sqrt(variance / k)));
}

/** How much better on validation a candidate reading drifting features must be than the best without any. */
export const DRIFT_MARGIN = 0.02;

/**
 * The candidate to deploy. Among completed candidates: the top robust value, except that a candidate reading
 * drifting features only counts as top when it beats the best drift-free one by DRIFT_MARGIN (its validation
 * score is the part least likely to hold in the future); then the simplest candidate within one standard error
 * of the top (drift-free ones only when the top is). -1 when none completed.
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

export function runSearch(
  train: LabelledTable,
  validation: LabelledTable | undefined,
  options: SearchOptions,
): SearchResult {
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
  const jobDeadline = budgetMs === undefined ? undefined : startedAt + budgetMs;
  // The search leaves a quarter of the budget for refitting the winner on more rows.
  const searchDeadline = budgetMs === undefined ? undefined : startedAt + budgetMs * 0.75;
  const allRows = Uint32Array.from({ length: n }, (_, i) => i);
  // Search rows are a subset of the refit rows (the step is a multiple), so only refit rows need bin codes.
  const refitStep = Math.max(1, Math.ceil(n / (options.refitRowLimit ?? 120_000)));
  const searchStep = refitStep * Math.max(1, Math.ceil(n / (options.searchRowLimit ?? 40_000) / refitStep));
  const refitRows = refitStep === 1 ? allRows : allRows.filter((_, i) => i % refitStep === 0);
  const searchRows = searchStep === 1 ? allRows : allRows.filter((_, i) => i % searchStep === 0);
  const foldList = timeBlockFolds(searchRows, table.target, folds);
  const bins = table.columns.map((col) => fitFeatureBins(col, searchRows));
  const data: BinnedData = {
    codes: table.columns.map((col, i) =>
      binColumn(bins[i] ?? fitFeatureBins(col, searchRows), col, refitStep === 1 ? undefined : refitRows),
    ),
    bins,
  };
  let stopped = false;
  const shouldStop = () => {
    if (!stopped && options.shouldStop?.()) stopped = true;
    return stopped;
  };
  const ctx: Context = { table, data, rng, shouldStop };

  const oofRows = Uint32Array.from(foldList.flatMap((f) => Array.from(f.valid)));
  const oofLabels = gather(table.target, oofRows);
  const foldLabels = foldList.map((f) => gather(table.target, f.valid));

  const score = (foldProbabilities: Float64Array[], fixedThreshold?: number) => {
    const pooled = new Float64Array(oofRows.length);
    let offset = 0;
    for (const p of foldProbabilities) {
      pooled.set(p, offset);
      offset += p.length;
    }
    const threshold = fixedThreshold ?? tuneThreshold(oofLabels, pooled, objective).threshold;
    const value = objectiveValue(oofLabels, pooled, threshold, objective);
    const foldValues = foldProbabilities.map((p, k) =>
      objectiveValue(foldLabels[k] ?? new Uint8Array(0), p, threshold, objective),
    );
    return { threshold, value, foldValues, validation: binaryMetrics(oofLabels, pooled, threshold) };
  };

  // Relative features (deltas, spreads, time of day) describe change, not level: they are never counted as drifting.
  const drift = table.columns.map((col, i) =>
    isRelativeFeature(table.names[i] ?? '') ? 0 : levelDrift(col, table.target, searchRows),
  );
  const driftingOf = (features: readonly string[]) =>
    features.filter((name) => (drift[table.names.indexOf(name)] ?? 0) > DRIFT_LIMIT);
  const subsets = featureSubsets(table, foldList, drift);
  const plans = candidatePlans(subsets, Math.max(1, options.maxCandidates ?? 12), rng, objective);
  const candidates: CandidateResult[] = [];
  let baseline: CandidateResult | undefined;
  let timedOut = false;
  const overDeadline = () => searchDeadline !== undefined && now() >= searchDeadline;
  for (let index = 0; index < plans.length; index++) {
    const planned = plans[index];
    if (!planned) break;
    const isThreshold = planned.plan.family === 'threshold';
    // The threshold candidate is the reference every other is compared to: it always runs (it is cheap).
    if (!isThreshold && shouldStop()) break;
    if (!isThreshold && overDeadline()) {
      timedOut = true;
      break;
    }
    options.onProgress?.({ type: 'candidate-started', index: index + 1, total: plans.length, name: planned.name });
    const candidateStart = now();
    const budget = options.maxRuntimePerCandidateSeconds;
    const candidateDeadline = budget === undefined ? undefined : candidateStart + budget * 1000;
    const features = planned.subset.features;
    const base = {
      name: planned.name,
      family: planned.plan.family,
      featureSubset: planned.subset.name,
      features: features.map((f) => table.names[f] ?? ''),
      startedAt: candidateStart,
    };
    let result: CandidateResult;
    try {
      const probabilities: Float64Array[] = [];
      const extras: HyperParameters[] = [];
      for (let k = 0; k < foldList.length; k++) {
        const fold = foldList[k];
        if (!fold) continue;
        const foldDeadlines = [searchDeadline];
        if (candidateDeadline !== undefined)
          foldDeadlines.push(candidateStart + ((budget ?? 0) * 1000 * (k + 1)) / foldList.length);
        const deadline = Math.min(...foldDeadlines.map((d) => d ?? Number.POSITIVE_INFINITY));
        const fitted = fitPlan(
          isThreshold ? { ...ctx, shouldStop: undefined } : ctx,
          planned.plan,
          features,
          fold.train,
          Number.isFinite(deadline) ? deadline : undefined,
          false,
        );
        probabilities.push(predictRows(table, fitted.model, fold.valid));
        extras.push(fitted.extra);
      }
      // A model cut short by the budget would be ranked on a truncated fit: it is recorded as stopped instead.
      if (!isThreshold && overDeadline()) throw new TrainingStopped();
      // A rule's own cut is its decision: scored at 0.5 on its hard 0/1 predictions.
      const s = score(probabilities, isThreshold ? 0.5 : undefined);
      const iterations = extras.map((e) => e.iterations).filter((v): v is number => typeof v === 'number');
      const signals = extras.map((e) => e.signal).filter((v): v is string => typeof v === 'string');
      result = {
        ...base,
        ...(isThreshold ? { features: [...new Set(signals)] } : {}),
        hyperParameters: {
          ...hyperParameters(planned.plan),
          ...(iterations.length > 0 ? { foldIterations: iterations.join('/') } : {}),
          ...(signals.length > 0 ? { foldSignals: signals.join('/') } : {}),
        },
        status: 'Completed',
        objective: { name: objective, value: s.value },
        foldValues: s.foldValues,
        threshold: s.threshold,
        validation: s.validation,
        beatsBaseline: baseline !== undefined && s.value > baseline.objective.value + 1e-12,
        robustValue: robustValue(s.value, s.foldValues),
        driftingFeatures: driftingOf(isThreshold ? [...new Set(signals)] : base.features),
        endedAt: now(),
      };
    } catch (error) {
      // A candidate that throws fails alone; the search goes on with the next one.
      const wasStopped = error instanceof TrainingStopped;
      result = {
        ...base,
        hyperParameters: hyperParameters(planned.plan),
        status: wasStopped ? 'Stopped' : 'Failed',
        objective: { name: objective, value: 0 },
        foldValues: [],
        threshold: 0.5,
        validation: undefined,
        beatsBaseline: false,
        endedAt: now(),
        ...(wasStopped
          ? stopped
            ? {}
            : { failureReason: 'MaxAutoMLJobRuntime reached before the candidate finished' }
          : { failureReason: error instanceof Error ? error.message : String(error) }),
      };
    }
    if (isThreshold && baseline === undefined) baseline = result;
    candidates.push(result);
    options.onProgress?.({ type: 'candidate-finished', index: index + 1, total: plans.length, candidate: result });
  }
  if (!timedOut && !stopped && overDeadline()) timedOut = true;

  const bestIndex = selectCandidate(candidates);
  const bestCandidate = candidates[bestIndex];
  const bestPlan = plans[bestIndex];
  let best: SearchResult['best'];
  if (bestCandidate && bestPlan) {
    options.onProgress?.({ type: 'refitting', name: bestCandidate.name });
    // The final refit is not interruptible: a stopped job still ends with its best-so-far model. It honours the
    // job deadline by adding fewer trees.
    const refitCtx: Context = { ...ctx, rng: mulberry32(seed + 7919), shouldStop: undefined };
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
      formatVersion: ARTIFACT_FORMAT_VERSION,
      version: `${options.jobName}/${bestCandidate.name}`,
      family: bestPlan.plan.family,
      featureNames: [...table.names],
      usedFeatures,
      target: table.targetName,
      preprocessing:
        bestPlan.plan.family === 'logistic'
          ? { missingValues: 'mean', standardised: true }
          : { missingValues: 'native', standardised: false },
      model: fitted.model,
      threshold: Math.min(1, Math.max(0, bestCandidate.threshold)),
      objective: bestCandidate.objective,
      training: {
        candidateName: bestCandidate.name,
        trainedAt: new Date(now()).toISOString(),
        rows: n,
        featureSubset: bestCandidate.featureSubset,
        hyperParameters: { ...bestCandidate.hyperParameters, ...fitted.extra },
        validation: bestCandidate.validation
          ? Object.fromEntries(
              Object.entries(bestCandidate.validation).map(([k, v]) => [k, Number.isFinite(v) ? v : null]),
            )
          : {},
        seed,
      },
    };
    best = { candidate: bestCandidate, artifact };
  }
  const reference =
    baseline ??
    ({
      name: 'baseline-threshold',
      family: 'threshold',
      featureSubset: 'single-signal',
      features: [],
      hyperParameters: {},
      status: 'Stopped',
      objective: { name: objective, value: 0 },
      foldValues: [],
      threshold: 0.5,
      validation: undefined,
      beatsBaseline: false,
      startedAt,
      endedAt: now(),
    } satisfies CandidateResult);
  return { objective, candidates, baseline: reference, best, stopped, timedOut };
}
