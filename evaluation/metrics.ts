import { EvaluationError } from './errors';

/**
 * Binary classification metrics; the positive class is 1 ("occupied").
 *
 * Undefined ratios follow scikit-learn with `zero_division=0`:
 * - `precision` = 0 when nothing is predicted positive (tp + fp = 0);
 * - `recall` = 0 when there are no positives (tp + fn = 0);
 * - `f1` = 2tp / (2tp + fp + fn), and 0 when that denominator is 0;
 * - `mcc` = 0 when any row or column of the confusion matrix is empty;
 * - `balancedAccuracy` = mean recall over the classes present in `y` (so with one class it is that class's recall).
 *
 * The probability-based metrics are present only when probabilities are given, and then only when defined:
 * `rocAuc` needs both classes in `y`, `prAuc` needs at least one positive; `brier` is always defined.
 */
export interface Metrics {
  readonly rows: number;
  readonly positives: number;
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Matthews correlation coefficient, in [-1, 1]. */
  readonly mcc: number;
  readonly balancedAccuracy: number;
  /** Area under the ROC curve (Mann–Whitney U with average ranks for tied scores). */
  readonly rocAuc?: number;
  /** Area under the precision–recall curve as average precision (scikit-learn's step-wise definition). */
  readonly prAuc?: number;
  /** Mean squared error of the probability against the 0/1 label. */
  readonly brier?: number;
  /**
   * Metrics that are undefined on these rows (0/0), present only when some are: their number above is the
   * zero_division convention, not a measurement, and must be reported as undefined. No positives: recall and F1
   * (and MCC); nothing predicted positive: precision; one class only: MCC.
   */
  readonly undefinedMetrics?: readonly UndefinedMetric[];
}

export type UndefinedMetric = 'precision' | 'recall' | 'f1' | 'mcc';

export interface ConfusionMatrix {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

/** Throws unless `values` holds only 0 and 1 (hard labels or predictions). */
export function assertBinary(values: ArrayLike<number>, field: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== 0 && v !== 1) throw new EvaluationError(`${field}[${i}] must be 0 or 1, got ${String(v)}`, field);
  }
}

/** Throws unless `values` holds only finite probabilities in [0, 1]. */
export function assertProbabilities(values: ArrayLike<number>, field: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new EvaluationError(`${field}[${i}] must be a probability in [0, 1], got ${String(v)}`, field);
    }
  }
}

/** Throws unless `other` has as many rows as `y`, and `y` is not empty. */
export function assertSameLength(y: ArrayLike<number>, other: ArrayLike<number>, field: string): void {
  if (y.length === 0) throw new EvaluationError('y is empty: metrics need at least one row', 'y');
  if (other.length !== y.length) {
    throw new EvaluationError(`${field} has ${other.length} rows but y has ${y.length}`, field);
  }
}

/** Counts without validation; callers validate once. */
function countConfusion(y: ArrayLike<number>, predicted: ArrayLike<number>): ConfusionMatrix {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < y.length; i++) {
    if (predicted[i] === 1) {
      if (y[i] === 1) tp++;
      else fp++;
    } else if (y[i] === 1) fn++;
    else tn++;
  }
  return { tp, fp, tn, fn };
}

export function confusionMatrix(y: ArrayLike<number>, predicted: ArrayLike<number>): ConfusionMatrix {
  assertSameLength(y, predicted, 'predicted');
  assertBinary(y, 'y');
  assertBinary(predicted, 'predicted');
  return countConfusion(y, predicted);
}

/** F1 from counts; 0 when there is neither a positive nor a positive prediction. */
export function f1FromCounts(tp: number, fp: number, fn: number): number {
  const denominator = 2 * tp + fp + fn;
  return denominator === 0 ? 0 : (2 * tp) / denominator;
}

/** F1 of hard predictions (validated). */
export function f1Score(y: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const { tp, fp, fn } = confusionMatrix(y, predicted);
  return f1FromCounts(tp, fp, fn);
}

const ratio = (numerator: number, denominator: number): number => (denominator === 0 ? 0 : numerator / denominator);

function countMetrics({ tp, fp, tn, fn }: ConfusionMatrix): Metrics {
  const rows = tp + fp + tn + fn;
  const positives = tp + fn;
  const negatives = tn + fp;
  const recall = ratio(tp, positives);
  const specificity = ratio(tn, negatives);
  const classesPresent = (positives > 0 ? 1 : 0) + (negatives > 0 ? 1 : 0);
  const balancedAccuracy =
    classesPresent === 0 ? 0 : ((positives > 0 ? recall : 0) + (negatives > 0 ? specificity : 0)) / classesPresent;
  // Square roots taken pairwise so the product of four counts never loses precision on large tables.
  const mccDenominator = Math.sqrt(tp + fp) * Math.sqrt(tp + fn) * Math.sqrt(tn + fp) * Math.sqrt(tn + fn);
  const undefinedMetrics: UndefinedMetric[] = [
    ...(tp + fp === 0 ? (['precision'] as const) : []),
    ...(positives === 0 ? (['recall', 'f1'] as const) : []),
    ...(positives === 0 || negatives === 0 ? (['mcc'] as const) : []),
  ];
  return {
    rows,
    positives,
    tp,
    fp,
    tn,
    fn,
    accuracy: ratio(tp + tn, rows),
    precision: ratio(tp, tp + fp),
    recall,
    f1: f1FromCounts(tp, fp, fn),
    mcc: mccDenominator === 0 ? 0 : (tp * tn - fp * fn) / mccDenominator,
    balancedAccuracy,
    ...(undefinedMetrics.length > 0 ? { undefinedMetrics } : {}),
  };
}

