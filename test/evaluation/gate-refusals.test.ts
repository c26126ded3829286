import { classificationMetrics, gateDecision } from '../../evaluation';

/** 400 rows, every third row occupied. */
const y = Uint8Array.from({ length: 400 }, (_, i) => (i % 3 === 0 ? 1 : 0));

function wrongEvery(labels: Uint8Array, step: number, offset = 0): Uint8Array {
  const predicted = Uint8Array.from(labels);
  for (let i = offset; i < predicted.length; i += step) predicted[i] = 1 - (predicted[i] ?? 0);
  return predicted;
}

const good = wrongEvery(y, 40); // 10 errors
const baselines = [
  { name: 'static-rule', predicted: wrongEvery(y, 4, 1) },
  { name: 'best-threshold', predicted: wrongEvery(y, 6, 2) },
];
/** P(occupied) that agrees with the predictions (0.9 where occupied is predicted), or the reverse. */
const scores = (predicted: Uint8Array, inverted: boolean) =>
  Float64Array.from(predicted, (p) => ((p === 1) !== inverted ? 0.9 : 0.1));

describe('the gate refuses an evaluation that cannot judge', () => {
  it('promotes a good candidate whose probabilities rank the right way (the control)', () => {
    const decision = gateDecision({
      y,
      candidate: { name: 'candidate', predicted: good, probability: scores(good, false) },
      baselines,
      margin: 0.02,
    });
    expect(decision.refusals).toEqual([]);
    expect(decision.promote).toBe(true);
  });

  it('refuses the same candidate when its probabilities rank worse than chance, saying so first', () => {
    const decision = gateDecision({
      y,
      candidate: { name: 'candidate', predicted: good, probability: scores(good, true) },
      baselines,
      margin: 0.02,
    });
    expect(decision.comparisons.every((c) => c.passed)).toBe(true);
    expect(decision.promote).toBe(false);
    expect(decision.refusals).toHaveLength(1);
    expect(decision.reasons[0]).toMatch(
      /^candidate: ROC AUC 0\.\d{3} with F1 0\.9\d\d: .*inverted.*cannot be trusted$/,
    );
  });

  it('refuses when the serving model’s probabilities are inverted', () => {
    const serving = wrongEvery(y, 5, 3);
    const decision = gateDecision({
      y,
      candidate: { name: 'candidate', predicted: good, probability: scores(good, false) },
      baselines,
      serving: { name: 'serving', predicted: serving, probability: scores(serving, true) },
      margin: 0.02,
    });
    expect(decision.promote).toBe(false);
    expect(decision.reasons[0]).toMatch(/^serving: /);
  });

  it('a holdout with no occupied reading: not promoted, F1 undefined (not 0), no comparison made', () => {
    const empty = new Uint8Array(300);
    const candidate = new Uint8Array(300);
    const decision = gateDecision({
      y: empty,
      candidate: { name: 'candidate', predicted: candidate },
      baselines: [{ name: 'static-rule', predicted: wrongEvery(empty, 3) }],
      margin: 0,
    });
    expect(decision.promote).toBe(false);
    expect(decision.comparisons).toEqual([]);
    expect(decision.reasons).toEqual([
      'degenerate holdout: its 300 rows hold 0 occupied readings, so F1 and recall are undefined (not 0) for every model and baseline',
    ]);
  });

  it('a holdout of occupied readings only: not promoted', () => {
    const full = new Uint8Array(200).fill(1);
    const decision = gateDecision({
      y: full,
      candidate: { name: 'candidate', predicted: full },
      baselines: [{ name: 'static-rule', predicted: new Uint8Array(200) }],
      margin: 0.01,
    });
    expect(decision.promote).toBe(false);
    expect(decision.reasons[0]).toMatch(/^degenerate holdout: its 200 rows are all occupied/);
  });
});

describe('metrics that are undefined on the rows', () => {
  it('no positives: recall, F1 and MCC are listed as undefined', () => {
    const metrics = classificationMetrics(new Uint8Array(10), Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    expect(metrics.undefinedMetrics).toEqual(['recall', 'f1', 'mcc']);
  });

  it('nothing predicted positive: precision is undefined', () => {
    const metrics = classificationMetrics(Uint8Array.from([1, 0, 0]), new Uint8Array(3));
    expect(metrics.undefinedMetrics).toEqual(['precision']);
  });

  it('both classes and both predictions: nothing undefined, the field is absent', () => {
    expect(classificationMetrics(y, good)).not.toHaveProperty('undefinedMetrics');
  });
});
