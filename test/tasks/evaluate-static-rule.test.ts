import { evaluateRun, parseEvaluateInput } from '../../tasks/evaluate';
import { MemoryObjectStore } from '../../tasks/ports/object-store';

/**
 * Evaluate without a static rule (a signal set that has none, e.g. uci-occupancy): the input may leave the key
 * out, and the gate compares the candidate against the baselines that exist, the fitted thresholds.
 */
const header = 'temperature,humidity,light,co2,humidity_ratio,occupied';
const row = (i: number) => {
  const occupied = i % 3 === 0 ? 1 : 0;
  const light = occupied ? (i % 11 === 0 ? 200 : 450 + (i % 7)) : i % 13 === 0 ? 420 : 20 + (i % 5);
  return `${21 + (i % 4) / 10},${30 + (i % 9)},${light},${600 + (i % 50)},0.004,${occupied}`;
};
const csv = (n: number, offset: number) => [header, ...Array.from({ length: n }, (_, i) => row(i + offset))].join('\n');
const labels = Array.from({ length: 150 }, (_, i) => ((i + 1000) % 3 === 0 ? 1 : 0));
const perfect = labels.map((y) => `${y},"[${y ? 0.1 : 0.8}, ${y ? 0.9 : 0.2}]","['0', '1']"`).join('\n');

const base = {
  runId: 'run-1',
  signalSetId: 'uci-occupancy',
  gate: { margin: 0.01, resamples: 200, seed: 3 },
  trainUri: 's3://bucket/runs/run-1/data/train.csv',
  holdoutUri: 's3://bucket/runs/run-1/data/holdout.csv',
  candidatePredictionsUri: 's3://bucket/runs/run-1/predictions/candidate/holdout-input.csv.out',
  servingPredictionsUri: null,
  evaluationPrefix: 's3://bucket/runs/run-1/evaluation',
  endpointName: 'occupancy',
};

function store(): MemoryObjectStore {
  const s = new MemoryObjectStore();
  s.objects.set(base.trainUri, csv(300, 0));
  s.objects.set(base.holdoutUri, csv(150, 1000));
  s.objects.set(base.candidatePredictionsUri, perfect);
  return s;
}

describe('Evaluate with no static rule', () => {
  it.each([
    ['left out', {}],
    ['null', { staticRule: null }],
  ])('staticRule %s: the fitted threshold is the bar the gate compares against', async (_, rule) => {
    const input = parseEvaluateInput({ ...base, ...rule });
    expect(input.staticRule).toBeNull();
    const result = await evaluateRun(input, { store: store() });
    expect(result.baselines.map((b) => b.name)).toEqual(['best-threshold']);
    expect(result.bestBaseline.name).toBe('best-threshold');
    expect(result.bestBaseline.f1).toBeLessThan(1);
    expect(result.candidate.f1).toBe(1);
    expect(result.promote).toBe(true);
  });

  it('a static rule given is scored as the static-rule baseline', async () => {
    const input = parseEvaluateInput({ ...base, staticRule: { signal: 'light', level: 365 } });
    const result = await evaluateRun(input, { store: store() });
    expect(result.baselines.map((b) => b.name)).toEqual(['static-rule', 'best-threshold']);
  });
});
