import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../local/args';
import { faultFlags } from '../../local/commands/fault-flag';
import { simulateIntoLake } from '../../local/commands/simulate';
import { LocalLake } from '../../local/lake';
import { THERMOSTAT } from '../../telemetry/signals';
import { DEFAULT_SIM_START } from '../../telemetry/simulator';

/** `occupancy simulate --fault …` in batch: what reaches the lake's telemetry and sensor_faults tables. */

const AT = DEFAULT_SIM_START + 18 * 3_600_000; // the default: 6 h before the end of one day

describe('simulateIntoLake with faults', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sim-faults-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves silent and refused readings out of telemetry and writes the refused ones as sensor_faults rows', async () => {
    const faults = faultFlags(
      ['stuck:room-01', 'silent:room-02', 'out-of-range:room-03', 'malformed:room-04@2026-01-07T20:00Z'],
      4,
      1,
    );
    const summary = simulateIntoLake(dir, 4, 1, 1, DEFAULT_SIM_START, THERMOSTAT, undefined, faults);
    expect(summary.faults?.map((f) => [f.kind, f.thingName, f.at, f.withheld, f.refused])).toEqual([
      ['stuck', 'room-01', '2026-01-07T18:00:00.000Z', 0, 0],
      ['silent', 'room-02', '2026-01-07T18:00:00.000Z', 360, 0],
      ['out-of-range', 'room-03', '2026-01-07T18:00:00.000Z', 0, 180],
      ['malformed', 'room-04', '2026-01-07T20:00:00.000Z', 0, 120],
    ]);
    expect(summary.readings).toBe(4 * 1440 - 360 - 180 - 120);
    expect(summary.sensorFaults).toBe(300);

    const lake = LocalLake.open(dir);
    try {
      const c = await lake.connect();
      const rows = async (sql: string) =>
        (await c.runAndReadAll(sql)).getRows().map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
      expect(await rows(`SELECT count(*) FROM telemetry WHERE thing_name = 'room-02' AND ts >= ${AT}`)).toEqual([[0]]);
      expect(
        await rows(
          `SELECT count(DISTINCT sound), count(*) FROM telemetry WHERE thing_name = 'room-01' AND ts >= ${AT}`,
        ),
      ).toEqual([[1, 360]]);
      expect(
        await rows(`SELECT max(sound) <= 200, count(*) FROM telemetry WHERE thing_name = 'room-03' AND ts >= ${AT}`),
      ).toEqual([[true, 180]]);
      expect(
        await rows(
          'SELECT thing_name, kind, field, code, count(*), min(ts) >= min(received_at) FROM sensor_faults GROUP BY ALL ORDER BY 1',
        ),
      ).toEqual([
        ['room-03', 'out-of-range', 'sound', 'out_of_range', 180, true],
        ['room-04', 'malformed', 'sound', 'wrong_type', 120, true],
      ]);
    } finally {
      lake.close();
    }
  });

  it('refuses an unknown thing or kind as a usage error naming --fault', () => {
    expect(() => faultFlags(['stuck:room-05'], 4, 1)).toThrow(UsageError);
    expect(() => faultFlags(['stuck:room-05'], 4, 1)).toThrow(/^--fault: unknown thing "room-05"/);
    expect(() => faultFlags(['frozen:room-01'], 4, 1)).toThrow(/^--fault: unknown kind "frozen"/);
    expect(() => faultFlags(['stuck:room-01@2026-01-09T00:00Z'], 4, 1)).toThrow(/^--fault: time .* outside/);
  });
});
