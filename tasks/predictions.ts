/**
 * Batch-transform output of an Autopilot model whose last container has
 * `SAGEMAKER_INFERENCE_OUTPUT=predicted_label,probabilities,labels` (see tasks/candidate-containers.ts):
 * one answer line per input row, in input order, read by evaluation/p-occupied.ts (streamed: tasks/split-columns.ts
 * readPredictionLines).
 */
export interface Predictions {
  readonly predicted: Uint8Array;
  /** P(occupied): the probability of the label that means occupied, whatever the model's mode. */
  readonly probability: Float64Array;
}
