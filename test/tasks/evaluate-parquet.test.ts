import { parquetMetadata } from 'hyparquet';
import { ArtifactError } from '../../tasks/errors';
import { type EvaluateInput, evaluateRun } from '../../tasks/evaluate';
import { MemoryObjectStore } from '../../tasks/ports/object-store';
import { fixtureCsv, fixtureRows, parquetParts } from './parquet-split';

/**
 * Evaluate on the splits as the pipeline writes them: Parquet part files under a prefix (several parts, several
 * row groups each), read in key order, streamed. The same rows as one CSV give the same report.
 */

const answer = (label: number, p: number) => `${label},"[${1 - p}, ${p}]","['0', '1']"`;
const RUN = 's3://bucket/runs/run-1';
const HOLDOUT = { from: 10_000, to: 15_000 };

/** Perfect predictions for the holdout rows, one line each. */
const perfect = (): string => {
  const lines: string[] = [];
  for (let i = HOLDOUT.from; i < HOLDOUT.to; i++) lines.push(i % 3 === 0 ? answer(1, 0.9) : answer(0, 0.2));
  return `${lines.join('\n')}\n`;
};

const input = (overrides: Partial<EvaluateInput> = {}): EvaluateInput => ({
  runId: 'run-1',
  signalSetId: 'thermostat',
  staticRule: { signal: 'sound', level: 10 },
  gate: { margin: 0.01, resamples: 200, seed: 3 },
  trainUri: `${RUN}/data/train/`,
  holdoutUri: `${RUN}/data/holdout/`,
  candidatePredictionsUri: `${RUN}/predictions/candidate/holdout-input.csv.out`,
  servingPredictionsUri: null,
  evaluationPrefix: `${RUN}/evaluation`,
  endpointName: 'occupancy',
  ...overrides,
});

let train: Uint8Array[];
let holdout: Uint8Array[];
beforeAll(async () => {
  train = await parquetParts([fixtureRows(0, 6000), fixtureRows(6000, 9000)]);
  // Three parts, written out of key order below: the reader must sort them (S3 lists keys in order).
  holdout = await parquetParts([fixtureRows(10_000, 12_500), fixtureRows(12_500, 14_000), fixtureRows(14_000, 15_000)]);
}, 60_000);

function parquetStore(): MemoryObjectStore {
  const store = new MemoryObjectStore();
  store.objects.set(`${RUN}/data/holdout/part-2`, holdout[2] ?? new Uint8Array());
  store.objects.set(`${RUN}/data/holdout/part-0`, holdout[0] ?? new Uint8Array());
  store.objects.set(`${RUN}/data/holdout/part-1`, holdout[1] ?? new Uint8Array());
  // A folder marker, as the S3 console leaves: zero bytes, not a part.
  store.objects.set(`${RUN}/data/holdout/`, new Uint8Array());
  train.forEach((bytes, i) => {
    store.objects.set(`${RUN}/data/train/${i}_20261129_000000_abc`, bytes);
  });
  store.objects.set(`${RUN}/predictions/candidate/holdout-input.csv.out`, perfect());
  return store;
}

