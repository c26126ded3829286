/** Public API of the feature definition and its two interpreters (SQL generator, TypeScript evaluator). */
export { DUCKDB_ONLY_SYNTAX, type SqlDialect, type SqlDialectName, SqlGenerationError, sqlDialect } from './dialect';
export {
  computeFeatureVector,
  type DeviceFeatureState,
  FeatureInputError,
  initialDeviceState,
  stepFeatures,
} from './evaluator';
export { type FeatureBatch, FleetFeatureEvaluator } from './evaluator-fleet';
export { buildFlagCountsQuery, buildReadingsQuery } from './readings';
export {
  buildFeatureSpec,
  DEFAULT_FEATURE_OPTIONS,
  type FeatureDef,
  type FeatureKind,
  type FeatureOptions,
  type FeatureSpec,
  FeatureSpecError,
  featureNames,
  historyLength,
  MAX_ROLLING_WINDOW,
  RESERVED_COLUMNS,
  type TimeFeatureKind,
} from './spec';
export { buildSplitCutoffsQuery, type SplitCutoffsQueryOptions } from './split-cutoffs';
export {
  FLAG_COUNT_COLUMNS,
  type PlannedSplit,
  SPLIT_PLAN_COLUMNS,
  SPLIT_PLAN_INSUFFICIENT,
  SPLIT_PLAN_OK,
} from './split-plan';
export {
  buildExportQuery,
  buildFeatureQuery,
  buildLabelledQuery,
  buildSplitPlanQuery,
  buildSplitQuery,
  type ExportQueryOptions,
  type FeatureQueryOptions,
  type LabelledQueryOptions,
  SPLIT_NAMES,
  type SplitName,
  type SplitOptions,
} from './sql';
export {
  ALL_HISTORY_START_DAY,
  buildTrainingWindowQuery,
  MAX_TRAINING_WINDOW_DAYS,
  type TrainingWindow,
  type TrainingWindowQueryOptions,
  WINDOW_START_PLACEHOLDER,
  windowPredicate,
} from './window';
