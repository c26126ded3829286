import type { PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { type SensorFaultRecord, sensorHealthAlarmName } from '../../health/types';
import type { LocalLake } from '../../local/lake';
import type { Reading } from '../../telemetry/reading';

/**
 * A thermostat fleet for the sensor health check, checked at AT: six hours of a reading a minute per device, with
 * one stuck, one silent, one out-of-range and one malformed-burst device among healthy ones, plus the traps a
 * query must not fall into (redelivered readings, readings after the check, a device only seen before the lookback,
 * an out-of-range refusal long cleared, malformed refusals short of a burst).
 */

export const MIN = 60_000;
export const AT = Date.parse('2026-11-29T12:00:00Z');

/** Values that never repeat from one minute to the next (a healthy sensor's noise). */
function values(i: number, thing: string): Record<string, number | string> {
  const salt = thing.length;
  return {
    temperature: 20 + ((i + salt) % 7) * 0.1,
    humidity: 40 + ((i + salt) % 5) * 0.5,
    sound: (i + salt) % 3,
    hvac_status: 'OFF',
  };
}

function minutely(
  thing: string,
  from: number,
  to: number,
  edit?: (ts: number, v: Record<string, number | string>) => void,
) {
  const out: Reading[] = [];
  for (let ts = from, i = 0; ts <= to; ts += MIN, i++) {
    const v = values(i, thing);
    edit?.(ts, v);
    out.push({ thingName: thing, ts, values: v });
  }
  return out;
}

const START = AT - 6 * 60 * MIN;
const LAST = AT - MIN;

/** The stuck device holds humidity 41.25 % from here on (4 h ≥ the 180 min default). */
export const STUCK_FROM = AT - 240 * MIN;
/** The silent device's last reading (47 min ≥ max(10 × 1 min, 15 min)). */
export const SILENT_LAST = AT - 47 * MIN;
/** The out-of-range device's refusals (temperature 120 °C: above 85), the newest 13 min before the check. */
export const OUT_OF_RANGE_AT = [AT - 30 * MIN, AT - 20 * MIN, AT - 13 * MIN];
/** The malformed device's refusals: 7 within the 15 min window. */
export const MALFORMED_AT = [12, 10, 8, 6, 4, 3, 2].map((m) => AT - m * MIN);

const fault = (thing_name: string, ts: number, kind: SensorFaultRecord['kind'], field: string, code: string) => ({
  thing_name,
  ts,
  received_at: ts + 200,
  kind,
  field,
  code,
});

export function fleetReadings(): { readings: Reading[]; receivedAt: number[]; faults: SensorFaultRecord[] } {
  const readings: Reading[] = [
    ...minutely('healthy-1', START, LAST),
    ...minutely('stuck-1', START, LAST, (ts, v) => {
      if (ts >= STUCK_FROM) v.humidity = 41.25;
    }),
    ...minutely('silent-1', START, SILENT_LAST),
    // After the check's time: a check of AT has not seen them.
    ...minutely('silent-1', AT + 10 * MIN, AT + 20 * MIN),
    // The refused readings never reached the lake.
    ...minutely('oor-1', START, LAST).filter((r) => !OUT_OF_RANGE_AT.includes(r.ts)),
    ...minutely('malformed-1', START, LAST).filter((r) => !MALFORMED_AT.includes(r.ts)),
    // Only seen 25 h before the check: outside the 24 h lookback, not known.
    ...minutely('old-1', AT - 25 * 60 * MIN, AT - 25 * 60 * MIN + 30 * MIN),
    // A cleared out-of-range refusal 2 h ago and 4 malformed ones (one short of a burst): healthy.
    ...minutely('healthy-2', START, LAST),
  ];
  // healthy-2's readings arrive twice (MQTT redelivery): the check counts each (thing, ts) once.
  const redelivered = readings.filter((r) => r.thingName === 'healthy-2');
  const receivedAt = [...readings.map((r) => r.ts + 500), ...redelivered.map((r) => r.ts + 900)];
  const faults: SensorFaultRecord[] = [
    ...OUT_OF_RANGE_AT.map((ts) => fault('oor-1', ts, 'out-of-range', 'temperature', 'out_of_range')),
    ...MALFORMED_AT.map((ts) => fault('malformed-1', ts, 'malformed', 'temperature', 'wrong_type')),
    fault('malformed-1', AT - 5 * MIN, 'malformed', '$', 'not_json'),
    fault('healthy-2', AT - 120 * MIN, 'out-of-range', 'humidity', 'out_of_range'),
    ...[9, 7, 5, 1].map((m) => fault('healthy-2', AT - m * MIN, 'malformed', 'sound', 'missing')),
    // 20 min before the window: not part of the burst.
    ...[40, 35, 30].map((m) => fault('healthy-1', AT - m * MIN, 'malformed', 'sound', 'missing')),
  ];
  return { readings: [...readings, ...redelivered], receivedAt, faults };
}

/** Fills `lake` (thermostat) with the fleet. */
export function fillLake(lake: LocalLake): void {
  const { readings, receivedAt, faults } = fleetReadings();
  lake.appendReadings(readings, receivedAt);
  lake.appendSensorFaults(faults);
}

/** What a check at AT with the default config must find: [kind, thing, since, lastGoodReading]. */
export const EXPECTED: readonly (readonly [string, string, number, number | null])[] = [
  ['stuck', 'stuck-1', STUCK_FROM, STUCK_FROM - MIN],
  ['silent', 'silent-1', SILENT_LAST, SILENT_LAST],
  // Every reading since the first refusal is flagged: the last good one is the minute before it.
  ['out-of-range', 'oor-1', AT - 30 * MIN, AT - 31 * MIN],
  // Malformed refusals count by when they were refused (received_at: the reading's time + 200 ms here).
  ['malformed', 'malformed-1', AT - 12 * MIN + 200, LAST],
];

export const KNOWN = ['healthy-1', 'healthy-2', 'malformed-1', 'oor-1', 'silent-1', 'stuck-1'];

/** The stuck kind's alarm as the stack defines it, for a local evaluator (a one-minute period). */
export const STUCK_ALARM: PutMetricAlarmCommandInput = {
  AlarmName: sensorHealthAlarmName('stuck'),
  Namespace: 'Occupancy',
  MetricName: 'UnhealthyDevices',
  Dimensions: [{ Name: 'Kind', Value: 'stuck' }],
  Statistic: 'Maximum',
  Period: 60,
  EvaluationPeriods: 1,
  Threshold: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  TreatMissingData: 'ignore',
};
