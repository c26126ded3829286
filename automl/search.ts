/**
 * The AutoML search: candidate families × feature subsets × hyper-parameters, scored by rolling-origin
 * time-ordered validation (train on blocks 1..i, validate on block i+1), the decision threshold tuned
 * for the objective on the pooled out-of-fold predictions, the winner refitted on all rows.
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
import type { BinnedData } from './tree';

export interface SearchOptions {
  readonly jobName: string;
  /** @default 'F1' */
  readonly objective?: Objective;
  /** @default 12 */
  readonly maxCandidates?: number;
  readonly maxRuntimePerCandidateSeconds?: number;
  readonly maxJobRuntimeSeconds?: number;
  /** @default 1 */
  readonly seed?: number;
  /** Rolling-origin folds. @default 3 */
  readonly folds?: number;
  /** Above this many rows the search scores candidates on an every-k-th-row sample; the winner is refitted on all. @default 200000 */
  readonly searchRowLimit?: number;
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
  readonly family: ModelFamily | 'threshold';
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
  readonly startedAt: number;
  readonly endedAt: number;
  readonly failureReason?: string;
}

export interface SearchResult {
  readonly objective: Objective;
  /** Learned candidates in the order tried. */
  readonly candidates: CandidateResult[];
  /** The best single-signal threshold, scored the same way (reference, never deployed). */
  readonly baseline: CandidateResult;
  readonly best: { readonly candidate: CandidateResult; readonly artifact: ModelArtifact } | undefined;
  readonly stopped: boolean;
  readonly timedOut: boolean;
}

type Plan =
  | { family: 'gbt'; params: GbtParams }
  | { family: 'logistic'; params: LogisticParams }
  | { family: 'forest'; params: ForestParams };

interface CandidatePlan {
  readonly name: string;
  readonly subset: FeatureSubset;
  readonly plan: Plan;
}

interface FeatureSubset {
  readonly name: string;
  readonly features: number[];
}

/** Names of features that describe change rather than level: they transfer across seasons and rooms. */
const RELATIVE_FEATURE = /delta|diff|change|roll|mean|std|avg|since|slope|hour|weekday|dow|_sin|_cos|minute/i;

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

function rollingOriginFolds(rows: Uint32Array, folds: number): Fold[] {
  // Validation blocks cover the last 60% of time in `folds` equal blocks; each trains on everything before.
  const n = rows.length;
  const first = Math.floor(n * 0.4);
  const size = (n - first) / folds;
  const result: Fold[] = [];
  for (let k = 0; k < folds; k++) {
    const start = Math.floor(first + k * size);
    const end = k === folds - 1 ? n : Math.floor(first + (k + 1) * size);
    result.push({ train: rows.subarray(0, start), valid: rows.subarray(start, end) });
  }
  return result;
}

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

/** Range of a feature's mean over five time blocks, in units of its overall standard deviation. */
export function levelDrift(col: Float64Array, rows: Uint32Array): number {
  const blocks = 5;
  const means: number[] = [];
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  for (let b = 0; b < blocks; b++) {
    const from = Math.floor((b * rows.length) / blocks);
    const to = Math.floor(((b + 1) * rows.length) / blocks);
    let blockSum = 0;
    let blockCount = 0;
    for (let i = from; i < to; i++) {
      const v = col[rows[i] ?? 0] ?? Number.NaN;
      if (Number.isNaN(v)) continue;
      blockSum += v;
      blockCount++;
      sumSq += v * v;
    }
    sum += blockSum;
    count += blockCount;
    if (blockCount > 0) means.push(blockSum / blockCount);
  }
  if (count === 0 || means.length < 2) return 0;
  const mean = sum / count;
  const sd = Math.sqrt(Math.max(0, sumSq / count - mean * mean));
  return sd > 0 ? (Math.max(...means) - Math.min(...means)) / sd : 0;
}

/** Features whose level moves more than this (in standard deviations) across time blocks count as drifting. */
export const DRIFT_LIMIT = 1.5;

