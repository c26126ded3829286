import { EvaluationError, f1Score, mulberry32Uint32, pairedBootstrapDeltaF1, SeededRandom } from '../../evaluation';

/** A labelled sample where predictor A errs on `errorsA` random rows and B on `errorsB` random rows. */
function sample(rows: number, errorsA: number, errorsB: number, seed: number) {
  const random = new SeededRandom(seed);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) y[i] = random.next() < 0.4 ? 1 : 0;
  const flip = (errors: number): Uint8Array => {
    const predicted = Uint8Array.from(y);
    for (let e = 0; e < errors; e++) {
      const row = random.nextInt(rows);
      predicted[row] = 1 - (y[row] ?? 0);
    }
    return predicted;
  };
  return { y, predA: flip(errorsA), predB: flip(errorsB) };
}

/** Straightforward reference: materialise each resample, then score both predictors with f1Score. */
function referenceBootstrap(y: Uint8Array, predA: Uint8Array, predB: Uint8Array, resamples: number, seed: number) {
  const next = mulberry32Uint32(seed);
  const n = y.length;
  const deltas: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const ys: number[] = [];
    const as: number[] = [];
    const bs: number[] = [];
    for (let k = 0; k < n; k++) {
      const row = Math.floor((next() * n) / 4294967296);
      ys.push(y[row] ?? 0);
      as.push(predA[row] ?? 0);
      bs.push(predB[row] ?? 0);
    }
    deltas.push(f1Score(ys, as) - f1Score(ys, bs));
  }
  return deltas.sort((a, b) => a - b);
}

describe('pairedBootstrapDeltaF1', () => {
  it('reports the point delta and matches a materialised reference resampling exactly', () => {
    const { y, predA, predB } = sample(300, 20, 60, 11);
    const result = pairedBootstrapDeltaF1(y, predA, predB, { resamples: 200, seed: 5, confidence: 0.9 });
    expect(result.delta).toBeCloseTo(f1Score(y, predA) - f1Score(y, predB), 12);

    const deltas = referenceBootstrap(y, predA, predB, 200, 5);
    // 90% percentile interval with linear interpolation at positions 0.05·199 and 0.95·199.
    const at = (q: number): number => {
      const position = q * (deltas.length - 1);
      const below = Math.floor(position);
      const low = deltas[below] ?? 0;
      const high = deltas[below + 1] ?? low;
      return low + (high - low) * (position - below);
    };
    expect(result.lower).toBeCloseTo(at(0.05), 12);
    expect(result.upper).toBeCloseTo(at(0.95), 12);
    expect(result).toMatchObject({ resamples: 200, confidence: 0.9 });
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const { y, predA, predB } = sample(500, 40, 70, 3);
    const first = pairedBootstrapDeltaF1(y, predA, predB, { seed: 99 });
    const again = pairedBootstrapDeltaF1(y, predA, predB, { seed: 99 });
    const other = pairedBootstrapDeltaF1(y, predA, predB, { seed: 100 });
    expect(again).toEqual(first);
    expect(other.delta).toBe(first.delta);
    expect([other.lower, other.upper]).not.toEqual([first.lower, first.upper]);
  });

  it('uses 1000 resamples at 95% by default and brackets the point estimate', () => {
    const { y, predA, predB } = sample(400, 10, 60, 8);
    const result = pairedBootstrapDeltaF1(y, predA, predB);
    expect(result.resamples).toBe(1000);
    expect(result.confidence).toBe(0.95);
    expect(result.lower).toBeLessThanOrEqual(result.delta);
    expect(result.upper).toBeGreaterThanOrEqual(result.delta);
    expect(result.lower).toBeGreaterThan(0); // A makes far fewer errors than B
  });

  it('gives a zero-width interval at zero for identical predictors', () => {
    const { y, predA } = sample(200, 30, 0, 4);
    const result = pairedBootstrapDeltaF1(y, predA, predA, { resamples: 100 });
    expect(result).toMatchObject({ delta: 0, lower: 0, upper: 0 });
  });

  it('straddles zero when two predictors differ on a handful of rows only', () => {
    const y = new Uint8Array(60).map((_, i) => (i % 2 === 0 ? 1 : 0));
    const predA = Uint8Array.from(y);
    const predB = Uint8Array.from(y);
    // A misses one positive; B misses a different one and adds a false positive elsewhere.
    predA[0] = 0;
    predB[2] = 0;
    predB[1] = 1;
    const result = pairedBootstrapDeltaF1(y, predA, predB, { seed: 1 });
    expect(result.delta).toBeGreaterThan(0);
    expect(result.lower).toBeLessThanOrEqual(0);
  });

  it('rejects bad options and mismatched inputs naming the field', () => {
    const y = [1, 0, 1];
    expect(() => pairedBootstrapDeltaF1(y, [1, 0, 1], [1, 0], {})).toThrow(expect.objectContaining({ field: 'predB' }));
    expect(() => pairedBootstrapDeltaF1(y, [1, 0], [1, 0, 1])).toThrow(expect.objectContaining({ field: 'predA' }));
    expect(() => pairedBootstrapDeltaF1(y, y, y, { resamples: 99 })).toThrow(
      expect.objectContaining({ field: 'resamples' }),
    );
    expect(() => pairedBootstrapDeltaF1(y, y, y, { resamples: 150.5 })).toThrow(EvaluationError);
    expect(() => pairedBootstrapDeltaF1(y, y, y, { confidence: 1 })).toThrow(
      expect.objectContaining({ field: 'confidence' }),
    );
    expect(() => pairedBootstrapDeltaF1(y, y, y, { seed: Number.NaN })).toThrow(
      expect.objectContaining({ field: 'seed' }),
    );
    expect(() => pairedBootstrapDeltaF1([], [], [])).toThrow(expect.objectContaining({ field: 'y' }));
  });
});

describe('SeededRandom / mulberry32', () => {
  it('repeats the same stream for a seed and differs across seeds', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const streamA = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(streamA);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(streamA);
  });

  it('produces the reference mulberry32 output for seed 0', () => {
    // First outputs of the canonical C implementation (Tommy Ettinger) with state 0, computed independently.
    const next = mulberry32Uint32(0);
    expect([next(), next(), next()]).toEqual([1144304738, 1416247, 958946056]);
  });

  it('keeps floats in [0, 1) and integers in range with roughly uniform buckets', () => {
    const random = new SeededRandom(7);
    const buckets = new Array<number>(10).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = random.next();
      if (!(x >= 0 && x < 1)) outOfRange++;
      const k = random.nextInt(10);
      buckets[k] = (buckets[k] ?? 0) + 1;
    }
    expect(outOfRange).toBe(0);
    expect(buckets).toHaveLength(10); // no index outside 0..9
    for (const count of buckets) expect(Math.abs(count - 2000)).toBeLessThan(200);
    expect(() => random.nextInt(0)).toThrow(RangeError);
  });

  it('draws normals with mean ≈ 0 and variance ≈ 1', () => {
    const random = new SeededRandom(3);
    let sum = 0;
    let squares = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const z = random.nextNormal();
      sum += z;
      squares += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.05);
    expect(Math.abs(squares / n - 1)).toBeLessThan(0.05);
  });
});
