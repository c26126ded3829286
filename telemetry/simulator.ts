/**
 * A deterministic thermostat-fleet simulator (THERMOSTAT signal set) with realistic meeting-room ground truth.
 *
 * Ground truth follows a calendar: weekday meetings ~8–18 h of varying length and popularity per room, a lunch
 * dip, late starts / early ends, no-shows, the odd late meeting, drop-ins, and mostly empty weekends.
 * Sensors respond to people and to the building, so that the static rule `sound > 10` is a real but imperfect
 * baseline:
 * - sound: meetings are louder with high variance and lulls; presentations and people alone are quiet;
 *   empty rooms get corridor bursts, evening cleaning and (in some rooms) a noisy HVAC fan;
 * - temperature / humidity: people heat and humidify the room slowly; HVAC follows a setpoint schedule with
 *   hysteresis and drives temperature; ventilation pulls humidity back to its base; slow sensor drift.
 * Timestamps are local wall-clock time encoded as UTC (hour-of-day features use UTC hours).
 *
 * Each room has its own seeded streams, keyed by (seed, room index[, day]), so a room behaves the same whatever
 * the fleet size and however it is stepped (batch or live).
 */

import { type DriftOptions, driftConditions, driftReadings, planDrift } from './drift';
import { roomForSignalSet } from './generic-simulator';
import { Random } from './random';
import type { LabelEvent, Reading } from './reading';
import {
  DAY,
  type DaySchedule,
  drawDaySchedule,
  drawProfile,
  HOUR,
  isWeekend,
  MINUTE,
  type Occupancy,
} from './room-calendar';
import type { HVAC_STATUSES, SignalSet } from './signals';

/** Module-local: `Math` looked up as a global is ~10× slower inside jest's vm sandbox, and this is a hot path. */
const math = Math;

export type HvacStatus = (typeof HVAC_STATUSES)[number];

export type SimEvent = { kind: 'reading'; reading: Reading } | { kind: 'label'; label: LabelEvent };

export interface SimulateFleetOptions {
  readonly rooms: number;
  readonly days: number;
  /** @default 1 */
  readonly seed?: number;
  /** Epoch ms of the first reading. @default 2026-01-07T00:00Z (a Wednesday): see DEFAULT_SIM_START */
  readonly start?: number;
  /** Seconds between two readings of one device. @default 60 */
  readonly intervalSeconds?: number;
  /** The signal set to report (generic-simulator.ts). @default the thermostat set, with its own physics */
  readonly signalSet?: SignalSet;
  /** A drift scenario (drift.ts): the world changes once, before the default split's holdout. @default none */
  readonly drift?: DriftOptions;
}

export class SimulatorOptionsError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'SimulatorOptionsError';
  }
}

/**
 * Default start: Wednesday 2026-01-07 00:00 UTC, so the time-ordered holdout (the newest 15 %) of a two-week
 * run holds working days rather than a weekend with nobody in the rooms.
 */
export const DEFAULT_SIM_START = Date.UTC(2026, 0, 7);
export const DEFAULT_SIM_SEED = 1;
export const DEFAULT_INTERVAL_SECONDS = 60;

/** `room-01` … `room-99`, `room-100` …: zero-padded to two digits. */
export const roomThingName = (roomIndex: number): string => `room-${String(roomIndex + 1).padStart(2, '0')}`;

/** How a room's world departs from the default one (drift.ts builds these); absent, the default world. */
export interface RoomConditions {
  /** The calendar the room actually lives on a day, from the one drawn (e.g. another team's hours). */
  readonly schedule?: (day: DaySchedule) => DaySchedule;
  /** °C added to the outdoor temperature at `ts` (e.g. a warmer season). */
  readonly outdoorOffset?: (ts: number) => number;
}

/** Outdoor temperature: seasonal (coldest mid-January) plus a daily swing peaking mid-afternoon. */
function outdoorTemperature(ts: number): number {
  const dayOfYear = (ts / DAY) % 365.25;
  const hour = (ts % DAY) / HOUR;
  return 11 - 9 * math.cos((2 * math.PI * (dayOfYear - 15)) / 365.25) + 4 * math.sin((2 * math.PI * (hour - 9)) / 24);
}

const round = (value: number, decimals: number): number => {
  const f = 10 ** decimals;
  return math.round(value * f) / f;
};
const clamp = (value: number, min: number, max: number): number => math.min(max, math.max(min, value));

export interface RoomStep {
  readonly reading: Reading;
  /** Present at the first step and whenever ground-truth occupancy changed since the previous step. */
  readonly label?: LabelEvent;
}

export interface RoomSimulator {
  readonly thingName: string;
  /** Report phase within a fleet interval, as a fraction in [0, 1). */
  readonly phase: number;
  /** Advances the room to `ts` (epoch ms, not before the previous call) and returns its reading there. */
  next(ts: number): RoomStep;
}