function featureSubsets(table: LabelledTable, rows: Uint32Array, firstFoldTrain: Uint32Array): FeatureSubset[] {
  const all = table.names.map((_, i) => i);
  const subsets: FeatureSubset[] = [{ name: 'all', features: all }];
  const add = (name: string, features: number[]) => {
    if (features.length === 0 || features.length === all.length) return;
    const key = [...features].sort((a, b) => a - b).join(',');
    if (subsets.some((s) => [...s.features].sort((a, b) => a - b).join(',') === key)) return;
    subsets.push({ name, features });
  };
  add(
    'relative',
    all.filter((i) => RELATIVE_FEATURE.test(table.names[i] ?? '')),
  );
  add(
    'stable',
    all.filter((i) => levelDrift(table.columns[i] ?? new Float64Array(0), rows) <= DRIFT_LIMIT),
  );
  // Ranked on the first fold's training rows only, so the ranking never saw a validation block.
  const ranked = all
    .map((i) => ({
      i,
      strength: univariateStrength(table.columns[i] ?? new Float64Array(0), table.target, firstFoldTrain),
    }))
    .sort((a, b) => b.strength - a.strength)
    .map((r) => r.i);
  for (const k of [1, 2, 3, Math.ceil(all.length / 2)]) add(`top${k}`, ranked.slice(0, k));
  return subsets;
}

const pick = <T>(rng: Rng, values: readonly T[]): T => values[Math.floor(rng() * values.length)] as T;
const logUniform = (rng: Rng, lo: number, hi: number): number =>
  Math.exp(Math.log(lo) + rng() * (Math.log(hi) - Math.log(lo)));
const round3 = (x: number): number => Number(x.toPrecision(3));

