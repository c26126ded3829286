/**
 * Rows and positives per distinct value of one signal, ascending: all a single-signal threshold fit needs of the
 * training rows (see threshold.ts). Built in a stream, its size is the number of distinct values, not of rows —
 * a sensor reports at a fixed resolution, so a fleet's training window of any length has a bounded count.
 */
export interface ValueCounts {
  /** Distinct values, ascending, no NaN (a missing value is never predicted, so it is not a cut). */
  readonly values: Float64Array;
  readonly rows: Float64Array;
  readonly positives: Float64Array;
}

export const EMPTY_COUNTS: ValueCounts = {
  values: new Float64Array(0),
  rows: new Float64Array(0),
  positives: new Float64Array(0),
};

/** Counts of sorted values: one entry per run of equal values, all positive or all negative. */
function runsOf(sorted: Float64Array, positive: boolean): ValueCounts {
  let distinct = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  const values = new Float64Array(distinct);
  const rows = new Float64Array(distinct);
  for (let i = 0, k = -1; i < sorted.length; i++) {
    // -0 sorts before 0 but equals it: one value, kept as 0 (as valueCountsOf keeps it).
    if (i === 0 || sorted[i] !== sorted[i - 1]) values[++k] = sorted[i] || 0;
    rows[k] = (rows[k] ?? 0) + 1;
  }
  return { values, rows, positives: positive ? rows.slice() : new Float64Array(distinct) };
}

/** The union of two count lists (a linear merge; equal values add up). */
export function mergeCounts(a: ValueCounts, b: ValueCounts): ValueCounts {
  const values = new Float64Array(a.values.length + b.values.length);
  const rows = new Float64Array(values.length);
  const positives = new Float64Array(values.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.values.length || j < b.values.length) {
    const x = a.values[i];
    const y = b.values[j];
    if (y === undefined || (x !== undefined && x < y)) {
      values[k] = x ?? 0;
      rows[k] = a.rows[i] ?? 0;
      positives[k++] = a.positives[i++] ?? 0;
    } else if (x === undefined || y < x) {
      values[k] = y;
      rows[k] = b.rows[j] ?? 0;
      positives[k++] = b.positives[j++] ?? 0;
    } else {
      values[k] = x;
      rows[k] = (a.rows[i] ?? 0) + (b.rows[j] ?? 0);
      positives[k++] = (a.positives[i++] ?? 0) + (b.positives[j++] ?? 0);
    }
  }
  return { values: values.slice(0, k), rows: rows.slice(0, k), positives: positives.slice(0, k) };
}

/**
 * Accumulates (value, label) pairs: a bounded buffer per label, sorted and merged into the counts when full.
 * Memory: the buffers (8 bytes a value, `chunk` of them per label) and 24 bytes a distinct value.
 */
export class ValueCountsBuilder {
  private positive: Float64Array;
  private negative: Float64Array;
  private positiveLength = 0;
  private negativeLength = 0;
  private merged: ValueCounts = EMPTY_COUNTS;

  constructor(private readonly chunk = 1 << 18) {
    this.positive = new Float64Array(chunk);
    this.negative = new Float64Array(chunk);
  }

  add(value: number, label: number): void {
    if (Number.isNaN(value)) return;
    if (label === 1) {
      this.positive[this.positiveLength++] = value;
      if (this.positiveLength === this.chunk) this.flush();
    } else {
      this.negative[this.negativeLength++] = value;
      if (this.negativeLength === this.chunk) this.flush();
    }
  }

  private flush(): void {
    // TypedArray sort is numeric and in place; the buffers are reused.
    const positive = runsOf(this.positive.subarray(0, this.positiveLength).sort(), true);
    const negative = runsOf(this.negative.subarray(0, this.negativeLength).sort(), false);
    this.merged = mergeCounts(this.merged, mergeCounts(positive, negative));
    this.positiveLength = 0;
    this.negativeLength = 0;
  }

  counts(): ValueCounts {
    this.flush();
    return this.merged;
  }
}
