import { join } from 'node:path';
import type { Reading } from '../../telemetry/reading';
import { loadSignalSetFile } from '../../telemetry/signal-set-schema';
import { THERMOSTAT } from '../../telemetry/signals';
import { simulateFleet } from '../../telemetry/simulator';

const USER_SET = loadSignalSetFile(join(__dirname, '..', 'fixtures', 'signal-sets', 'co2-pir-sound.json'));

/** Readings with the ground truth in force at each. */
function labelled(signalSet?: typeof USER_SET): { reading: Reading; occupied: boolean }[] {
  const state = new Map<string, boolean>();
  const out: { reading: Reading; occupied: boolean }[] = [];
  for (const e of simulateFleet({ rooms: 2, days: 3, seed: 7, ...(signalSet ? { signalSet } : {}) })) {
    if (e.kind === 'label') state.set(e.label.thingName, e.label.occupied);
    else out.push({ reading: e.reading, occupied: state.get(e.reading.thingName) ?? false });
  }
  return out;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('simulating any signal set', () => {
  it('the thermostat set is simulated exactly as without a set', () => {
    expect(JSON.stringify(labelled(THERMOSTAT))).toBe(JSON.stringify(labelled()));
  });

  it('a user set: every signal present and in range; PIR fires and CO2 rises when occupied', () => {
    const rows = labelled(USER_SET);
    for (const { reading } of rows) {
      for (const s of USER_SET.signals) {
        const v = reading.values[s.name];
        expect(typeof v).toBe('number');
        if (s.kind === 'numeric') {
          expect(v as number).toBeGreaterThanOrEqual(s.min);
          expect(v as number).toBeLessThanOrEqual(s.max);
        }
      }
    }
    const by = (name: string, occupied: boolean) =>
      mean(rows.filter((r) => r.occupied === occupied).map((r) => r.reading.values[name] as number));
    expect(rows.some((r) => r.occupied)).toBe(true);
    expect(by('pir', true)).toBeGreaterThan(0.5);
    expect(by('pir', false)).toBeLessThan(0.05);
    expect(by('co2', true)).toBeGreaterThan(by('co2', false));
    expect(by('sound_south', true)).toBeGreaterThan(by('sound_south', false));
  });
});