function candidatePlans(subsets: FeatureSubset[], count: number, rng: Rng): CandidatePlan[] {
  const plans: { subset: FeatureSubset; plan: Plan }[] = [];
  const all = subsets[0] ?? { name: 'all', features: [] };
  plans.push({ subset: all, plan: { family: 'gbt', params: DEFAULT_GBT_PARAMS } });
  plans.push({ subset: all, plan: { family: 'logistic', params: DEFAULT_LOGISTIC_PARAMS } });
  plans.push({ subset: all, plan: { family: 'forest', params: DEFAULT_FOREST_PARAMS } });
  for (const subset of subsets.slice(1)) {
    plans.push({ subset, plan: { family: 'logistic', params: DEFAULT_LOGISTIC_PARAMS } });
    plans.push({ subset, plan: { family: 'gbt', params: DEFAULT_GBT_PARAMS } });
  }
  let guard = 0;
  while (plans.length < count && guard++ < 10 * count) {
    const subset = pick(rng, subsets);
    const family = pick(rng, ['gbt', 'gbt', 'logistic', 'forest'] as const);
    if (family === 'gbt') {
      plans.push({
        subset,
        plan: {
          family,
          params: {
            ...DEFAULT_GBT_PARAMS,
            learningRate: round3(logUniform(rng, 0.03, 0.3)),
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
  }
}

function predictRows(table: LabelledTable, model: ArtifactModel, rows: Uint32Array): Float64Array {
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
  const jobDeadline =
    options.maxJobRuntimeSeconds === undefined ? undefined : startedAt + options.maxJobRuntimeSeconds * 1000;
  const allRows = Uint32Array.from({ length: n }, (_, i) => i);
  const limit = options.searchRowLimit ?? 200_000;
  const step = Math.max(1, Math.ceil(n / limit));
  const searchRows = step === 1 ? allRows : allRows.filter((_, i) => i % step === 0);
  const foldList = rollingOriginFolds(searchRows, folds);
  const bins = table.columns.map((col) => fitFeatureBins(col, searchRows));
  const data: BinnedData = {
    codes: table.columns.map((col, i) => binColumn(bins[i] ?? fitFeatureBins(col, allRows), col)),
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

  const score = (foldProbabilities: Float64Array[]) => {
    const pooled = new Float64Array(oofRows.length);
    let offset = 0;
    for (const p of foldProbabilities) {
      pooled.set(p, offset);
      offset += p.length;
    }
    const tuned = tuneThreshold(oofLabels, pooled, objective);
    return {
      threshold: tuned.threshold,
      value: tuned.value,
      foldValues: foldProbabilities.map((p, k) =>
        objectiveValue(foldLabels[k] ?? new Uint8Array(0), p, tuned.threshold, objective),
      ),
      validation: binaryMetrics(oofLabels, pooled, tuned.threshold),
    };
  };

  // The reference: the best single-signal threshold, fitted per fold on that fold's training rows.
  const baselineStart = now();
  const baselineProbabilities = foldList.map((fold) => {
    const signals = table.names;
    const rule = fitBestThreshold(subTable(table, fold.train), signals);
    const col = table.columns[table.names.indexOf(rule.signal)] ?? new Float64Array(0);
    return Float64Array.from(fold.valid, (r) => {
      const v = col[r] ?? Number.NaN;
      return (rule.direction === 'above' ? v > rule.level : v < rule.level) ? 1 : 0;
    });
  });
  const baselineScore = score(baselineProbabilities);
  const lastRule = fitBestThreshold(subTable(table, foldList[foldList.length - 1]?.train ?? allRows), table.names);
  const baseline: CandidateResult = {
    name: `baseline-threshold-${lastRule.signal}`,
    family: 'threshold',
    featureSubset: 'single-signal',
    features: [lastRule.signal],
    hyperParameters: { signal: lastRule.signal, level: lastRule.level, direction: lastRule.direction },
    status: 'Completed',
    objective: { name: objective, value: baselineScore.value },
    foldValues: baselineScore.foldValues,
    threshold: 0.5,
    validation: baselineScore.validation,
    beatsBaseline: false,
    startedAt: baselineStart,
    endedAt: now(),
  };

  const subsets = featureSubsets(table, searchRows, foldList[0]?.train ?? searchRows);
  const plans = candidatePlans(subsets, Math.max(1, options.maxCandidates ?? 12), rng);
  const candidates: CandidateResult[] = [];
  let bestIndex = -1;
  let timedOut = false;
  for (let index = 0; index < plans.length; index++) {
    const planned = plans[index];
    if (!planned) break;
    if (shouldStop()) break;
    if (jobDeadline !== undefined && now() >= jobDeadline) {
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
        const foldDeadlines = [jobDeadline];
        if (candidateDeadline !== undefined)
          foldDeadlines.push(candidateStart + ((budget ?? 0) * 1000 * (k + 1)) / foldList.length);
        const deadline = Math.min(...foldDeadlines.map((d) => d ?? Number.POSITIVE_INFINITY));
        const fitted = fitPlan(
          ctx,
          planned.plan,
          features,
          fold.train,
          Number.isFinite(deadline) ? deadline : undefined,
        );
        probabilities.push(predictRows(table, fitted.model, fold.valid));
        extras.push(fitted.extra);
      }
      const s = score(probabilities);
      const iterations = extras.map((e) => e.iterations).filter((v): v is number => typeof v === 'number');
      result = {
        ...base,
        hyperParameters: {
          ...hyperParameters(planned.plan),
          ...(iterations.length > 0 ? { foldIterations: iterations.join('/') } : {}),
        },
        status: 'Completed',
        objective: { name: objective, value: s.value },
        foldValues: s.foldValues,
        threshold: s.threshold,
        validation: s.validation,
        beatsBaseline: s.value > baselineScore.value + 1e-12,
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
        ...(wasStopped ? {} : { failureReason: error instanceof Error ? error.message : String(error) }),
      };
    }
    candidates.push(result);
    const best = candidates[bestIndex];
    if (result.status === 'Completed' && (!best || result.objective.value > best.objective.value + 1e-12)) {
      bestIndex = candidates.length - 1;
    }
    options.onProgress?.({ type: 'candidate-finished', index: index + 1, total: plans.length, candidate: result });
  }

  const bestCandidate = candidates[bestIndex];
  const bestPlan = plans[bestIndex];
  let best: SearchResult['best'];
  if (bestCandidate && bestPlan) {
    options.onProgress?.({ type: 'refitting', name: bestCandidate.name });
    // The final refit is not interruptible: a stopped job still ends with its best-so-far model.
    const refitCtx: Context = { ...ctx, rng: mulberry32(seed + 7919), shouldStop: undefined };
    const fitted = fitPlan(refitCtx, bestPlan.plan, bestPlan.subset.features, allRows, undefined);
    const artifact: ModelArtifact = {
      formatVersion: ARTIFACT_FORMAT_VERSION,
      version: `${options.jobName}/${bestCandidate.name}`,
      family: bestPlan.plan.family,
      featureNames: [...table.names],
      usedFeatures: bestCandidate.features,
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
  return { objective, candidates, baseline, best, stopped, timedOut };
}
