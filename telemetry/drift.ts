/**
 * Drift scenarios for the fleet simulator (`occupancy simulate --drift <scenario>`): the world changes once, at a
 * change time placed just before the default planned split's holdout (the newest 15 % of the labelled readings), so
 * train and validation see the old world and the holdout the new one. Before the change the stream is exactly the
 * undrifted one for the same seed. Pure, no I/O.
 *
 * - `calibration-offset`: every device's temperature sensor (the first °C signal) drifts warm by its own offset,
 *   1.5–3 °C, ramping in over the day after the change; occupancy is untouched.
 * - `season`: heating → cooling. Thermostat set: the outdoor temperature rises by 26 °C (January → a hot summer), so
 *   the same physics warms the rooms and HVAC switches from heating to cooling. Other sets: their °C signals warm by 4 °C.
 * - `usage`: the rooms are taken over by a team working 4 hours later (meetings ~12–22 h instead of ~8–18 h), from
 *   the first midnight at or after the change; the building's HVAC comfort hours stay the same.
 * - `lighting`: a daytime level, peaking at midday (daylight, new lamps), adds to a light-like signal: the first
 *   `lux` signal. The thermostat set has no light sensor, so there it shifts the signal its static rule reads
 *   (`sound`), as daylight shifts a light sensor: a daytime background (building works, a new ventilation unit next
 *   door) peaking at 1–2× the static rule's level (10): empty rooms at midday cross it.
 *   The peak is the signal's crossing level (else the static rule's level, else 10 % of its range), ×1–2 by room.
 * - `sensor-failure`: on every other device (room-01, room-03, …) the signal the static rule reads (else the first
 *   `lux`, else the first numeric signal) sticks at the value it reported at the change.
 */

import { Random } from './random';
import { DAY, type DaySchedule, HOUR, type Occupancy } from './room-calendar';
import { type NumericSignal, numericSignals, type SignalSet, THERMOSTAT } from './signals';
import type { RoomConditions, RoomSimulator, RoomStep } from './simulator';

export const DRIFT_SCENARIOS = ['calibration-offset', 'season', 'usage', 'lighting', 'sensor-failure'] as const;
export type DriftScenario = (typeof DRIFT_SCENARIOS)[number];

export interface DriftOptions {
  readonly scenario: DriftScenario;
  /** Days from the fleet's start to the change, in (0, days). @default defaultChangeDay(days) */
  readonly changeDay?: number;
}

