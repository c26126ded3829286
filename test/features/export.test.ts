import {
  buildExportQuery,
  buildFeatureQuery,
  buildFeatureSpec,
  buildSplitQuery,
  featureNames,
  type SplitOptions,
  SqlGenerationError,
} from '../../features';
import type { LabelEvent, Reading } from '../../telemetry/reading';
import { THERMOSTAT } from '../../telemetry/signals';
import { type LakeRecord, loadLabels, loadTelemetry, memoryDuckDb, queryRows } from './helpers';

const spec = buildFeatureSpec(THERMOSTAT);
const T0 = Date.UTC(2024, 2, 4, 9, 0, 0); // a Monday morning
const minute = 60_000;

const reading = (thingName: string, minutes: number, sound: number): Reading => ({
  thingName,
  ts: T0 + minutes * minute,
  values: { temperature: 21, humidity: 40, sound, hvac_status: 'OFF' },
});
const at = (r: Reading, receivedAfterMs = 100): LakeRecord => ({ reading: r, receivedAt: r.ts + receivedAfterMs });
const label = (thingName: string, minutes: number, occupied: boolean): LabelEvent => ({
  thingName,
  ts: T0 + minutes * minute,
  occupied,
});

/** Two rooms, hand-built so every expected answer below can be worked out on paper. */
const TELEMETRY: LakeRecord[] = [
  at(reading('room-a', 0, 5)), // before room-a's first label: excluded
  at(reading('room-a', 10, 20)),
  at(reading('room-a', 10, 99), 50), // redelivery received earlier: loses to the copy above
  at(reading('room-a', 20, 30)), // label at exactly 20 min is in force
  at(reading('room-a', 30, 8)),
  at(reading('room-a', 40, 12)),
  at(reading('room-b', 40, 3)),
  at(reading('room-b', 10, 2)), // arrives out of order
].reverse();
const LABELS: LabelEvent[] = [
  label('room-a', 5, true),
  label('room-a', 20, false),
  label('room-a', 35, true),
  label('room-b', -60, false),
  label('room-b', 25, false),
  label('room-b', 25, true), // conflicting labels at one instant: occupied wins
  label('room-c', 0, true), // a device without telemetry: no rows
];

