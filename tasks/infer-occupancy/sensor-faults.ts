import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { faultKindOf, type SensorFaultRecord } from '../../health/types';
import { TelemetryValidationError } from '../../telemetry/errors';
import { isValidThingName } from '../../telemetry/validate';
import { FirehoseRecordSink, type RecordSink } from './firehose-sink';

/**
 * The `sensor_faults` row of every reading the handler refuses (issue 22: the sensor health check counts a device's
 * out-of-range and malformed refusals from them, since the IoT rules keep those readings out of the lake).
 */

/** Where the handler sends the records of refused readings (the sensor_faults Firehose stream). */
export type SensorFaultSink = RecordSink<SensorFaultRecord>;

/** PutRecordBatch of sensor fault records to the sensor_faults stream (see FirehoseRecordSink). */
export const firehoseSensorFaultSink = (
  client: FirehoseClient,
  options: { readonly streamName: string; readonly maxAttempts?: number },
): SensorFaultSink => new FirehoseRecordSink<SensorFaultRecord>(client, { ...options, noun: 'sensor fault record' });

/** A refusal: the handler's InferenceInputError (its cause the validator's error), or the validator's error itself. */
export type Refusal = Error & { readonly field: string; readonly code: string };

/** What is known of a refused reading (by the handler, or by `occupancy import`). */
export interface RefusedReading {
  /** The event's thing name (`topic(3)`), or undefined when the event did not carry one as a string. */
  readonly thingName: string | undefined;
  /** The reading's device time when it is a valid one (see `acceptedDeviceTime`), else undefined. */
  readonly deviceTs: number | undefined;
  /** When it was refused (epoch ms). */
  readonly receivedAt: number;
  readonly error: Refusal;
}

const validationOf = (error: Refusal): TelemetryValidationError | undefined =>
  error instanceof TelemetryValidationError
    ? error
    : error.cause instanceof TelemetryValidationError
      ? error.cause
      : undefined;

/**
 * `deviceTime` when the validator refused the reading for something else than its time (so the time is an integer
 * of epoch ms in the accepted window), else undefined (no issue list: the event's shape was refused first).
 */
export function acceptedDeviceTime(error: Refusal, deviceTime: unknown): number | undefined {
  const validation = validationOf(error);
  if (validation === undefined || validation.issues.some((i) => i.field === 'timestamp')) return undefined;
  return typeof deviceTime === 'number' && Number.isInteger(deviceTime) ? deviceTime : undefined;
}

/**
 * The `sensor_faults` row of a refused reading, or undefined when its thing name is unknown or not a valid thing
 * name (a row must name a device). `ts` is the device time when valid, else `receivedAt`; `field` and `code` are the
 * validator's first issue's (the event path, `$` for its root, when the event's shape was refused); kind by
 * faultKindOf, as the simulator records refusals (telemetry/faults.ts refusedRecord).
 */
export function sensorFaultOf(refused: RefusedReading): SensorFaultRecord | undefined {
  const { thingName, deviceTs, receivedAt, error } = refused;
  if (thingName === undefined || !isValidThingName(thingName)) return undefined;
  return {
    thing_name: thingName,
    ts: deviceTs ?? receivedAt,
    received_at: receivedAt,
    kind: faultKindOf(error.code),
    field: validationOf(error)?.field ?? (error.field === '' ? '$' : error.field),
    code: error.code,
  };
}
