import { computeTrainingBaseline, parseTrainingBaseline } from '../../monitoring/baseline';
import { Reservoir } from '../../monitoring/reservoir';
import { type EvaluateInput, evaluateRun } from '../../tasks/evaluate';
import { MemoryObjectStore } from '../../tasks/ports/object-store';
import { splitBaseline, trainingBaselineUri } from '../../tasks/training-baseline-writer';
import { fixtureRows, parquetParts } from './parquet-split';

/**
 * The pipeline's training baseline (issue 21 item 1 on AWS): Evaluate summarises the train split, streamed twice
 * (reservoir edges, exact counts), and writes it next to the run, where the candidate model's tag points.
 */

const RUN = 's3://bucket/runs/run-1';
const answer = (label: number, p: number) => `${label},"[${1 - p}, ${p}]","['0', '1']"`;

let train: Uint8Array[];
let holdout: Uint8Array[];
beforeAll(async () => {
  train = await parquetParts([fixtureRows(0, 6000), fixtureRows(6000, 9000)]);
  holdout = await parquetParts([fixtureRows(10_000, 12_000)]);
}, 60_000);

function store(): MemoryObjectStore {
  const s = new MemoryObjectStore();
  train.forEach((bytes, i) => {
    s.objects.set(`${RUN}/data/train/part-${i}`, bytes);
  });
  s.objects.set(`${RUN}/data/holdout/part-0`, holdout[0] ?? new Uint8Array());
  const lines: string[] = [];
  for (let i = 10_000; i < 12_000; i++) lines.push(i % 3 === 0 ? answer(1, 0.9) : answer(0, 0.2));
  s.objects.set(`${RUN}/predictions/candidate/out`, `${lines.join('\n')}\n`);
  return s;
}

const input: EvaluateInput = {
  runId: 'run-1',
  signalSetId: 'thermostat',
  staticRule: { signal: 'sound', level: 10 },
  gate: { margin: 0.01, resamples: 200, seed: 3 },
  trainUri: `${RUN}/data/train/`,
  holdoutUri: `${RUN}/data/holdout/`,
  candidatePredictionsUri: `${RUN}/predictions/candidate/out`,
  servingPredictionsUri: null,
  evaluationPrefix: `${RUN}/evaluation`,
  endpointName: 'occupancy',
};

describe('training baseline writer', () => {
  it('is written by Evaluate next to the run: one entry per feature column, shares summing to 1', async () => {
    const s = store();
    const result = await evaluateRun(input, { store: s });
    expect(result.trainingBaselineUri).toBe(`${RUN}/training-baseline.json`);
    const baseline = parseTrainingBaseline(JSON.parse(await s.getText(result.trainingBaselineUri)));
    expect(baseline.rows).toBe(9000);
    // Every split column but the label: the model's features, as buildSplitQuery writes them.
    expect(Object.keys(baseline.features).sort()).toEqual(['humidity', 'sound', 'temperature']);
    for (const feature of Object.values(baseline.features)) {
      expect(feature.rows).toBe(9000);
      expect(feature.proportions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    }
  });

  it('equals computeTrainingBaseline on the rows while the split fits the reservoir', async () => {
    const s = store();
    const streamed = await splitBaseline(s, `${RUN}/data/train/`, { field: 'trainUri', target: 'occupied' });
    // The fixture's columns, computed in memory from the same formulas (fixtureRows).
    const rows = Array.from({ length: 9000 }, (_, i) => i);
    const sound = (i: number) => {
      const occupied = i % 3 === 0;
      return occupied ? (i % 7 === 0 ? 5 : 20 + (i % 5)) : i % 7 === 0 ? 15 : 2 + (i % 3);
    };
    const inMemory = computeTrainingBaseline({
      humidity: Float64Array.from(rows, (i) => 40 + (i % 9)),
      sound: Float64Array.from(rows, sound),
      temperature: Float64Array.from(rows, (i) => 21 + (i % 4) / 10),
    });
    expect(streamed).toEqual(inMemory);
  });

  it('keeps bounded edges beyond the reservoir and still counts every row', async () => {
    const s = store();
    const small = await splitBaseline(s, `${RUN}/data/train/`, {
      field: 'trainUri',
      target: 'occupied',
      capacity: 500,
    });
    for (const feature of Object.values(small.features)) {
      expect(feature.rows).toBe(9000);
      expect(feature.proportions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    }
  });

  it('derives the URI from the evaluation prefix', () => {
    expect(trainingBaselineUri('s3://b/runs/x/evaluation')).toBe('s3://b/runs/x/training-baseline.json');
  });
});

describe('Reservoir', () => {
  it('is the whole stream up to its capacity, then a same-seed-same-sample subset', () => {
    const a = new Reservoir(4, 7);
    const b = new Reservoir(4, 7);
    for (let i = 0; i < 3; i++) a.add(i);
    expect([...a.values()]).toEqual([0, 1, 2]);
    for (let i = 3; i < 1000; i++) a.add(i);
    for (let i = 0; i < 1000; i++) b.add(i);
    expect(a.values()).toHaveLength(4);
    expect([...a.values()]).toEqual([...b.values()]);
    expect(a.seen).toBe(1000);
  });
});
