/** Seeded draws for the bootstrap, over the project's one PRNG (telemetry/random.ts). */

import { mulberry32, mulberry32Uint32 } from '../telemetry/random';

export { mulberry32, mulberry32Uint32 };

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
