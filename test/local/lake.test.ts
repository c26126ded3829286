import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LakeError, LocalLake } from '../../local/lake';
import type { Reading } from '../../telemetry/reading';
import { THERMOSTAT, UCI_OCCUPANCY } from '../../telemetry/signals';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5, 23, 58);

const reading = (thingName: string, ts: number, sound: number): Reading => ({
  thingName,
  ts,
  values: { temperature: 21, humidity: 40, sound, hvac_status: 'OFF' },
});

describe('LocalLake', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lake-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('partitions appended telemetry by day and queries it through DuckDB views', async () => {
    const lake = LocalLake.open(dir, THERMOSTAT);
    const summary = lake.appendReadings([reading('room-01', T0, 5), reading('room-01', T0 + 3 * 60_000, 30)], 1_000);
    expect(summary).toEqual({ rows: 2, files: 2 });
    expect(readdirSync(join(dir, 'lake', 'telemetry')).sort()).toEqual(['dt=2026-01-05', 'dt=2026-01-06']);
    lake.appendLabels([{ thingName: 'room-01', ts: T0, occupied: true }]);
    const connection = await lake.connect();
    const rows = (
      await connection.runAndReadAll('SELECT thing_name, ts, sound, hvac_status FROM telemetry ORDER BY ts')
    )
      .getRows()
      .map((r) => [r[0], Number(r[1]), r[2], r[3]]);
    expect(rows).toEqual([
      ['room-01', T0, 5, 'OFF'],
      ['room-01', T0 + 3 * 60_000, 30, 'OFF'],
    ]);
    expect(await lake.count('labels')).toBe(1);
    lake.close();
  });

  it('takes one received_at per reading (the rule time of each message), refusing a reading without one', async () => {
    const lake = LocalLake.open(dir, THERMOSTAT);
    lake.appendReadings([reading('room-01', T0, 5), reading('room-01', T0 + 1, 6)], [T0 + 10, T0 + 20]);
    const connection = await lake.connect();
    const rows = (await connection.runAndReadAll('SELECT received_at FROM telemetry ORDER BY ts')).getRows();
    expect(rows.map((r) => Number(r[0]))).toEqual([T0 + 10, T0 + 20]);
    expect(() => lake.appendReadings([reading('room-01', T0 + 2, 7)], [])).toThrow(/No received_at for reading 0/);
    lake.close();
  });

  it('sees data appended after the first query', async () => {
    const lake = LocalLake.open(dir);
    expect(await lake.count('telemetry')).toBe(0);
    lake.appendReadings([reading('room-02', T0 + DAY, 1)]);
    expect(await lake.count('telemetry')).toBe(1);
    lake.close();
  });

  it('keeps the signal set it was created with and refuses another', () => {
    const created = LocalLake.open(dir, THERMOSTAT);
    created.appendLabels([{ thingName: 'room-01', ts: T0, occupied: true }]);
    created.close();
    expect(LocalLake.open(dir).signalSet.id).toBe('thermostat');
    expect(() => LocalLake.open(dir, UCI_OCCUPANCY)).toThrow(LakeError);
    expect(() => LocalLake.open(dir, UCI_OCCUPANCY)).toThrow(/holds signal set "thermostat"/);
  });

  it('records the set with its first commit: an opened lake that never received data is no lake', () => {
    LocalLake.open(dir, THERMOSTAT).close();
    expect(LocalLake.exists(dir)).toBe(false);
    expect(LocalLake.open(dir, UCI_OCCUPANCY).signalSet.id).toBe('uci-occupancy');
  });

  it('refuses a reading that lacks a signal of the set, naming it', () => {
    const lake = LocalLake.open(dir, THERMOSTAT);
    const partial: Reading = { thingName: 'room-01', ts: T0, values: { temperature: 20, humidity: 40, sound: 3 } };
    expect(() => lake.appendReadings([partial])).toThrow(/lacks signal "hvac_status"/);
  });
});
