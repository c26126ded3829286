import {
  buildExportQuery,
  buildFeatureSpec,
  buildSplitPlanQuery,
  type ExportQueryOptions,
  type PlannedSplit,
  SPLIT_PLAN_COLUMNS,
  SqlGenerationError,
} from '../../features';
import type { LabelEvent, Reading } from '../../telemetry/reading';
import { THERMOSTAT } from '../../telemetry/signals';
import { loadLabels, loadTelemetry, memoryDuckDb, queryRows } from './helpers';

/**
 * The planned split on DuckDB: one room reporting every minute for `minutes` minutes, labelled occupied where
 * `occupied(minute)` says so. The plan's cutoffs are worked out by hand below.
 */
const spec = buildFeatureSpec(THERMOSTAT);
const T0 = Date.UTC(2024, 2, 9, 0, 0, 0);
const minute = 60_000;

async function plan(
  minutes: number,
  occupied: (m: number) => boolean,
  split: Partial<PlannedSplit> = {},
  dialect: 'duckdb' | 'athena' = 'duckdb',
  start = T0,
) {
  const db = await memoryDuckDb();
  try {
    const readings: Reading[] = [];
    const labels: LabelEvent[] = [];
    for (let m = 0; m < minutes; m++) {
      const ts = start + m * minute;
      readings.push({ thingName: 'room', ts, values: { temperature: 21, humidity: 40, sound: 5, hvac_status: 'OFF' } });
      labels.push({ thingName: 'room', ts, occupied: occupied(m) });
    }
    await loadTelemetry(
      db.connection,
      THERMOSTAT,
      readings.map((reading) => ({ reading, receivedAt: reading.ts })),
    );
    await loadLabels(db.connection, labels);
    const options: ExportQueryOptions = {
      dialect,
      split: { kind: 'planned', train: 0.7, validation: 0.15, minPositives: 5, minNegatives: 5, ...split },
    };
    const [row] = await queryRows(db.connection, buildSplitPlanQuery(spec, options));
    const rows = await queryRows(db.connection, buildExportQuery(spec, options));
    const counts: Record<string, number> = {};
    for (const r of rows) counts[String(r.split)] = (counts[String(r.split)] ?? 0) + 1;
    return { row: row ?? {}, counts, rows };
  } finally {
    db.close();
  }
}

const at = (m: number): number => T0 + m * minute;

