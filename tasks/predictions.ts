import { ArtifactError } from './errors';

/**
 * Batch-transform output of an Autopilot model with `SAGEMAKER_INFERENCE_OUTPUT=predicted_label,probability`:
 * one `label,probability` line per input row, in input order.
 */
export interface Predictions {
  readonly predicted: Uint8Array;
  /** Probability of class 1 ("occupied"). */
  readonly probability: Float64Array;
}

const TRUE = new Set(['1', '1.0', 'true', 'True', 'TRUE']);
const FALSE = new Set(['0', '0.0', 'false', 'False', 'FALSE']);

/**
 * Autopilot's `probability` is the probability of the *predicted* label for some model families and of
 * the positive class for others. A predicted 0 with probability > 0.5 can only mean the former, so the
 * column is read that way when any such row exists, else as the positive-class probability.
 */
export function parsePredictions(text: string, uri: string): Predictions {
  const lines = text.split(/\r?\n/).filter((line) => line.trim().length > 0);
  const predicted = new Uint8Array(lines.length);
  const raw = new Float64Array(lines.length);
  let hasProbability = true;
  lines.forEach((line, i) => {
    const [label = '', probability] = line.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
    if (TRUE.has(label)) predicted[i] = 1;
    else if (!FALSE.has(label)) {
      throw new ArtifactError(`Line ${i + 1}: predicted_label "${label}" is not 0/1`, uri);
    }
    const p = probability === undefined || probability === '' ? Number.NaN : Number(probability);
    if (Number.isNaN(p)) hasProbability = false;
    else if (p < 0 || p > 1) throw new ArtifactError(`Line ${i + 1}: probability ${p} is outside [0, 1]`, uri);
    raw[i] = p;
  });
  if (!hasProbability) {
    // Without probabilities the label is all there is: use it as a degenerate probability.
    return { predicted, probability: Float64Array.from(predicted) };
  }
  let ofPredictedLabel = false;
  for (let i = 0; i < lines.length; i++) {
    if (predicted[i] === 0 && (raw[i] ?? 0) > 0.5) {
      ofPredictedLabel = true;
      break;
    }
  }
  const probability = ofPredictedLabel ? raw.map((p, i) => (predicted[i] === 1 ? p : 1 - p)) : raw;
  return { predicted, probability };
}
