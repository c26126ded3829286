/**
 * The IoT rule that feeds the inference Lambda (Serving stack) and its loop guard.
 *
 * It listens on the shadow `update/documents` topic (which carries `previous` and `current`) and fires only when
 * the device's *reported* measurement time changed, i.e. on a new reading. Every update the Lambda itself makes
 * writes `desired` only, so `reported.timestamp` stays as it was and the rule cannot fire on its own output; a
 * device echoing `roomOccupancy` into `reported` (without a new measurement) does not fire it either. A
 * re-sent reading with the same timestamp is a duplicate and is skipped on purpose.
 *
 * `topic(3)` is the thing name: the documents message does not contain it.
 */

/** Topic filter of the rule (classic, unnamed shadow). */
export const SHADOW_DOCUMENTS_TOPIC_FILTER = '$aws/things/+/shadow/update/documents';

/** Key in `reported` the devices stamp each measurement with (telemetry/validate.ts wire format). */
export const REPORTED_TIME_KEY = 'timestamp';

export const INFERENCE_RULE_SQL = [
  'SELECT *, topic(3) AS thingName',
  `FROM '${SHADOW_DOCUMENTS_TOPIC_FILTER}'`,
  `WHERE NOT isUndefined(current.state.reported.${REPORTED_TIME_KEY})`,
  `AND (isUndefined(previous.state.reported.${REPORTED_TIME_KEY})`,
  `OR current.state.reported.${REPORTED_TIME_KEY} <> previous.state.reported.${REPORTED_TIME_KEY})`,
].join(' ');

export const INFERENCE_RULE_SQL_VERSION = '2016-03-23';

/** `a.b.c` of a JSON value, `undefined` where any step is missing or not an object (IoT SQL's Undefined). */
function path(value: unknown, keys: readonly string[]): unknown {
  let at: unknown = value;
  for (const key of keys) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The rule's WHERE clause over a parsed documents message, exactly as the SQL above: the local rule engine
 * routes with it, and the loop-guard test runs it against the documents the handler's own update produces.
 */
export function inferenceRuleMatches(documents: unknown): boolean {
  const current = path(documents, ['current', 'state', 'reported', REPORTED_TIME_KEY]);
  if (current === undefined) return false;
  const previous = path(documents, ['previous', 'state', 'reported', REPORTED_TIME_KEY]);
  return previous === undefined || !jsonEqual(current, previous);
}

/** The thing name of a shadow topic (`topic(3)`), or undefined when the topic is not a classic shadow topic. */
export function thingNameOfShadowTopic(topic: string): string | undefined {
  const parts = topic.split('/');
  return parts[0] === '$aws' && parts[1] === 'things' && parts[3] === 'shadow' && parts[2] ? parts[2] : undefined;
}
