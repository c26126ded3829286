import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImportFormatError } from '../../telemetry/errors';
import { importNdjson, importUciOccupancy, importUciRoomOccupancy } from '../../telemetry/importers';
import { THERMOSTAT, UCI_OCCUPANCY, UCI_ROOM_OCCUPANCY } from '../../telemetry/signals';
import { UCI_OCCUPANCY_DIR } from '../fixtures/uci-occupancy';

const DATA_DIR = UCI_OCCUPANCY_DIR;
const readData = (file: string): string => readFileSync(join(DATA_DIR, file), 'utf8');
const NOW = Date.UTC(2026, 0, 10);

describe('importUciOccupancy on the real UCI Occupancy Detection files', () => {
  it('imports datatraining.txt (quoted dates): 8143 readings, 0 rejected, 1729 occupied', () => {
    const result = importUciOccupancy(readData('datatraining.txt'));
    expect(result.signalSet).toBe(UCI_OCCUPANCY);
    expect(result.readings).toHaveLength(8143);
    expect(result.rejected).toEqual([]);
    expect(result.labels).toHaveLength(8143);
    expect(result.labels.filter((l) => l.occupied)).toHaveLength(1729);
    expect(result.readings[0]).toEqual({
      thingName: 'uci-office',
      ts: Date.UTC(2015, 1, 4, 17, 51, 0),
      values: { temperature: 23.18, humidity: 27.272, light: 426, co2: 721.25, humidity_ratio: 0.00479298817650529 },
    });
    expect(result.labels[0]).toEqual({ thingName: 'uci-office', ts: Date.UTC(2015, 1, 4, 17, 51, 0), occupied: true });
  });

  it('imports datatest2.txt (unquoted dates): 9752 readings, 2049 occupied, under a chosen thing name', () => {
    const result = importUciOccupancy(readData('datatest2.txt'), { thingName: 'office-2' });
    expect(result.readings).toHaveLength(9752);
    expect(result.rejected).toEqual([]);
    expect(result.labels.filter((l) => l.occupied)).toHaveLength(2049);
    expect(result.readings[0]?.ts).toBe(Date.UTC(2015, 1, 11, 14, 48, 0));
    expect(new Set(result.readings.map((r) => r.thingName))).toEqual(new Set(['office-2']));
  });

  it('rejects malformed rows with their line and a reason naming the field, dropping nothing', () => {
    const text = [
      '"date","Temperature","Humidity","Light","CO2","HumidityRatio","Occupancy"',
      '"1","2015-02-04 17:51:00",23.18,27.272,426,721.25,0.0047929,1',
      '"2","2015-02-30 17:52:00",23.18,27.272,426,721.25,0.0047929,1',
      '"3","2015-02-04 17:53:00",23.18,,426,721.25,0.0047929,1',
      '"4","2015-02-04 17:54:00",23.18,27.272,lots,721.25,0.0047929,0',
      '"5","2015-02-04 17:55:00",23.18,127.5,426,721.25,0.0047929,0',
      '"6","2015-02-04 17:56:00",23.18,27.272,426,721.25,0.0047929,2',
      '"7","04/02/2015 17:57",23.18,27.272,426,721.25,0.0047929,0',
      '"8","2015-02-04 17:58:00",23.18,27.272',
      '',
      '2015-02-04 17:59:00,23.2,27.3,0,700,0.0048,0',
    ].join('\r\n');
    const result = importUciOccupancy(text, { now: NOW });
    expect(result.rejected.map((r) => [r.line, r.field])).toEqual([
      [3, 'date'],
      [4, 'humidity'],
      [5, 'light'],
      [6, 'humidity'],
      [7, 'occupancy'],
      [8, 'date'],
      [9, '$'],
    ]);
    for (const r of result.rejected) expect(r.reason.length).toBeGreaterThan(5);
    expect(result.rejected[3]?.reason).toBe('humidity: out of physical range [0, 100], got 127.5');
    expect(result.rejected[2]?.reason).toContain('"lots"');
    // The row without a row id (line 11) is read too; the blank line is not a data row.
    expect(result.readings.map((r) => r.ts)).toEqual([Date.UTC(2015, 1, 4, 17, 51), Date.UTC(2015, 1, 4, 17, 59)]);
    expect(result.readings.length + result.rejected.length).toBe(9);
  });

  it('fails the whole file when the header is not UCI Occupancy', () => {
    expect(() => importUciOccupancy('Date,Time,S1_Temp\n2017/12/22,10:49:41,24.94\n')).toThrow(ImportFormatError);
    expect(() => importUciOccupancy('')).toThrow(ImportFormatError);
    expect(() => importUciOccupancy(readData('datatest.txt'), { thingName: 'bad name' })).toThrow(
      expect.objectContaining({ field: 'thingName' }),
    );
  });
});

const ROOM_HEADER =
  'Date,Time,S1_Temp,S2_Temp,S3_Temp,S4_Temp,S1_Light,S2_Light,S3_Light,S4_Light,S1_Sound,S2_Sound,S3_Sound,S4_Sound,S5_CO2,S5_CO2_Slope,S6_PIR,S7_PIR,Room_Occupancy_Count';

