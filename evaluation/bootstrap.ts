import { EvaluationError } from './errors';
import { assertBinary, assertSameLength, f1FromCounts } from './metrics';

export interface BootstrapOptions {
  /** Number of bootstrap resamples; at least 100. @default 1000 */
  readonly resamples?: number;
  /** PRNG seed: the same seed and inputs give the same interval. @default 1 */
  readonly seed?: number;
  /** Two-sided confidence level of the percentile interval, in (0, 1). @default 0.95 */
  readonly confidence?: number;
}

export interface DeltaF1Interval {
  /** F1(A) − F1(B) on the given rows. */
  readonly delta: number;
  /** Percentile bootstrap interval of the delta. */
  readonly lower: number;
  readonly upper: number;
  readonly resamples: number;
  readonly confidence: number;
}

export const DEFAULT_RESAMPLES = 1000;
export const MIN_RESAMPLES = 100;
export const DEFAULT_SEED = 1;
export const DEFAULT_CONFIDENCE = 0.95;

export interface ResolvedBootstrapOptions {
  readonly resamples: number;
  readonly seed: number;
  readonly confidence: number;
}

/** Applies defaults and rejects out-of-range options with an error naming the option. */
export function resolveBootstrapOptions(opts: BootstrapOptions = {}): ResolvedBootstrapOptions {
  const resamples = opts.resamples ?? DEFAULT_RESAMPLES;
  const seed = opts.seed ?? DEFAULT_SEED;
  const confidence = opts.confidence ?? DEFAULT_CONFIDENCE;
  if (!Number.isInteger(resamples) || resamples < MIN_RESAMPLES) {
    throw new EvaluationError(`resamples must be an integer ≥ ${MIN_RESAMPLES}, got ${resamples}`, 'resamples');
  }
  if (!Number.isFinite(seed)) throw new EvaluationError(`seed must be a finite number, got ${seed}`, 'seed');
  if (!(confidence > 0 && confidence < 1)) {
    throw new EvaluationError(`confidence must be in (0, 1), got ${confidence}`, 'confidence');
  }
  return { resamples, seed, confidence };
}

// Bound once: a global `Math` lookup per draw is slow inside vm contexts (jest), ~50× on this loop.
const imul = Math.imul;

// Per-row outcome of one predictor: the four confusion cells.
const TN = 0;
const TP = 1;
const FP = 2;
const FN = 3;

/** Linear-interpolated quantile of sorted values (NumPy's default "linear" method). */
function quantileSorted(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const low = sorted[below] ?? 0;
  const high = sorted[above] ?? 0;
  return low + (high - low) * (position - below);
}

/**
 * Paired bootstrap confidence interval for F1(A) − F1(B) on the same rows: each resample draws row indices with
 * replacement (seeded mulberry32) and scores both predictors on the same draw, so row difficulty cancels out.
 *
 * Each row is reduced to one of 16 joint outcomes (A's confusion cell × B's), and a resample only counts outcomes,
 * so nothing is materialised per resample: O(resamples × rows) integer work and O(rows) memory.
 */
export function pairedBootstrapDeltaF1(
  y: ArrayLike<number>,
  predA: ArrayLike<number>,
  predB: ArrayLike<number>,
  opts?: BootstrapOptions,
): DeltaF1Interval {
  assertSameLength(y, predA, 'predA');
  assertSameLength(y, predB, 'predB');
  assertBinary(y, 'y');
  assertBinary(predA, 'predA');
  assertBinary(predB, 'predB');
  const { resamples, seed, confidence } = resolveBootstrapOptions(opts);

  const n = y.length;
  const joint = new Uint8Array(n);
  const totals = new Float64Array(16);
  for (let i = 0; i < n; i++) {
    const positive = y[i] === 1;
    const a = predA[i] === 1 ? (positive ? TP : FP) : positive ? FN : TN;
    const b = predB[i] === 1 ? (positive ? TP : FP) : positive ? FN : TN;
    const code = a * 4 + b;
    joint[i] = code;
    totals[code] = (totals[code] ?? 0) + 1;
  }
  const delta = deltaF1FromJointCounts(totals);

  const counts = new Int32Array(16);
  const deltas = new Float64Array(resamples);
  // mulberry32 inlined (same stream as `mulberry32Uint32(seed)`): the draw loop runs rows × resamples times and
  // a closure call per draw roughly doubles its cost.
  let state = Math.trunc(seed) >>> 0;
  for (let r = 0; r < resamples; r++) {
    counts.fill(0);
    for (let k = 0; k < n; k++) {
      state = (state + 0x6d2b79f5) | 0;
      let t = state;
      t = imul(t ^ (t >>> 15), t | 1);
      t ^= t + imul(t ^ (t >>> 7), t | 61);
      // Multiply-shift maps the uniform 32-bit integer onto [0, n) (exact while n < 2^21).
      const row = ((((t ^ (t >>> 14)) >>> 0) * n) / 4294967296) | 0;
      const code = joint[row] ?? 0;
      counts[code] = (counts[code] ?? 0) + 1;
    }
    deltas[r] = deltaF1FromJointCounts(counts);
  }
  deltas.sort();
  const alpha = 1 - confidence;
  return {
    delta,
    lower: quantileSorted(deltas, alpha / 2),
    upper: quantileSorted(deltas, 1 - alpha / 2),
    resamples,
    confidence,
  };
}

/** F1(A) − F1(B) from the 16 joint outcome counts (index = A's cell × 4 + B's cell). */
function deltaF1FromJointCounts(counts: ArrayLike<number>): number {
  const a = new Float64Array(4);
  const b = new Float64Array(4);
  for (let code = 0; code < 16; code++) {
    const count = counts[code] ?? 0;
    const cellA = code >> 2;
    const cellB = code & 3;
    a[cellA] = (a[cellA] ?? 0) + count;
    b[cellB] = (b[cellB] ?? 0) + count;
  }
  return f1FromCounts(a[TP] ?? 0, a[FP] ?? 0, a[FN] ?? 0) - f1FromCounts(b[TP] ?? 0, b[FP] ?? 0, b[FN] ?? 0);
}