describe('planned split', () => {
  test('enough of both classes everywhere: the fraction cutoffs, reported', async () => {
    // 100 minutes, occupied on odd minutes: fractions give validation from minute 70, holdout from 85.
    const { row, counts } = await plan(100, (m) => m % 2 === 1);
    expect(Object.keys(row)).toEqual([...SPLIT_PLAN_COLUMNS]);
    expect(row.status).toBe('ok');
    expect(Number(row.validation_start)).toBe(at(70));
    expect(Number(row.holdout_start)).toBe(at(85));
    expect(counts).toEqual({ train: 70, validation: 15, holdout: 15 });
    expect(row.message).toMatch(
      /^split by fractions 0.7\/0.15: validation from 2024-03-09 01:10, holdout from 2024-03-09 01:25/,
    );
  });

  test('newest rows hold no occupied reading: cutoffs move earlier until the holdout has 5, and say so', async () => {
    // Occupied on odd minutes before minute 90, never after: the holdout from 85 would hold 2 occupied.
    const { row, counts, rows } = await plan(100, (m) => m % 2 === 1 && m < 90);
    expect(row.status).toBe('ok');
    // Latest start with 5 occupied after it: minutes 81, 83, 85, 87, 89 → holdout from 81.
    expect(Number(row.holdout_start)).toBe(at(81));
    // Validation: latest start before 81 with 5 occupied and 5 empty before 81: 71..79 odd → from 71.
    expect(Number(row.validation_start)).toBe(at(70));
    expect(counts).toEqual({ train: 70, validation: 11, holdout: 19 });
    expect(Number(row.holdout_positives)).toBe(5);
    expect(Number(row.holdout_negatives)).toBe(14);
    expect(row.message).toMatch(
      /^cutoffs moved from the fractions \(validation 2024-03-09 01:10, holdout 2024-03-09 01:25\)/,
    );
    expect(row.message).toMatch(/holdout from 2024-03-09 01:21/);
    // Strictly time-ordered: every train row before every validation row before every holdout row.
    const last = (s: string) => Math.max(...rows.filter((r) => r.split === s).map((r) => Number(r.ts)));
    const first = (s: string) => Math.min(...rows.filter((r) => r.split === s).map((r) => Number(r.ts)));
    expect(last('train')).toBeLessThan(first('validation'));
    expect(last('validation')).toBeLessThan(first('holdout'));
  });

  test('the validation cutoff moves too when the holdout took its positives', async () => {
    // Occupied only on minutes 10..19 and 85..94: the holdout from 85 holds 10 occupied, 5 empty; the validation
    // period before it needs 5 occupied, so it starts at 15 (occupied 15..19), leaving train 0..14 (5 occupied).
    const { row, counts } = await plan(100, (m) => (m >= 10 && m < 20) || (m >= 85 && m < 95));
    expect(row.status).toBe('ok');
    expect(Number(row.holdout_start)).toBe(at(85));
    expect(Number(row.validation_start)).toBe(at(15));
    expect(counts).toEqual({ train: 15, validation: 70, holdout: 15 });
  });

  test('too few occupied readings to go round: insufficient-data, naming what is missing', async () => {
    // 8 occupied readings in all, on minutes 0..7: no cutoffs give three splits 5 each.
    const { row } = await plan(100, (m) => m < 8);
    expect(row.status).toBe('insufficient-data');
    expect(row.message).toMatch(/^validation 2024-03-09 01:10\.\.2024-03-09 01:24 has 0 occupied readings; need ≥ 5; /);
    expect(row.message).toMatch(/holdout 2024-03-09 01:25\.\.2024-03-09 01:39 has 0 occupied readings; need ≥ 5\./);
    expect(Number(row.holdout_start)).toBe(at(85));
    expect(row.message).toMatch(/No time-ordered cutoffs give every split ≥ 5 occupied and 5 empty readings/);
    for (const column of SPLIT_PLAN_COLUMNS) expect(row[column]).not.toBeNull();
  });

  test('an empty lake: insufficient-data, every column still set', async () => {
    const { row } = await plan(0, () => false);
    expect(row.status).toBe('insufficient-data');
    expect(row.message).toMatch(/train is empty; need ≥ 5 occupied and 5 empty readings/);
    for (const column of SPLIT_PLAN_COLUMNS) expect(row[column]).not.toBeNull();
  });

  test('the Athena text runs unchanged on DuckDB and plans the same', async () => {
    const duck = await plan(100, (m) => m % 2 === 1 && m < 90);
    const athena = await plan(100, (m) => m % 2 === 1 && m < 90, {}, 'athena');
    expect(athena.row).toEqual(duck.row);
  });

  test.each([
    ['a year boundary', Date.UTC(2023, 11, 31, 23, 0)],
    ['a leap day', Date.UTC(2024, 1, 29, 23, 30)],
    ['a century leap day', Date.UTC(2000, 1, 29, 23, 30)],
    ['before 1970', Date.UTC(1969, 11, 31, 23, 30)],
    ['a March 1st after a common February', Date.UTC(2023, 1, 28, 23, 30)],
  ])('the reported times are UTC calendar times across %s', async (_name, start) => {
    const { row } = await plan(100, (m) => m % 2 === 1, {}, 'duckdb', start);
    const text = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
    expect(row.message).toContain(`train ${text(start)}..${text(start + 69 * minute)}:`);
    expect(row.message).toContain(`holdout ${text(start + 85 * minute)}..${text(start + 99 * minute)}:`);
  });

  test.each([
    [{ minPositives: 0 }, 'split.minPositives'],
    [{ minNegatives: 1.5 }, 'split.minNegatives'],
    [{ train: 0.9, validation: 0.1 }, 'split.validation'],
  ] as [Partial<PlannedSplit>, string][])('rejects %j naming %s', (bad, field) => {
    const split = { kind: 'planned', train: 0.7, validation: 0.15, minPositives: 5, minNegatives: 5, ...bad } as const;
    expect(() => buildSplitPlanQuery(spec, { dialect: 'athena', split })).toThrow(SqlGenerationError);
    expect(() => buildSplitPlanQuery(spec, { dialect: 'athena', split })).toThrow(expect.objectContaining({ field }));
  });
});