/**
 * One room, independent of fleet size: the same (roomIndex, seed) gives the same room. `start` is only where its
 * state begins (thermal equilibrium); pass the first `ts` you will step to. Usable live (`next(Date.now())`).
 */
export function createRoomSimulator(
  roomIndex: number,
  seed: number = DEFAULT_SIM_SEED,
  start?: number,
  conditions: RoomConditions = {},
): RoomSimulator {
  if (!Number.isInteger(roomIndex) || roomIndex < 0) {
    throw new SimulatorOptionsError('roomIndex', `must be a non-negative integer, got ${roomIndex}`);
  }
  const thingName = roomThingName(roomIndex);
  const profile = drawProfile(seed, roomIndex);
  const noise = Random.seeded(seed, roomIndex, 0x5e2502);
  let schedule: DaySchedule | undefined;
  let lastTs: number | undefined;
  let lastOccupied: boolean | undefined;
  let temperature = profile.comfortSetpoint - 1;
  let humidity = profile.humidityBase;
  let temperatureDrift = noise.gaussian(0, 0.3);
  let humidityDrift = noise.gaussian(0, 1);
  let hvac: HvacStatus = 'OFF';
  let burstLeft = 0;
  let burstLevel = 0;

  const scheduleFor = (ts: number): DaySchedule => {
    const dayIndex = math.floor(ts / DAY);
    if (schedule?.dayIndex !== dayIndex) {
      const drawn = drawDaySchedule(seed, roomIndex, profile, dayIndex);
      schedule = conditions.schedule ? conditions.schedule(drawn) : drawn;
    }
    return schedule;
  };

  const stepHvac = (ts: number): void => {
    const dayIndex = math.floor(ts / DAY);
    const hour = (ts - dayIndex * DAY) / HOUR;
    const comfort = !isWeekend(dayIndex) && hour >= 7 && hour < 19;
    const heatAt = comfort ? profile.comfortSetpoint : 16;
    const coolAt = comfort ? profile.comfortSetpoint + 3 : 28;
    if (hvac === 'HEATING' ? temperature < heatAt + 0.4 : temperature < heatAt - 0.4) hvac = 'HEATING';
    else if (hvac === 'COOLING' ? temperature > coolAt - 0.4 : temperature > coolAt + 0.4) hvac = 'COOLING';
    else hvac = comfort ? 'FAN' : 'OFF';
  };

  const soundLevel = (ts: number, occ: Occupancy | undefined, day: DaySchedule): number => {
    const dayIndex = math.floor(ts / DAY);
    const hour = (ts - dayIndex * DAY) / HOUR;
    const buildingBusy = !isWeekend(dayIndex) && hour >= 8 && hour < 18 ? 1.5 : 0;
    const hvacNoise = hvac === 'OFF' ? 0 : hvac === 'FAN' ? profile.hvacSound : profile.hvacSound + 1.5;
    const background = profile.ambientSound + buildingBusy + hvacNoise + noise.gaussian(0, 1.2);
    if (occ) {
      switch (occ.kind) {
        case 'discussion':
          // Lulls: everyone listening or reading for a minute.
          return noise.chance(0.15)
            ? background + math.abs(noise.gaussian(0, 3))
            : math.max(background, noise.gaussian(occ.loudness, 0.45 * occ.loudness));
        case 'presentation':
          return noise.chance(0.1)
            ? math.max(background, noise.gaussian(25, 8))
            : math.max(background, noise.gaussian(occ.loudness, 4));
        case 'solo':
          return noise.chance(0.12) ? math.max(background, noise.gaussian(22, 6)) : background + noise.gaussian(2, 2);
      }
    }
    if (day.cleaning && ts >= day.cleaning.start && ts < day.cleaning.end) return noise.gaussian(38, 10);
    if (burstLeft > 0 || noise.chance(profile.burstRate)) {
      if (burstLeft <= 0) {
        burstLevel = noise.gaussian(24, 8);
        burstLeft = noise.chance(0.35) ? 2 : 1;
      }
      burstLeft--;
      return math.max(background, burstLevel + noise.gaussian(0, 3));
    }
    return background;
  };

  return {
    thingName,
    phase: profile.phase,
    next(ts: number): RoomStep {
      if (!Number.isFinite(ts)) throw new SimulatorOptionsError('ts', `must be finite epoch ms, got ${ts}`);
      if (lastTs !== undefined && ts < lastTs) {
        throw new SimulatorOptionsError('ts', `must not go backwards (${ts} < previous ${lastTs})`);
      }
      const previousTs = lastTs ?? start ?? ts;
      const minutes = math.min(120, math.max(0, (ts - previousTs) / MINUTE));
      const day = scheduleFor(ts);
      const occ = day.occupancies.find((o) => ts >= o.start && ts < o.end);
      const people = occ?.people ?? 0;

      stepHvac(ts);
      const hvacDrive = hvac === 'HEATING' ? profile.hvacPower : hvac === 'COOLING' ? -profile.hvacPower : 0;
      const hour = (ts % DAY) / HOUR;
      const outdoor = outdoorTemperature(ts) + (conditions.outdoorOffset?.(ts) ?? 0);
      const solarGain = hour > 8 && hour < 17 ? 0.008 * math.sin((math.PI * (hour - 8)) / 9) : 0;
      temperature +=
        minutes * (profile.heatLoss * (outdoor - temperature) + hvacDrive + solarGain + 0.005 * people) +
        noise.gaussian(0, 0.004 * math.sqrt(minutes));
      const ventilation = hvac === 'OFF' ? 1 / 300 : 1 / 80;
      humidity = clamp(humidity + minutes * (ventilation * (profile.humidityBase - humidity) + 0.035 * people), 5, 95);
      // Slow, mean-reverting sensor drift.
      temperatureDrift += -temperatureDrift * (minutes / 20_000) + noise.gaussian(0, 0.002 * math.sqrt(minutes));
      humidityDrift += -humidityDrift * (minutes / 20_000) + noise.gaussian(0, 0.006 * math.sqrt(minutes));

      const sound = soundLevel(ts, occ, day);
      const reading: Reading = {
        thingName,
        ts,
        values: {
          temperature: round(clamp(temperature + temperatureDrift + noise.gaussian(0, 0.05), -40, 85), 2),
          humidity: round(clamp(humidity + humidityDrift + noise.gaussian(0, 0.4), 0, 100), 1),
          sound: round(clamp(sound, 0, 200), 1),
          hvac_status: hvac,
        },
      };

      const occupied = occ !== undefined;
      let label: LabelEvent | undefined;
      if (occupied !== lastOccupied) {
        // Stamp the label at the real change when it happened since the previous reading.
        let changedAt = ts;
        if (lastTs !== undefined) {
          const edge = occupied ? occ?.start : day.occupancies.find((o) => o.end > previousTs && o.end <= ts)?.end;
          if (edge !== undefined && edge > previousTs) changedAt = edge;
        }
        label = { thingName, ts: changedAt, occupied };
      }
      lastTs = ts;
      lastOccupied = occupied;
      return label ? { reading, label } : { reading };
    },
  };
}

