import { EvaluationError } from './errors';
import type { Metrics } from './metrics';
import { rocAuc } from './metrics';

/**
 * Scores that rank the wrong way round are a parsing bug (issue 14, defect 7: ROC AUC 0.004 for F1 0.98 when
 * P(predicted label) was read as P(occupied)), never a property of a model: refuse them so the run fails
 * loudly instead of drawing wrong curves.
 */
export class ScoreInversionError extends EvaluationError {
  override readonly name = 'ScoreInversionError';
}

/** F1 above this with ROC AUC below 0.5 cannot both be true of one set of scores read correctly. */
export const INVERSION_F1 = 0.9;

/**
 * Why `model`'s probabilities contradict its own predictions, or undefined when they do not:
 * - F1 > 0.9 (its labels are good) while ROC AUC < 0.5 (its scores rank worse than chance);
 * - its scores rank its own predicted-occupied rows below its predicted-empty rows (AUC of the scores against
 *   the predicted labels < 0.5): whatever the threshold, a model's P(occupied) is higher where it says occupied.
 */
export function scoreInversion(
  model: string,
  metrics: Metrics,
  predicted: ArrayLike<number>,
  probability: ArrayLike<number>,
): string | undefined {
  if (metrics.rocAuc !== undefined && metrics.f1 > INVERSION_F1 && metrics.rocAuc < 0.5) {
    return `${model}: ROC AUC ${metrics.rocAuc.toFixed(3)} with F1 ${metrics.f1.toFixed(3)}: its probabilities are inverted (not P(occupied))`;
  }
  let positives = 0;
  for (let i = 0; i < predicted.length; i++) positives += predicted[i] === 1 ? 1 : 0;
  if (positives === 0 || positives === predicted.length) return undefined;
  const selfAuc = rocAuc(predicted, probability);
  if (selfAuc < 0.5) {
    return `${model}: its probabilities rank its own occupied predictions below its empty ones (AUC ${selfAuc.toFixed(3)} against its labels): not P(occupied)`;
  }
  return undefined;
}

/** Throws ScoreInversionError with {@link scoreInversion}'s reason when there is one. */
export function assertScoresNotInverted(
  model: string,
  metrics: Metrics,
  predicted: ArrayLike<number>,
  probability: ArrayLike<number>,
): void {
  const problem = scoreInversion(model, metrics, predicted, probability);
  if (problem) throw new ScoreInversionError(problem, 'probability');
}
