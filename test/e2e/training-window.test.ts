import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTrainingWindowQuery } from '../../features';
import type { LocalStack } from '../../local/runtime/local-stack';
import { parsePipelineConfig } from '../../pipeline/config';
import { exportQueriesFor } from '../../pipeline/retraining-state-machine';
import { StateNames } from '../../pipeline/state-names';
import { freshStateDir, startStack, TEST_CONFIG, visited } from './helpers';

/**
 * A run with a training window, on the real synthesized state machine and the local Athena: the window is read from
 * the lake, and the splits it UNLOADs as Parquet hold only readings of the window (fewer rows than all history would
 * give, exactly as many as the windowed export). AutoML is failed on purpose: the export is what is under test.
 */
jest.setTimeout(240_000);

const DAYS = 6;

describe('training window (local run)', () => {
  let stack: LocalStack | undefined;
  let dir = '';
  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the window from the newest labels and exports only its partitions as Parquet splits', async () => {
    dir = freshStateDir();
    const config = { ...TEST_CONFIG, trainingWindowDays: DAYS };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    stack = await startStack(dir, ['automl-failed']);
    const record = await stack.startExecution().done;
    expect(visited(record)).toEqual(
      expect.arrayContaining([StateNames.FindTrainingWindow, StateNames.ReadTrainingWindow, StateNames.ExportDataset]),
    );
    const read = record.states.find((s) => s.name === StateNames.ReadTrainingWindow)?.output as {
      trainingWindow: { start: string };
      run: { trainUri: string; validationUri: string; holdoutUri: string };
    };

    const connection = await stack.lake.connect();
    const scalar = async (sql: string): Promise<unknown> => (await connection.runAndReadAll(sql)).getRows()[0]?.[0];
    // The window: the DAYS newest days of the lake, ending on its newest labelled day.
    const newest = String(await scalar('SELECT max("dt") FROM labels WHERE "occupied" IS NOT NULL'));
    const expectedStart = new Date(Date.parse(`${newest}T00:00:00Z`) - (DAYS - 1) * 86_400_000)
      .toISOString()
      .slice(0, 10);
    expect(read.trainingWindow.start).toBe(expectedStart);
    expect(String(await scalar(buildTrainingWindowQuery({ dialect: 'duckdb', days: DAYS })))).toBe(expectedStart);
    expect(Number(await scalar('SELECT count(DISTINCT "dt") FROM telemetry'))).toBeGreaterThan(DAYS);

    // Rows of each split's Parquet prefix, against the same split query with the window and without one.
    const queries = exportQueriesFor(parsePipelineConfig(config));
    const allHistory = exportQueriesFor(parsePipelineConfig({ ...config, trainingWindowDays: 0 }));
    for (const split of ['train', 'validation', 'holdout'] as const) {
      const prefix = read.run[`${split}Uri`];
      expect(prefix).toMatch(new RegExp(`/data/${split}/$`));
      const files = stack.store.list(prefix);
      expect(files.length).toBeGreaterThan(0);
      const paths = files.map((f) => `'${stack?.store.pathOf(f)}'`).join(', ');
      const exported = Number(await scalar(`SELECT count(*) FROM read_parquet([${paths}])`));
      const windowed = queries[split].split('{}').join(expectedStart);
      expect(exported).toBe(Number(await scalar(`SELECT count(*) FROM (${windowed})`)));
      expect(exported).toBeGreaterThan(0);
      // The split boundaries move with the window, so compare the three splits together below.
      expect(Number(await scalar(`SELECT count(*) FROM (${allHistory[split]})`))).toBeGreaterThan(0);
    }
    const total = async (q: typeof queries) =>
      Number(
        await scalar(
          `SELECT (SELECT count(*) FROM (${q.train})) + (SELECT count(*) FROM (${q.validation})) + (SELECT count(*) FROM (${q.holdout}))`,
        ),
      );
    const windowedTotal = await total({
      ...queries,
      train: queries.train.split('{}').join(expectedStart),
      validation: queries.validation.split('{}').join(expectedStart),
      holdout: queries.holdout.split('{}').join(expectedStart),
    });
    expect(windowedTotal).toBeLessThan(await total(allHistory));
  });
});
