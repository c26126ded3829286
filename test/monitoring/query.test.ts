import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { DUCKDB_ONLY_SYNTAX, type SqlDialectName } from '../../features/dialect';
import { computeTrainingBaseline } from '../../monitoring/baseline';
import { countRows } from '../../monitoring/live-metrics';
import { buildDriftQuery, buildMetricsQuery, type MonitorQueryOptions } from '../../monitoring/query';
import { driftCountsOf, liveCountsOf } from '../../monitoring/results';
import {
  createLabelsTable,
  createPredictionsTable,
  duckSelect,
  END,
  expectedRows,
  predictionRows,
  RULE,
  WINDOW_MS,
  WINDOWS,
} from './fixture';

/**
 * The monitor's SQL: golden Athena text (reviewed by hand for Trino, as test/features/golden.test.ts; regenerate
 * after a reviewed change with `UPDATE_GOLDEN=1 npx jest test/monitoring/query.test.ts`), no DuckDB-only syntax in
 * it, and both texts run on DuckDB (the Athena one as the local runtime's Athena runs it) giving the sums the
 * TypeScript aggregation gives on the same rows.
 */

const GOLDEN_DIR = join(__dirname, 'golden');
const options = (dialect: SqlDialectName): MonitorQueryOptions => ({
  dialect,
  windowEndMs: END,
  windowMs: WINDOW_MS,
  windows: WINDOWS,
});
const baseline = computeTrainingBaseline({
  sound: Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 6 : 14) + (i % 10) - 5),
  temperature: Array.from({ length: 200 }, (_, i) => 20 + (i % 30) / 10),
});

describe('monitor SQL, Athena text', () => {
  const golden: Record<string, string> = {
    'monitor-metrics.athena.sql': buildMetricsQuery({
      ...options('athena'),
      predictionsTable: 'occupancy_lake.predictions',
      labelsTable: 'occupancy_lake.labels',
      staticRule: RULE,
    }),
    'monitor-drift.athena.sql': buildDriftQuery(
      { ...options('athena'), predictionsTable: 'occupancy_lake.predictions' },
      'v1',
      baseline,
    ),
  };
  it.each(Object.keys(golden))('%s matches its golden file and has no DuckDB-only syntax', (name) => {
    const sql = golden[name] ?? '';
    const path = join(GOLDEN_DIR, name);
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) writeFileSync(path, sql);
    expect(sql).toBe(readFileSync(path, 'utf8'));
    for (const { label, pattern } of DUCKDB_ONLY_SYNTAX)
      expect({ label, found: pattern.test(sql) }).toEqual({ label, found: false });
    // Partition pruning: both days of the span (22:00 to 01:00, an hour either side), nothing else.
    expect(sql).toContain(`"dt" >= '2024-01-09' AND "dt" <= '2024-01-10'`);
  });

  it('the DuckDB text joins the label with ASOF, the Athena text with the portable running max', () => {
    const duck = buildMetricsQuery({ ...options('duckdb'), staticRule: RULE });
    expect(duck).toMatch(/ASOF LEFT JOIN label_events/);
    expect(golden['monitor-metrics.athena.sql']).toMatch(/max\("_label_code"\) OVER/);
  });

  it('refuses a feature name that is not a column name, and a window that is not whole minutes of ms', () => {
    expect(() => buildMetricsQuery({ ...options('athena'), staticRule: { signal: 'Sound"; --', level: 1 } })).toThrow(
      /lower-case snake_case/,
    );
    expect(() => buildMetricsQuery({ ...options('athena'), windowMs: 10, staticRule: null })).toThrow(/windowMs/);
    expect(() => buildMetricsQuery({ ...options('athena'), windows: 0, staticRule: null })).toThrow(/windows/);
  });
});

