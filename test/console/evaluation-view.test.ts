import { classificationMetrics, EvaluationError } from '../../evaluation';
import { buildEvaluationView, f1BootstrapInterval, thinCurve } from '../../local/console/evaluation-view';

function sample(n: number, seed: number) {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const y: number[] = [];
  const probability: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = next() < 0.3 ? 1 : 0;
    y.push(label);
    probability.push(Math.min(1, Math.max(0, label ? 0.35 + 0.6 * next() : 0.65 * next())));
  }
  return { y, probability, predicted: probability.map((p) => (p >= 0.5 ? 1 : 0)) };
}

describe('f1BootstrapInterval', () => {
  const { y, predicted } = sample(600, 7);
  const f1 = classificationMetrics(y, predicted).f1;

  it('brackets the F1 on all rows and is reproducible for a seed', () => {
    const a = f1BootstrapInterval(y, predicted, { resamples: 300, seed: 3 });
    expect(a.lower).toBeLessThan(f1);
    expect(a.upper).toBeGreaterThan(f1);
    expect(a.confidence).toBe(0.95);
    expect(f1BootstrapInterval(y, predicted, { resamples: 300, seed: 3 })).toEqual(a);
  });

  it('narrows with more rows', () => {
    const big = sample(6000, 7);
    const small = f1BootstrapInterval(y, predicted, { resamples: 200 });
    const large = f1BootstrapInterval(big.y, big.predicted, { resamples: 200 });
    expect(large.upper - large.lower).toBeLessThan(small.upper - small.lower);
  });

  it('rejects mismatched rows and bad options, naming the field', () => {
    expect(() => f1BootstrapInterval([1, 0], [1])).toThrow(EvaluationError);
    expect(() => f1BootstrapInterval([1, 0], [1])).toThrow(/predicted/);
    expect(() => f1BootstrapInterval([1, 0], [1, 0], { resamples: 2 })).toThrow(/resamples/);
    expect(() => f1BootstrapInterval([], [])).toThrow(/y is empty/);
  });
});

describe('thinCurve', () => {
  it('keeps at most the requested points, always the first and last', () => {
    const xs = Array.from({ length: 1001 }, (_, i) => i / 1000);
    const thin = thinCurve({ x: xs, y: xs.map((x) => x * x) }, ['x', 'y'], 50);
    expect(thin.x.length).toBeLessThanOrEqual(51);
    expect(thin.x[0]).toBe(0);
    expect(thin.x.at(-1)).toBe(1);
    for (const [i, x] of thin.x.entries()) expect(thin.y[i]).toBeCloseTo(x * x);
  });
});

describe('buildEvaluationView', () => {
  it('gives scored models curves and threshold rules none, with metrics matching the library', () => {
    const { y, probability, predicted } = sample(400, 11);
    const rule = probability.map((p) => (p > 0.3 ? 1 : 0));
    const view = buildEvaluationView({
      runId: 'run-1',
      y,
      models: [
        { name: 'candidate', role: 'candidate', description: '', predicted, probability },
        { name: 'rule', role: 'baseline', description: 'p > 0.3', predicted: rule },
      ],
      decision: 'promote',
      summary: 's',
      reasons: ['r'],
      comparisons: [],
      resamples: 100,
    });
    const [candidate, baseline] = view.models;
    expect(view.holdoutRows).toBe(400);
    expect(candidate?.metrics).toEqual(classificationMetrics(y, predicted, probability));
    expect(candidate?.confusion.tp).toBe(candidate?.metrics.tp);
    expect(candidate?.curves?.roc.fpr[0]).toBe(0);
    expect(candidate?.curves?.roc.tpr.at(-1)).toBe(1);
    expect(candidate?.curves?.calibration).toHaveLength(10);
    expect(baseline?.curves).toBeUndefined();
    expect(baseline?.metrics.f1).toBeCloseTo(classificationMetrics(y, rule).f1);
  });
});
