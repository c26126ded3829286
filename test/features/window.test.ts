import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  ALL_HISTORY_START_DAY,
  buildExportQuery,
  buildFeatureSpec,
  buildTrainingWindowQuery,
  type ExportQueryOptions,
  SqlGenerationError,
  WINDOW_START_PLACEHOLDER,
} from '../../features';
import type { LabelEvent } from '../../telemetry/reading';
import { THERMOSTAT } from '../../telemetry/signals';
import { type LakeRecord, loadLabels, loadTelemetry, memoryDuckDb, queryRows, seededRandom } from './helpers';

const spec = buildFeatureSpec(THERMOSTAT);
const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);
const split = { kind: 'cutoffs', validationStart: START + 6 * DAY, holdoutStart: START + 8 * DAY } as const;
const utcDay = (ts: number): string => new Date(ts).toISOString().slice(0, 10);

/** Ten days of two rooms (a reading every ~10 min, 2% redelivered), a label every six hours: tables as the lake's
 * views, `dt` the UTC day of `ts`. */
async function loadLake(connection: DuckDBConnection): Promise<void> {
  const random = seededRandom(3);
  const records: LakeRecord[] = [];
  for (const thingName of ['room-00', 'room-01']) {
    for (
      let ts = START + Math.floor(random() * 600_000);
      ts < START + 10 * DAY;
      ts += 1 + Math.floor(random() * 1_200_000)
    ) {
      const values = { temperature: 20 + random(), humidity: 40, sound: random() * 20, hvac_status: 'OFF' };
      records.push({ reading: { thingName, ts, values }, receivedAt: ts + 100 });
      if (random() < 0.02)
        records.push({ reading: { thingName, ts, values: { ...values, sound: 3 } }, receivedAt: ts + 50 });
    }
  }
  const labels: LabelEvent[] = [];
  for (let t = START; t < START + 10 * DAY; t += 6 * 3_600_000) {
    for (const thingName of ['room-00', 'room-01']) labels.push({ thingName, ts: t, occupied: (t / DAY) % 2 < 1 });
  }
  await loadTelemetry(connection, THERMOSTAT, records, 'telemetry_rows');
  await loadLabels(connection, labels);
  await connection.run('ALTER TABLE labels RENAME TO label_rows');
  const dt = "strftime(make_timestamp(ts * 1000), '%Y-%m-%d')";
  await connection.run(`CREATE TABLE telemetry AS SELECT *, ${dt} AS dt FROM telemetry_rows`);
  await connection.run(`CREATE TABLE labels AS SELECT *, ${dt} AS dt FROM label_rows`);
}

async function windowStart(connection: DuckDBConnection, days: number): Promise<string> {
  const rows = await queryRows(connection, buildTrainingWindowQuery({ dialect: 'athena', days }));
  expect(rows).toHaveLength(1);
  return String(rows[0]?.window_start);
}

describe('training window', () => {
  test('the window query (Athena text, as LocalAthena runs it on DuckDB) ends on the newest labelled day', async () => {
    const db = await memoryDuckDb();
    try {
      await db.connection.run('CREATE TABLE labels (thing_name VARCHAR, ts BIGINT, occupied BOOLEAN, dt VARCHAR)');
      expect(await windowStart(db.connection, 7)).toBe(ALL_HISTORY_START_DAY); // no label yet: all history
      await db.connection.run(`INSERT INTO labels VALUES
        ('a', 0, true, '2024-02-27'), ('a', 0, true, '2024-03-01'), ('b', 0, NULL, '2024-03-09')`);
      expect(await windowStart(db.connection, 1)).toBe('2024-03-01'); // a NULL label does not count
      expect(await windowStart(db.connection, 3)).toBe('2024-02-28'); // across a leap day
      expect(await windowStart(db.connection, 0)).toBe(ALL_HISTORY_START_DAY);
    } finally {
      db.close();
    }
  });

  test('a windowed export equals the export of the lake without the days before the window', async () => {
    const db = await memoryDuckDb();
    try {
      await loadLake(db.connection);
      const startDay = await windowStart(db.connection, 5);
      expect(startDay).toBe(utcDay(START + 5 * DAY));
      const windowed = await queryRows(
        db.connection,
        buildExportQuery(spec, { dialect: 'duckdb', split, window: { startDay } }),
      );
      await db.connection.run(`DELETE FROM telemetry WHERE dt < '${startDay}'`);
      await db.connection.run(`DELETE FROM labels WHERE dt < '${startDay}'`);
      const trimmed = await queryRows(db.connection, buildExportQuery(spec, { dialect: 'duckdb', split }));
      expect(windowed.length).toBeGreaterThan(500);
      expect(windowed).toEqual(trimmed);
      expect(Math.min(...windowed.map((r) => Number(r.ts)))).toBeGreaterThanOrEqual(START + 5 * DAY);
    } finally {
      db.close();
    }
  });

  test('a partition outside the window is not read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'window-prune-'));
    const db = await memoryDuckDb();
    try {
      await loadLake(db.connection);
      for (const table of ['telemetry', 'labels']) {
        await db.connection.run(
          `COPY ${table} TO '${join(dir, table)}' (FORMAT PARQUET, PARTITION_BY (dt), FILENAME_PATTERN 'part-{i}')`,
        );
        // The second day's files are torn, and a torn partition is added before the window: reading any of them
        // fails the query. (The first day stays whole: DuckDB takes the view's schema from the first file.)
        for (const file of readdirSync(join(dir, table, `dt=${utcDay(START + DAY)}`))) {
          writeFileSync(join(dir, table, `dt=${utcDay(START + DAY)}`, file), 'PAR1 not a parquet file');
        }
        writeFileSync(join(dir, table, `dt=${utcDay(START + 2 * DAY)}`, 'part-torn.parquet'), 'torn');
        await db.connection.run(`CREATE VIEW ${table}_lake AS SELECT * FROM read_parquet('${join(dir, table)}/*/*.parquet',
          hive_partitioning = true, hive_types = {'dt': VARCHAR})`);
      }
      const options = (window?: { startDay: string }): ExportQueryOptions => ({
        dialect: 'duckdb',
        telemetryTable: 'telemetry_lake',
        labelsTable: 'labels_lake',
        split,
        ...(window ? { window } : {}),
      });
      const startDay = utcDay(START + 3 * DAY);
      const rows = await queryRows(db.connection, buildExportQuery(spec, options({ startDay })));
      expect(rows.length).toBeGreaterThan(500);
      await expect(queryRows(db.connection, buildExportQuery(spec, options()))).rejects.toThrow();
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the window start must be a day or the placeholder', () => {
    const query = (startDay: string): string =>
      buildExportQuery(spec, { dialect: 'athena', split, window: { startDay } });
    expect(query(WINDOW_START_PLACEHOLDER)).toContain(`"dt" >= '{}'`);
    expect(query('2024-02-29')).toContain(`"dt" >= '2024-02-29'`);
    for (const bad of ['2023-02-29', "2024-01-01' OR '1'='1", '24-01-01', '{ }', '']) {
      expect(() => query(bad)).toThrow(SqlGenerationError);
    }
    expect(() => buildTrainingWindowQuery({ dialect: 'athena', days: -1 })).toThrow(
      expect.objectContaining({ field: 'days' }),
    );
    expect(() => buildTrainingWindowQuery({ dialect: 'athena', days: 1.5 })).toThrow(SqlGenerationError);
  });
});
