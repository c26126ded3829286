/**
 * One candidate of the AutoML search, trained and scored on the rolling-origin folds: the unit of work the
 * search runs in turn and the worker pool (pool.ts) runs in parallel. Everything a candidate reads is in its
 * `CandidateSetup` (structured-cloneable; its typed arrays may sit on SharedArrayBuffers), and its random draws
 * come from its own seeded stream, so its result depends on its index only, never on what ran before it.
 * Pure: no I/O; stopping through a callback.
 */
import { fitBestThreshold } from '../evaluation';
import type { LabelledTable } from '../telemetry/table';
import type { ArtifactModel, ModelFamily } from './artifact';
import { AutoMLInputError, TrainingStopped } from './errors';
import { type ForestParams, fitForest, predictForestRow } from './forest';
import { fitGbt, type GbtParams, predictGbtRow } from './gbt';
import { fitLogistic, type LogisticParams, predictLogisticRow } from './logistic';
import { binaryMetrics, type Objective, objectiveValue, tuneThreshold } from './objective';
import { mulberry32, type Rng } from './random';
import type { CandidateResult, HyperParameters } from './search';
import { fitThresholdRuleBinned, predictRuleRows, type ThresholdRuleModel, thresholdScale } from './threshold';
import type { BinnedData } from './tree';

export type Plan =
  | { family: 'gbt'; params: GbtParams }
  | { family: 'logistic'; params: LogisticParams }
  | { family: 'forest'; params: ForestParams }
  | { family: 'threshold'; params: { objective: Objective } };

export interface FeatureSubset {
  readonly name: string;
  readonly features: number[];
}

export interface CandidatePlan {
  readonly name: string;
  readonly subset: FeatureSubset;
  readonly plan: Plan;
}

export interface Fold {
  readonly train: Uint32Array;
  readonly valid: Uint32Array;
}

/** What training any candidate needs; no functions, so it can be posted to a worker thread. */
export interface CandidateSetup {
  readonly objective: Objective;
  readonly seed: number;
  readonly table: LabelledTable;
  readonly data: BinnedData;
  readonly folds: readonly Fold[];
  /** Per feature index: its level drifts between time blocks (see `levelDrift`). */
  readonly drifting: readonly boolean[];
  readonly plans: readonly CandidatePlan[];
  /** Epoch milliseconds after which no candidate may still be training. */
  readonly searchDeadline: number | undefined;
  readonly maxRuntimePerCandidateSeconds: number | undefined;
}

export interface CandidateControl {
  /** Polled inside training loops; true aborts the candidate (status Stopped). */
  readonly shouldStop?: () => boolean;
  readonly now: () => number;
  /** Receives a completed candidate's pooled out-of-fold probabilities (fold order), for the ensemble. */
  readonly keepOutOfFold?: (pooled: Float64Array) => void;
}

/** Candidate `index`'s own random stream: the same whichever worker runs it and whatever ran before. */
export function candidateRng(seed: number, index: number): Rng {
  return mulberry32((seed + 0x9e3779b9 * (index + 1)) % 0x100000000);
}

/** Mean of the pooled objective and the worst fold: a model must hold up in every period, not on average. */
export function robustValue(pooled: number, foldValues: readonly number[]): number {
  return foldValues.length === 0 ? pooled : (pooled + Math.min(...foldValues)) / 2;
}

/** The search's first candidate is the single-signal threshold: the reference every later one is compared to. */
export function compareToBaseline(c: CandidateResult, baseline: CandidateResult | undefined): CandidateResult {
  const beats =
    baseline !== undefined &&
    c !== baseline &&
    c.status === 'Completed' &&
    c.objective.value > baseline.objective.value + 1e-12;
  return beats === c.beatsBaseline ? c : { ...c, beatsBaseline: beats };
}

/**
 * Trains plan `index` on every fold and scores its pooled out-of-fold predictions. Never throws: a candidate that
 * fails or is stopped is a result with that status. `beatsBaseline` is false here (see `compareToBaseline`).
 */
/** Who a candidate is, whatever became of it. */
export type CandidateIdentity = Pick<
  CandidateResult,
  'name' | 'family' | 'featureSubset' | 'features' | 'hyperParameters' | 'startedAt'
>;

/**
 * A candidate that produced no score (stopped, failed, or never trained): objective 0, no fold values, the default
 * threshold, never ahead of the baseline.
 */
