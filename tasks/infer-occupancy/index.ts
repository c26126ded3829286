/** Public API of the inference Lambda's domain code (the Lambda entry itself is handler.ts). */

export { type ClientTarget, createInferenceClients, type InferenceClients } from './clients';
export { INFERENCE_ENV_VARS, type InferenceConfig, InferenceConfigSchema, parseInferenceConfig } from './config';
export {
  type DocumentReadings,
  eventInputError,
  type PreviousReport,
  readingsOfDocuments,
  readingsOfEvent,
  ShadowDocumentsEventSchema,
} from './documents';
export {
  type EndpointPort,
  endpointFailureKind,
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
export {
  batchesOf,
  encodeRecord,
  FIREHOSE_BATCH_LIMITS,
  FirehoseDeliveryError,
  FirehoseRecordSink,
  type FirehoseRecordSinkOptions,
  type RecordSink,
} from './firehose-sink';
export { DeviceHistory, type HistorySource } from './history';
export {
  createInferenceHandler,
  createParsedInference,
  type InferenceDeps,
  type InferenceHandler,
  type InferenceLogger,
  InferenceMetrics,
  type InferenceOutcome,
  type MetricsSink,
  type ParsedDocumentsEvent,
} from './infer';
export {
  PREDICTION_FIXED_COLUMNS,
  PREDICTIONS_TABLE,
  type PredictionColumn,
  type PredictionInput,
  type PredictionRecord,
  type PredictionSource,
  predictionColumns,
  predictionFeatureColumn,
  predictionRecord,
  servedFeatureSpec,
} from './prediction-record';
export { encodePrediction, firehosePredictionSink, type PredictionSink } from './predictions';
export {
  desiredUpdateDocument,
  IotDataShadowPublisher,
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
export {
  acceptedDeviceTime,
  firehoseSensorFaultSink,
  type RefusedReading,
  type SensorFaultSink,
  sensorFaultOf,
} from './sensor-faults';
