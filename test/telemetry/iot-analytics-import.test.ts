import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importIntoLake } from '../../local/commands/import';
import { LocalLake } from '../../local/lake';
import { importIotAnalyticsCsv } from '../../telemetry/importers';
import { THERMOSTAT, UCI_OCCUPANCY } from '../../telemetry/signals';

/** Issue 14 defect 6 (local part): data exported from AWS IoT Analytics before its end of support → the lake. */
const FIXTURE = join(__dirname, '..', 'fixtures', 'iot-analytics', 'dataset-content.csv');
const NOW = Date.UTC(2026, 0, 10);
const T = Date.UTC(2025, 11, 1);

describe('importIotAnalyticsCsv on a dataset content export', () => {
  const result = importIotAnalyticsCsv(readFileSync(FIXTURE, 'utf8'), { now: NOW });

  it('imports the valid rows as readings of the signal set, ignoring received_at and __dt', () => {
    expect(result.signalSet).toBe(THERMOSTAT);
    expect(result.readings.map((r) => [r.thingName, r.ts])).toEqual([
      ['room-01', T],
      ['room-01', T + 60_000],
      ['room-02', T],
      ['room-04', T],
    ]);
    expect(result.readings[0]?.values).toEqual({
      temperature: 21.5,
      humidity: 38.2,
      sound: 12.5,
      hvac_status: 'HEATING',
    });
    expect(result.labels).toEqual([]);
  });

  it('rejects every other row with its line and a reason naming the field, as the other importers do', () => {
    expect(result.rejected.map((r) => [r.line, r.field])).toEqual([
      [5, 'sound'],
      [6, 'timestamp'],
      [7, 'timestamp'],
      [8, 'humidity'],
      [9, 'hvacStatus'],
    ]);
    expect(result.rejected[1]?.reason).toMatch(/epoch seconds instead of ms/);
    expect(result.readings.length + result.rejected.length).toBe(9);
  });

  it('takes columns by signal name or shadow key in any case, `timestamp` for the time, and --thing-name', () => {
    const text = ['"TIMESTAMP","Temperature","HUMIDITY","sound","hvacstatus"', `"${T}","21","40","5","OFF"`].join('\n');
    const only = importIotAnalyticsCsv(text, { now: NOW, thingName: 'room-09' });
    expect(only.readings).toEqual([
      { thingName: 'room-09', ts: T, values: { temperature: 21, humidity: 40, sound: 5, hvac_status: 'OFF' } },
    ]);
  });

  it('fails the whole file, naming the column, when the header lacks a signal, the time or the thing name', () => {
    const header = '"thing_name","ts","temperature","humidity","sound","hvac_status"';
    expect(() => importIotAnalyticsCsv(header.replace(',"sound"', ''))).toThrow(
      expect.objectContaining({ name: 'ImportFormatError', field: 'sound' }),
    );
    expect(() => importIotAnalyticsCsv(header.replace('"ts",', ''))).toThrow(
      expect.objectContaining({ name: 'ImportFormatError', field: 'ts' }),
    );
    expect(() => importIotAnalyticsCsv(header.replace('"thing_name",', ''))).toThrow(
      expect.objectContaining({ name: 'ImportFormatError', field: 'thing_name' }),
    );
    expect(() => importIotAnalyticsCsv(header, { signalSet: UCI_OCCUPANCY })).toThrow(/no light column/);
    expect(() => importIotAnalyticsCsv('')).toThrow(/empty/);
  });
});

describe('occupancy import --format iot-analytics-csv', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'iota-import-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lands the readings in the lake and reports the rejected rows by reason', async () => {
    const summary = await importIntoLake(dir, FIXTURE, 'iot-analytics-csv');
    expect(summary).toMatchObject({ format: 'iot-analytics-csv', signalSet: 'thermostat', imported: 4, labels: 0 });
    expect(summary.rejected).toBe(5);
    expect(summary.rejectedSample.map((r) => r.line)).toEqual([5, 6, 7, 8, 9]);
    const lake = LocalLake.open(dir);
    try {
      expect(await lake.count('telemetry')).toBe(4);
    } finally {
      lake.close();
    }
  });
});
