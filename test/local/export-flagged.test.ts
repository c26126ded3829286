import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExportQuery, buildFeatureSpec, buildSplitPlanQuery, type ExportQueryOptions } from '../../features';
import { flagRuleOf } from '../../health/flag-sql';
import type { SensorFaultRecord } from '../../health/types';
import { simulateIntoLake } from '../../local/commands/simulate';
import { DEFAULT_SPLIT, type ExportManifest, exportDataset, SPLITS } from '../../local/export';
import { LocalLake } from '../../local/lake';
import { DEFAULT_PIPELINE_CONFIG } from '../../pipeline/config';
import type { Reading } from '../../telemetry/reading';
import { numericSignals, THERMOSTAT } from '../../telemetry/signals';
import { DEFAULT_SIM_START } from '../../telemetry/simulator';

/**
 * The export leaves out the readings the sensor health rule flags (issue 22), and counts them: a simulated lake with
 * one device whose temperature sticks for 6 hours (redelivered copies with one value, received later, win the
 * de-duplication) and one whose readings were refused as out of range three times. The flags are computed here
 * independently, in TypeScript, from the lake's rows.
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;
const HEALTH = DEFAULT_PIPELINE_CONFIG.sensorHealth; // stuck 180 min, out of range cleared after 60 min
const STUCK_THING = 'room-01';
const RANGE_THING = 'room-02';
const STUCK_FROM = DEFAULT_SIM_START + 5 * 24 * HOUR + 9 * HOUR;
const REFUSALS = [0, 10, 25].map((m) => DEFAULT_SIM_START + 7 * 24 * HOUR + 14 * HOUR + m * MINUTE + 30_000);
const spec = buildFeatureSpec(THERMOSTAT);
const rule = flagRuleOf(HEALTH, THERMOSTAT);
const key = (thing: unknown, ts: unknown): string => `${String(thing)} ${Number(ts)}`;

let root: string;
let stateDir: string;

async function rows(lake: LocalLake, sql: string): Promise<Record<string, unknown>[]> {
  const connection = await lake.connect();
  return (await connection.runAndReadAll(sql))
    .getRowObjects()
    .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'export-flagged-'));
  stateDir = join(root, 'state');
  simulateIntoLake(stateDir, 3, 12, 7);
  const lake = LocalLake.open(stateDir);
  try {
    // Redeliveries of 6 hours of one device with its temperature held: received later, so they are the copies kept.
    const held = await rows(
      lake,
      `SELECT * FROM telemetry WHERE thing_name = '${STUCK_THING}' AND ts >= ${STUCK_FROM} AND ts < ${STUCK_FROM + 6 * HOUR}`,
    );
    expect(held.length).toBeGreaterThan(300);
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
    const faults: SensorFaultRecord[] = REFUSALS.map((ts) => ({
      thing_name: RANGE_THING,
      ts,
      received_at: ts + 200,
      kind: 'out-of-range',
      field: 'temperature',
      code: 'out_of_range',
    }));
    // A malformed refusal flags nothing.
    faults.push({ ...faults[0], ts: STUCK_FROM - HOUR, kind: 'malformed', code: 'wrong_type' } as SensorFaultRecord);
    lake.appendSensorFaults(faults);
  } finally {
    lake.close();
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The rule in TypeScript over the lake's rows: keys of readings flagged stuck and out of range. */
async function independentFlags(lake: LocalLake): Promise<{ stuck: Set<string>; outOfRange: Set<string> }> {
  const latest = new Map<string, Record<string, unknown>>();
  for (const r of await rows(lake, 'SELECT * FROM telemetry')) {
    const k = key(r.thing_name, r.ts);
    const kept = latest.get(k);
    if (!kept || Number(r.received_at) > Number(kept.received_at)) latest.set(k, r);
  }
  const devices = new Map<string, Record<string, unknown>[]>();
  for (const r of latest.values()) devices.set(String(r.thing_name), [...(devices.get(String(r.thing_name)) ?? []), r]);
  const refusals = (await rows(lake, `SELECT thing_name, ts FROM sensor_faults WHERE kind = 'out-of-range'`)).map(
    (f) => ({ thing: String(f.thing_name), ts: Number(f.ts) }),
  );
  const stuck = new Set<string>();
  const outOfRange = new Set<string>();
  for (const [thing, readings] of devices) {
    readings.sort((a, b) => Number(a.ts) - Number(b.ts));
    for (const signal of numericSignals(THERMOSTAT)) {
      const minutes = rule.stuck.find((s) => s.signal === signal.name)?.minutes ?? HEALTH.stuckMinutes;
      let start = 0;
      for (let i = 1; i <= readings.length; i++) {
        if (i < readings.length && readings[i]?.[signal.name] === readings[start]?.[signal.name]) continue;
        const span = Number(readings[i - 1]?.ts) - Number(readings[start]?.ts);
        if (span >= minutes * MINUTE) {
          for (let j = start; j < i; j++) stuck.add(key(thing, readings[j]?.ts));
        }
        start = i;
      }
    }
    for (const r of readings) {
      const ts = Number(r.ts);
      const last = Math.max(...refusals.filter((f) => f.thing === thing && f.ts <= ts).map((f) => f.ts));
      if (ts - last < HEALTH.outOfRangeClearMinutes * MINUTE) outOfRange.add(key(thing, ts));
    }
  }
  return { stuck, outOfRange };
}

