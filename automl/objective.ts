/**
 * Objective metrics (the names Autopilot offers) and decision-threshold tuning. Pure.
 *
 * Precision and Recall alone are degenerate to tune a threshold for (one confident positive gives
 * precision 1; predicting all positive gives recall 1), so the threshold maximises F0.5 / F2 for them.
 */

export const OBJECTIVES = ['F1', 'Accuracy', 'BalancedAccuracy', 'AUC', 'Precision', 'Recall'] as const;
export type Objective = (typeof OBJECTIVES)[number];

export interface Confusion {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

export interface BinaryMetrics {
  readonly f1: number;
  readonly precision: number;
  readonly recall: number;
  readonly accuracy: number;
  readonly balancedAccuracy: number;
  /** ROC AUC of the probabilities; NaN when only one class is present. */
  readonly auc: number;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

function fBeta(c: Confusion, beta: number): number {
  const b2 = beta * beta;
  return ratio((1 + b2) * c.tp, (1 + b2) * c.tp + b2 * c.fn + c.fp);
}

function thresholdedValue(c: Confusion, objective: Objective): number {
  const pos = c.tp + c.fn;
  const neg = c.tn + c.fp;
  switch (objective) {
    case 'Accuracy':
      return ratio(c.tp + c.tn, pos + neg);
    case 'BalancedAccuracy':
      // A block with one class only: the rate of the present class.
      if (pos === 0) return ratio(c.tn, neg);
      if (neg === 0) return ratio(c.tp, pos);
      return (c.tp / pos + c.tn / neg) / 2;
    case 'Precision':
      return ratio(c.tp, c.tp + c.fp);
    case 'Recall':
      return ratio(c.tp, pos);
    default:
      return fBeta(c, 1);
  }
}

/** What the threshold sweep maximises for an objective. */
export function tuningValue(c: Confusion, objective: Objective): number {
  if (objective === 'Precision') return fBeta(c, 0.5);
  if (objective === 'Recall') return fBeta(c, 2);
  if (objective === 'AUC') return fBeta(c, 1);
  return thresholdedValue(c, objective);
}

export function confusionAt(y: ArrayLike<number>, probability: ArrayLike<number>, threshold: number): Confusion {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < y.length; i++) {
    const predicted = (probability[i] ?? 0) >= threshold;
    if (y[i] === 1) {
      if (predicted) tp++;
      else fn++;
    } else if (predicted) fp++;
    else tn++;
  }
  return { tp, fp, tn, fn };
}

/** ROC AUC by the rank-sum statistic, ties given half credit. NaN if a class is absent. */
export function rocAuc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  const n = y.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => (score[a] ?? 0) - (score[b] ?? 0));
  let positives = 0;
  let rankSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    const s = score[order[i] ?? 0] ?? 0;
    while (j + 1 < n && (score[order[j + 1] ?? 0] ?? 0) === s) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (y[order[k] ?? 0] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function binaryMetrics(y: ArrayLike<number>, probability: ArrayLike<number>, threshold: number): BinaryMetrics {
  const c = confusionAt(y, probability, threshold);
  return {
    f1: fBeta(c, 1),
    precision: ratio(c.tp, c.tp + c.fp),
    recall: ratio(c.tp, c.tp + c.fn),
    accuracy: ratio(c.tp + c.tn, y.length),
    balancedAccuracy: thresholdedValue(c, 'BalancedAccuracy'),
    auc: rocAuc(y, probability),
  };
}

/** The objective's value for probabilities cut at `threshold` (AUC ignores the threshold). */
export function objectiveValue(
  y: ArrayLike<number>,
  probability: ArrayLike<number>,
  threshold: number,
  objective: Objective,
): number {
  if (objective === 'AUC') {
    const auc = rocAuc(y, probability);
    return Number.isNaN(auc) ? 0.5 : auc;
  }
  return thresholdedValue(confusionAt(y, probability, threshold), objective);
}

export interface TunedThreshold {
  /** Predict 1 when probability >= threshold. */
  readonly threshold: number;
  readonly value: number;
}

/**
 * Sweeps every cut between distinct probabilities and keeps the one that maximises the objective's
 * tuning value; ties go to the cut nearest 0.5 (least surprising on new data).
 */
export function tuneThreshold(
  y: ArrayLike<number>,
  probability: ArrayLike<number>,
  objective: Objective,
): TunedThreshold {
  const n = y.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => (probability[b] ?? 0) - (probability[a] ?? 0),
  );
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i] === 1 ? 1 : 0;
  const negatives = n - positives;
  // Start with "nothing positive": threshold above the highest probability.
  let bestThreshold = n === 0 ? 0.5 : Math.min(1, (probability[order[0] ?? 0] ?? 0) + 1e-9);
  let bestValue = tuningValue({ tp: 0, fp: 0, tn: negatives, fn: positives }, objective);
  let tp = 0;
  let fp = 0;
  let i = 0;
  while (i < n) {
    const p = probability[order[i] ?? 0] ?? 0;
    while (i < n && (probability[order[i] ?? 0] ?? 0) === p) {
      if (y[order[i] ?? 0] === 1) tp++;
      else fp++;
      i++;
    }
    const next = i < n ? (probability[order[i] ?? 0] ?? 0) : p - 1e-9;
    // Never below 0: a model sure to 1e-10 would otherwise get a negative threshold (the artifact clamps it).
    const cut = Math.max(0, (p + next) / 2);
    const value = tuningValue({ tp, fp, tn: negatives - fp, fn: positives - tp }, objective);
    const better = value > bestValue + 1e-12;
    const tie = Math.abs(value - bestValue) <= 1e-12 && Math.abs(cut - 0.5) < Math.abs(bestThreshold - 0.5);
    if (better || tie) {
      bestValue = value;
      bestThreshold = cut;
    }
  }
  return { threshold: bestThreshold, value: objectiveValue(y, probability, bestThreshold, objective) };
}
