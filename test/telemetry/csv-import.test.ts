import { importGenericCsv, inferSignalSet, parseTimestampCell, snakeCase } from '../../telemetry/csv-import';
import { ImportFormatError } from '../../telemetry/errors';
import { parseSignalSet } from '../../telemetry/signal-set-schema';
import type { NumericSignal } from '../../telemetry/signals';

const NOW = Date.UTC(2026, 0, 1);
const opts = { timestamp: 'time', target: 'occ', fileName: '/data/Room 7.csv', now: NOW };

const CSV = [
  'time,CO2 (ppm),Light,mode,occ,note',
  '2024-01-01T00:00:00Z,400,10,auto,0,a',
  '2024-01-01 00:01:00,500,20,manual,1,b',
  '1704067320000,600,30,auto,true,c',
  '1704067380,700,40,auto,occupied,d',
  '2024-01-01T00:04:00+01:00,800,50,auto,empty,e',
  '2024-01-01T00:05:00Z,900,60,auto,maybe,f',
].join('\n');

describe('generic CSV importer', () => {
  it('infers numeric signals (snake_case, unit unknown, range widened by half the span, rounded outward) and enum signals', () => {
    const rows = CSV.split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const header = CSV.split('\n')[0]?.split(',') ?? [];
    const { set, skipped } = inferSignalSet(header, rows, [1, 2, 3, 5], 'Room 7.csv');
    expect(set.id).toBe('room-7');
    const co2 = set.signals[0] as NumericSignal;
    expect(co2).toEqual({ name: 'co2_ppm', kind: 'numeric', unit: 'unknown', min: 100, max: 1200 });
    expect(set.signals[1]).toMatchObject({ name: 'light', kind: 'numeric', min: -20, max: 90 });
    expect(set.signals[2]).toEqual({ name: 'mode', kind: 'enum', values: ['auto', 'manual'] });
    expect(set.signals[3]).toMatchObject({ name: 'note', kind: 'enum' });
    expect(skipped).toEqual([]);
    expect(parseSignalSet(JSON.parse(JSON.stringify(set)), 'inferred')).toEqual(set);
  });

  it('names signals in snake_case', () => {
    expect(['HumidityRatio', 'CO2 (ppm)', 'S1_Temp', '2nd floor'].map(snakeCase)).toEqual([
      'humidity_ratio',
      'co2_ppm',
      's1_temp',
      'c_2nd_floor',
    ]);
  });

  it('keeps a numeric column with NA gaps numeric and rejects the gap rows naming the signal', () => {
    const text = 'time,v,occ\n2024-01-01T00:00:00Z,1,0\n2024-01-01T00:01:00Z,NA,1\n2024-01-01T00:02:00Z,3,1\n';
    const result = importGenericCsv(text, opts);
    expect(result.signalSet.signals[0]).toMatchObject({ name: 'v', kind: 'numeric' });
    expect(result.readings).toHaveLength(2);
    expect(result.rejected).toEqual([{ line: 3, field: 'v', reason: 'v: not a number, got "NA"' }]);
  });

  it('skips a high-cardinality text column with a reason', () => {
    const header = ['id', 'v'];
    const rows = Array.from({ length: 30 }, (_, i) => [`x${i}`, String(i)]);
    const { set, skipped } = inferSignalSet(header, rows, [0, 1], 'f.csv');
    expect(set.signals.map((s) => s.name)).toEqual(['v']);
    expect(skipped[0]?.column).toBe('id');
    expect(skipped[0]?.reason).toContain('30 distinct values');
  });

  it('parses the documented timestamp and target forms; rejects others naming the column', () => {
    const result = importGenericCsv(CSV, opts);
    expect(result.readings.map((r) => r.ts)).toEqual([
      Date.UTC(2024, 0, 1, 0, 0),
      Date.UTC(2024, 0, 1, 0, 1),
      Date.UTC(2024, 0, 1, 0, 2),
      Date.UTC(2024, 0, 1, 0, 3),
      Date.UTC(2023, 11, 31, 23, 4),
    ]);
    expect(result.labels.map((l) => l.occupied)).toEqual([false, true, true, true, false]);
    expect(result.readings[0]?.thingName).toBe('Room-7');
    expect(result.rejected).toEqual([{ line: 7, field: 'occ', reason: expect.stringContaining('got "maybe"') }]);
    expect(() => parseTimestampCell('01/02/2024', 'time')).toThrow(/time: expected ISO-8601/);
  });

  it('with a signal set, maps columns by name or reportedKey and rejects rows out of range', () => {
    const set = parseSignalSet(
      {
        id: 'mine',
        description: 'd',
        signals: [{ name: 'co2', kind: 'numeric', unit: 'ppm', min: 0, max: 750, reportedKey: 'CO2_ppm' }],
      },
      'mine.json',
    );
    const text = 'time,dev,CO2_ppm,occ\n2024-01-01T00:00:00Z,a,400,1\n2024-01-01T00:01:00Z,b,900,0\n';
    const result = importGenericCsv(text, { ...opts, device: 'dev', signalSet: set });
    expect(result.inferred).toBe(false);
    expect(result.readings.map((r) => r.thingName)).toEqual(['a']);
    expect(result.rejected[0]).toMatchObject({ line: 3, field: 'CO2_ppm' });
  });

  it('names a missing column and lists the header; ignores an unnamed row-id column', () => {
    expect(() => importGenericCsv(CSV, { ...opts, target: 'Occupancy' })).toThrow(ImportFormatError);
    expect(() => importGenericCsv(CSV, { ...opts, target: 'Occupancy' })).toThrow(
      '--target: no column "Occupancy" in the header (columns: time, CO2 (ppm), Light, mode, occ, note)',
    );
    const withId = importGenericCsv('"",time,v,occ\n1,2024-01-01T00:00:00Z,1,0\n2,2024-01-01T00:01:00Z,2,1\n', opts);
    expect(withId.signalSet.signals.map((s) => s.name)).toEqual(['v']);
    expect(withId.readings).toHaveLength(2);
  });
});
