/**
 * Drift of live values against a training baseline, from bin counts alone (the monitor's SQL returns counts per
 * baseline bin, never the rows):
 * - PSI on the baseline's bins: Σ (a − e)·ln(a / e), shares floored as automl/stability.ts floors them, so the
 *   figure is the one stability.ts reports for the same two samples (tested). It says how much moved.
 * - Pearson's chi-square goodness-of-fit test of the live counts against the baseline's proportions, with its
 *   p-value. It says whether the move is more than sampling noise. Chosen over KS because the summary holds the
 *   training distribution only as bin shares: chi-square is exact on binned counts against known proportions
 *   (df = bins − 1), whereas KS on binned data sees the CDF only at the edges and its p-value is then not valid
 *   (conservative, and wrong for the many repeated values of one-hot and zero-inflated features).
 * A feature drifts when both say so (PSI ≥ threshold and p < limit): PSI alone is noisy on a small window, the
 * test alone flags trivial shifts on a large one.
 * Pure: counts in, figures out.
 */
import type { FeatureBaseline } from './baseline';

/** Share floor before the logarithm, as automl/stability.ts (an empty bin does not make PSI infinite). */
export const PSI_FLOOR = 1e-4;

/** PSI of live `counts` against baseline `proportions` (same bins). 0 when either side is empty. */
export function psiFromCounts(proportions: readonly number[], counts: readonly number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  const expectedTotal = proportions.reduce((a, b) => a + b, 0);
  if (n === 0 || expectedTotal === 0) return 0;
  let psi = 0;
  for (let b = 0; b < proportions.length; b++) {
    const e = Math.max(PSI_FLOOR, proportions[b] ?? 0);
    const a = Math.max(PSI_FLOOR, (counts[b] ?? 0) / n);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

export interface ChiSquareTest {
  readonly statistic: number;
  readonly degreesOfFreedom: number;
  /** P(χ²_df ≥ statistic); 1 when there is nothing to test (no live values, or one bin). */
  readonly pValue: number;
}

/**
 * Pearson's goodness-of-fit test of `counts` against `proportions`. Bins the baseline never saw and live traffic
 * does not fill either are left out (they carry no degree of freedom); a live value in a bin the baseline never saw
 * gets the PSI floor as its expected share, so it weighs heavily instead of dividing by zero.
 */
export function chiSquareTest(proportions: readonly number[], counts: readonly number[]): ChiSquareTest {
  const n = counts.reduce((a, b) => a + b, 0);
  const kept: { p: number; o: number }[] = [];
  for (let b = 0; b < proportions.length; b++) {
    const p = proportions[b] ?? 0;
    const o = counts[b] ?? 0;
    if (p > 0 || o > 0) kept.push({ p: Math.max(PSI_FLOOR, p), o });
  }
  const df = kept.length - 1;
  if (n === 0 || df < 1) return { statistic: 0, degreesOfFreedom: Math.max(0, df), pValue: 1 };
  const total = kept.reduce((a, k) => a + k.p, 0);
  let statistic = 0;
  for (const { p, o } of kept) {
    const e = (n * p) / total;
    statistic += ((o - e) * (o - e)) / e;
  }
  return { statistic, degreesOfFreedom: df, pValue: chiSquareSurvival(statistic, df) };
}

/** P(χ²_k ≥ x): the upper regularized gamma function Q(k/2, x/2). */
export function chiSquareSurvival(x: number, k: number): number {
  if (!(x > 0)) return 1;
  return upperRegularizedGamma(k / 2, x / 2);
}

/** ln Γ(a), a > 0 (Lanczos, g = 7, 9 terms: ~15 significant digits). */
function lnGamma(a: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (a < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * a)) - lnGamma(1 - a);
  const x = a - 1;
  let sum = c[0] ?? 1;
  for (let i = 1; i < c.length; i++) sum += (c[i] ?? 0) / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
}

const EPS = 1e-15;
const MAX_ITERATIONS = 1000;

/** Q(a, x): the series of P for x < a + 1, Lentz's continued fraction of Q otherwise (Numerical Recipes §6.2). */
function upperRegularizedGamma(a: number, x: number): number {
  const logPrefix = a * Math.log(x) - x - lnGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < MAX_ITERATIONS; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) break;
    }
    return Math.min(1, Math.max(0, 1 - sum * Math.exp(logPrefix)));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.min(1, Math.max(0, Math.exp(logPrefix) * h));
}

export interface FeatureDrift {
  readonly feature: string;
  /** Live values compared (missing included). */
  readonly readings: number;
  readonly psi: number;
  readonly chiSquare: number;
  readonly pValue: number;
  /** PSI ≥ psiThreshold and p < pValueThreshold. */
  readonly drifting: boolean;
}

export interface DriftThresholds {
  readonly psiThreshold: number;
  readonly pValueThreshold: number;
}

/** One feature's drift from live `counts` on its baseline's bins (edges.length + 2 counts). */
export function featureDrift(
  feature: string,
  baseline: FeatureBaseline,
  counts: readonly number[],
  thresholds: DriftThresholds,
): FeatureDrift {
  const readings = counts.reduce((a, b) => a + b, 0);
  const psi = psiFromCounts(baseline.proportions, counts);
  const test = chiSquareTest(baseline.proportions, counts);
  return {
    feature,
    readings,
    psi,
    chiSquare: test.statistic,
    pValue: test.pValue,
    drifting: readings > 0 && psi >= thresholds.psiThreshold && test.pValue < thresholds.pValueThreshold,
  };
}