/** All metrics of hard predictions, plus the probability-based ones when `probability` is given. */
export function classificationMetrics(
  y: ArrayLike<number>,
  predicted: ArrayLike<number>,
  probability?: ArrayLike<number>,
): Metrics {
  const counts = confusionMatrix(y, predicted);
  const metrics = countMetrics(counts);
  if (probability === undefined) return metrics;
  assertSameLength(y, probability, 'probability');
  assertProbabilities(probability, 'probability');
  const negatives = metrics.rows - metrics.positives;
  return {
    ...metrics,
    ...(metrics.positives > 0 && negatives > 0 ? { rocAuc: rocAucUnchecked(y, probability) } : {}),
    ...(metrics.positives > 0 ? { prAuc: averagePrecisionUnchecked(y, probability) } : {}),
    brier: brierUnchecked(y, probability),
  };
}

/** Row indices ordered by descending score (stable, so equal scores keep input order). */
function descendingOrder(score: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(score.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => (score[b] ?? 0) - (score[a] ?? 0) || a - b);
  return order;
}

/**
 * Cumulative true/false positive counts at each distinct score, scanning from the highest score down: point k
 * predicts positive every row with score ≥ thresholds[k]. The shared core of ROC, PR and average precision.
 */
function cumulativeCounts(
  y: ArrayLike<number>,
  score: ArrayLike<number>,
): { tps: number[]; fps: number[]; thresholds: number[] } {
  const order = descendingOrder(score);
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const row = order[k] ?? 0;
    if (y[row] === 1) tp++;
    else fp++;
    const current = score[row] ?? 0;
    const nextRow = order[k + 1];
    if (nextRow === undefined || score[nextRow] !== current) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(current);
    }
  }
  return { tps, fps, thresholds };
}

/** Mann–Whitney U / (P·N), with tied scores given their average rank (so a tie counts one half). */
function rocAucUnchecked(y: ArrayLike<number>, score: ArrayLike<number>): number {
  const n = y.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (score[a] ?? 0) - (score[b] ?? 0));
  let positiveRankSum = 0;
  let positives = 0;
  let start = 0;
  while (start < n) {
    const value = score[order[start] ?? 0];
    let end = start + 1;
    while (end < n && score[order[end] ?? 0] === value) end++;
    // Ranks are 1-based: the tie group [start, end) shares the mean of ranks start+1 .. end.
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) {
      if (y[order[k] ?? 0] === 1) {
        positiveRankSum += averageRank;
        positives++;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** AP = Σ (R_k − R_{k−1}) · P_k over distinct thresholds, high to low (scikit-learn `average_precision_score`). */
function averagePrecisionUnchecked(y: ArrayLike<number>, score: ArrayLike<number>): number {
  const { tps, fps } = cumulativeCounts(y, score);
  const positives = tps[tps.length - 1] ?? 0;
  let ap = 0;
  let previousRecall = 0;
  for (let k = 0; k < tps.length; k++) {
    const tp = tps[k] ?? 0;
    const recall = tp / positives;
    ap += (recall - previousRecall) * (tp / (tp + (fps[k] ?? 0)));
    previousRecall = recall;
  }
  return ap;
}

function brierUnchecked(y: ArrayLike<number>, probability: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < y.length; i++) {
    const error = (probability[i] ?? 0) - (y[i] ?? 0);
    sum += error * error;
  }
  return sum / y.length;
}

function validateScored(y: ArrayLike<number>, probability: ArrayLike<number>): { positives: number } {
  assertSameLength(y, probability, 'probability');
  assertBinary(y, 'y');
  assertProbabilities(probability, 'probability');
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i] === 1 ? 1 : 0;
  return { positives };
}

function requireBothClasses(y: ArrayLike<number>, positives: number, what: string): void {
  if (positives === 0 || positives === y.length) {
    throw new EvaluationError(`${what} needs both classes in y, got ${positives} positives of ${y.length} rows`, 'y');
  }
}

/** ROC-AUC; throws when `y` has a single class (the area is undefined). */
export function rocAuc(y: ArrayLike<number>, probability: ArrayLike<number>): number {
  const { positives } = validateScored(y, probability);
  requireBothClasses(y, positives, 'ROC-AUC');
  return rocAucUnchecked(y, probability);
}

