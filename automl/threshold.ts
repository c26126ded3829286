/**
 * The single-signal threshold rule as a model family: one feature, a level and a direction. Fitted in
 * O(rows) on pre-binned data (class counts per bin, one sweep per direction), so the search can score it on
 * every fold of a large table cheaply. Pure.
 */

import { edgeForBin } from './binning';
import type { Objective } from './objective';
import { tuningValue } from './objective';
import type { BinnedData } from './tree';

export interface ThresholdRuleModel {
  /** Index into the input columns. */
  readonly feature: number;
  readonly level: number;
  /** 'above': occupied when value > level; 'below': occupied when value < level. */
  readonly direction: 'above' | 'below';
  /** Width of the logistic ramp around the level (probability 0.5 at the level). */
  readonly scale: number;
}

export interface FittedRule {
  readonly rule: ThresholdRuleModel;
  /** The objective's tuning value on the rows it was fitted on. */
  readonly value: number;
}

/** Probability of occupied: a steep logistic ramp through 0.5 at the level; a missing value is "not occupied". */
export function predictThresholdRow(model: ThresholdRuleModel, values: ArrayLike<number>): number {
  const v = values[model.feature] ?? Number.NaN;
  if (Number.isNaN(v)) return 0;
  const z = ((model.direction === 'above' ? v - model.level : model.level - v) / model.scale) * 8;
  return 1 / (1 + Math.exp(-Math.max(-500, Math.min(500, z))));
}

/** The ramp width for a rule on this feature: a tenth of its standard deviation on the rows given. */
export function thresholdScale(values: Float64Array, rows: Uint32Array): number {
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  const step = Math.max(1, Math.floor(rows.length / 20_000));
  for (let i = 0; i < rows.length; i += step) {
    const v = values[rows[i] ?? 0] ?? Number.NaN;
    if (Number.isNaN(v)) continue;
    sum += v;
    sumSq += v * v;
    count++;
  }
  const mean = count > 0 ? sum / count : 0;
  const sd = count > 0 ? Math.sqrt(Math.max(0, sumSq / count - mean * mean)) : 0;
  return sd > 1e-12 ? sd / 10 : 1;
}

/**
 * Best rule over `features` for the objective, cuts at bin edges, both directions. Ties keep the earlier
 * feature, then "above".
 */
export function fitThresholdRuleBinned(
  data: BinnedData,
  columns: readonly Float64Array[],
  y: Uint8Array,
  rows: Uint32Array,
  features: readonly number[],
  objective: Objective,
): FittedRule | undefined {
  let totalPositives = 0;
  for (let i = 0; i < rows.length; i++) totalPositives += y[rows[i] ?? 0] ?? 0;
  const totalNegatives = rows.length - totalPositives;
  let best: { feature: number; bin: number; direction: 'above' | 'below'; value: number } | undefined;
  for (const f of features) {
    const codes = data.codes[f];
    const bins = data.bins[f];
    if (!codes || !bins) continue;
    const k = bins.binCount;
    const positives = new Float64Array(k);
    const counts = new Float64Array(k);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] ?? 0;
      const b = codes[r] ?? 0;
      counts[b] = (counts[b] ?? 0) + 1;
      positives[b] = (positives[b] ?? 0) + (y[r] ?? 0);
    }
    const consider = (tp: number, predicted: number, bin: number, direction: 'above' | 'below') => {
      const fp = predicted - tp;
      const value = tuningValue(
        { tp, fp, fn: totalPositives - tp, tn: totalNegatives - fp },
        objective === 'AUC' ? 'BalancedAccuracy' : objective,
      );
      if (!best || value > best.value + 1e-12) best = { feature: f, bin, direction, value };
    };
    // above: bins t+1..k-1 predicted positive (t = 0 still leaves the missing bin 0 out).
    let tp = 0;
    let predicted = 0;
    for (let t = k - 2; t >= 0; t--) {
      tp += positives[t + 1] ?? 0;
      predicted += counts[t + 1] ?? 0;
      consider(tp, predicted, t, 'above');
    }
    // below: bins 1..t predicted positive.
    tp = 0;
    predicted = 0;
    for (let t = 1; t < k - 1; t++) {
      tp += positives[t] ?? 0;
      predicted += counts[t] ?? 0;
      consider(tp, predicted, t, 'below');
    }
  }
  if (!best) return undefined;
  const bins = data.bins[best.feature];
  // "bin <= t" is "value <= edge"; edges sit between sample values, so "> edge" / "< edge" match the bins.
  const level = bins ? edgeForBin(bins, best.bin) : 0;
  return {
    rule: {
      feature: best.feature,
      level: Number.isFinite(level) ? level : 0,
      direction: best.direction,
      scale: thresholdScale(columns[best.feature] ?? new Float64Array(0), rows),
    },
    value: best.value,
  };
}

/** Hard 0/1 predictions of a rule for the rows given (what the threshold candidate is scored on). */
export function predictRuleRows(
  model: ThresholdRuleModel,
  columns: readonly Float64Array[],
  rows: Uint32Array,
): Float64Array {
  const col = columns[model.feature] ?? new Float64Array(0);
  return Float64Array.from(rows, (r) => {
    const v = col[r] ?? Number.NaN;
    return (model.direction === 'above' ? v > model.level : v < model.level) ? 1 : 0;
  });
}
