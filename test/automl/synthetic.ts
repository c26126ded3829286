import { mulberry32 } from '../../automl/random';
import { toCsv } from '../../telemetry/csv';
import type { LabelledTable } from '../../telemetry/table';

/**
 * A small, time-ordered thermostat-like export: one reading a minute, occupied in meeting blocks
 * on working hours. `sound` is informative but noisy; `sound_delta` and `sound_rolling_mean_5` more so;
 * `temperature` drifts in level over time.
 */
export function syntheticExport(rows: number, seed = 7): { table: LabelledTable; csv: string } {
  const rng = mulberry32(seed);
  const names = ['temperature', 'sound', 'sound_delta', 'sound_rolling_mean_5', 'hour_sin', 'hour_cos'];
  const columns = names.map(() => new Float64Array(rows));
  const target = new Uint8Array(rows);
  let occupied = 0;
  let previousSound = 0;
  const recent: number[] = [];
  for (let i = 0; i < rows; i++) {
    const hour = (i / 60) % 24;
    const working = hour >= 8 && hour < 18;
    // Meetings start and end at random; rooms stay empty at night.
    if (working && rng() < (occupied ? 0.02 : 0.03)) occupied = 1 - occupied;
    if (!working) occupied = 0;
    const sound = Math.max(0, (occupied ? 14 : 7) + (rng() - 0.5) * 12);
    recent.push(sound);
    if (recent.length > 5) recent.shift();
    const values = [
      20 + i / 2000 + occupied * 0.8 + (rng() - 0.5),
      sound,
      sound - previousSound,
      recent.reduce((a, b) => a + b, 0) / recent.length,
      Math.sin((2 * Math.PI * hour) / 24),
      Math.cos((2 * Math.PI * hour) / 24),
    ];
    values.forEach((v, c) => {
      const col = columns[c];
      if (col) col[i] = v;
    });
    target[i] = occupied;
    previousSound = sound;
  }
  const table: LabelledTable = { names, columns, rowCount: rows, ignored: [], target, targetName: 'occupied' };
  const csvRows: number[][] = [];
  for (let i = 0; i < rows; i++) csvRows.push([...columns.map((c) => Number((c[i] ?? 0).toFixed(4))), target[i] ?? 0]);
  return { table, csv: toCsv([...names, 'occupied'], csvRows) };
}
