/** Seeded draws for searches and forests: reproducible for a given seed (the project's one PRNG). */
import { mulberry32 } from '../telemetry/random';

export { mulberry32 };

export type Rng = () => number;

export const randomInt = (rng: Rng, n: number): number => Math.floor(rng() * n);
