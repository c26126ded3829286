import { readOccupancyScore } from '../evaluation/p-occupied';
import { ArtifactError } from './errors';

/**
 * Batch-transform output of an Autopilot model whose last container has
 * `SAGEMAKER_INFERENCE_OUTPUT=predicted_label,probabilities,labels` (see tasks/candidate-containers.ts):
 * one answer line per input row, in input order, read by evaluation/p-occupied.ts.
 */
export interface Predictions {
  readonly predicted: Uint8Array;
  /** P(occupied): the probability of the label that means occupied, whatever the model's mode. */
  readonly probability: Float64Array;
}

export function parsePredictions(text: string, uri: string): Predictions {
  const lines = text.split('\n').filter((line) => line.trim().length > 0);
  const predicted = new Uint8Array(lines.length);
  const probability = new Float64Array(lines.length);
  for (const [i, line] of lines.entries()) {
    const read = readOccupancyScore(line);
    if (!read.ok) throw new ArtifactError(`Line ${i + 1}: ${read.reason}`, uri);
    predicted[i] = read.score.predicted;
    probability[i] = read.score.pOccupied;
  }
  return { predicted, probability };
}
