/**
 * A small seeded PRNG (mulberry32: 32-bit state, period 2^32, passes gjrand/PractRand for the sample sizes used
 * here). Not cryptographic. Deterministic across platforms because it only uses 32-bit integer maths.
 */

// Bound once: a global `Math` lookup per draw is slow inside vm contexts (jest).
const imul = Math.imul;

/** Normalises any finite number to a 32-bit unsigned seed, so `seed: 1.5` or negative seeds still work. */
function toSeed(seed: number): number {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  return Math.trunc(seed) >>> 0;
}

/** Returns a generator of floats uniform in [0, 1); the same seed gives the same sequence. */
export function mulberry32(seed: number): () => number {
  const next = mulberry32Uint32(seed);
  return () => next() / 4294967296;
}

/** Returns a generator of unsigned 32-bit integers; the same seed gives the same sequence. */
export function mulberry32Uint32(seed: number): () => number {
  let state = toSeed(seed);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Convenience wrapper for callers that want integers, floats and normals from one seeded stream. */
export class SeededRandom {
  private readonly nextUint32Fn: () => number;

  constructor(seed: number) {
    this.nextUint32Fn = mulberry32Uint32(seed);
  }

  /** Uniform unsigned 32-bit integer. */
  nextUint32(): number {
    return this.nextUint32Fn();
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32Fn() / 4294967296;
  }

  /** Uniform integer in [0, maxExclusive); maxExclusive must be an integer in [1, 2^32]. */
  nextInt(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > 4294967296) {
      throw new RangeError(`maxExclusive must be an integer in [1, 2^32], got ${maxExclusive}`);
    }
    // Multiply-shift instead of modulo: exact while the product stays below 2^53 (maxExclusive ≤ 2^21); beyond
    // that rounding adds a negligible bias but the result still stays in range.
    return Math.floor((this.nextUint32Fn() * maxExclusive) / 4294967296);
  }

  /** Standard normal deviate (Box–Muller; one of the pair is discarded to keep the stream simple). */
  nextNormal(): number {
    const u = 1 - this.next(); // (0, 1]: log(0) would be -Infinity
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
