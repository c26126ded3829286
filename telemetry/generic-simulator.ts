/**
 * Simulating any signal set: a room's ground truth (meetings, people) comes from the thermostat room simulator's
 * occupancy calendar, and each signal of the set is drawn from it. Numeric signals sit at a baseline inside their
 * range, rise when the room is occupied (AR(1)-smoothed, so CO2-like signals build up and decay) and carry noise;
 * PIR-like signals (range 0..1) fire mostly when occupied. Enum signals take their second value when occupied.
 * The thermostat set keeps its own physics (simulator.ts), byte-identical.
 */
import { Random } from './random';
import type { Reading } from './reading';
import { type NumericSignal, type SignalSet, THERMOSTAT } from './signals';
import type { RoomSimulator, RoomStep } from './simulator';

const isThermostat = (set: SignalSet): boolean =>
  set.id === THERMOSTAT.id && JSON.stringify(set) === JSON.stringify(THERMOSTAT);

const isBinary = (s: NumericSignal): boolean => s.min === 0 && s.max === 1;

const round = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

interface NumericState {
  readonly signal: NumericSignal;
  readonly baseline: number;
  readonly bump: number;
  readonly noise: number;
  readonly digits: number;
  level: number;
}

/** The room simulator for `set`: the thermostat room itself for the thermostat set, else generic signals. */
export function roomForSignalSet(
  room: RoomSimulator,
  set: SignalSet | undefined,
  seed: number,
  roomIndex: number,
): RoomSimulator {
  if (set === undefined || isThermostat(set)) return room;
  const r = Random.seeded(seed, roomIndex, 0x6e7e51);
  const numeric: NumericState[] = [];
  for (const signal of set.signals) {
    if (signal.kind !== 'numeric' || isBinary(signal)) continue;
    const span = signal.max - signal.min;
    const baseline = signal.min + span * r.between(0.1, 0.25);
    const digits = span >= 100 ? 1 : span >= 1 ? 2 : 4;
    numeric.push({ signal, baseline, bump: span * r.between(0.15, 0.3), noise: span * 0.01, digits, level: baseline });
  }
  let occupied = false;
  return {
    thingName: room.thingName,
    phase: room.phase,
    next(ts: number): RoomStep {
      const step = room.next(ts);
      if (step.label) occupied = step.label.occupied;
      const values: Record<string, number | string> = {};
      for (const signal of set.signals) {
        if (signal.kind === 'enum') {
          const busy = occupied ? !r.chance(0.1) : r.chance(0.05);
          values[signal.name] = signal.values[busy ? 1 % signal.values.length : 0] ?? '';
        } else if (isBinary(signal)) {
          values[signal.name] = (occupied ? r.chance(0.7) : r.chance(0.01)) ? 1 : 0;
        }
      }
      for (const s of numeric) {
        const target = s.baseline + (occupied ? s.bump : 0);
        s.level += 0.2 * (target - s.level);
        const value = s.level + r.gaussian(0, s.noise);
        values[s.signal.name] = round(Math.min(s.signal.max, Math.max(s.signal.min, value)), s.digits);
      }
      const reading: Reading = { thingName: step.reading.thingName, ts: step.reading.ts, values };
      return step.label ? { reading, label: step.label } : { reading };
    },
  };
}
