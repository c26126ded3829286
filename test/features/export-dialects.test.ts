import type { DuckDBConnection } from '@duckdb/node-api';
import {
  buildExportQuery,
  buildFeatureSpec,
  buildSplitPlanQuery,
  type ExportQueryOptions,
  type SplitOptions,
} from '../../features';
import type { LabelEvent } from '../../telemetry/reading';
import { THERMOSTAT } from '../../telemetry/signals';
import {
  generateTelemetry,
  type LakeRecord,
  loadLabels,
  loadTelemetry,
  memoryDuckDb,
  queryRows,
  seededRandom,
} from './helpers';

/**
 * The export's two forms agree: the DuckDB dialect (ASOF JOIN for the label in force) and the portable Athena
 * dialect (running max over labels and readings; LocalAthena runs this text on DuckDB) give the same rows, the
 * label in force is the latest event at or before the reading, and a fractions split is the percent_rank() one.
 */

const spec = buildFeatureSpec(THERMOSTAT);
const START = Date.UTC(2024, 4, 6);
const TEN_MINUTES = 600_000;

/** A fleet whose times are rounded to 10 minutes: many readings of one time across devices (ties) and redeliveries. */
function fleet(): { records: LakeRecord[]; labels: LabelEvent[] } {
  const records = generateTelemetry(THERMOSTAT, {
    devices: 5,
    readingsPerDevice: 1500,
    seed: 11,
    duplicateRate: 0.03,
    start: START,
  }).map((r) => ({
    ...r,
    reading: { ...r.reading, ts: Math.floor(r.reading.ts / TEN_MINUTES) * TEN_MINUTES },
  }));
  const random = seededRandom(5);
  const labels: LabelEvent[] = [];
  const end = Math.max(...records.map((r) => r.reading.ts));
  for (let d = 0; d < 5; d++) {
    const thingName = `room-0${d}`;
    // Labels from a little after the device starts, at reading times and between them; some instants twice.
    for (let ts = START + 3 * 3_600_000 * (d + 1); ts <= end; ts += Math.floor(random() * 8) * TEN_MINUTES + 60_000) {
      const at = random() < 0.5 ? Math.floor(ts / TEN_MINUTES) * TEN_MINUTES : ts;
      labels.push({ thingName, ts: at, occupied: random() < 0.45 });
      if (random() < 0.05) labels.push({ thingName, ts: at, occupied: !labels[labels.length - 1]?.occupied });
    }
  }
  return { records, labels };
}

async function withFleet<T>(run: (connection: DuckDBConnection, labels: LabelEvent[]) => Promise<T>): Promise<T> {
  const db = await memoryDuckDb();
  try {
    const { records, labels } = fleet();
    await loadTelemetry(db.connection, THERMOSTAT, records);
    await loadLabels(db.connection, labels);
    return await run(db.connection, labels);
  } finally {
    db.close();
  }
}

const SPLITS: [string, SplitOptions][] = [
  ['fractions', { kind: 'fractions', train: 0.6, validation: 0.2 }],
  ['fractions without validation', { kind: 'fractions', train: 0.8, validation: 0 }],
  ['cutoffs', { kind: 'cutoffs', validationStart: START + 4 * 86_400_000, holdoutStart: START + 5 * 86_400_000 }],
  ['planned', { kind: 'planned', train: 0.7, validation: 0.15, minPositives: 20, minNegatives: 20 }],
];

describe('export on both dialects', () => {
  test.each(SPLITS)(
    '%s: the DuckDB form (ASOF LEFT JOIN) and the portable form give the same rows',
    async (_name, split) => {
      await withFleet(async (connection) => {
        const query = (dialect: ExportQueryOptions['dialect']) => buildExportQuery(spec, { dialect, split });
        expect(query('duckdb')).toMatch(/ASOF LEFT JOIN/);
        expect(query('athena')).not.toMatch(/ASOF/i);
        const duck = await queryRows(connection, query('duckdb'));
        const portable = await queryRows(connection, query('athena'));
        expect(duck.length).toBeGreaterThan(1000);
        const noValidation = split.kind === 'fractions' && split.validation === 0;
        const splits = noValidation ? ['train', 'holdout'] : ['train', 'validation', 'holdout'];
        expect(new Set(duck.map((r) => r.split))).toEqual(new Set(splits));
        expect(duck).toEqual(portable);
        if (split.kind === 'planned') {
          const [plan] = await queryRows(connection, buildSplitPlanQuery(spec, { dialect: 'duckdb', split }));
          const [portablePlan] = await queryRows(connection, buildSplitPlanQuery(spec, { dialect: 'athena', split }));
          expect(plan?.status).toBe('ok');
          expect(plan).toEqual(portablePlan);
        }
      });
    },
  );

  test('the label in force is the latest event at or before the reading; occupied wins a tie', async () => {
    await withFleet(async (connection, labels) => {
      const split: SplitOptions = { kind: 'fractions', train: 0.6, validation: 0.2 };
      const rows = await queryRows(connection, buildExportQuery(spec, { dialect: 'duckdb', split }));
      const byDevice = new Map<string, LabelEvent[]>();
      for (const l of labels) byDevice.set(l.thingName, [...(byDevice.get(l.thingName) ?? []), l]);
      let checked = 0;
      for (const row of rows) {
        const ts = Number(row.ts);
        const before = (byDevice.get(String(row.thing_name)) ?? []).filter((l) => l.ts <= ts);
        const latest = Math.max(...before.map((l) => l.ts));
        const occupied = before.some((l) => l.ts === latest && l.occupied) ? 1 : 0;
        expect(row.occupied).toBe(occupied);
        checked++;
      }
      expect(checked).toBe(rows.length);
    });
  });

  test('a fractions split is the percent_rank() split, equal times on one side', async () => {
    await withFleet(async (connection) => {
      const split = { kind: 'fractions', train: 0.6, validation: 0.2 } as const;
      const rows = await queryRows(
        connection,
        `SELECT "split", CASE WHEN pr < 0.6 THEN 'train' WHEN pr < 0.8 THEN 'validation' ELSE 'holdout' END AS expected
         FROM (SELECT *, percent_rank() OVER (ORDER BY "ts") AS pr FROM (${buildExportQuery(spec, { dialect: 'duckdb', split })}))`,
      );
      expect(rows.filter((r) => r.split !== r.expected)).toEqual([]);
      const ties = await queryRows(
        connection,
        `SELECT count(*) AS n FROM (SELECT "ts" FROM (${buildExportQuery(spec, { dialect: 'duckdb', split })}) GROUP BY "ts" HAVING count(*) > 1)`,
      );
      expect(Number(ties[0]?.n)).toBeGreaterThan(100);
    });
  });
});
