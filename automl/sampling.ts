/**
 * Row samples for big tables. Pure.
 */
import type { Rng } from './random';

/**
 * One row drawn at random from each block of `step` consecutive entries of `rows` (the last block may be shorter),
 * in order. Time-stratified like every step-th row, but it cannot alias with a period in the data: a fleet export
 * lists its rooms in the same order at every reading, so every 8th row of 70 rooms only ever saw 35 of them.
 */
export function stratifiedSample(rows: Uint32Array, step: number, rng: Rng): Uint32Array {
  if (step <= 1) return rows;
  const blocks = Math.ceil(rows.length / step);
  const sample = new Uint32Array(blocks);
  for (let b = 0; b < blocks; b++) {
    const start = b * step;
    const size = Math.min(step, rows.length - start);
    sample[b] = rows[start + Math.floor(rng() * size)] ?? 0;
  }
  return sample;
}