function checkPositive(field: string, value: number, integer: boolean): void {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new SimulatorOptionsError(field, `must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
}

/** Number of readings `simulateFleet` emits for these options (rooms × whole intervals in the period). */
export function simulatedReadingCount(opts: SimulateFleetOptions): number {
  const interval = (opts.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS) * 1000;
  return opts.rooms * math.floor((opts.days * DAY) / interval);
}

/**
 * Streams a fleet's readings and label events in time order (labels before readings at equal times).
 * Memory is O(rooms): events are produced one interval at a time.
 */
export function* simulateFleet(opts: SimulateFleetOptions): Generator<SimEvent> {
  const seed = opts.seed ?? DEFAULT_SIM_SEED;
  const start = opts.start ?? DEFAULT_SIM_START;
  const intervalSeconds = opts.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS;
  checkPositive('rooms', opts.rooms, true);
  checkPositive('days', opts.days, false);
  checkPositive('intervalSeconds', intervalSeconds, false);
  if (!Number.isFinite(seed)) throw new SimulatorOptionsError('seed', `must be a finite number, got ${seed}`);
  if (!Number.isFinite(start)) throw new SimulatorOptionsError('start', `must be finite epoch ms, got ${start}`);

  const intervalMs = intervalSeconds * 1000;
  const ticks = math.floor((opts.days * DAY) / intervalMs);
  const drift = opts.drift && planDrift(opts.drift, { days: opts.days, start, signalSet: opts.signalSet });
  const rooms = Array.from({ length: opts.rooms }, (_, i) => {
    const room = createRoomSimulator(i, seed, start, drift && driftConditions(drift));
    const generic = roomForSignalSet(room, opts.signalSet, seed, i);
    const sim = drift ? driftReadings(drift, opts.signalSet, generic, seed, i) : generic;
    return { sim, offset: math.floor(sim.phase * intervalMs) };
  });
  const batch: SimEvent[] = [];
  const timeOf = (e: SimEvent): number => (e.kind === 'reading' ? e.reading.ts : e.label.ts);
  for (let tick = 0; tick < ticks; tick++) {
    const tickStart = start + tick * intervalMs;
    batch.length = 0;
    for (const { sim, offset } of rooms) {
      const step = sim.next(tickStart + offset);
      // A change between ticks is stamped no earlier than this tick, so the stream stays in time order.
      if (step.label) batch.push({ kind: 'label', label: { ...step.label, ts: math.max(step.label.ts, tickStart) } });
      batch.push({ kind: 'reading', reading: step.reading });
    }
    batch.sort((a, b) => timeOf(a) - timeOf(b) || (a.kind === b.kind ? 0 : a.kind === 'label' ? -1 : 1));
    yield* batch;
  }
}
