import { importGenericCsv } from '../../telemetry/csv-import';
import { HeldValues } from '../../telemetry/held-values';
import type { NumericSignal } from '../../telemetry/signals';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1);

describe('held values of a CSV (an inferred signal set carries them as stuckAfterMinutes)', () => {
  it('measures the longest run of one value per device; a new value or time going back starts a run', () => {
    const held = new HeldValues();
    // device a holds 0 for 150 min; device b holds 0 for 30 min, interleaved in the file.
    for (let m = 0; m <= 150; m++) held.add('a', T0 + m * MIN, new Map([[1, '0']]));
    for (let m = 0; m <= 30; m++) held.add('b', T0 + m * MIN, new Map([[1, '0']]));
    held.add('b', T0 + 31 * MIN, new Map([[1, '5']]));
    expect(held.longestMinutes(1)).toBe(150);
    expect(held.stuckAfterMinutes(1)).toBe(240); // 1.5 × 150 = 225, up to the hour
    // Time going backwards (a file out of order) does not extend a run.
    held.add('c', T0 + 500 * MIN, new Map([[2, '7']]));
    held.add('c', T0 + 10 * MIN, new Map([[2, '7']]));
    expect(held.longestMinutes(2)).toBe(0);
    expect(held.stuckAfterMinutes(2)).toBeUndefined();
  });

  it('never sets a stuck time stricter than the default (UCI temperature held 76 min in datatraining.txt)', () => {
    const held = new HeldValues();
    for (let m = 0; m <= 76; m++) held.add('a', T0 + m * MIN, new Map([[1, '3']]));
    expect(held.longestMinutes(1)).toBe(76);
    expect(held.stuckAfterMinutes(1)).toBeUndefined();
  });

  it('a light column dark for 15 h in the file gets its own stuck time; a varying one does not', () => {
    const lines = ['time,light,co2,occ'];
    for (let m = 0; m < 24 * 60; m++) {
      const dark = m < 15 * 60;
      lines.push(
        `${new Date(T0 + m * MIN).toISOString()},${dark ? 0 : 400 + (m % 7)},${500 + (m % 11)},${dark ? 0 : 1}`,
      );
    }
    const result = importGenericCsv(lines.join('\n'), {
      timestamp: 'time',
      target: 'occ',
      fileName: 'room.csv',
      now: T0 + 2 * 86_400_000,
    });
    const [light, co2] = result.signalSet.signals as NumericSignal[];
    expect(light?.stuckAfterMinutes).toBe(Math.ceil(((15 * 60 - 1) * 1.5) / 60) * 60);
    expect(co2?.stuckAfterMinutes).toBeUndefined();
  });
});