describe('importUciRoomOccupancy', () => {
  const sample = [
    ROOM_HEADER,
    '2017/12/22,10:49:41,24.94,24.75,24.56,25.38,121,34,53,40,0.08,0.19,0.06,0.06,390,0.769230769,0,0,1',
    '2017/12/22,10:50:12,24.94,24.75,24.56,25.44,121,33,53,40,0.93,0.05,0.06,0.06,390,0.646153846,0,0,0',
    '2017/12/22,10:50:42,24.94,24.75,24.5,25.44,121,34,53,40,0.43,0.11,0.08,0.06,390,0.519230769,0,0,3',
    '2017/12/22,10:51:13,24.94,24.75,24.56,25.44,121,34,53,40,0.41,0.1,0.1,0.09,390,0.388461538,0,2,1',
    '2017/12/22,10:51:44,24.94,,24.56,25.44,121,34,53,40,0.18,0.06,0.06,0.08,390,0.253846154,0,0,1',
    '2017/12/32,10:52:14,24.94,24.75,24.56,25.44,121,34,53,40,0.13,0.06,0.06,0.08,390,0.165384615,0,0,1',
    '2017/12/22,10h52,24.94,24.75,24.56,25.44,121,34,53,40,0.13,0.06,0.06,0.08,390,0.165384615,0,0,1',
    '2017/12/22,10:53:15,24.94,24.75,24.56,25.44,121,34,53,40,0.13,0.06,0.06,0.08,390,0.1,0,0,-1',
    '2017/12/22,10:53:46,24.94,24.75,24.56,25.44,121,34,53,40,0.13,0.06,0.06,0.08,390,0.1,0,0',
    '2017/12/22,10:54:16,24.94,24.75,24.56,25.44,121,34,53,40,12.5,0.06,0.06,0.08,390,0.1,0,0,0',
  ].join('\n');

  it('imports valid rows (occupied = count > 0) and rejects each malformed one with its reason', () => {
    const result = importUciRoomOccupancy(sample, { now: NOW });
    expect(result.signalSet).toBe(UCI_ROOM_OCCUPANCY);
    expect(result.readings).toHaveLength(3);
    expect(result.labels.map((l) => l.occupied)).toEqual([true, false, true]);
    expect(result.readings[0]).toMatchObject({
      thingName: 'uci-room',
      ts: Date.UTC(2017, 11, 22, 10, 49, 41),
      values: { s1_temp: 24.94, s4_light: 40, s1_sound: 0.08, s5_co2: 390, s5_co2_slope: 0.769230769, s7_pir: 0 },
    });
    expect(Object.keys(result.readings[0]?.values ?? {})).toHaveLength(UCI_ROOM_OCCUPANCY.signals.length);
    expect(result.rejected.map((r) => [r.line, r.field])).toEqual([
      [5, 's7_pir'],
      [6, 's2_temp'],
      [7, 'date'],
      [8, 'time'],
      [9, 'room_occupancy_count'],
      [10, '$'],
      [11, 's1_sound'],
    ]);
    expect(result.rejected[0]?.reason).toBe('s7_pir: out of physical range [0, 1], got 2');
    expect(result.rejected[4]?.reason).toContain('non-negative integer');
    expect(result.readings.length + result.rejected.length).toBe(10);
  });

  it('fails the whole file when a required column is missing', () => {
    const noCount = sample.replace(',Room_Occupancy_Count', '');
    expect(() => importUciRoomOccupancy(noCount)).toThrow(
      expect.objectContaining({ name: 'ImportFormatError', field: 'Room_Occupancy_Count' }),
    );
  });
});

describe('importNdjson', () => {
  const line = (extra: Record<string, unknown>): string =>
    JSON.stringify({
      thingName: 'room-07',
      timestamp: Date.UTC(2026, 0, 5, 9, 0),
      temperature: 21,
      humidity: 35,
      sound: 14,
      hvacStatus: 'FAN',
      ...extra,
    });

  it('reads reports, adds a label when a line carries `occupied`, and rejects bad lines with reasons', () => {
    const text = [
      line({ occupied: true }),
      line({ timestamp: Date.UTC(2026, 0, 5, 9, 1) }),
      '',
      '{"thingName": "room-07",',
      line({ sound: 'loud' }),
      line({ occupied: 'yes' }),
      line({ hvacStatus: 'TURBO' }),
      line({ timestamp: Date.UTC(2026, 0, 5, 9, 2), occupied: false }),
      '[]',
    ].join('\n');
    const result = importNdjson(text, THERMOSTAT, { now: NOW });
    expect(result.signalSet).toBe(THERMOSTAT);
    expect(result.readings.map((r) => r.ts)).toEqual([
      Date.UTC(2026, 0, 5, 9, 0),
      Date.UTC(2026, 0, 5, 9, 1),
      Date.UTC(2026, 0, 5, 9, 2),
    ]);
    expect(result.readings[0]?.values).toEqual({ temperature: 21, humidity: 35, sound: 14, hvac_status: 'FAN' });
    expect(result.labels).toEqual([
      { thingName: 'room-07', ts: Date.UTC(2026, 0, 5, 9, 0), occupied: true },
      { thingName: 'room-07', ts: Date.UTC(2026, 0, 5, 9, 2), occupied: false },
    ]);
    expect(result.rejected.map((r) => [r.line, r.field])).toEqual([
      [4, '$'],
      [5, 'sound'],
      [6, 'occupied'],
      [7, 'hvacStatus'],
      [9, '$'],
    ]);
    expect(result.rejected[1]?.reason).toMatch(/^sound: /);
  });

  it('rejects an oversized line before parsing it', () => {
    const result = importNdjson(line({ note: 'x'.repeat(10_000) }), THERMOSTAT, { now: NOW });
    expect(result.readings).toEqual([]);
    expect(result.rejected).toEqual([expect.objectContaining({ line: 1, field: '$' })]);
    expect(result.rejected[0]?.reason).toContain('limit is 8192');
  });
});
