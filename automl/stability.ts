/**
 * How far each feature's distribution moves between the search's time folds: the population stability index
 * (PSI, on deciles of the reference) and the two-sample Kolmogorov–Smirnov statistic, between the first fold's
 * training block and each fold's validation block. Class-conditional, as `levelDrift` is: only unoccupied rows
 * are compared, so a busier week (more occupied rows) does not read as drift.
 * Pure: arrays in, figures out.
 */
import type { Fold } from './candidate';

/** Reference quantile bins PSI is taken on (deciles, as usual). */
const PSI_BINS = 10;
/** A bin's share is floored at this before the logarithm, so an empty bin does not make PSI infinite. */
const PSI_FLOOR = 1e-4;
/** Fewest unoccupied rows a block needs for its distribution to be compared. */
const MIN_ROWS = 20;

/**
 * The conventional line above which PSI reads as a significant shift (0.1–0.25 is moderate).
 * Used with `levelDrift`: see `isDrifting`.
 */
export const PSI_SIGNIFICANT = 0.25;

/** Ascending values, NaN left out. */
function sortedFinite(values: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? Number.NaN;
    if (!Number.isNaN(v)) out.push(v);
  }
  return Float64Array.from(out).sort();
}

/** Index of the first element of ascending `xs` greater than `v`. */
function upperBound(xs: Float64Array, v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((xs[mid] ?? 0) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * PSI of `actual` against `expected`: Σ (a − e)·ln(a / e) over the expected sample's decile bins (repeated
 * quantiles merged, so a mostly constant reference gets fewer bins), missing values in a bin of their own.
 * 0 when either sample is empty.
 */
export function populationStabilityIndex(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (expected.length === 0 || actual.length === 0) return 0;
  const reference = sortedFinite(expected);
  const edges: number[] = [];
  for (let q = 1; q < PSI_BINS; q++) {
    const edge = reference[Math.min(reference.length - 1, Math.floor((q * reference.length) / PSI_BINS))];
    if (edge !== undefined && edge !== edges[edges.length - 1]) edges.push(edge);
  }
  const sortedEdges = Float64Array.from(edges);
  const bins = sortedEdges.length + 2; // the last one holds missing values
  const shares = (sample: ArrayLike<number>): Float64Array => {
    const counts = new Float64Array(bins);
    for (let i = 0; i < sample.length; i++) {
      const v = sample[i] ?? Number.NaN;
      const bin = Number.isNaN(v) ? bins - 1 : lowerBound(sortedEdges, v);
      counts[bin] = (counts[bin] ?? 0) + 1;
    }
    return counts.map((c) => Math.max(PSI_FLOOR, c / sample.length));
  };
  const e = shares(expected);
  const a = shares(actual);
  let psi = 0;
  for (let b = 0; b < bins; b++) {
    const eb = e[b] ?? PSI_FLOOR;
    const ab = a[b] ?? PSI_FLOOR;
    psi += (ab - eb) * Math.log(ab / eb);
  }
  return psi;
}

/** Index of the first element of ascending `xs` not less than `v`: values equal to an edge fall in the lower bin. */
function lowerBound(xs: Float64Array, v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((xs[mid] ?? 0) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Two-sample Kolmogorov–Smirnov statistic: the largest gap between the empirical CDFs (NaN ignored; 0 if empty). */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = sortedFinite(a);
  const y = sortedFinite(b);
  if (x.length === 0 || y.length === 0) return 0;
  let largest = 0;
  // The CDF gap only changes at sample values: evaluate it just at (and including) each distinct value.
  for (const sample of [x, y]) {
    for (let i = 0; i < sample.length; i++) {
      const v = sample[i] ?? 0;
      if (i + 1 < sample.length && sample[i + 1] === v) continue;
      const gap = Math.abs(upperBound(x, v) / x.length - upperBound(y, v) / y.length);
      if (gap > largest) largest = gap;
    }
  }
  return largest;
}

/** One feature's largest PSI and KS between the first training block and any validation block. */
export interface FoldShift {
  readonly psi: number;
  readonly ks: number;
}

/** Values of `col` on the unoccupied rows among `rows`. */
function unoccupied(col: Float64Array, y: Uint8Array, rows: Uint32Array): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] ?? 0;
    if (y[r] !== 1) out.push(col[r] ?? Number.NaN);
  }
  return Float64Array.from(out);
}

/**
 * Largest PSI and KS of `col` between the first fold's training block and each fold's validation block, on the
 * unoccupied rows. Blocks with fewer than MIN_ROWS such rows are skipped (0 when none can be compared).
 */
export function foldShift(col: Float64Array, y: Uint8Array, folds: readonly Fold[]): FoldShift {
  const first = folds[0];
  if (!first) return { psi: 0, ks: 0 };
  const reference = unoccupied(col, y, first.train);
  if (reference.length < MIN_ROWS) return { psi: 0, ks: 0 };
  let psi = 0;
  let ks = 0;
  for (const fold of folds) {
    const block = unoccupied(col, y, fold.valid);
    if (block.length < MIN_ROWS) continue;
    psi = Math.max(psi, populationStabilityIndex(reference, block));
    ks = Math.max(ks, ksStatistic(reference, block));
  }
  return { psi, ks };
}
