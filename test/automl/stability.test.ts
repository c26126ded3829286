import type { Fold } from '../../automl/candidate';
import { mulberry32 } from '../../automl/random';
import { foldShift, ksStatistic, PSI_SIGNIFICANT, populationStabilityIndex } from '../../automl/stability';

const uniform = (n: number, seed: number, from = 0, to = 1): Float64Array => {
  const rng = mulberry32(seed);
  return Float64Array.from({ length: n }, () => from + rng() * (to - from));
};
const range = (from: number, to: number) => Uint32Array.from({ length: to - from }, (_, i) => from + i);

describe('population stability index', () => {
  it('is 0 for the same sample and small for another draw of the same distribution', () => {
    const a = uniform(2000, 1);
    expect(populationStabilityIndex(a, a)).toBe(0);
    expect(populationStabilityIndex(a, uniform(2000, 2))).toBeLessThan(0.05);
  });

  it('reads a shifted level as a significant shift', () => {
    const before = uniform(2000, 1);
    expect(populationStabilityIndex(before, uniform(2000, 2, 0.5, 1.5))).toBeGreaterThan(PSI_SIGNIFICANT);
  });

  it('stays finite when the new sample leaves bins empty or the reference is constant', () => {
    const constant = new Float64Array(100).fill(3);
    const psi = populationStabilityIndex(constant, uniform(100, 4, 5, 6));
    expect(Number.isFinite(psi)).toBe(true);
    expect(psi).toBeGreaterThan(PSI_SIGNIFICANT);
  });

  it('counts values going missing as a shift', () => {
    const before = uniform(500, 1);
    const after = Float64Array.from(uniform(500, 2), (v, i) => (i % 2 === 0 ? Number.NaN : v));
    expect(populationStabilityIndex(before, after)).toBeGreaterThan(PSI_SIGNIFICANT);
  });
});

describe('two-sample Kolmogorov–Smirnov statistic', () => {
  it('is the largest gap between the empirical CDFs', () => {
    expect(ksStatistic([1, 2, 3], [4, 5, 6])).toBe(1);
    expect(ksStatistic([1, 2, 3, 4], [3, 4, 5, 6])).toBe(0.5);
    expect(ksStatistic([1, 2, 2, 3], [1, 2, 2, 3])).toBe(0);
    expect(ksStatistic([1, Number.NaN], [])).toBe(0);
  });
});

describe('fold shift (unoccupied rows only)', () => {
  const n = 1000;
  // Three folds after the first 30%: validation blocks 300-533, 533-766, 766-1000.
  const folds: Fold[] = [300, 533, 766].map((start, k) => ({
    train: range(0, start),
    valid: range(start, k === 2 ? n : ([533, 766][k] ?? n)),
  }));
  const noise = uniform(n, 9);

  it('does not read more occupied rows in a later fold as drift', () => {
    // Occupied one row in ten at first, one in two at the end: the feature only separates the classes.
    const y = Uint8Array.from({ length: n }, (_, i) => (i % (i < 500 ? 10 : 2) === 0 ? 1 : 0));
    const light = Float64Array.from(y, (label, i) => (label ? 500 : 0) + (noise[i] ?? 0));
    const shift = foldShift(light, y, folds);
    expect(shift.psi).toBeLessThan(PSI_SIGNIFICANT);
    expect(shift.ks).toBeLessThan(0.2);
    // On all rows the same feature would read as a large shift.
    const last = folds[2]?.valid ?? range(0, 0);
    const all = populationStabilityIndex(
      light.subarray(0, 300),
      Float64Array.from(last, (r) => light[r] ?? 0),
    );
    expect(all).toBeGreaterThan(PSI_SIGNIFICANT);
  });

  it('reads an empty room whose level moves between folds as drift', () => {
    const y = Uint8Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const co2 = Float64Array.from(y, (label, i) => (label ? 900 : 400 + i / 2) + (noise[i] ?? 0));
    const shift = foldShift(co2, y, folds);
    expect(shift.psi).toBeGreaterThan(PSI_SIGNIFICANT);
    expect(shift.ks).toBe(1);
  });

  it('is 0 without folds or without enough unoccupied rows', () => {
    const y = new Uint8Array(n).fill(1);
    expect(foldShift(noise, y, folds)).toEqual({ psi: 0, ks: 0 });
    expect(foldShift(noise, new Uint8Array(n), [])).toEqual({ psi: 0, ks: 0 });
  });
});
