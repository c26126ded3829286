import { ksStatistic, populationStabilityIndex } from '../../automl/stability';
import {
  BaselineError,
  binCounts,
  computeTrainingBaseline,
  parseTrainingBaseline,
  TrainingBaselineSchema,
} from '../../monitoring/baseline';
import { chiSquareSurvival, chiSquareTest, featureDrift, psiFromCounts } from '../../monitoring/drift';

/** Deterministic normal-ish values: the mean of 4 uniforms, centred on `mean`. */
function sample(n: number, mean: number, seed: number): number[] {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: n }, () => mean + (u() + u() + u() + u() - 2) * 3);
}

const thresholds = { psiThreshold: 0.25, pValueThreshold: 0.01 };

describe('training baseline', () => {
  it('holds decile edges and the share of rows in each bin, missing values in the last bin', () => {
    const values = [...Array.from({ length: 90 }, (_, i) => i), null, Number.NaN, ...Array(8).fill(null)];
    const b = computeTrainingBaseline({ x: values });
    expect(b.rows).toBe(100);
    expect(b.features.x?.edges).toEqual([9, 18, 27, 36, 45, 54, 63, 72, 81]);
    expect(b.features.x?.proportions).toHaveLength(11);
    expect(b.features.x?.proportions[10]).toBeCloseTo(0.1, 12);
    expect(b.features.x?.proportions.reduce((a, p) => a + p, 0)).toBeCloseTo(1, 12);
    // A value equal to an edge falls in the lower bin.
    expect(binCounts([1, 2], [1, 1.5, 2, 3, null])).toEqual([1, 2, 1, 1]);
  });

  it('merges repeated quantiles: a one-hot feature has two edges, not nine', () => {
    const b = computeTrainingBaseline({ on: [...Array(70).fill(0), ...Array(30).fill(1)] });
    expect(b.features.on).toEqual({ edges: [0, 1], proportions: [0.7, 0.3, 0, 0], rows: 100 });
  });

  it('round-trips through JSON and the artifact field schema; a malformed one names the field', () => {
    const b = computeTrainingBaseline({ a: sample(500, 0, 1), b: sample(500, 5, 2) });
    expect(parseTrainingBaseline(JSON.parse(JSON.stringify(b)))).toEqual(b);
    expect(TrainingBaselineSchema.safeParse(b).success).toBe(true);
    const broken = { ...b, features: { a: { ...b.features.a, edges: [3, 1] } } };
    expect(() => parseTrainingBaseline(broken)).toThrow(BaselineError);
    expect(() => parseTrainingBaseline(broken)).toThrow(/features\.a/);
    expect(() => computeTrainingBaseline({ a: [1, 2], b: [1] })).toThrow(/column "b" has 1 values/);
  });
});

describe('drift against a baseline', () => {
  const training = sample(2000, 10, 3);
  const baseline = computeTrainingBaseline({ x: training }).features.x;
  if (!baseline) throw new Error('no baseline');

  it("PSI from the baseline's bins equals automl/stability.ts's PSI on the raw samples", () => {
    for (const live of [sample(800, 10, 4), sample(800, 12, 5), [...sample(300, 8, 6), Number.NaN]]) {
      const psi = psiFromCounts(baseline.proportions, binCounts(baseline.edges, live));
      expect(psi).toBeCloseTo(populationStabilityIndex(training, live), 12);
    }
  });

  it("the chi-square survival function matches the distribution's tables", () => {
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 9);
    expect(chiSquareSurvival(18.307038053275146, 10)).toBeCloseTo(0.05, 9);
    expect(chiSquareSurvival(23.209251158954356, 10)).toBeCloseTo(0.01, 9);
    expect(chiSquareSurvival(2, 2)).toBeCloseTo(Math.exp(-1), 12); // df 2: exp(-x/2)
    expect(chiSquareSurvival(0, 5)).toBe(1);
  });

  it('the same distribution does not drift; a shifted one drifts on both PSI and the test', () => {
    const same = featureDrift('x', baseline, binCounts(baseline.edges, sample(1000, 10, 7)), thresholds);
    expect(same).toMatchObject({ drifting: false, readings: 1000 });
    expect(same.pValue).toBeGreaterThan(0.01);
    const live = sample(1000, 13, 8);
    const shifted = featureDrift('x', baseline, binCounts(baseline.edges, live), thresholds);
    expect(shifted.drifting).toBe(true);
    expect(shifted.psi).toBeGreaterThan(0.25);
    expect(shifted.pValue).toBeLessThan(1e-9);
    expect(ksStatistic(training, live)).toBeGreaterThan(0.3); // the raw samples agree it moved
  });

  it('a small window can move PSI past the threshold without being significant: not drifting', () => {
    const few = featureDrift('x', baseline, binCounts(baseline.edges, sample(6, 11, 9)), thresholds);
    expect(few.psi).toBeGreaterThan(0.25);
    expect(few.pValue).toBeGreaterThan(0.01);
    expect(few.drifting).toBe(false);
  });

  it('nothing to test: no live values, or a bin the baseline never saw', () => {
    expect(chiSquareTest([0.5, 0.5, 0], [0, 0, 0])).toEqual({ statistic: 0, degreesOfFreedom: 1, pValue: 1 });
    // Missing values live where training had none: a strong signal, not a division by zero.
    const t = chiSquareTest([0.5, 0.5, 0], [50, 40, 10]);
    expect(t.degreesOfFreedom).toBe(2);
    expect(t.pValue).toBeLessThan(1e-6);
  });
});
