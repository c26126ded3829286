/**
 * The wire formats, defined once, and the AWS IoT rules that read them. The validators (validate.ts), the simulator
 * and live fleet, the local rules (local/iot/rules.ts runs this SQL text through its IoT SQL evaluator) and the CDK
 * stacks (Ingestion: lake rules; Serving: the inference rule in tasks/infer-occupancy/rule-sql.ts) all use these.
 *
 * Reading — a device's classic-shadow update on `$aws/things/<thing>/shadow/update`:
 *   {"state": {"reported": {"timestamp": 1767607200000, "temperature": 21.4, "humidity": 38.2, "sound": 12.5,
 *                           "hvacStatus": "HEATING"}}}
 *   `timestamp` is the device's measurement time, an integer of epoch milliseconds; signal keys are each signal's
 *   `reportedKey ?? name`; the thing name is the topic's. (NDJSON import lines are the same report, flat, plus
 *   `thingName`.)
 * Label — ground truth on `occupancy/labels/<thing>`:
 *   {"thingName": "room-01", "timestamp": 1767607200000, "occupied": true}
 */
import type { Signal, SignalSet } from './signals';

/** Key of the device's measurement time (epoch ms) in `reported`, in labels and in NDJSON lines. */
export const TIME_KEY = 'timestamp';
/** Timestamps before this are sensor clock faults (or epoch seconds sent as milliseconds). */
export const MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1);
/** Tolerated clock skew into the future. */
export const MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1000;

/** The key a signal has on the wire (device shadow `reported` state). */
export const wireKey = (signal: Signal): string => signal.reportedKey ?? signal.name;

export const IOT_SQL_VERSION = '2016-03-23';

/**
 * `update/documents` carries `previous` and `current` (whole documents, desired and reported) after every accepted
 * update: https://docs.aws.amazon.com/iot/latest/developerguide/device-shadow-mqtt.html#update-documents-pub-sub-topic
 * `update/accepted` and `update/delta` (acknowledgements) are other topics, which these rules never see.
 */
export const SHADOW_DOCUMENTS_TOPIC_FILTER = '$aws/things/+/shadow/update/documents';

export const LABELS_TOPIC_PREFIX = 'occupancy/labels';
export const LABELS_TOPIC_FILTER = `${LABELS_TOPIC_PREFIX}/+`;
export const labelsTopic = (thingName: string): string => `${LABELS_TOPIC_PREFIX}/${thingName}`;

/**
 * IoT SQL: `path` is an integer of epoch ms inside the validator's window. IoT SQL has no isNumber function
 * (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html): `cast(x AS Int) = x` is true only
 * for an integral number (a string, Boolean or fraction compares false; Null or Undefined give Undefined).
 */
function epochMsCondition(path: string): string {
  return `cast(${path} AS Int) = ${path} AND ${path} >= ${MIN_TIMESTAMP_MS} AND ${path} <= timestamp() + ${MAX_FUTURE_SKEW_MS}`;
}

const CURRENT_TIME = `current.state.reported.${TIME_KEY}`;
const PREVIOUS_TIME = `previous.state.reported.${TIME_KEY}`;

/**
 * A documents message holds a NEW device reading when the device's own time is valid and differs from the previous
 * document's. The inference Lambda's `desired` writes and a device acknowledging `roomOccupancy` into `reported`
 * leave `reported.timestamp` as it was, and a re-sent reading repeats it: none of them match, so each reading
 * reaches the lake and the Lambda exactly once. The CASE keeps every operand of AND defined: AND/OR of an Undefined
 * operand is Undefined (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-operators.html) and no
 * short-circuit is documented, so `isUndefined(prev) OR cur <> prev` could never match a device's first reading.
 */
export const NEW_READING_CONDITION = [
  epochMsCondition(CURRENT_TIME),
  `AND CASE isUndefined(${PREVIOUS_TIME}) WHEN true THEN true ELSE ${CURRENT_TIME} <> ${PREVIOUS_TIME} END`,
].join(' ');

/**
 * IoT SQL reference to a key of `current.state.reported`. Dot notation does not work for names with numeric
 * characters (UCI's `co2`, `s1_temp`): those go through get()
 * (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-json.html).
 */
function reportedField(key: string): string {
  return /^[A-Za-z_]+$/.test(key) ? `current.state.reported.${key}` : `get(current.state.reported, '${key}')`;
}

/**
 * IoT SQL: a signal's value is what the validator accepts (validate.ts): a number within the physical range (not a
 * numeric string: `cast(x AS Decimal) = x` is false for a string) or one of the enum's values.
 */
function signalCondition(signal: Signal): string {
  const path = reportedField(wireKey(signal));
  if (signal.kind === 'numeric') {
    return `cast(${path} AS Decimal) = ${path} AND ${path} >= ${signal.min} AND ${path} <= ${signal.max}`;
  }
  return `(${signal.values.map((value) => `${path} = '${value}'`).join(' OR ')})`;
}

/**
 * The telemetry rule (Ingestion stack → Firehose → `telemetry/dt=…/`): one lake row per new VALID reading, with the
 * device's ms time as `ts` (the de-duplication key and the time the features use, as in serving) and the rules
 * engine's time as `received_at`. A reading the validator would refuse (sensor fault) never reaches the AWS lake,
 * as it never reaches the local one. Bare `timestamp` and `current.state.reported.<key>` are field references, as in
 * AWS's own shadow rule examples (aws-samples/aws-iot-edukit-tutorials, smart-spaces).
 */
export function telemetryRuleSql(set: SignalSet): string {
  const columns = set.signals.map((s) => `${reportedField(wireKey(s))} AS ${s.name}`);
  return [
    `SELECT topic(3) AS thing_name, ${CURRENT_TIME} AS ts, timestamp() AS received_at, ${columns.join(', ')}`,
    `FROM '${SHADOW_DOCUMENTS_TOPIC_FILTER}'`,
    `WHERE ${NEW_READING_CONDITION} AND ${set.signals.map(signalCondition).join(' AND ')}`,
  ].join(' ');
}

/** The labels rule (Ingestion stack → Firehose → `labels/dt=…/`): the label's own `timestamp` as `ts`. */
export const LABELS_RULE_SQL = [
  `SELECT thingName AS thing_name, ${TIME_KEY} AS ts, occupied`,
  `FROM '${LABELS_TOPIC_FILTER}'`,
  `WHERE thingName = topic(3) AND ${epochMsCondition(TIME_KEY)} AND (occupied = true OR occupied = false)`,
].join(' ');

/** Lake row columns the rules SELECT (and the Glue tables declare). */
export const TELEMETRY_KEY_COLUMNS = ['thing_name', 'ts', 'received_at'] as const;
export const LABEL_COLUMNS = ['thing_name', 'ts', 'occupied'] as const;