/** Average precision; throws when `y` has no positives (recall is undefined). */
export function averagePrecision(y: ArrayLike<number>, probability: ArrayLike<number>): number {
  const { positives } = validateScored(y, probability);
  if (positives === 0) throw new EvaluationError('Average precision needs at least one positive in y', 'y');
  return averagePrecisionUnchecked(y, probability);
}

export function brierScore(y: ArrayLike<number>, probability: ArrayLike<number>): number {
  validateScored(y, probability);
  return brierUnchecked(y, probability);
}

export interface RocCurve {
  readonly fpr: number[];
  readonly tpr: number[];
  /** Point k predicts positive when probability ≥ thresholds[k]; the first point is (0, 0) at +Infinity. */
  readonly thresholds: number[];
}

/**
 * ROC curve ordered by decreasing threshold, as scikit-learn's `roc_curve(drop_intermediate=True)`: points in the
 * middle of a straight run are dropped, which keeps the curve small for plotting without changing its area.
 */
export function rocCurve(y: ArrayLike<number>, probability: ArrayLike<number>): RocCurve {
  const { positives } = validateScored(y, probability);
  requireBothClasses(y, positives, 'ROC curve');
  const counts = cumulativeCounts(y, probability);
  const tps = [0, ...counts.tps];
  const fps = [0, ...counts.fps];
  const thresholds = [Number.POSITIVE_INFINITY, ...counts.thresholds];
  const negatives = y.length - positives;
  const curve: RocCurve = { fpr: [], tpr: [], thresholds: [] };
  for (let k = 0; k < tps.length; k++) {
    const isEnd = k === 0 || k === tps.length - 1;
    const straight =
      !isEnd &&
      (fps[k + 1] ?? 0) - 2 * (fps[k] ?? 0) + (fps[k - 1] ?? 0) === 0 &&
      (tps[k + 1] ?? 0) - 2 * (tps[k] ?? 0) + (tps[k - 1] ?? 0) === 0;
    if (straight) continue;
    curve.fpr.push((fps[k] ?? 0) / negatives);
    curve.tpr.push((tps[k] ?? 0) / positives);
    curve.thresholds.push(thresholds[k] ?? 0);
  }
  return curve;
}

export interface PrCurve {
  readonly precision: number[];
  readonly recall: number[];
  /**
   * Point k predicts positive when probability ≥ thresholds[k]. Ordered by decreasing threshold (the reverse of
   * scikit-learn), starting at (recall 0, precision 1) with threshold +Infinity so the arrays have equal length.
   */
  readonly thresholds: number[];
}

/** Precision–recall curve at every distinct probability; throws when `y` has no positives. */
export function prCurve(y: ArrayLike<number>, probability: ArrayLike<number>): PrCurve {
  const { positives } = validateScored(y, probability);
  if (positives === 0) throw new EvaluationError('PR curve needs at least one positive in y', 'y');
  const { tps, fps, thresholds } = cumulativeCounts(y, probability);
  const curve: PrCurve = { precision: [1], recall: [0], thresholds: [Number.POSITIVE_INFINITY] };
  for (let k = 0; k < tps.length; k++) {
    const tp = tps[k] ?? 0;
    curve.precision.push(tp / (tp + (fps[k] ?? 0)));
    curve.recall.push(tp / positives);
    curve.thresholds.push(thresholds[k] ?? 0);
  }
  return curve;
}

export interface CalibrationBin {
  /** Bin covers [lower, upper); the last bin also includes 1. */
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
  /** Mean predicted probability in the bin; null when the bin is empty. */
  readonly meanProbability: number | null;
  /** Observed fraction of positives in the bin; null when the bin is empty. */
  readonly fractionPositive: number | null;
}

/** Reliability diagram data: `bins` equal-width probability bins, empty ones included (count 0, nulls). */
export function calibrationBins(y: ArrayLike<number>, probability: ArrayLike<number>, bins = 10): CalibrationBin[] {
  if (!Number.isInteger(bins) || bins < 1) {
    throw new EvaluationError(`bins must be a positive integer, got ${bins}`, 'bins');
  }
  validateScored(y, probability);
  const counts = new Float64Array(bins);
  const probabilitySums = new Float64Array(bins);
  const positiveCounts = new Float64Array(bins);
  for (let i = 0; i < y.length; i++) {
    const p = probability[i] ?? 0;
    const bin = Math.min(bins - 1, Math.floor(p * bins));
    counts[bin] = (counts[bin] ?? 0) + 1;
    probabilitySums[bin] = (probabilitySums[bin] ?? 0) + p;
    positiveCounts[bin] = (positiveCounts[bin] ?? 0) + (y[i] ?? 0);
  }
  const result: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const count = counts[b] ?? 0;
    result.push({
      lower: b / bins,
      upper: (b + 1) / bins,
      count,
      meanProbability: count === 0 ? null : (probabilitySums[b] ?? 0) / count,
      fractionPositive: count === 0 ? null : (positiveCounts[b] ?? 0) / count,
    });
  }
  return result;
}
