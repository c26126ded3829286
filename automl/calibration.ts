/**
 * Probability calibration fitted on a candidate's out-of-fold predictions, so that "0.8" means occupied about
 * 80% of the time. Two calibrators, both monotone so they keep the model's ranking:
 * - Platt scaling: P = σ(a·logit(p) + b), fitted by Newton's method on the log-loss with Platt's smoothed targets
 *   (finite a, b even when the classes separate); a = 1, b = 0 is the identity.
 * - Isotonic regression by pool-adjacent-violators, centred (Oron & Flournoy's CIR): each pooled block becomes
 *   one point at its mean score, joined by straight lines, so the map rises strictly between the first and last
 *   block (no new ties, the decision threshold keeps its meaning) and is flat outside them.
 * The method is chosen by the Brier score cross-fitted on the out-of-fold rows (each fifth of them, spread over
 * the whole period, calibrated by a map fitted on the rest), and the identity is kept unless one lowers it by
 * MIN_BRIER_GAIN.
 * `applyCalibration` is the one function every reader of an artifact uses. Pure.
 */
import type { ModelArtifact } from './artifact';
import { type Objective, tuneThreshold } from './objective';

export type Calibrator =
  | { readonly method: 'identity' }
  | { readonly method: 'platt'; readonly a: number; readonly b: number }
  | { readonly method: 'isotonic'; readonly x: number[]; readonly y: number[] };

export type CalibrationMethod = Calibrator['method'];

/** How the calibrator was chosen: Brier scores on the out-of-fold predictions (lower is better). */
export interface CalibrationFit {
  readonly rows: number;
  /** The raw scores'. */
  readonly brierBefore: number;
  /** The chosen calibrator's, cross-fitted (equal to brierBefore for the identity). */
  readonly brierAfter: number;
  readonly brierPlatt: number;
  readonly brierIsotonic: number;
}

export type Calibration = Calibrator & { readonly fit?: CalibrationFit };

/** A calibrator must lower the cross-fitted Brier score by at least this much to replace the identity. */
export const MIN_BRIER_GAIN = 1e-4;
/** Scores are clipped to [EPS, 1 − EPS] before the logit. */
const EPS = 1e-6;

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-Math.max(-500, Math.min(500, z))));

export function logit(p: number): number {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
}

/** The calibrated probability of a raw score; no calibrator (an older artifact) or the identity returns it as is. */
export function applyCalibration(calibrator: Calibrator | undefined, p: number): number {
  if (!calibrator || Number.isNaN(p)) return p;
  switch (calibrator.method) {
    case 'identity':
      return p;
    case 'platt':
      return sigmoid(calibrator.a * logit(p) + calibrator.b);
    case 'isotonic':
      return interpolate(calibrator.x, calibrator.y, p);
  }
}

function interpolate(xs: readonly number[], ys: readonly number[], p: number): number {
  const last = xs.length - 1;
  if (last < 0) return p;
  if (p <= (xs[0] ?? 0)) return ys[0] ?? p;
  if (p >= (xs[last] ?? 0)) return ys[last] ?? p;
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((xs[mid] ?? 0) <= p) lo = mid;
    else hi = mid;
  }
  const x0 = xs[lo] ?? 0;
  const x1 = xs[hi] ?? 0;
  const y0 = ys[lo] ?? 0;
  const y1 = ys[hi] ?? 0;
  return y0 + ((y1 - y0) * (p - x0)) / (x1 - x0);
}

/** Mean squared error of the probabilities against the 0/1 labels. */
export function brierScore(y: ArrayLike<number>, p: ArrayLike<number>): number {
  if (y.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < y.length; i++) sum += ((p[i] ?? 0) - (y[i] ?? 0)) ** 2;
  return sum / y.length;
}

/** Platt scaling on logit(p): Newton's method with step halving on the log-loss of Platt's smoothed targets. */
export function fitPlatt(p: ArrayLike<number>, y: ArrayLike<number>): { a: number; b: number } {
  const n = y.length;
  const f = Float64Array.from({ length: n }, (_, i) => logit(p[i] ?? 0));
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i] === 1 ? 1 : 0;
  const hi = (positives + 1) / (positives + 2);
  const lo = 1 / (n - positives + 2);
  const t = Float64Array.from({ length: n }, (_, i) => (y[i] === 1 ? hi : lo));
  const loss = (a: number, b: number): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const z = a * (f[i] ?? 0) + b;
      // log(1 + e^z) − t·z, stable for large |z|.
      sum += (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - (t[i] ?? 0) * z;
    }
    return sum;
  };
  let a = 1;
  let b = 0;
  let current = loss(a, b);
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-12;
    let hab = 0;
    let hbb = 1e-12;
    for (let i = 0; i < n; i++) {
      const fi = f[i] ?? 0;
      const q = sigmoid(a * fi + b);
      const r = q - (t[i] ?? 0);
      const w = Math.max(q * (1 - q), 1e-12);
      ga += r * fi;
      gb += r;
      haa += w * fi * fi;
      hab += w * fi;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let step = 1;
    let next = loss(a - da, b - db);
    while (next > current && step > 1e-8) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (next > current) break;
    a -= step * da;
    b -= step * db;
    const converged =
      current - next < 1e-12 * Math.max(1, Math.abs(current)) || Math.abs(step * da) + Math.abs(step * db) < 1e-10;
    current = next;
    if (converged) break;
  }
  return { a, b };
}

