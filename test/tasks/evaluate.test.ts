import { ArtifactError, TaskInputError } from '../../tasks/errors';
import { createEvaluateHandler, type EvaluateInput, evaluateRun } from '../../tasks/evaluate';
import { MemoryObjectStore } from '../../tasks/ports/object-store';
import { parsePredictions } from '../../tasks/predictions';

/** A small holdout where sound > 10 is a decent but imperfect rule, and `perfect` predictions match the labels. */
function fixture(rows = 120) {
  const header = 'temperature,humidity,sound,occupied';
  const line = (i: number) => {
    const occupied = i % 3 === 0 ? 1 : 0;
    // Every 7th row the rule errs: a noisy empty room or a quiet meeting.
    const noisy = i % 7 === 0;
    const sound = occupied ? (noisy ? 5 : 20 + (i % 5)) : noisy ? 15 : 2 + (i % 3);
    return `${21 + (i % 4) / 10},${40 + (i % 9)},${sound},${occupied}`;
  };
  const csv = (n: number, offset: number) =>
    [header, ...Array.from({ length: n }, (_, i) => line(i + offset))].join('\n');
  const labels = Array.from({ length: rows }, (_, i) => ((i + 1000) % 3 === 0 ? 1 : 0));
  return {
    train: csv(300, 0),
    holdout: csv(rows, 1000),
    perfect: labels.map((y) => `${y},${y ? 0.9 : 0.8}`).join('\n'),
    allZero: labels.map(() => '0,0.7').join('\n'),
  };
}

const input = (overrides: Partial<EvaluateInput> = {}): EvaluateInput => ({
  runId: 'run-1',
  signalSetId: 'thermostat',
  staticRule: { signal: 'sound', level: 10 },
  gate: { margin: 0.01, resamples: 200, seed: 3 },
  trainUri: 's3://bucket/runs/run-1/data/train.csv',
  holdoutUri: 's3://bucket/runs/run-1/data/holdout.csv',
  candidatePredictionsUri: 's3://bucket/runs/run-1/predictions/candidate/holdout-input.csv.out',
  servingPredictionsUri: null,
  evaluationPrefix: 's3://bucket/runs/run-1/evaluation',
  endpointName: 'occupancy',
  ...overrides,
});

function storeWith(candidate: string, serving?: string) {
  const f = fixture();
  const store = new MemoryObjectStore();
  store.objects.set('s3://bucket/runs/run-1/data/train.csv', f.train);
  store.objects.set('s3://bucket/runs/run-1/data/holdout.csv', f.holdout);
  store.objects.set('s3://bucket/runs/run-1/predictions/candidate/holdout-input.csv.out', candidate);
  if (serving) store.objects.set('s3://bucket/runs/run-1/predictions/serving/holdout-input.csv.out', serving);
  return store;
}

describe('evaluateRun', () => {
  it('promotes a candidate that beats the threshold baselines, writes the reports and the metric data', async () => {
    const store = storeWith(fixture().perfect);
    const result = await evaluateRun(input(), { store });
    expect(result.promote).toBe(true);
    expect(result.candidate.f1).toBe(1);
    expect(result.serving).toBeNull();
    expect(result.bestBaseline.f1).toBeLessThan(1);
    expect(result.baselines.map((b) => b.name)).toContain('static-rule');
    expect(result.metricData.map((m) => m.MetricName)).toEqual(['CandidateF1', 'BaselineF1']);
    expect(Object.values(result.customerMetadata).every((v) => typeof v === 'string')).toBe(true);
    const report = JSON.parse(await store.getText(result.evaluationUri));
    expect(report.candidate.f1).toBe(1);
    const quality = JSON.parse(await store.getText(result.modelQualityUri));
    expect(quality.binary_classification_metrics.f1.value).toBe(1);
  });

  it('keeps what serves when the candidate does not beat the serving model', async () => {
    const f = fixture();
    const store = storeWith(f.perfect, f.perfect);
    const result = await evaluateRun(
      input({ servingPredictionsUri: 's3://bucket/runs/run-1/predictions/serving/holdout-input.csv.out' }),
      { store },
    );
    expect(result.promote).toBe(false);
    expect(result.serving?.f1).toBe(1);
    expect(result.metricData.map((m) => m.MetricName)).toContain('ServingF1');
    expect(result.reasons.some((r) => r.includes('serving'))).toBe(true);
  });

  it('refuses predictions that do not align with the holdout rows', async () => {
    const store = storeWith('1,0.9\n0,0.8\n');
    await expect(evaluateRun(input(), { store })).rejects.toBeInstanceOf(ArtifactError);
  });

  it('the handler rejects bad input naming the field', async () => {
    const handler = createEvaluateHandler({ store: new MemoryObjectStore() });
    await expect(handler({ ...input(), holdoutUri: 'holdout.csv' })).rejects.toMatchObject({
      name: 'TaskInputError',
      field: 'holdoutUri',
    });
    await expect(handler({ ...input(), gate: { margin: 0.01, resamples: 5, seed: 1 } })).rejects.toBeInstanceOf(
      TaskInputError,
    );
  });
});

describe('parsePredictions', () => {
  it('reads probability of the predicted label as probability of class 1', () => {
    const p = parsePredictions('1,0.9\n0,0.8\n', 'u');
    expect([...p.predicted]).toEqual([1, 0]);
    expect(p.probability[0]).toBeCloseTo(0.9);
    expect(p.probability[1]).toBeCloseTo(0.2);
  });

  it('keeps a positive-class probability column as it is', () => {
    const p = parsePredictions('1,0.9\n0,0.3\n', 'u');
    expect(p.probability[1]).toBeCloseTo(0.3);
  });

  it.each(['maybe,0.5', '1,1.5'])('rejects %s', (line) => {
    expect(() => parsePredictions(line, 'u')).toThrow(ArtifactError);
  });
});
