/** MQTT topics of the local IoT runtime (the same names AWS IoT Core uses, plus the ground-truth topic). */
export { LABELS_TOPIC_FILTER, LABELS_TOPIC_PREFIX, labelsTopic } from '../../telemetry/wire';

export const shadowTopic = (thingName: string, suffix: string): string => `$aws/things/${thingName}/shadow/${suffix}`;
