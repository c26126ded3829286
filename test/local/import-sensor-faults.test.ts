import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importIntoLake } from '../../local/commands/import';
import { LocalLake } from '../../local/lake';

/**
 * `occupancy import` records refused readings as sensor_faults rows when they name a valid thing and carry a valid
 * timestamp (what the inference Lambda records on AWS), so imported history feeds the sensor health check too.
 */

const T0 = Date.UTC(2026, 0, 5, 8);
const reading = (thingName: string, ts: unknown, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ thingName, timestamp: ts, temperature: 21, humidity: 40, sound: 5, hvacStatus: 'OFF', ...extra });

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'import-faults-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('records out-of-range and malformed refusals with a valid thing and time; the others are only rejected', async () => {
  const file = join(dir, 'mixed.ndjson');
  writeFileSync(
    file,
    [
      reading('room-01', T0),
      reading('room-01', T0 + 60_000, { sound: 999 }), // out of range
      reading('room-02', T0 + 120_000, { temperature: 'warm' }), // malformed
      reading('room-02', T0 + 180_000.5), // bad timestamp: no trusted time, not recorded
      reading('bad name!', T0 + 240_000, { sound: 999 }), // not a thing name: not recorded
      '{not json',
    ].join('\n'),
  );
  const stateDir = join(dir, 'state');
  const summary = await importIntoLake(stateDir, file, 'ndjson');
  expect(summary).toMatchObject({ imported: 1, rejected: 5, sensorFaults: 2 });
  const lake = LocalLake.open(stateDir);
  try {
    const connection = await lake.connect();
    const rows = (
      await connection.runAndReadAll('SELECT thing_name, ts, kind, field, code FROM sensor_faults ORDER BY ts')
    )
      .getRows()
      .map((r) => [r[0], Number(r[1]), r[2], r[3], r[4]]);
    expect(rows).toEqual([
      ['room-01', T0 + 60_000, 'out-of-range', 'sound', 'out_of_range'],
      ['room-02', T0 + 120_000, 'malformed', 'temperature', 'wrong_type'],
    ]);
  } finally {
    lake.close();
  }
});

it('adds no fault when the import as a whole is refused (all or nothing)', async () => {
  const file = join(dir, 'all-bad.ndjson');
  writeFileSync(file, `${reading('room-01', T0, { sound: 999 })}\n`);
  const stateDir = join(dir, 'state-bad');
  await expect(importIntoLake(stateDir, file, 'ndjson')).rejects.toThrow(/none of its 1 data rows/);
  expect(LocalLake.exists(stateDir)).toBe(false);
});
