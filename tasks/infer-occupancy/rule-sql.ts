/**
 * The IoT rule that feeds the inference Lambda (Serving stack). It listens on the shadow `update/documents` topic
 * (which carries `previous` and `current`) and fires only on a NEW device reading: the same WHERE clause as the
 * lake's telemetry rule (telemetry/wire.ts), so the Lambda answers exactly the readings the lake stores. The
 * Lambda's own `desired` writes leave `reported.timestamp` as it was, so the rule cannot fire on its own output.
 * Locally, local/iot/rules.ts evaluates this very text.
 *
 * `topic(3)` is the thing name: the documents message does not contain it.
 */
import { IOT_SQL_VERSION, NEW_READING_CONDITION, SHADOW_DOCUMENTS_TOPIC_FILTER, TIME_KEY } from '../../telemetry/wire';

export { SHADOW_DOCUMENTS_TOPIC_FILTER };

/** Key in `reported` the devices stamp each measurement with (telemetry/wire.ts). */
export const REPORTED_TIME_KEY = TIME_KEY;

export const INFERENCE_RULE_SQL = [
  'SELECT *, topic(3) AS thingName',
  `FROM '${SHADOW_DOCUMENTS_TOPIC_FILTER}'`,
  `WHERE ${NEW_READING_CONDITION}`,
].join(' ');

export const INFERENCE_RULE_SQL_VERSION = IOT_SQL_VERSION;

/** The thing name of a shadow topic (`topic(3)`), or undefined when the topic is not a classic shadow topic. */
export function thingNameOfShadowTopic(topic: string): string | undefined {
  const parts = topic.split('/');
  return parts[0] === '$aws' && parts[1] === 'things' && parts[3] === 'shadow' && parts[2] ? parts[2] : undefined;
}
