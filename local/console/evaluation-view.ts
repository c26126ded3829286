import {
  type CalibrationBin,
  type ConfusionMatrix,
  calibrationBins,
  classificationMetrics,
  type GateComparison,
  type Metrics,
  prCurve,
  rocCurve,
  SeededRandom,
} from '../../evaluation';
import { EvaluationError } from '../../evaluation/errors';

/**
 * What the console and the static report show of a run's evaluation: every model's metrics with a bootstrap
 * interval of its F1, confusion matrices and, for scored models, ROC / PR / calibration curves. Pure.
 */

export interface Interval {
  readonly lower: number;
  readonly upper: number;
  readonly confidence: number;
}

export interface CurveSet {
  readonly roc: { readonly fpr: number[]; readonly tpr: number[] };
  readonly pr: { readonly recall: number[]; readonly precision: number[] };
  readonly calibration: CalibrationBin[];
}

export interface ModelEvaluation {
  readonly name: string;
  readonly role: 'candidate' | 'serving' | 'baseline';
  readonly description: string;
  readonly metrics: Metrics;
  readonly f1Interval: Interval;
  readonly confusion: ConfusionMatrix;
  /** Absent for threshold rules (no probabilities). */
  readonly curves?: CurveSet;
}

export interface EvaluationView {
  readonly runId: string;
  readonly holdoutRows: number;
  readonly decision: 'promote' | 'keep';
  readonly summary: string;
  readonly reasons: string[];
  /** The gate's paired comparisons (ΔF1 with its interval). */
  readonly comparisons: GateComparison[];
  readonly models: ModelEvaluation[];
}

export interface ScoredModel {
  readonly name: string;
  readonly role: ModelEvaluation['role'];
  readonly description: string;
  readonly predicted: ArrayLike<number>;
  readonly probability?: ArrayLike<number>;
}

export interface EvaluationViewInput {
  readonly runId: string;
  readonly y: ArrayLike<number>;
  readonly models: readonly ScoredModel[];
  readonly decision: 'promote' | 'keep';
  readonly summary: string;
  readonly reasons: string[];
  readonly comparisons: GateComparison[];
  readonly resamples?: number;
  readonly seed?: number;
  readonly confidence?: number;
}

/** Percentile bootstrap interval of F1 (rows resampled with replacement, seeded: same inputs, same interval). */
export function f1BootstrapInterval(
  y: ArrayLike<number>,
  predicted: ArrayLike<number>,
  options: { resamples?: number; seed?: number; confidence?: number } = {},
): Interval {
  const resamples = options.resamples ?? 500;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 10) {
    throw new EvaluationError(`resamples must be an integer ≥ 10, got ${resamples}`, 'resamples');
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new EvaluationError(`confidence must be in (0, 1), got ${confidence}`, 'confidence');
  }
  if (y.length === 0) throw new EvaluationError('y is empty: an interval needs at least one row', 'y');
  if (predicted.length !== y.length) {
    throw new EvaluationError(`predicted has ${predicted.length} rows but y has ${y.length}`, 'predicted');
  }
  const random = new SeededRandom(options.seed ?? 1);
  const n = y.length;
  const f1s = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let tp = 0;
    let wrong = 0;
    for (let k = 0; k < n; k++) {
      const i = random.nextInt(n);
      const p = predicted[i];
      const t = y[i];
      if (p === 1 && t === 1) tp++;
      else if (p !== t) wrong++;
    }
    f1s[r] = tp === 0 ? 0 : (2 * tp) / (2 * tp + wrong);
  }
  f1s.sort();
  const alpha = (1 - confidence) / 2;
  const at = (q: number) => f1s[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))] ?? 0;
  return { lower: at(alpha), upper: at(1 - alpha), confidence };
}

/** Keeps at most `max` points of a curve (first and last always), so charts stay small. */
export function thinCurve<K extends string>(
  curve: Readonly<Record<K, readonly number[]>>,
  keys: readonly K[],
  max: number,
): Record<K, number[]> {
  const first = keys[0];
  const length = first === undefined ? 0 : curve[first].length;
  const out = {} as Record<K, number[]>;
  for (const key of keys) out[key] = [];
  if (length === 0) return out;
  const step = Math.max(1, (length - 1) / Math.max(1, max - 1));
  const indices = new Set<number>();
  for (let x = 0; x < length; x += step) indices.add(Math.round(x));
  indices.add(length - 1);
  for (const i of [...indices].sort((a, b) => a - b)) for (const key of keys) out[key].push(curve[key][i] ?? 0);
  return out;
}

const hasBothClasses = (y: ArrayLike<number>): boolean => {
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i] === 1 ? 1 : 0;
  return positives > 0 && positives < y.length;
};

function curvesOf(y: ArrayLike<number>, probability: ArrayLike<number>, maxPoints: number): CurveSet | undefined {
  if (!hasBothClasses(y)) return undefined;
  const roc = thinCurve(rocCurve(y, probability), ['fpr', 'tpr'], maxPoints);
  // Plotted by recall: reverse the decreasing-threshold order so recall rises left to right.
  const pr = thinCurve(prCurve(y, probability), ['recall', 'precision'], maxPoints);
  return { roc, pr, calibration: calibrationBins(y, probability, 10) };
}

export function buildEvaluationView(input: EvaluationViewInput, maxCurvePoints = 200): EvaluationView {
  const models = input.models.map((model): ModelEvaluation => {
    const metrics = classificationMetrics(input.y, model.predicted, model.probability);
    const curves = model.probability ? curvesOf(input.y, model.probability, maxCurvePoints) : undefined;
    return {
      name: model.name,
      role: model.role,
      description: model.description,
      metrics,
      f1Interval: f1BootstrapInterval(input.y, model.predicted, {
        resamples: input.resamples,
        // One seed for every model: the same resampled rows, so their intervals compare like for like.
        seed: input.seed,
        confidence: input.confidence,
      }),
      confusion: { tp: metrics.tp, fp: metrics.fp, tn: metrics.tn, fn: metrics.fn },
      ...(curves ? { curves } : {}),
    };
  });
  return {
    runId: input.runId,
    holdoutRows: input.y.length,
    decision: input.decision,
    summary: input.summary,
    reasons: input.reasons,
    comparisons: input.comparisons,
    models,
  };
}