async function withLake<T>(
  run: (query: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>,
): Promise<T> {
  const db = await memoryDuckDb();
  try {
    await loadTelemetry(db.connection, THERMOSTAT, TELEMETRY);
    await loadLabels(db.connection, LABELS);
    return await run((sql) => queryRows(db.connection, sql));
  } finally {
    db.close();
  }
}

const key = (row: Record<string, unknown>): string => `${String(row.thing_name)}@${(Number(row.ts) - T0) / minute}`;

describe('buildExportQuery on DuckDB', () => {
  test('joins the label in force at each reading and drops readings before a device first label', async () => {
    const split: SplitOptions = { kind: 'cutoffs', validationStart: T0 + 20 * minute, holdoutStart: T0 + 40 * minute };
    const rows = await withLake((query) => query(buildExportQuery(spec, { dialect: 'duckdb', split })));
    expect(rows.map((r) => [key(r), r.occupied])).toEqual([
      ['room-a@10', 1],
      ['room-a@20', 0],
      ['room-a@30', 0],
      ['room-a@40', 1],
      ['room-b@10', 0],
      ['room-b@40', 1],
    ]);
    expect(Object.keys(rows[0] ?? {})).toEqual(['thing_name', 'ts', 'split', ...featureNames(spec), 'occupied']);
    // The redelivered copy with sound 99 was received earlier and is not the one kept.
    expect(rows.find((r) => key(r) === 'room-a@10')?.sound).toBe(20);
    // Features are computed on the whole device stream, including the unlabelled first reading.
    expect(rows.find((r) => key(r) === 'room-a@10')?.sound_delta).toBe(15);
  });

  test('cutoff split: train before validationStart, holdout from holdoutStart', async () => {
    const split: SplitOptions = { kind: 'cutoffs', validationStart: T0 + 20 * minute, holdoutStart: T0 + 40 * minute };
    const rows = await withLake((query) => query(buildExportQuery(spec, { dialect: 'duckdb', split })));
    expect(rows.map((r) => [key(r), r.split])).toEqual([
      ['room-a@10', 'train'],
      ['room-a@20', 'validation'],
      ['room-a@30', 'validation'],
      ['room-a@40', 'holdout'],
      ['room-b@10', 'train'],
      ['room-b@40', 'holdout'],
    ]);
  });

  test('fraction split is by time over the whole fleet, equal timestamps on the same side', async () => {
    // Labelled rows by time: 10,10,20,30,40,40 → percent_rank 0,0,.4,.6,.8,.8
    const split: SplitOptions = { kind: 'fractions', train: 0.5, validation: 0.2 };
    const rows = await withLake((query) => query(buildExportQuery(spec, { dialect: 'duckdb', split })));
    expect(rows.map((r) => [key(r), r.split])).toEqual([
      ['room-a@10', 'train'],
      ['room-a@20', 'train'],
      ['room-a@30', 'validation'],
      ['room-a@40', 'holdout'],
      ['room-b@10', 'train'],
      ['room-b@40', 'holdout'],
    ]);
  });

  test('buildSplitQuery returns only the features and target of one split, ordered by time', async () => {
    const options = { dialect: 'duckdb' as const, split: { kind: 'fractions' as const, train: 0.5, validation: 0.2 } };
    const [train, holdout] = await withLake(async (query) => [
      await query(buildSplitQuery(spec, options, 'train')),
      await query(buildSplitQuery(spec, options, 'holdout')),
    ]);
    expect(Object.keys(train?.[0] ?? {})).toEqual([...featureNames(spec), 'occupied']);
    // Ordered by ts then thing_name: a@10, b@10, a@20.
    expect(train?.map((r) => [r.sound, r.occupied])).toEqual([
      [20, 1],
      [2, 0],
      [30, 0],
    ]);
    expect(holdout?.map((r) => [r.sound, r.occupied])).toEqual([
      [12, 1],
      [3, 1],
    ]);
  });

  test('the feature query covers every deduplicated reading, labelled or not', async () => {
    const rows = await withLake((query) => query(buildFeatureQuery(spec, { dialect: 'duckdb' })));
    expect(rows.map(key)).toEqual([
      'room-a@0',
      'room-a@10',
      'room-a@20',
      'room-a@30',
      'room-a@40',
      'room-b@10',
      'room-b@40',
    ]);
    // Sound 5 → 20 → 30 → 8 → 12 around level 10: crossings at 10, 30 and 40 minutes.
    expect(rows.filter((r) => r.thing_name === 'room-a').map((r) => r.sound_secs_since_cross)).toEqual([
      0, 0, 600, 0, 0,
    ]);
    for (const row of rows) {
      for (const name of featureNames(spec)) expect(row[name]).not.toBeNull();
    }
  });

  test('custom table names are quoted, and unsafe ones rejected naming the option', () => {
    const split: SplitOptions = { kind: 'fractions', train: 0.7, validation: 0.15 };
    const sql = buildExportQuery(spec, {
      dialect: 'athena',
      telemetryTable: 'occupancy_lake.telemetry',
      labelsTable: 'occupancy_lake.labels',
      split,
    });
    expect(sql).toContain('FROM "occupancy_lake"."telemetry"');
    expect(sql).toContain('FROM "occupancy_lake"."labels"');
    for (const bad of ['t; DROP TABLE x', 'a"b', 'x.y.z.w', '', '1abc', "t' OR 1=1"]) {
      expect(() => buildFeatureQuery(spec, { dialect: 'duckdb', telemetryTable: bad })).toThrow(
        expect.objectContaining({ name: 'SqlGenerationError', field: 'telemetryTable' }),
      );
      expect(() => buildExportQuery(spec, { dialect: 'athena', labelsTable: bad, split })).toThrow(
        expect.objectContaining({ field: 'labelsTable' }),
      );
    }
  });

  test.each([
    [{ kind: 'fractions', train: 0, validation: 0.1 }, 'split.train'],
    [{ kind: 'fractions', train: 0.9, validation: 0.1 }, 'split.validation'],
    [{ kind: 'fractions', train: 0.5, validation: -0.1 }, 'split.validation'],
    [{ kind: 'fractions', train: Number.NaN, validation: 0.1 }, 'split.train'],
    [{ kind: 'cutoffs', validationStart: 2000, holdoutStart: 1000 }, 'split.holdoutStart'],
    [{ kind: 'cutoffs', validationStart: 1.5, holdoutStart: 1000 }, 'split.validationStart'],
  ] as [SplitOptions, string][])('rejects split %j naming %s', (split, field) => {
    expect(() => buildExportQuery(spec, { dialect: 'duckdb', split })).toThrow(SqlGenerationError);
    expect(() => buildExportQuery(spec, { dialect: 'duckdb', split })).toThrow(expect.objectContaining({ field }));
  });

  test('rejects an unknown split name and an unknown dialect', () => {
    const split: SplitOptions = { kind: 'fractions', train: 0.7, validation: 0.15 };
    expect(() => buildSplitQuery(spec, { dialect: 'duckdb', split }, 'test' as 'train')).toThrow(
      expect.objectContaining({ field: 'split' }),
    );
    expect(() => buildFeatureQuery(spec, { dialect: 'mysql' as 'duckdb' })).toThrow(
      expect.objectContaining({ field: 'dialect' }),
    );
  });
});
