import { mulberry32 } from '../../automl/random';
import { stratifiedSample } from '../../automl/sampling';

const range = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

describe('stratifiedSample', () => {
  it('draws one row per block of consecutive rows, in order, the last block shorter', () => {
    const sample = stratifiedSample(range(103), 10, mulberry32(1));
    expect(sample).toHaveLength(11);
    sample.forEach((row, b) => {
      expect(row).toBeGreaterThanOrEqual(b * 10);
      expect(row).toBeLessThan(Math.min(103, (b + 1) * 10));
    });
  });

  it('reaches every room of a fleet listed in the same order at every reading, unlike every k-th row', () => {
    const rooms = 70;
    const rows = range(rooms * 1000);
    const roomsSeen = (sample: Uint32Array) => new Set(Array.from(sample, (r) => r % rooms)).size;
    expect(roomsSeen(rows.filter((_, i) => i % 8 === 0))).toBe(35);
    expect(roomsSeen(stratifiedSample(rows, 8, mulberry32(1)))).toBe(rooms);
  });

  it('is the same for the same seed and returns the rows themselves for a step of 1', () => {
    const rows = range(500);
    expect(stratifiedSample(rows, 7, mulberry32(3))).toEqual(stratifiedSample(rows, 7, mulberry32(3)));
    expect(stratifiedSample(rows, 1, mulberry32(3))).toBe(rows);
  });
});
