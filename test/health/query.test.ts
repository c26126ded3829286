import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DUCKDB_ONLY_SYNTAX } from '../../features/dialect';
import { classifyHealth } from '../../health/classify';
import { parseHealthRows } from '../../health/device-row';
import { buildHealthQuery } from '../../health/query';
import { LocalLake } from '../../local/lake';
import { SensorHealthSchema } from '../../pipeline/config';
import { numericSignals, THERMOSTAT, UCI_OCCUPANCY } from '../../telemetry/signals';
import { duckSelect } from '../monitoring/fixture';
import { AT, EXPECTED, fillLake, KNOWN, MIN, STUCK_FROM } from './fleet-fixture';

const config = SensorHealthSchema.parse({});
const signals = numericSignals(THERMOSTAT).map((s) => s.name);

describe.each(['duckdb', 'athena'] as const)('health query on a local lake (%s SQL)', (dialect) => {
  let dir: string;
  let lake: LocalLake;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'health-query-'));
    lake = LocalLake.open(dir, THERMOSTAT);
    fillLake(lake);
  });
  afterAll(() => {
    lake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function check(at = AT, c = config) {
    const sql = buildHealthQuery({ dialect, at, config: c, signalSet: THERMOSTAT });
    const rows = parseHealthRows(await duckSelect(await lake.connect(), sql), signals);
    return { rows, report: classifyHealth(rows, { at, config: c, signalSet: THERMOSTAT, reportId: 'r' }) };
  }

  it('flags exactly the stuck, silent, out-of-range and malformed devices, with since and last good reading', async () => {
    const { rows, report } = await check();
    expect(rows.map((r) => r.thingName)).toEqual(KNOWN);
    expect(report.unhealthy.map((u) => [u.kind, u.thingName, u.since, u.lastGoodReading])).toEqual(EXPECTED);
    expect(report.counts).toEqual({ stuck: 1, silent: 1, 'out-of-range': 1, malformed: 1 });
    expect(report.devicesKnown).toBe(KNOWN.length);
    expect(report.unhealthy.map((u) => u.detail)).toEqual([
      'humidity held 41.25 % since 08:00 UTC (3 h 59 min)',
      'no reading for 47 min; usually every 1 min',
      '3 readings out of range (temperature), last 11:47 UTC',
      '8 malformed readings in 15 min (temperature: wrong_type)',
    ]);
  });

  it('counts a redelivered reading once: the median gap of a device read twice is still 1 min', async () => {
    const { rows } = await check();
    expect(rows.find((r) => r.thingName === 'healthy-2')?.medianGapMs).toBe(MIN);
    expect(rows.find((r) => r.thingName === 'healthy-2')?.lastGoodReading).toBe(AT - MIN);
  });

  it('reads nothing after the check: earlier checks see the devices as they were', async () => {
    // Before the stuck run reached 180 min, the silence began or any of the four devices' refusals; then old-1 was
    // still known (and silent for 23 h) and healthy-2's refusal of 10:00 was 10 min old.
    const { report } = await check(STUCK_FROM + 170 * MIN);
    expect(report.unhealthy.map((u) => [u.kind, u.thingName])).toEqual([
      ['silent', 'old-1'],
      ['out-of-range', 'healthy-2'],
    ]);
    // 47 min of silence is not silent with a 48 min minimum.
    const quieter = await check(AT, SensorHealthSchema.parse({ silentMinMinutes: 48 }));
    expect(quieter.report.counts.silent).toBe(0);
  });

  it('the out-of-range flag clears after outOfRangeClearMinutes without a refusal', async () => {
    const { report } = await check(AT - 13 * MIN + 60 * MIN);
    expect(report.counts['out-of-range']).toBe(0);
    const still = await check(AT - 13 * MIN + 60 * MIN - 1);
    expect(still.report.unhealthy.find((u) => u.kind === 'out-of-range')?.thingName).toBe('oor-1');
  });
});

it('the Athena text carries no DuckDB-only syntax', () => {
  const sql = buildHealthQuery({ dialect: 'athena', at: AT, config, signalSet: THERMOSTAT });
  for (const { label, pattern } of DUCKDB_ONLY_SYNTAX)
    expect({ label, found: pattern.test(sql) }).toEqual({ label, found: false });
  // Partitions from a day before the scan (lookback + the longest stuck time) to a day after the check.
  expect(sql).toContain(`"dt" >= '2026-11-27' AND "dt" <= '2026-11-30'`);
});

describe.each(['duckdb', 'athena'] as const)('health query on a lake without refusals (%s SQL)', (dialect) => {
  it('reads an empty sensor_faults and a signal set whose stuck times differ (UCI: light 24 h)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'health-query-uci-'));
    const lake = LocalLake.open(dir, UCI_OCCUPANCY);
    try {
      // Light held at 0 lux for 26 h (a dark weekend), the rest varying: stuck since 26 h before the check.
      const from = AT - 26 * 60 * MIN;
      lake.appendReadings(
        Array.from({ length: 26 * 60 }, (_, i) => ({
          thingName: 'office',
          ts: from + i * MIN,
          values: {
            temperature: 20 + (i % 4) * 0.25,
            humidity: 30 + (i % 3),
            light: 0,
            co2: 400 + (i % 5),
            humidity_ratio: 0.004 + (i % 2) * 0.0001,
          },
        })),
      );
      const sql = buildHealthQuery({ dialect, at: AT, config, signalSet: UCI_OCCUPANCY });
      const names = numericSignals(UCI_OCCUPANCY).map((s) => s.name);
      const rows = parseHealthRows(await duckSelect(await lake.connect(), sql), names);
      const report = classifyHealth(rows, { at: AT, config, signalSet: UCI_OCCUPANCY, reportId: 'r' });
      expect(report.unhealthy).toEqual([
        {
          thingName: 'office',
          kind: 'stuck',
          since: from,
          lastGoodReading: null,
          signal: 'light',
          detail: 'light held 0 lux since 2026-11-28 10:00 UTC (25 h 59 min)',
        },
      ]);
    } finally {
      lake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(['duckdb', 'athena'] as const)('malformed bursts by refusal time (%s SQL)', (dialect) => {
  it('counts refusals by when they were refused, whatever the device clock says, and none after the check', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'health-query-skew-'));
    const lake = LocalLake.open(dir, THERMOSTAT);
    try {
      const refusal = (thing_name: string, ts: number, received_at: number) => ({
        thing_name,
        ts,
        received_at,
        kind: 'malformed' as const,
        field: 'sound',
        code: 'wrong_type',
      });
      lake.appendSensorFaults([
        // A clock 3 h behind: five refusals in the last 10 min.
        ...[10, 8, 6, 4, 2].map((m) => refusal('skewed-1', AT - 180 * MIN - m * MIN, AT - m * MIN)),
        // Four before the check, a fifth refused after it: not yet a burst.
        ...[8, 6, 4, 2].map((m) => refusal('late-1', AT - m * MIN, AT - m * MIN)),
        refusal('late-1', AT - MIN, AT + MIN),
      ]);
      const sql = buildHealthQuery({ dialect, at: AT, config, signalSet: THERMOSTAT });
      const rows = parseHealthRows(await duckSelect(await lake.connect(), sql), signals);
      const report = classifyHealth(rows, { at: AT, config, signalSet: THERMOSTAT, reportId: 'r' });
      expect(report.unhealthy.filter((u) => u.kind === 'malformed').map((u) => [u.thingName, u.since])).toEqual([
        ['skewed-1', AT - 10 * MIN],
      ]);
    } finally {
      lake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