/** A drift option that cannot be used; `field` names it (`drift`, `drift.changeDay`) and so does `cause`. */
export class DriftOptionsError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`, { cause: { field } });
    this.name = 'DriftOptionsError';
  }
}

export function parseDriftScenario(value: string): DriftScenario {
  const found = DRIFT_SCENARIOS.find((s) => s === value);
  if (found === undefined) {
    throw new DriftOptionsError('drift', `unknown scenario "${value}"; valid: ${DRIFT_SCENARIOS.join(', ')}`);
  }
  return found;
}

/**
 * The whole hour one hour before 85 % of the period: the default planned split's holdout starts at about 85 % of the
 * labelled readings (every room reports at a steady rate), so the change falls after validation and before holdout.
 */
export function defaultChangeDay(days: number): number {
  return Math.max(1, Math.floor(days * 0.85 * 24) - 1) / 24;
}

/** What a scenario changes in one fleet, as `simulate --json` reports it. */
export interface DriftPlan {
  readonly scenario: DriftScenario;
  /** Days from the start to the change. */
  readonly changeDay: number;
  /** Epoch ms of the change. */
  readonly changeAt: number;
  /** The signal the scenario changes; absent when it changes the world (usage, season on the thermostat set). */
  readonly signal?: string;
  readonly description: string;
}

const SEASON_OUTDOOR_WARMING = 26;
const SEASON_ROOM_WARMING = 4;
const USAGE_SHIFT_HOURS = 4;

const isThermostat = (set: SignalSet | undefined): boolean =>
  set === undefined || (set.id === THERMOSTAT.id && JSON.stringify(set) === JSON.stringify(THERMOSTAT));

const celsiusSignals = (set: SignalSet): NumericSignal[] => numericSignals(set).filter((s) => s.unit === '°C');
const luxSignal = (set: SignalSet): NumericSignal | undefined => numericSignals(set).find((s) => s.unit === 'lux');
const ruleSignal = (set: SignalSet): NumericSignal | undefined =>
  numericSignals(set).find((s) => s.name === set.staticRule?.signal);

function signalFor(scenario: DriftScenario, set: SignalSet): NumericSignal | undefined {
  const numeric = numericSignals(set);
  switch (scenario) {
    case 'calibration-offset':
      return celsiusSignals(set)[0] ?? numeric[0];
    case 'lighting':
      return luxSignal(set) ?? ruleSignal(set) ?? numeric[0];
    case 'sensor-failure':
      return ruleSignal(set) ?? luxSignal(set) ?? numeric[0];
    default:
      return undefined;
  }
}

const DESCRIPTIONS: Record<DriftScenario, string> = {
  'calibration-offset': 'each device drifts warm by its own 1.5–3 °C offset, ramping in over a day',
  season: 'heating → cooling: a warmer season, warmer rooms',
  usage: `another team takes the rooms over, working ${USAGE_SHIFT_HOURS} h later, from the first midnight after the change`,
  lighting: 'a daytime level peaking at midday (daylight, new lamps) adds to the signal',
  'sensor-failure': 'the signal sticks at its value at the change on every other device (room-01, room-03, …)',
};

/** Resolves a scenario for one fleet: the change time and the signal it changes. */
export function planDrift(
  opts: DriftOptions,
  fleet: { readonly days: number; readonly start: number; readonly signalSet?: SignalSet },
): DriftPlan {
  const set = fleet.signalSet ?? THERMOSTAT;
  const changeDay = opts.changeDay ?? defaultChangeDay(fleet.days);
  if (!(Number.isFinite(changeDay) && changeDay > 0 && changeDay < fleet.days)) {
    throw new DriftOptionsError('drift.changeDay', `must be in (0, ${fleet.days}) days, got ${changeDay}`);
  }
  const worldOnly = opts.scenario === 'usage' || (opts.scenario === 'season' && isThermostat(fleet.signalSet));
  const signal = worldOnly
    ? undefined
    : opts.scenario === 'season'
      ? celsiusSignals(set)[0]
      : signalFor(opts.scenario, set);
  if (!worldOnly && signal === undefined) {
    const needs = opts.scenario === 'season' ? 'the thermostat set or a °C signal' : 'a numeric signal';
    throw new DriftOptionsError('drift', `scenario "${opts.scenario}" needs ${needs}; ${set.id} has none`);
  }
  const changeAt = fleet.start + Math.round(changeDay * DAY);
  const description = DESCRIPTIONS[opts.scenario];
  return signal
    ? { scenario: opts.scenario, changeDay, changeAt, signal: signal.name, description }
    : { scenario: opts.scenario, changeDay, changeAt, description };
}

/** The day on the new team's calendar: every occupancy and the cleaning `hours` later, cut at midnight. */
export function shiftDay(day: DaySchedule, hours: number): DaySchedule {
  const shift = Math.round(hours * HOUR);
  const end = (day.dayIndex + 1) * DAY;
  const occupancies: Occupancy[] = [];
  for (const o of day.occupancies) {
    const moved = { ...o, start: o.start + shift, end: Math.min(end, o.end + shift) };
    if (moved.end - moved.start >= 2 * 60_000) occupancies.push(moved);
  }
  const c = day.cleaning;
  const cleaning =
    c && c.start + shift < end ? { start: c.start + shift, end: Math.min(end, c.end + shift) } : undefined;
  return cleaning ? { dayIndex: day.dayIndex, occupancies, cleaning } : { dayIndex: day.dayIndex, occupancies };
}

/** The world-level part of a scenario (thermostat physics and the calendar), for createRoomSimulator. */
export function driftConditions(plan: DriftPlan): RoomConditions {
  if (plan.scenario === 'usage') {
    return { schedule: (day) => (day.dayIndex * DAY >= plan.changeAt ? shiftDay(day, USAGE_SHIFT_HOURS) : day) };
  }
  if (plan.scenario === 'season' && plan.signal === undefined) {
    return { outdoorOffset: (ts) => (ts >= plan.changeAt ? SEASON_OUTDOOR_WARMING : 0) };
  }
  return {};
}

/** Midday-peaking daylight in [0, 1]: 0 before 7 h and after 19 h (local wall-clock time encoded as UTC). */
export const daylight = (ts: number): number => {
  const hour = (ts % DAY) / HOUR;
  return hour > 7 && hour < 19 ? Math.sin((Math.PI * (hour - 7)) / 12) : 0;
};

/** Rounded as the simulator reports the signal: the thermostat's temperature to 0.01, the rest as generic-simulator.ts. */
const roundLike = (value: number, signal: NumericSignal, thermostat: boolean): number => {
  const span = signal.max - signal.min;
  const digits = thermostat ? (signal.name === 'temperature' ? 2 : 1) : span >= 100 ? 1 : span >= 1 ? 2 : 4;
  const f = 10 ** digits;
  return Math.min(signal.max, Math.max(signal.min, Math.round(value * f) / f));
};

/** The sensor-level part of a scenario: rewrites one signal of each reading from the change on. */
export function driftReadings(
  plan: DriftPlan,
  set: SignalSet | undefined,
  room: RoomSimulator,
  seed: number,
  roomIndex: number,
): RoomSimulator {
  const signal = numericSignals(set ?? THERMOSTAT).find((s) => s.name === plan.signal);
  if (signal === undefined) return room;
  const thermostat = isThermostat(set);
  const r = Random.seeded(seed, roomIndex, 0xd21f7);
  const offset = r.between(1.5, 3);
  const sunniness = r.between(1, 2);
  const peak = signal.crossingLevel ?? (set ?? THERMOSTAT).staticRule?.level ?? 0.1 * (signal.max - signal.min);
  const fails = roomIndex % 2 === 0;
  let stuck: number | undefined;
  const rewrite = (ts: number, value: number): number => {
    const since = ts - plan.changeAt;
    switch (plan.scenario) {
      case 'calibration-offset':
        return roundLike(value + offset * Math.min(1, since / DAY), signal, thermostat);
      case 'season':
        return roundLike(value + SEASON_ROOM_WARMING * Math.min(1, since / DAY), signal, thermostat);
      case 'lighting':
        return roundLike(value + peak * sunniness * daylight(ts), signal, thermostat);
      case 'sensor-failure':
        if (!fails) return value;
        stuck ??= value;
        return stuck;
      default:
        return value;
    }
  };
  return {
    thingName: room.thingName,
    phase: room.phase,
    next(ts: number): RoomStep {
      const step = room.next(ts);
      const value = step.reading.values[signal.name];
      if (ts < plan.changeAt || typeof value !== 'number') return step;
      const reading = { ...step.reading, values: { ...step.reading.values, [signal.name]: rewrite(ts, value) } };
      return step.label ? { reading, label: step.label } : { reading };
    },
  };
}
