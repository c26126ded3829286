import { pairedBootstrapDeltaF1, resolveBootstrapOptions } from './bootstrap';
import { EvaluationError } from './errors';
import { scoreInversion } from './inversion';
import { assertBinary, assertSameLength, classificationMetrics, f1Score } from './metrics';

export interface NamedPredictions {
  readonly name: string;
  /** 0/1 predictions on the same rows as `y`. */
  readonly predicted: ArrayLike<number>;
  /** P(occupied) on the same rows, for a model that scores: probabilities inverted against the labels refuse. */
  readonly probability?: ArrayLike<number>;
}

export interface GateOptions {
  /** Ground truth of the evaluation rows (the holdout). */
  readonly y: ArrayLike<number>;
  readonly candidate: NamedPredictions;
  /** Threshold baselines the candidate must beat; at least one. */
  readonly baselines: NamedPredictions[];
  /** The model serving today, if any (absent on the first run). */
  readonly serving?: NamedPredictions;
  /** Minimum F1 improvement over each other predictor, in [0, 1). */
  readonly margin: number;
  readonly resamples?: number;
  readonly seed?: number;
  readonly confidence?: number;
}

export interface GateComparison {
  readonly against: string;
  readonly candidateF1: number;
  readonly otherF1: number;
  /** candidateF1 − otherF1. */
  readonly delta: number;
  /** Paired bootstrap interval of delta. */
  readonly lower: number;
  readonly upper: number;
  /** delta ≥ margin and lower > 0. */
  readonly passed: boolean;
}

export interface GateDecision {
  readonly promote: boolean;
  /** The refusals first (why the evaluation cannot be trusted), then one sentence per comparison. */
  readonly reasons: string[];
  /** Empty when the holdout holds no occupied or no empty reading: F1 is then undefined, not 0. */
  readonly comparisons: GateComparison[];
  /**
   * Why nothing may be promoted whatever the comparisons say: a holdout of one class (F1 and recall undefined, or
   * nothing to be wrong about), or a model whose probabilities rank worse than chance while it classifies well.
   */
  readonly refusals: string[];
}

// F1 differences are ratios of counts; without a tolerance a delta equal to the margin on paper (0.3 − 0.2 vs 0.1)
// could fail by one ulp.
const MARGIN_TOLERANCE = 1e-12;

const fmt = (value: number): string => value.toFixed(3);

function describe(comparison: GateComparison, margin: number, confidence: number): string {
  const ci = `${Math.round(confidence * 1000) / 10}% CI ${fmt(comparison.lower)}..${fmt(comparison.upper)}`;
  const f1s = `F1 ${fmt(comparison.candidateF1)} vs ${fmt(comparison.otherF1)}`;
  if (comparison.passed) {
    return `beats ${comparison.against} by ${fmt(comparison.delta)} F1 (${ci}) ≥ margin ${margin}; ${f1s}`;
  }
  const marginMet = comparison.delta >= margin - MARGIN_TOLERANCE;
  const problems = [
    ...(marginMet ? [] : [`ΔF1 ${fmt(comparison.delta)} < margin ${margin}`]),
    ...(comparison.lower > 0 ? [] : [`CI lower bound ${fmt(comparison.lower)} ≤ 0`]),
  ];
  return `does not beat ${comparison.against}: ${problems.join(' and ')} (${ci}); ${f1s}`;
}

/** Refusals of an evaluation on a holdout of one class: no model can be judged on it. */
function degenerateHoldout(y: ArrayLike<number>): string[] {
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i] === 1 ? 1 : 0;
  const negatives = y.length - positives;
  if (positives === 0) {
    return [
      `degenerate holdout: its ${y.length} rows hold 0 occupied readings, so F1 and recall are undefined (not 0) for every model and baseline`,
    ];
  }
  if (negatives === 0) {
    return [
      `degenerate holdout: its ${y.length} rows are all occupied, so there is no empty reading to be wrong about (precision, specificity and ROC AUC cannot judge)`,
    ];
  }
  return [];
}

/**
 * The promotion gate: promote iff the evaluation can be trusted (a holdout of both classes, no model's
 * probabilities inverted) and, against every baseline and the serving model, the candidate's F1 exceeds the
 * other's by at least `margin` AND the paired bootstrap CI of ΔF1 has a lower bound above 0 (the gain is not luck).
 */
export function gateDecision(opts: GateOptions): GateDecision {
  const { y, candidate, baselines, serving, margin } = opts;
  if (!(Number.isFinite(margin) && margin >= 0 && margin < 1)) {
    throw new EvaluationError(`margin must be a number in [0, 1), got ${margin}`, 'margin');
  }
  if (baselines.length === 0) {
    throw new EvaluationError(
      'At least one baseline is required: the gate compares against the threshold rule',
      'baselines',
    );
  }
  const bootstrap = resolveBootstrapOptions({
    resamples: opts.resamples,
    seed: opts.seed,
    confidence: opts.confidence,
  });
  const others = serving === undefined ? baselines : [...baselines, serving];
  assertSameLength(y, candidate.predicted, 'candidate.predicted');
  assertBinary(y, 'y');
  assertBinary(candidate.predicted, 'candidate.predicted');
  others.forEach((other, index) => {
    const field = other === serving ? 'serving.predicted' : `baselines[${index}].predicted`;
    assertSameLength(y, other.predicted, field);
    assertBinary(other.predicted, field);
  });

  const refusals = degenerateHoldout(y);
  if (refusals.length > 0) return { promote: false, reasons: refusals, comparisons: [], refusals };
  for (const model of [candidate, ...(serving ? [serving] : [])]) {
    if (model.probability === undefined) continue;
    const metrics = classificationMetrics(y, model.predicted, model.probability);
    const inverted = scoreInversion(model.name, metrics, model.predicted, model.probability);
    if (inverted) refusals.push(`${inverted}: the evaluation cannot be trusted`);
  }

  const candidateF1 = f1Score(y, candidate.predicted);
  const comparisons = others.map((other): GateComparison => {
    const interval = pairedBootstrapDeltaF1(y, candidate.predicted, other.predicted, bootstrap);
    const passed = interval.delta >= margin - MARGIN_TOLERANCE && interval.lower > 0;
    return {
      against: other.name,
      candidateF1,
      otherF1: f1Score(y, other.predicted),
      delta: interval.delta,
      lower: interval.lower,
      upper: interval.upper,
      passed,
    };
  });
  return {
    promote: refusals.length === 0 && comparisons.every((c) => c.passed),
    reasons: [...refusals, ...comparisons.map((c) => describe(c, margin, bootstrap.confidence))],
    comparisons,
    refusals,
  };
}
