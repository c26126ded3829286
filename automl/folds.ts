/**
 * The search's view of time: rolling-origin folds that each hold both classes, how strongly one feature separates
 * the classes on a block, how far a feature's level wanders between blocks (drift), and which features describe
 * change rather than a level. Pure.
 */
import type { Fold } from './candidate';
import { rocAuc } from './objective';

/**
 * Names of features that describe change, spread or time rather than an absolute level: they transfer across
 * seasons and rooms (`temperature_delta`, `sound_std_5`, `sound_secs_since_cross`, `hvac_status_is_fan`,
 * `hour_sin`). Rolling means (`temperature_mean_5`) are levels and do not count.
 */
const RELATIVE_FEATURE =
  /(_delta|_diff|_change|_std|_stddev|_var|_slope|_range|secs_since|_since_|_is_|^hour|^weekday|^dow|^minute|_sin$|_cos$)/i;

export function isRelativeFeature(name: string): boolean {
  return RELATIVE_FEATURE.test(name);
}

/** Fewest rows of each class a validation block needs to say anything about F1. */
const MIN_CLASS_ROWS = 5;

/**
 * Rolling-origin folds over the last 70% of time in `folds` equal blocks, each trained on everything before it.
 * A block lacking either class (a weekend, a quiet week) is merged into the next one (the last into the one
 * before), so every fold can rank models on both kinds of error.
 */
export function timeBlockFolds(rows: Uint32Array, y: Uint8Array, folds: number): Fold[] {
  const n = rows.length;
  const first = Math.floor(n * 0.3);
  const size = (n - first) / folds;
  const bounds: { start: number; end: number }[] = [];
  for (let k = 0; k < folds; k++) {
    const start = Math.floor(first + k * size);
    const end = k === folds - 1 ? n : Math.floor(first + (k + 1) * size);
    bounds.push({ start, end });
  }
  const informative = (start: number, end: number): boolean => {
    let positives = 0;
    for (let i = start; i < end; i++) positives += y[rows[i] ?? 0] ?? 0;
    return positives >= MIN_CLASS_ROWS && end - start - positives >= MIN_CLASS_ROWS;
  };
  const merged: { start: number; end: number }[] = [];
  let pendingStart: number | undefined;
  for (const b of bounds) {
    const start = pendingStart ?? b.start;
    if (informative(start, b.end)) {
      merged.push({ start, end: b.end });
      pendingStart = undefined;
    } else pendingStart = start;
  }
  if (pendingStart !== undefined) {
    const last = merged.pop();
    merged.push({ start: last?.start ?? pendingStart, end: n });
  }
  return merged.map(({ start, end }) => ({ train: rows.subarray(0, start), valid: rows.subarray(start, end) }));
}

/** |AUC − 0.5| of one feature on the rows given (0 when a class is absent). */
export function univariateStrength(col: Float64Array, y: Uint8Array, rows: Uint32Array): number {
  const values = new Float64Array(rows.length);
  const labels = new Uint8Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] ?? 0;
    const v = col[r] ?? Number.NaN;
    values[i] = Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v;
    labels[i] = y[r] ?? 0;
  }
  const auc = rocAuc(labels, values);
  return Number.isNaN(auc) ? 0 : Math.abs(auc - 0.5);
}

/**
 * How far a feature's level wanders between five time blocks among the unoccupied rows, relative to the gap
 * between the classes' means: humidity on a wet day moves more than occupancy moves it, light at night does not.
 * Occupancy itself changing between blocks (weekends) does not count as drift.
 */
export function levelDrift(col: Float64Array, y: Uint8Array, rows: Uint32Array): number {
  const blocks = 5;
  const means: number[] = [];
  const sums = [0, 0];
  const counts = [0, 0];
  for (let b = 0; b < blocks; b++) {
    const from = Math.floor((b * rows.length) / blocks);
    const to = Math.floor(((b + 1) * rows.length) / blocks);
    let blockSum = 0;
    let blockCount = 0;
    for (let i = from; i < to; i++) {
      const r = rows[i] ?? 0;
      const v = col[r] ?? Number.NaN;
      if (Number.isNaN(v)) continue;
      const label = y[r] === 1 ? 1 : 0;
      sums[label] = (sums[label] ?? 0) + v;
      counts[label] = (counts[label] ?? 0) + 1;
      if (label === 0) {
        blockSum += v;
        blockCount++;
      }
    }
    if (blockCount >= MIN_CLASS_ROWS) means.push(blockSum / blockCount);
  }
  const [n0 = 0, n1 = 0] = counts;
  if (means.length < 2 || n0 === 0 || n1 === 0) return 0;
  const gap = Math.abs((sums[1] ?? 0) / n1 - (sums[0] ?? 0) / n0);
  const range = Math.max(...means) - Math.min(...means);
  if (range === 0) return 0;
  return gap > 0 ? range / gap : Number.POSITIVE_INFINITY;
}

/** Features whose unoccupied level moves more than this share of the class gap across time blocks drift. */
export const DRIFT_LIMIT = 0.5;
