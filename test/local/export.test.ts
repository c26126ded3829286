import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFeatureSpec, buildSplitPlanQuery, buildSplitQuery, featureNames } from '../../features';
import { simulateIntoLake } from '../../local/commands/simulate';
import { DEFAULT_SPLIT, exportDataset, readExportSplit, SPLITS } from '../../local/export';
import { LakeError, LocalLake } from '../../local/lake';
import { THERMOSTAT } from '../../telemetry/signals';
import { DEFAULT_SIM_START } from '../../telemetry/simulator';

/**
 * The local export on a simulated lake: Parquet splits (features then `occupied`, in time order) equal to what the
 * state machine's per-split queries return on the same lake, the batch transform CSV equal to the holdout, and the
 * training window read through the lake's views (a torn file of a day before the window is never opened).
 */

const DAY = 86_400_000;
const spec = buildFeatureSpec(THERMOSTAT);
const names = featureNames(spec);
let root: string;
let stateDir: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'export-'));
  stateDir = join(root, 'state');
  simulateIntoLake(stateDir, 3, 12, 7);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function rows(lake: LocalLake, sql: string): Promise<unknown[][]> {
  const connection = await lake.connect();
  return (await connection.runAndReadAll(sql))
    .getRows()
    .map((row) => row.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
}

const utcDay = (ts: number): string => new Date(ts).toISOString().slice(0, 10);

describe('exportDataset', () => {
  test('writes the splits as Parquet, equal to the state machine split queries, and the holdout CSV', async () => {
    const lake = LocalLake.open(stateDir);
    try {
      const manifest = await exportDataset(lake, { outDir: join(root, 'all'), trainingWindowDays: 0 });
      expect(manifest.window).toEqual({ days: 0, startDay: null });
      // The split plan the state machine reads (PlanSplit) chose these cutoffs.
      const [plan] = await rows(
        lake,
        `SELECT "message" FROM (${buildSplitPlanQuery(spec, { dialect: 'athena', split: DEFAULT_SPLIT })})`,
      );
      expect(manifest.split).toBe(plan?.[0]);
      expect(Object.values(manifest.files).map((f) => f.slice(f.lastIndexOf('/') + 1))).toEqual([
        'train.parquet',
        'validation.parquet',
        'holdout.parquet',
        'holdout-input.csv',
      ]);
      for (const split of SPLITS) {
        const file = manifest.files[split];
        const columns = await rows(lake, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '${file}')`);
        expect(columns.map(([name]) => name)).toEqual([...names, 'occupied']);
        expect(columns.at(-1)).toEqual(['occupied', 'INTEGER']);
        // The pipeline's per-split query (Athena text, as LocalAthena runs it) on the same lake: the same rows, in order.
        const expected = await rows(lake, buildSplitQuery(spec, { dialect: 'athena', split: DEFAULT_SPLIT }, split));
        const written = await rows(lake, `SELECT * FROM read_parquet('${file}')`);
        expect(written.length).toBe(manifest.rows[split]);
        expect(written.length).toBeGreaterThan(100);
        expect(written).toEqual(expected);
      }
      const holdout = await readExportSplit(lake, manifest.files.holdout);
      expect(holdout.names).toEqual(names);
      const lines = readFileSync(manifest.files.holdoutInput, 'utf8').trimEnd().split('\n');
      expect(lines).toHaveLength(holdout.rowCount);
      lines.forEach((line, r) => {
        expect(line.split(',').map(Number)).toEqual(holdout.columns.map((c) => c[r]));
      });
      expect(manifest.timeRange.holdout.from).toBeGreaterThan(manifest.timeRange.validation.to ?? Infinity);
    } finally {
      lake.close();
    }
  });

  test('reads only the training window: a torn file of a day before it is never opened', async () => {
    const lake = LocalLake.open(stateDir);
    try {
      await lake.connect(); // converts the simulated parts to Parquet
      const [[newest]] = (await rows(lake, 'SELECT max(dt) FROM labels')) as [[string]];
      const torn = join(lake.root, 'telemetry', `dt=${utcDay(DEFAULT_SIM_START + 2 * DAY)}`);
      const parts = readdirSync(torn).filter((f) => f.endsWith('.parquet'));
      expect(parts.length).toBeGreaterThan(0);
      for (const file of parts) writeFileSync(join(torn, file), 'PAR1 torn');

      const manifest = await exportDataset(lake, { outDir: join(root, 'window'), trainingWindowDays: 5 });
      const startDay = utcDay(Date.parse(`${newest}T00:00:00Z`) - 4 * DAY);
      expect(manifest.window).toEqual({ days: 5, startDay });
      expect(manifest.timeRange.train.from).toBeGreaterThanOrEqual(Date.parse(`${startDay}T00:00:00Z`));
      expect(manifest.rows.holdout).toBeGreaterThan(0);

      await expect(exportDataset(lake, { outDir: join(root, 'all-torn'), trainingWindowDays: 0 })).rejects.toThrow(
        LakeError,
      );
    } finally {
      lake.close();
    }
  });
});
