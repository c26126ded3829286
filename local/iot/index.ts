/** The local IoT runtime: MQTT broker, device shadows, rules, data plane, live fleet. */
export { BrokerError, type LocalBroker, type LocalBrokerOptions, type MessageHandler, startBroker } from './broker';
export { type DataPlaneServer, startDataPlane } from './data-plane';
export { type FleetAnswer, FleetOptionsError, type FleetSummary, LiveFleet, type LiveFleetOptions } from './fleet';
export { compileIotSql, SqlParseException, topicMatches } from './iot-sql';
export { ForwardingLogger, LocalStoreMetrics, metricDataOfEmf } from './local-metrics';
export {
  InferenceRule,
  type InferenceRuleStats,
  LakeIngestion,
  type LakeIngestionOptions,
  LocalTopicRule,
} from './rules';
export {
  type EndpointHost,
  readServeConnection,
  type ServeConnection,
  type ServingOptions,
  type ServingStack,
  serveConnectionFile,
  startServing,
} from './serving';
export { SHADOW_MAX_REQUEST_BYTES, type ShadowDocumentSnapshot, ShadowService } from './shadow-service';
export { type LatencySummary, percentile, summariseLatencies } from './stats';
export { LABELS_TOPIC_FILTER, LABELS_TOPIC_PREFIX, labelsTopic, shadowTopic } from './topics';
