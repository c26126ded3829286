/**
 * How long each column of a CSV held one value, per device, in file order (import's pass 1): a healthy signal that
 * sits at one value for hours (a light sensor at 0 lux through the night) must not count as stuck (health/flag-sql.ts),
 * so an inferred signal set carries the file's own evidence as the signal's `stuckAfterMinutes`. Memory grows with
 * devices × columns, not rows.
 */

const MINUTE_MS = 60_000;

import { DEFAULT_STUCK_MINUTES } from './signals';

/** A signal may hold a value this many times longer than it did in the file before it counts as stuck. */
export const HELD_VALUE_MARGIN = 1.5;

interface Run {
  value: string;
  start: number;
  last: number;
}

export class HeldValues {
  private readonly runs = new Map<string, Run>();
  private readonly longest = new Map<number, number>();

  /** One row: its device, time (epoch ms) and the cells of the tracked columns. */
  add(device: string, ts: number, cells: ReadonlyMap<number, string>): void {
    for (const [column, value] of cells) {
      const key = `${column}\u0000${device}`;
      const run = this.runs.get(key);
      // A new value, or time going backwards (a file not in time order), starts a new run.
      if (run === undefined || run.value !== value || ts < run.last) {
        this.runs.set(key, { value, start: ts, last: ts });
        continue;
      }
      run.last = ts;
      const held = ts - run.start;
      if (held > (this.longest.get(column) ?? 0)) this.longest.set(column, held);
    }
  }

  /** The longest time (minutes) the column held one value on one device; 0 when it never repeated. */
  longestMinutes(column: number): number {
    return (this.longest.get(column) ?? 0) / MINUTE_MS;
  }

  /**
   * The column's `stuckAfterMinutes`: HELD_VALUE_MARGIN × its longest held value rounded up to the hour, when that is
   * longer than DEFAULT_STUCK_MINUTES; else undefined (the config's stuck time applies, never made stricter here).
   */
  stuckAfterMinutes(column: number): number | undefined {
    const minutes = Math.ceil((this.longestMinutes(column) * HELD_VALUE_MARGIN) / 60) * 60;
    return minutes > DEFAULT_STUCK_MINUTES ? minutes : undefined;
  }
}
