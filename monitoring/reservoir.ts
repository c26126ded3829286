/**
 * A uniform sample of at most `capacity` values from a stream of unknown length (Vitter's Algorithm R), with a
 * seeded generator so the same stream always gives the same sample (a retried Lambda writes the same baseline).
 * While the stream is no longer than `capacity`, the sample is the whole stream. Pure: no I/O.
 */
export class Reservoir {
  private readonly sample: Float64Array;
  /** Values offered so far. */
  seen = 0;
  private state: number;

  constructor(
    readonly capacity: number,
    seed = 1,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be ≥ 1, got ${capacity}`);
    this.sample = new Float64Array(capacity);
    this.state = seed >>> 0;
  }

  /** mulberry32: small, fast, good enough to pick sample slots. */
  private random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  add(value: number): void {
    if (this.seen < this.capacity) {
      this.sample[this.seen++] = value;
      return;
    }
    this.seen++;
    const slot = Math.floor(this.random() * this.seen);
    if (slot < this.capacity) this.sample[slot] = value;
  }

  /** The sample (a view: min(seen, capacity) values, in no particular order). */
  values(): Float64Array {
    return this.sample.subarray(0, Math.min(this.seen, this.capacity));
  }
}