describe('Evaluate on Parquet splits', () => {
  it('reads every part in key order, row group by row group, and reports what the same rows as CSV give', async () => {
    // Several row groups in a part: the reader steps through them.
    const first = holdout[0] ?? new Uint8Array();
    const groups = parquetMetadata(
      first.buffer.slice(first.byteOffset, first.byteOffset + first.byteLength) as ArrayBuffer,
    ).row_groups;
    expect(groups.map((g) => Number(g.num_rows))).toEqual([2048, 452]);
    const store = parquetStore();
    const fromParquet = await evaluateRun(input(), { store });

    const csv = new MemoryObjectStore();
    csv.objects.set(`${RUN}/data/train.csv`, fixtureCsv(0, 9000));
    csv.objects.set(`${RUN}/data/holdout.csv`, fixtureCsv(HOLDOUT.from, HOLDOUT.to));
    csv.objects.set(`${RUN}/predictions/candidate/holdout-input.csv.out`, perfect());
    const fromCsv = await evaluateRun(
      input({ trainUri: `${RUN}/data/train.csv`, holdoutUri: `${RUN}/data/holdout.csv` }),
      { store: csv },
    );

    expect(fromParquet.candidate.rows).toBe(5000);
    expect(fromParquet.candidate.f1).toBe(1);
    expect(fromParquet.promote).toBe(true);
    // Same rows in the same order: every baseline, metric and reason is identical.
    expect(fromParquet.baselines).toEqual(fromCsv.baselines);
    expect(fromParquet.candidate).toEqual(fromCsv.candidate);
    expect(fromParquet.reasons).toEqual(fromCsv.reasons);
    expect(fromParquet.summary).toBe(fromCsv.summary);
    const report = JSON.parse(await store.getText(fromParquet.evaluationUri));
    expect(report.rows).toEqual({ train: 9000, holdout: 5000 });
  });

  it('refuses an empty holdout prefix, naming the field and the URI', async () => {
    const store = parquetStore();
    const empty = `${RUN}/data/nothing/`;
    const error = await evaluateRun(input({ holdoutUri: empty }), { store }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactError);
    expect(error).toMatchObject({ uri: empty, message: expect.stringMatching(/^holdoutUri: no Parquet part files/) });
  });

  it('refuses a holdout without the target column', async () => {
    const store = parquetStore();
    const [noTarget] = await parquetParts(['SELECT 1.5 AS sound, 2.0 AS humidity']);
    store.objects.set(`${RUN}/data/bad/part-0`, noTarget ?? new Uint8Array());
    await expect(evaluateRun(input({ holdoutUri: `${RUN}/data/bad/` }), { store })).rejects.toMatchObject({
      name: 'ArtifactError',
      uri: `${RUN}/data/bad/`,
      message: expect.stringContaining('has no "occupied" column'),
    });
  });

  it('refuses predictions whose line count is not the holdout row count', async () => {
    const store = parquetStore();
    store.objects.set(`${RUN}/predictions/candidate/holdout-input.csv.out`, perfect().split('\n').slice(1).join('\n'));
    await expect(evaluateRun(input(), { store })).rejects.toMatchObject({
      name: 'ArtifactError',
      uri: `${RUN}/predictions/candidate/holdout-input.csv.out`,
      message: expect.stringContaining('has 4999 predictions for 5000 holdout rows'),
    });
  });

  it('refuses an object under the prefix that is not Parquet, and parts whose columns differ', async () => {
    const store = parquetStore();
    store.objects.set(`${RUN}/data/holdout/part-3`, 'temperature,occupied\n1,0\n');
    await expect(evaluateRun(input(), { store })).rejects.toMatchObject({
      name: 'ArtifactError',
      uri: `${RUN}/data/holdout/part-3`,
      message: expect.stringContaining('is not a Parquet file'),
    });
    const [other] = await parquetParts(['SELECT 1.0 AS sound, 1 AS occupied']);
    store.objects.set(`${RUN}/data/holdout/part-3`, other ?? new Uint8Array());
    await expect(evaluateRun(input(), { store })).rejects.toMatchObject({
      name: 'ArtifactError',
      message: expect.stringContaining('has columns [sound, occupied]'),
    });
  });

  it('refuses a target cell that is not 0/1, naming the part', async () => {
    const store = parquetStore();
    const [bad] = await parquetParts([
      `SELECT * FROM (${fixtureRows(15_000, 15_010)}) UNION ALL SELECT 1.0, 1.0, 1.0, 2`,
    ]);
    store.objects.set(`${RUN}/data/holdout/part-3`, bad ?? new Uint8Array());
    await expect(evaluateRun(input(), { store })).rejects.toMatchObject({
      name: 'ArtifactError',
      uri: `${RUN}/data/holdout/part-3`,
      message: expect.stringContaining('"occupied" must be 0/1, got 2'),
    });
  });
});
