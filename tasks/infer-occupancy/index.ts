/** Public API of the inference Lambda's domain code (the Lambda entry itself is handler.ts). */
export { INFERENCE_ENV_VARS, type InferenceConfig, InferenceConfigSchema, parseInferenceConfig } from './config';
export {
  type DocumentReadings,
  type PreviousReport,
  readingsOfDocuments,
  ShadowDocumentsEventSchema,
} from './documents';
export {
  classifyEndpointError,
  type EndpointPort,
  featureCsvLine,
  type ModelAnswer,
  parseModelAnswer,
  SageMakerEndpoint,
  type SageMakerEndpointOptions,
} from './endpoint';
export {
  type EndpointFailureKind,
  EndpointInvocationError,
  InferenceConfigError,
  InferenceInputError,
  ShadowPublishError,
} from './errors';
export { type ThresholdAnswer, thresholdAnswer } from './fallback';
export { DeviceHistory, type HistorySource } from './history';
export {
  createInferenceHandler,
  type InferenceDeps,
  type InferenceHandler,
  type InferenceLogger,
  InferenceMetrics,
  type InferenceOutcome,
  type MetricsSink,
} from './infer';
export {
  desiredUpdateDocument,
  IotDataShadowPublisher,
  type IotDataShadowPublisherOptions,
  type OccupancyDesiredState,
  type ShadowPublisher,
  shadowUpdateTopic,
} from './publisher';
export {
  INFERENCE_RULE_SQL,
  INFERENCE_RULE_SQL_VERSION,
  REPORTED_TIME_KEY,
  SHADOW_DOCUMENTS_TOPIC_FILTER,
  thingNameOfShadowTopic,
} from './rule-sql';
