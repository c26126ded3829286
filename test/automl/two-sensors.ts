import { mulberry32 } from '../../automl/random';
import type { LabelledTable } from '../../telemetry/table';

/**
 * Two informative sensors, alpha and beta, each noisy alone (a reading and its 5-minute mean), occupied in meeting
 * blocks on working hours; after `stuckFrom` alpha sticks at the value it read then (a sensor failing).
 */
export function twoSensors(rows: number, seed: number, stuckFrom = Number.POSITIVE_INFINITY): LabelledTable {
  const rng = mulberry32(seed);
  const names = ['alpha', 'alpha_mean_5', 'beta', 'beta_mean_5', 'hour_sin', 'hour_cos'];
  const columns = names.map(() => new Float64Array(rows));
  const target = new Uint8Array(rows);
  const recent: number[][] = [[], []];
  let occupied = 0;
  let stuck: number[] | undefined;
  for (let i = 0; i < rows; i++) {
    const hour = (i / 60) % 24;
    const working = hour >= 8 && hour < 18;
    if (working && rng() < (occupied ? 0.02 : 0.03)) occupied = 1 - occupied;
    if (!working) occupied = 0;
    const readings = [10 + occupied * 5 + (rng() - 0.5) * 14, 50 + occupied * 20 + (rng() - 0.5) * 56];
    const means = readings.map((r, s) => {
      const window = recent[s] ?? [];
      window.push(r);
      if (window.length > 5) window.shift();
      return window.reduce((a, b) => a + b, 0) / window.length;
    });
    let alpha = [readings[0] ?? 0, means[0] ?? 0];
    if (i >= stuckFrom) {
      stuck ??= alpha;
      alpha = stuck;
    }
    const values = [
      ...alpha,
      readings[1] ?? 0,
      means[1] ?? 0,
      Math.sin((2 * Math.PI * hour) / 24),
      Math.cos((2 * Math.PI * hour) / 24),
    ];
    values.forEach((v, c) => {
      const col = columns[c];
      if (col) col[i] = v;
    });
    target[i] = occupied;
  }
  return { names, columns, rowCount: rows, ignored: [], target, targetName: 'occupied' };
}