/** Centred isotonic regression: PAV blocks (ties pooled) as (mean score, mean label) points, rising strictly. */
export function fitIsotonic(p: ArrayLike<number>, y: ArrayLike<number>): { x: number[]; y: number[] } {
  const n = y.length;
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((i, j) => (p[i] ?? 0) - (p[j] ?? 0));
  const weight: number[] = [];
  const sumX: number[] = [];
  const sumY: number[] = [];
  let i = 0;
  while (i < n) {
    const v = p[order[i] ?? 0] ?? 0;
    let w = 0;
    let sy = 0;
    while (i < n && (p[order[i] ?? 0] ?? 0) === v) {
      w++;
      sy += y[order[i] ?? 0] === 1 ? 1 : 0;
      i++;
    }
    weight.push(w);
    sumX.push(v * w);
    sumY.push(sy);
    // Pool while the previous block's mean label is not strictly below this one's.
    while (weight.length > 1) {
      const k = weight.length - 1;
      const wk = weight[k] ?? 1;
      const wp = weight[k - 1] ?? 1;
      if ((sumY[k - 1] ?? 0) / wp < (sumY[k] ?? 0) / wk) break;
      weight[k - 1] = wp + wk;
      sumX[k - 1] = (sumX[k - 1] ?? 0) + (sumX[k] ?? 0);
      sumY[k - 1] = (sumY[k - 1] ?? 0) + (sumY[k] ?? 0);
      weight.pop();
      sumX.pop();
      sumY.pop();
    }
  }
  return {
    x: weight.map((w, k) => (sumX[k] ?? 0) / w),
    y: weight.map((w, k) => (sumY[k] ?? 0) / w),
  };
}

function fitMethod(method: 'platt' | 'isotonic', p: ArrayLike<number>, y: ArrayLike<number>): Calibrator {
  return method === 'platt' ? { method, ...fitPlatt(p, y) } : { method, ...fitIsotonic(p, y) };
}

/** A calibrator that does not rise (Platt a ≤ 0, one isotonic block) would erase the ranking: never used. */
function rises(c: Calibrator): boolean {
  if (c.method === 'platt') return c.a > 0;
  if (c.method === 'isotonic') return c.x.length >= 2;
  return true;
}

/** Rows are cut into this many consecutive blocks, dealt round-robin into CROSS_FIT_GROUPS groups. */
const CROSS_FIT_BLOCKS = 50;
const CROSS_FIT_GROUPS = 5;

/**
 * Brier score of `method` cross-fitted: each group of rows is calibrated by a map fitted on the other groups. A group
 * is every fifth block of consecutive rows, so it spans the whole period while neighbouring (alike) rows stay together.
 */
function crossFittedBrier(method: 'platt' | 'isotonic', p: Float64Array, y: Uint8Array): number {
  const n = p.length;
  const groupOf = (i: number) => Math.floor((i * CROSS_FIT_BLOCKS) / n) % CROSS_FIT_GROUPS;
  let sum = 0;
  for (let g = 0; g < CROSS_FIT_GROUPS; g++) {
    const restP: number[] = [];
    const restY: number[] = [];
    for (let i = 0; i < n; i++) {
      if (groupOf(i) === g) continue;
      restP.push(p[i] ?? 0);
      restY.push(y[i] ?? 0);
    }
    const c = fitMethod(method, restP, restY);
    for (let i = 0; i < n; i++) if (groupOf(i) === g) sum += (applyCalibration(c, p[i] ?? 0) - (y[i] ?? 0)) ** 2;
  }
  return n === 0 ? 0 : sum / n;
}

/**
 * The calibrator for out-of-fold predictions `p` with labels `y` (in time order): Platt, isotonic or the identity,
 * whichever has the lowest cross-fitted Brier score.
 */
export function chooseCalibration(p: Float64Array, y: Uint8Array): Calibration {
  const n = p.length;
  const brierBefore = brierScore(y, p);
  const brierPlatt = crossFittedBrier('platt', p, y);
  const brierIsotonic = crossFittedBrier('isotonic', p, y);
  const method = brierPlatt <= brierIsotonic ? 'platt' : 'isotonic';
  const brierMethod = Math.min(brierPlatt, brierIsotonic);
  const fit = { rows: n, brierBefore, brierPlatt, brierIsotonic };
  if (n > 0 && brierMethod <= brierBefore - MIN_BRIER_GAIN) {
    const calibrator = fitMethod(method, p, y);
    if (rises(calibrator)) return { ...calibrator, fit: { ...fit, brierAfter: brierMethod } };
  }
  return { method: 'identity', fit: { ...fit, brierAfter: brierBefore } };
}

/**
 * The artifact with its calibration chosen on the winner's out-of-fold predictions, and its decision threshold
 * moved to the calibrated scale: re-tuned on the calibrated predictions, or (`fixedCut`, a rule scored at its own
 * cut) the calibrated value of that cut. The identity leaves the threshold as it was.
 */
export function calibrateArtifact(
  artifact: ModelArtifact,
  oof: Float64Array,
  y: Uint8Array,
  objective: Objective,
  fixedCut: boolean,
): ModelArtifact {
  const calibration = chooseCalibration(oof, y);
  if (calibration.method === 'identity') return { ...artifact, calibration };
  const threshold = fixedCut
    ? applyCalibration(calibration, artifact.threshold)
    : tuneThreshold(
        y,
        oof.map((p) => applyCalibration(calibration, p)),
        objective,
      ).threshold;
  return { ...artifact, calibration, threshold: Math.min(1, Math.max(0, threshold)) };
}
