/**
 * Where a pipeline-trained model's training baseline lives and how the model names it (issue 21 item 1 on AWS):
 * Evaluate writes `runs/<run id>/TRAINING_BASELINE_FILE` (tasks/training-baseline-writer.ts), CreateCandidateModel
 * tags the model with TRAINING_BASELINE_TAG = that s3:// URI (pipeline/phases/scoring.ts), the monitor reads the tag
 * (tasks/monitor-baselines.ts). Shared by CDK and Lambda code, so no imports.
 */

/** SageMaker model tag whose value is the baseline's s3:// URI (tag keys allow ':'; API_Tag). */
export const TRAINING_BASELINE_TAG = 'occupancy:training-baseline';
/** The baseline's name under the run's prefix. */
export const TRAINING_BASELINE_FILE = 'training-baseline.json';