export function unscoredCandidate(
  identity: CandidateIdentity,
  status: 'Failed' | 'Stopped',
  objective: Objective,
  endedAt: number,
  failureReason?: string,
): CandidateResult {
  return {
    ...identity,
    status,
    objective: { name: objective, value: 0 },
    foldValues: [],
    threshold: 0.5,
    validation: undefined,
    beatsBaseline: false,
    endedAt,
    ...(failureReason ? { failureReason } : {}),
  };
}

export function trainCandidate(setup: CandidateSetup, index: number, control: CandidateControl): CandidateResult {
  const { table, objective, folds: foldList, searchDeadline } = setup;
  const now = control.now;
  const planned = setup.plans[index];
  if (!planned) throw new RangeError(`no candidate plan ${index} (of ${setup.plans.length})`);
  const isThreshold = planned.plan.family === 'threshold';
  const ctx: Context = {
    table,
    data: setup.data,
    rng: candidateRng(setup.seed, index),
    shouldStop: isThreshold ? undefined : control.shouldStop,
  };
  const overDeadline = () => searchDeadline !== undefined && now() >= searchDeadline;
  const candidateStart = now();
  const budget = setup.maxRuntimePerCandidateSeconds;
  const candidateDeadline = budget === undefined ? undefined : candidateStart + budget * 1000;
  const features = planned.subset.features;
  const base = {
    name: planned.name,
    family: planned.plan.family as ModelFamily,
    featureSubset: planned.subset.name,
    features: features.map((f) => table.names[f] ?? ''),
    startedAt: candidateStart,
  };
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
        ctx,
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
    const s = scoreFolds(foldList, table.target, probabilities, objective, isThreshold ? 0.5 : undefined);
    if (control.keepOutOfFold) {
      const pooled = new Float64Array(probabilities.reduce((sum, p) => sum + p.length, 0));
      let offset = 0;
      for (const p of probabilities) {
        pooled.set(p, offset);
        offset += p.length;
      }
      control.keepOutOfFold(pooled);
    }
    const iterations = extras.map((e) => e.iterations).filter((v): v is number => typeof v === 'number');
    const signals = extras.map((e) => e.signal).filter((v): v is string => typeof v === 'string');
    const read = isThreshold ? [...new Set(signals)] : base.features;
    return {
      ...base,
      ...(isThreshold ? { features: read } : {}),
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
      beatsBaseline: false,
      robustValue: robustValue(s.value, s.foldValues),
      driftingFeatures: read.filter((name) => setup.drifting[table.names.indexOf(name)] === true),
      endedAt: now(),
    };
  } catch (error) {
    // A candidate that throws fails alone; the search goes on with the next one.
    const wasStopped = error instanceof TrainingStopped;
    const reason = wasStopped
      ? control.shouldStop?.()
        ? undefined
        : 'MaxAutoMLJobRuntime reached before the candidate finished'
      : error instanceof Error
        ? error.message
        : String(error);
    return unscoredCandidate(
      { ...base, hyperParameters: hyperParameters(planned.plan) },
      wasStopped ? 'Stopped' : 'Failed',
      objective,
      now(),
      reason,
    );
  }
}

/** The objective on the pooled out-of-fold predictions (threshold tuned unless fixed) and on each fold. */
export function scoreFolds(
  folds: readonly Fold[],
  target: Uint8Array,
  foldProbabilities: Float64Array[],
  objective: Objective,
  fixedThreshold: number | undefined,
) {
  const oofLabels = gather(target, Uint32Array.from(folds.flatMap((f) => Array.from(f.valid))));
  const pooled = new Float64Array(oofLabels.length);
  let offset = 0;
  for (const p of foldProbabilities) {
    pooled.set(p, offset);
    offset += p.length;
  }
  const threshold = fixedThreshold ?? tuneThreshold(oofLabels, pooled, objective).threshold;
  const value = objectiveValue(oofLabels, pooled, threshold, objective);
  const foldValues = foldProbabilities.map((p, k) =>
    objectiveValue(gather(target, folds[k]?.valid ?? new Uint32Array(0)), p, threshold, objective),
  );
  return { threshold, value, foldValues, validation: binaryMetrics(oofLabels, pooled, threshold) };
}

export interface Fitted {
  readonly model: ArtifactModel;
  readonly extra: HyperParameters;
}

export interface Context {
  readonly table: LabelledTable;
  readonly data: BinnedData;
  readonly rng: Rng;
  readonly shouldStop: (() => boolean) | undefined;
}

export function fitPlan(
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

export function predictRows(table: LabelledTable, model: ArtifactModel, rows: Uint32Array): Float64Array {
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

export function gather(y: Uint8Array, rows: Uint32Array): Uint8Array {
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

export function hyperParameters(plan: Plan): HyperParameters {
  return { family: plan.family, ...plan.params };
}
