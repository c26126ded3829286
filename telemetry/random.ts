/** Seeded random draws for the simulator (deterministic, no global state). */

/** Module-local: `Math` looked up as a global is ~10× slower inside jest's vm sandbox, and this is a hot path. */
const math = Math;

const imul = Math.imul;

/**
 * mulberry32 — the project's one seeded PRNG (32-bit state, period 2^32; not cryptographic). Deterministic on
 * every platform because it only uses 32-bit integer maths. Simulator, evaluation bootstrap and AutoML all
 * draw from it. `imul` is module-local: a global `Math` lookup per draw is slow inside jest's vm sandbox.
 */
export function mulberry32Uint32(seed: number): () => number {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  let state = math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Floats uniform in [0, 1); the same seed gives the same sequence. */
export function mulberry32(seed: number): () => number {
  const next = mulberry32Uint32(seed);
  return () => next() / 4294967296;
}

/** Mixes several integers into one 32-bit seed (so room 3's stream does not depend on how many rooms exist). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Convenience draws over a uniform source. */
export class Random {
  private spareGaussian: number | undefined;

  constructor(readonly uniform: () => number) {}

  static seeded(...seedParts: number[]): Random {
    return new Random(mulberry32(mixSeed(...seedParts)));
  }

  between(min: number, max: number): number {
    return min + (max - min) * this.uniform();
  }

  int(min: number, maxInclusive: number): number {
    return min + math.floor(this.uniform() * (maxInclusive - min + 1));
  }

  chance(p: number): boolean {
    return this.uniform() < p;
  }

  /** Standard normal via Box–Muller (the second value is kept for the next call). */
  gaussian(mean = 0, sd = 1): number {
    if (this.spareGaussian !== undefined) {
      const z = this.spareGaussian;
      this.spareGaussian = undefined;
      return mean + sd * z;
    }
    const u = 1 - this.uniform(); // (0, 1]: log stays finite
    const v = this.uniform();
    const r = math.sqrt(-2 * math.log(u));
    this.spareGaussian = r * math.sin(2 * math.PI * v);
    return mean + sd * r * math.cos(2 * math.PI * v);
  }

  /** Picks an item with the given relative weights. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((sum, [, w]) => sum + w, 0);
    let r = this.uniform() * total;
    for (const [item, w] of items) {
      r -= w;
      if (r < 0) return item;
    }
    const last = items[items.length - 1];
    if (!last) throw new RangeError('weighted: no items');
    return last[0];
  }
}
