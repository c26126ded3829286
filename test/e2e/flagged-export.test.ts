import { rmSync } from 'node:fs';
import { LocalLake } from '../../local/lake';
import { loadLocalConfig } from '../../local/local-config';
import type { LocalStack } from '../../local/runtime/local-stack';
import { exportQueriesFor } from '../../pipeline/retraining-state-machine';
import { StateNames } from '../../pipeline/state-names';
import { THERMOSTAT } from '../../telemetry/signals';
import { independentFlags, lakeRows, makeUnhealthy, readingKey } from '../local/export-flagged-lake';
import { freshStateDir, startStack, visited } from './helpers';

/**
 * The state machine's export with the sensor health rule (issue 22), on the real synthesized definition and the local
 * Athena: a lake with a stuck and an out-of-range device; the split plan's flagged counts reach the run's output and
 * the UNLOADed splits hold none of the flagged readings. AutoML is failed on purpose: the export is under test.
 */
jest.setTimeout(240_000);

describe('flagged readings in a local run', () => {
  let stack: LocalStack | undefined;
  let dir = '';
  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the flagged readings with the split plan and unloads splits without them', async () => {
    dir = freshStateDir();
    const lake = LocalLake.open(dir);
    let flagged: Set<string>;
    let counts: { stuck: number; outOfRange: number; total: number };
    try {
      await makeUnhealthy(lake);
      const { stuck, outOfRange } = await independentFlags(lake, THERMOSTAT);
      flagged = new Set([...stuck, ...outOfRange]);
      counts = { stuck: stuck.size, outOfRange: outOfRange.size, total: flagged.size };
    } finally {
      lake.close();
    }
    expect(counts.stuck).toBeGreaterThan(300);
    expect(counts.outOfRange).toBeGreaterThan(60);

    stack = await startStack(dir, ['automl-failed']);
    const record = await stack.startExecution().done;
    expect(visited(record)).toEqual(expect.arrayContaining([StateNames.ReadSplitPlan, StateNames.ExportDataset]));
    const read = record.states.find((s) => s.name === StateNames.ReadSplitPlan)?.output as {
      splitPlan: { status: string; flagged: Record<string, unknown> };
      run: { trainUri: string; validationUri: string; holdoutUri: string };
      trainingWindow?: { start: string };
    };
    expect(read.splitPlan.status).toBe('ok');
    expect(read.splitPlan.flagged).toEqual({
      stuck: String(counts.stuck),
      outOfRange: String(counts.outOfRange),
      total: String(counts.total),
      excluded: true,
      note: 'left out of training',
    });

    // The UNLOADed splits: as many rows as the split queries give, none of them flagged (the queries with the
    // rule off hold the flagged labelled readings too).
    const config = loadLocalConfig(dir);
    const queries = exportQueriesFor(config);
    const counted = exportQueriesFor({
      ...config,
      sensorHealth: { ...config.sensorHealth, excludeFromTraining: false },
    });
    const start = read.trainingWindow?.start ?? '';
    const fill = (sql: string): string => sql.split('{}').join(start);
    // A split query's rows carry no key; its inner query does: select (thing_name, ts) from it instead.
    const keysOf = (sql: string): string =>
      fill(sql).replace(/^SELECT[\s\S]*?FROM \(\n/, 'SELECT "thing_name", "ts" FROM (\n');
    let unloaded = 0;
    let withFlagged = 0;
    for (const split of ['train', 'validation', 'holdout'] as const) {
      const files = stack.store.list(read.run[`${split}Uri`]);
      const paths = files.map((f) => `'${stack?.store.pathOf(f)}'`).join(', ');
      const [{ n } = { n: 0 }] = await lakeRows(stack.lake, `SELECT count(*) AS n FROM read_parquet([${paths}])`);
      unloaded += Number(n);
      const keys = (await lakeRows(stack.lake, keysOf(queries[split]))).map((r) => readingKey(r.thing_name, r.ts));
      expect(keys.filter((k) => flagged.has(k))).toEqual([]);
      expect(keys.length).toBe(Number(n));
      withFlagged += (await lakeRows(stack.lake, keysOf(counted[split]))).length;
    }
    expect(unloaded).toBeGreaterThan(0);
    // Left out: the flagged readings with a label in force (nearly all of them).
    expect(withFlagged - unloaded).toBeGreaterThan(0.9 * counts.total);
  });
});
