/** Evaluation core: metrics, threshold baselines, paired bootstrap and the promotion gate. Pure: no I/O. */
export { type BaselineOptions, type BaselineResult, evaluateBaselines, SEED_RULE } from './baselines';
export {
  type BootstrapOptions,
  DEFAULT_CONFIDENCE,
  DEFAULT_RESAMPLES,
  DEFAULT_SEED,
  type DeltaF1Interval,
  MIN_RESAMPLES,
  pairedBootstrapDeltaF1,
} from './bootstrap';
export { EvaluationError } from './errors';
export { type GateComparison, type GateDecision, type GateOptions, gateDecision, type NamedPredictions } from './gate';
export { assertScoresNotInverted, INVERSION_F1, ScoreInversionError, scoreInversion } from './inversion';
export {
  averagePrecision,
  brierScore,
  type CalibrationBin,
  type ConfusionMatrix,
  calibrationBins,
  classificationMetrics,
  confusionMatrix,
  f1FromCounts,
  f1Score,
  type Metrics,
  type PrCurve,
  prCurve,
  type RocCurve,
  rocAuc,
  rocCurve,
  type UndefinedMetric,
} from './metrics';
export {
  INFERENCE_OUTPUT,
  INFERENCE_RESPONSE_KEYS,
  type InferenceResponseKey,
  type OccupancyScore,
  readOccupancyScore,
} from './p-occupied';
export { mulberry32, mulberry32Uint32, SeededRandom } from './random';
export {
  applyThreshold,
  type FittedThreshold,
  fitBestThreshold,
  fitBestThresholdOnCounts,
  fitBestThresholdWithScore,
  type ThresholdModel,
  type TrainingCounts,
  valueCountsOf,
} from './threshold';
export { EMPTY_COUNTS, mergeCounts, type ValueCounts, ValueCountsBuilder } from './value-counts';
