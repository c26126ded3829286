/** MQTT topics of the local IoT runtime (the same names AWS IoT Core uses, plus the ground-truth topic). */

export const shadowTopic = (thingName: string, suffix: string): string => `$aws/things/${thingName}/shadow/${suffix}`;

/** Ground truth (PIR, booking, a person) for a room: `{thingName, timestamp, occupied}` (telemetry/validate.ts). */
export const LABELS_TOPIC_PREFIX = 'occupancy/labels';
export const labelsTopic = (thingName: string): string => `${LABELS_TOPIC_PREFIX}/${thingName}`;
export const LABELS_TOPIC_FILTER = `${LABELS_TOPIC_PREFIX}/+`;