describe('export with the sensor health rule', () => {
  test('leaves exactly the flagged readings out of the splits and counts them in the manifest', async () => {
    const lake = LocalLake.open(stateDir);
    try {
      const { stuck, outOfRange } = await independentFlags(lake);
      const flagged = new Set([...stuck, ...outOfRange]);
      // 6 h of one-minute readings held, and the 60 minutes after each of the 3 refusals (overlapping).
      expect(stuck.size).toBeGreaterThanOrEqual(6 * 60 - 5);
      expect([...stuck].every((k) => k.startsWith(STUCK_THING))).toBe(true);
      expect(outOfRange.size).toBeGreaterThanOrEqual(80);
      expect([...outOfRange].every((k) => k.startsWith(RANGE_THING))).toBe(true);

      const manifest = await exportDataset(lake, { outDir: join(root, 'excluded'), trainingWindowDays: 0 });
      const plain = await exportDataset(lake, {
        outDir: join(root, 'counted'),
        trainingWindowDays: 0,
        sensorHealth: { ...HEALTH, excludeFromTraining: false },
      });
      const counts = { stuck: stuck.size, outOfRange: outOfRange.size, total: flagged.size };
      expect(manifest.readingsFlagged).toEqual({ ...counts, excluded: true });
      expect(plain.readingsFlagged).toEqual({ ...counts, excluded: false });
      expect(JSON.parse(readFileSync(join(root, 'excluded', 'manifest.json'), 'utf8')).readingsFlagged).toEqual(
        manifest.readingsFlagged,
      );

      // Which readings each export holds: the state machine's export query (Athena text) with the same rule.
      const options: ExportQueryOptions = { dialect: 'athena', split: DEFAULT_SPLIT, health: rule };
      const withRule = await rows(lake, buildExportQuery(spec, options));
      const withoutRule = await rows(lake, buildExportQuery(spec, { ...options, excludeFlagged: false }));
      const kept = new Set(withRule.map((r) => key(r.thing_name, r.ts)));
      const all = withoutRule.map((r) => key(r.thing_name, r.ts));
      const labelledFlagged = all.filter((k) => flagged.has(k));
      expect(labelledFlagged.length).toBeGreaterThan(0.9 * flagged.size);
      expect([...kept].sort()).toEqual(all.filter((k) => !flagged.has(k)).sort());
      // The local Parquet splits are those rows, split the same way.
      const perSplit = (rs: Record<string, unknown>[], split: string) => rs.filter((r) => r.split === split).length;
      for (const split of SPLITS) {
        expect(manifest.rows[split]).toBe(perSplit(withRule, split));
        expect(plain.rows[split]).toBe(perSplit(withoutRule, split));
      }
      const exported = (m: ExportManifest) => m.rows.train + m.rows.validation + m.rows.holdout;
      expect(exported(plain) - exported(manifest)).toBe(labelledFlagged.length);
      // Left out: everything the plain export left out, and the flagged labelled readings.
      expect(manifest.readingsLeftOut).toBe(plain.readingsLeftOut + labelledFlagged.length);

      // The plan the state machine reads reports the same counts in its trailing columns.
      const [plan] = await rows(lake, buildSplitPlanQuery(spec, options));
      expect(plan).toMatchObject({
        flagged_stuck: counts.stuck,
        flagged_out_of_range: counts.outOfRange,
        flagged_total: counts.total,
      });
      expect(plan?.message).toBe(manifest.split);
    } finally {
      lake.close();
    }
  });
});
