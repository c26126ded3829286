import type { SensorFaultRecord } from '../../health/types';
import type { LocalLake } from '../../local/lake';
import { DEFAULT_PIPELINE_CONFIG } from '../../pipeline/config';
import type { Reading } from '../../telemetry/reading';
import { numericSignals, type SignalSet } from '../../telemetry/signals';
import { DEFAULT_SIM_START } from '../../telemetry/simulator';

/**
 * A simulated thermostat lake made unhealthy for the export's flag rule (issue 22): one device's temperature held
 * for 6 hours (redelivered copies with one value, received later, win the de-duplication) and another's readings
 * refused as out of range three times (sensor_faults rows); and the rule computed independently in TypeScript.
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;
export const STUCK_THING = 'room-01';
export const RANGE_THING = 'room-02';
const STUCK_FROM = DEFAULT_SIM_START + 5 * 24 * HOUR + 9 * HOUR;
const REFUSALS = [0, 10, 25].map((m) => DEFAULT_SIM_START + 7 * 24 * HOUR + 14 * HOUR + m * MINUTE + 30_000);

export const readingKey = (thing: unknown, ts: unknown): string => `${String(thing)} ${Number(ts)}`;

export async function lakeRows(lake: LocalLake, sql: string): Promise<Record<string, unknown>[]> {
  const connection = await lake.connect();
  return (await connection.runAndReadAll(sql))
    .getRowObjects()
    .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
}

/** Makes STUCK_THING stuck and RANGE_THING out of range in a lake simulated from DEFAULT_SIM_START (≥ 8 days). */
export async function makeUnhealthy(lake: LocalLake): Promise<void> {
  const held = await lakeRows(
    lake,
    `SELECT * FROM telemetry WHERE thing_name = '${STUCK_THING}' AND ts >= ${STUCK_FROM} AND ts < ${STUCK_FROM + 6 * HOUR}`,
  );
  if (held.length < 300) throw new Error(`expected 6 h of ${STUCK_THING}'s readings, got ${held.length}`);
  const readings: Reading[] = held.map((r) => ({
    thingName: STUCK_THING,
    ts: Number(r.ts),
    values: {
      temperature: 21.25,
      humidity: Number(r.humidity),
      sound: Number(r.sound),
      hvac_status: String(r.hvac_status),
    },
  }));
  lake.appendReadings(
    readings,
    held.map((r) => Number(r.received_at) + 1000),
  );
  const refusal = (ts: number, kind: SensorFaultRecord['kind']): SensorFaultRecord => ({
    thing_name: RANGE_THING,
    ts,
    received_at: ts + 200,
    kind,
    field: 'temperature',
    code: kind === 'out-of-range' ? 'out_of_range' : 'wrong_type',
  });
  // A malformed refusal flags nothing.
  lake.appendSensorFaults([
    ...REFUSALS.map((ts) => refusal(ts, 'out-of-range')),
    refusal(STUCK_FROM - HOUR, 'malformed'),
  ]);
}

/**
 * The rule in TypeScript over the lake's rows (one reading per device and time, the latest received): keys of the
 * readings flagged stuck (a run of one value of a numeric signal lasting its stuck minutes) and out of range (less
 * than outOfRangeClearMinutes after the device's latest out-of-range refusal at or before it).
 */
export async function independentFlags(
  lake: LocalLake,
  set: SignalSet,
  health = DEFAULT_PIPELINE_CONFIG.sensorHealth,
): Promise<{ stuck: Set<string>; outOfRange: Set<string> }> {
  const latest = new Map<string, Record<string, unknown>>();
  for (const r of await lakeRows(lake, 'SELECT * FROM telemetry')) {
    const k = readingKey(r.thing_name, r.ts);
    const kept = latest.get(k);
    if (!kept || Number(r.received_at) > Number(kept.received_at)) latest.set(k, r);
  }
  const devices = new Map<string, Record<string, unknown>[]>();
  for (const r of latest.values()) {
    const thing = String(r.thing_name);
    devices.set(thing, [...(devices.get(thing) ?? []), r]);
  }
  const refusals = (await lakeRows(lake, `SELECT thing_name, ts FROM sensor_faults WHERE kind = 'out-of-range'`)).map(
    (f) => ({ thing: String(f.thing_name), ts: Number(f.ts) }),
  );
  const stuck = new Set<string>();
  const outOfRange = new Set<string>();
  for (const [thing, readings] of devices) {
    readings.sort((a, b) => Number(a.ts) - Number(b.ts));
    for (const signal of numericSignals(set)) {
      const minutes = signal.stuckAfterMinutes ?? health.stuckMinutes;
      let start = 0;
      for (let i = 1; i <= readings.length; i++) {
        if (i < readings.length && readings[i]?.[signal.name] === readings[start]?.[signal.name]) continue;
        if (Number(readings[i - 1]?.ts) - Number(readings[start]?.ts) >= minutes * MINUTE) {
          for (let j = start; j < i; j++) stuck.add(readingKey(thing, readings[j]?.ts));
        }
        start = i;
      }
    }
    for (const r of readings) {
      const ts = Number(r.ts);
      const last = Math.max(...refusals.filter((f) => f.thing === thing && f.ts <= ts).map((f) => f.ts));
      if (ts - last < health.outOfRangeClearMinutes * MINUTE) outOfRange.add(readingKey(thing, ts));
    }
  }
  return { stuck, outOfRange };
}
