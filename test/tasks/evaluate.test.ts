import { lambdaContext } from '../../local/aws-endpoints/lambda-context';
import { ArtifactError, TaskInputError } from '../../tasks/errors';
import { createHandler, type EvaluateInput, evaluateRun } from '../../tasks/evaluate';
import { MemoryObjectStore } from '../../tasks/ports/object-store';
import { powertools } from '../../tasks/powertools';
import { readPredictionLines } from '../../tasks/split-columns';

/** One answer line as the container writes it for SAGEMAKER_INFERENCE_OUTPUT=predicted_label,probabilities,labels. */
const answer = (label: 0 | 1, pOccupied: number, labels = "'0', '1'") =>
  labels.startsWith("'0'")
    ? `${label},"[${1 - pOccupied}, ${pOccupied}]","[${labels}]"`
    : `${label},"[${pOccupied}, ${1 - pOccupied}]","[${labels}]"`;

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
    perfect: labels.map((y) => answer(y ? 1 : 0, y ? 0.9 : 0.2)).join('\n'),
    // A decision threshold above 0.5: every row predicted empty, the occupied ones with P(occupied) 0.6.
    highThreshold: labels.map((y) => answer(0, y ? 0.6 : 0.1)).join('\n'),
    inverted: labels.map((y) => answer(y ? 1 : 0, y ? 0.2 : 0.9)).join('\n'),
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
    const store = storeWith(`${answer(1, 0.9)}\n${answer(0, 0.2)}\n`);
    await expect(evaluateRun(input(), { store })).rejects.toBeInstanceOf(ArtifactError);
  });

  it('the handler rejects bad input naming the field', async () => {
    const handler = createHandler({ ...powertools('evaluate'), store: new MemoryObjectStore() });
    const context = lambdaContext('EvaluateFunction');
    await expect(handler({ ...input(), holdoutUri: 'holdout.csv' }, context)).rejects.toMatchObject({
      name: 'TaskInputError',
      field: 'holdoutUri',
    });
    await expect(
      handler({ ...input(), gate: { margin: 0.01, resamples: 5, seed: 1 } }, context),
    ).rejects.toBeInstanceOf(TaskInputError);
  });
});

describe('inverted scores: the gate refuses, saying why (issue 14, defect 7)', () => {
  it('a candidate with F1 1 and ROC AUC 0 is not promoted, naming the candidate', async () => {
    const result = await evaluateRun(input(), { store: storeWith(fixture().inverted) });
    expect(result.promote).toBe(false);
    expect(result.reasons[0]).toMatch(/^candidate: ROC AUC 0\.000 with F1 1\.000: .*inverted/);
    expect(result.summary).toMatch(/^Cannot judge: candidate: ROC AUC 0\.000/);
  });

  it('so is a serving model whose scores are inverted', async () => {
    const f = fixture();
    const store = storeWith(f.perfect, f.inverted);
    const result = await evaluateRun(
      input({ servingPredictionsUri: 's3://bucket/runs/run-1/predictions/serving/holdout-input.csv.out' }),
      { store },
    );
    expect(result.promote).toBe(false);
    expect(result.reasons[0]).toMatch(/^serving: /);
  });

  it('a threshold above 0.5 keeps the ranking: predicted empty with P(occupied) 0.6 scores AUC 1', async () => {
    const result = await evaluateRun(input(), { store: storeWith(fixture().highThreshold) });
    expect(result.candidate.f1).toBe(0);
    expect(result.candidate.rocAuc).toBe(1);
  });
});

describe('readPredictionLines', () => {
  /** The answer lines as the transform's `.out` object, read as Evaluate reads it. */
  const read = (text: string, rows: number, uri = 's3://b/x.out') => {
    const lines = new MemoryObjectStore();
    lines.objects.set(uri, text);
    return readPredictionLines(lines, uri, rows);
  };

  it('reads P(occupied) from probabilities and labels, whatever the label order', async () => {
    const p = await read(`${answer(1, 0.9)}\n${answer(0, 0.6)}\n${answer(0, 0.3, "'1', '0'")}\n`, 3);
    expect([...p.predicted]).toEqual([1, 0, 0]);
    expect([...p.probability].map((x) => Number(x.toFixed(6)))).toEqual([0.9, 0.6, 0.3]);
  });

  it.each([
    ['maybe,"[0.5, 0.5]","[\'0\', \'1\']"', /line 1: predicted_label "maybe"/],
    ['1,0.9', /line 1: 2 fields, expected 3/],
    ['1,"[0.1, 1.5]","[\'0\', \'1\']"', /line 1: probabilities/],
  ])('rejects %s naming the line', async (line, message) => {
    await expect(read(line, 1)).rejects.toThrow(ArtifactError);
    await expect(read(line, 1)).rejects.toThrow(message);
  });
});