describe.each(['duckdb', 'athena'] as const)('monitor SQL run on DuckDB (%s text)', (dialect) => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  const rows = predictionRows();
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
    await createPredictionsTable(connection, rows);
    await createLabelsTable(connection);
  });
  afterAll(() => {
    connection.closeSync();
    instance.closeSync();
  });

  it('sums per window, model version and variant what the TypeScript aggregation sums', async () => {
    const result = liveCountsOf(
      await duckSelect(connection, buildMetricsQuery({ ...options(dialect), staticRule: RULE })),
    );
    const expected = countRows(expectedRows(rows));
    expect(result.map(({ squaredErrorSum, ...c }) => c)).toEqual(expected.map(({ squaredErrorSum, ...c }) => c));
    for (const [i, c] of result.entries()) {
      expect(c.squaredErrorSum).toBeCloseTo(expected[i]?.squaredErrorSum ?? Number.NaN, 9);
    }
    // The fixture exercises what it should: unlabelled and unknown readings, fallbacks, both variants, 3 windows.
    expect(result.map((c) => [c.windowIndex, c.variant])).toEqual(
      [0, 1, 2].flatMap((w) => [
        [w, ''],
        [w, 'AllTraffic'],
        [w, 'shadow'],
      ]),
    );
    expect(result.some((c) => c.labelled < c.answered - c.fallbacks)).toBe(true);
    expect(
      result.every((c) => (c.variant === '' ? c.fallbacks === c.answered && c.labelled === 0 : c.fallbacks === 0)),
    ).toBe(true);
  });

  it('counts the values of each feature in each baseline bin', async () => {
    const result = driftCountsOf(
      await duckSelect(connection, buildDriftQuery(options(dialect), 'v1', baseline)),
      baseline,
    );
    expect(result.map((w) => [w.windowIndex, w.variant])).toEqual([
      [0, 'AllTraffic'],
      [1, 'AllTraffic'],
      [2, 'AllTraffic'],
    ]);
    const { binCounts } = await import('../../monitoring/baseline');
    for (const w of result) {
      const inWindow = rows.filter(
        (r) =>
          r.model_version === 'v1' &&
          r.ts < END - w.windowIndex * WINDOW_MS &&
          r.ts >= END - (w.windowIndex + 1) * WINDOW_MS,
      );
      expect(w.answered).toBe(inWindow.length);
      for (const feature of ['sound', 'temperature'] as const) {
        const edges = baseline.features[feature]?.edges ?? [];
        expect(w.counts[feature]).toEqual(
          binCounts(
            edges,
            inWindow.map((r) => r[feature]),
          ),
        );
      }
    }
  });
});

describe('monitor results', () => {
  it('reads an empty variant that came back as NULL as the empty string; a malformed count names its column', () => {
    const row = {
      window_index: '0',
      model_version: 'threshold:sound>10',
      variant: null,
      answered: '3',
      fallbacks: '3',
    };
    expect(liveCountsOf([row])[0]).toMatchObject({ variant: '', answered: 3, fallbacks: 3, labelled: 0 });
    expect(() => liveCountsOf([{ ...row, answered: 'many' }])).toThrow(
      expect.objectContaining({ name: 'MonitorResultError', field: 'answered' }),
    );
  });
});

describe('monitor SQL partitions', () => {
  it("reads the day before or after when the span is within an hour of midnight (Firehose's dt is the arrival day)", () => {
    const at = (h: number, m = 0) => Date.UTC(2024, 0, 10, h, m);
    const days = (windowEndMs: number) =>
      /"dt" >= '([\d-]+)' AND "dt" <= '([\d-]+)'/
        .exec(buildDriftQuery({ ...options('athena'), windowEndMs, windowMs: WINDOW_MS, windows: 1 }, 'v1', baseline))
        ?.slice(1);
    expect(days(at(12))).toEqual(['2024-01-10', '2024-01-10']);
    expect(days(at(1, 30))).toEqual(['2024-01-09', '2024-01-10']); // starts 00:30: an hour back is the 9th
    expect(days(at(23, 30))).toEqual(['2024-01-10', '2024-01-11']); // ends 23:30: an hour on is the 11th
  });
});
