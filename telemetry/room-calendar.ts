/**
 * The meeting-room calendar behind the simulator's ground truth (simulator.ts): each room's fixed traits and each
 * day's occupancies, drawn from seeded streams keyed by (seed, room index[, day]). Pure, no I/O.
 */

import { Random } from './random';

/** Module-local: `Math` looked up as a global is ~10× slower inside jest's vm sandbox, and this is a hot path. */
const math = Math;

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export type MeetingKind = 'discussion' | 'presentation' | 'solo';

export interface Occupancy {
  readonly start: number;
  readonly end: number;
  readonly kind: MeetingKind;
  readonly people: number;
  /** Mean speech level of this meeting. */
  readonly loudness: number;
}

export interface DaySchedule {
  readonly dayIndex: number;
  /** Sorted, non-overlapping. */
  readonly occupancies: readonly Occupancy[];
  /** Cleaning in an empty room: noisy, but nobody in a meeting. */
  readonly cleaning?: { readonly start: number; readonly end: number };
}

/** Fixed traits of one room, drawn once per (seed, room). */
export interface RoomProfile {
  /** Probability that a free half-hour slot in work hours gets booked. */
  readonly popularity: number;
  readonly kindWeights: readonly (readonly [MeetingKind, number])[];
  readonly capacity: number;
  readonly ambientSound: number;
  readonly hvacSound: number;
  /** Per-reading probability that a corridor noise burst starts. */
  readonly burstRate: number;
  readonly cleaningRate: number;
  readonly humidityBase: number;
  readonly comfortSetpoint: number;
  /** Heat loss to outside, per minute. */
  readonly heatLoss: number;
  /** °C per minute when heating / cooling. */
  readonly hvacPower: number;
  /** Report phase within the interval, as a fraction (devices do not report in lock-step). */
  readonly phase: number;
}

export function drawProfile(seed: number, roomIndex: number): RoomProfile {
  const r = Random.seeded(seed, roomIndex, 0x9e0f11e);
  const noisyHvac = r.chance(0.3);
  return {
    popularity: r.between(0.25, 0.7),
    kindWeights: [
      ['discussion', r.between(0.45, 0.75)],
      ['presentation', r.between(0.1, 0.3)],
      ['solo', r.between(0.1, 0.25)],
    ],
    capacity: r.int(4, 12),
    ambientSound: r.between(1.5, 4),
    hvacSound: noisyHvac ? r.between(3.5, 6) : r.between(0.5, 2.5),
    burstRate: r.between(0.005, 0.03),
    cleaningRate: r.between(0.3, 0.7),
    humidityBase: r.between(28, 42),
    comfortSetpoint: r.between(20.5, 22),
    heatLoss: r.between(1 / 900, 1 / 500),
    hvacPower: r.between(0.06, 0.1),
    phase: r.uniform(),
  };
}

export const weekdayOf = (dayIndex: number): number => (dayIndex + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
export const isWeekend = (dayIndex: number): boolean => {
  const wd = weekdayOf(dayIndex);
  return wd === 0 || wd === 6;
};

function drawMeeting(r: Random, profile: RoomProfile, start: number, end: number): Occupancy {
  const kind = r.weighted(profile.kindWeights);
  const people = kind === 'solo' ? r.int(1, 2) : r.int(2, profile.capacity);
  const loudness = kind === 'discussion' ? r.between(14, 40) : kind === 'presentation' ? r.between(5, 13) : 0;
  return { start, end, kind, people, loudness };
}

/** Adds an occupancy unless it overlaps one already booked (drop-ins and late meetings yield to the calendar). */
function addIfFree(list: Occupancy[], occ: Occupancy): void {
  if (occ.end - occ.start < 2 * MINUTE) return;
  if (list.some((o) => occ.start < o.end && o.start < occ.end)) return;
  list.push(occ);
}

export function drawDaySchedule(seed: number, roomIndex: number, profile: RoomProfile, dayIndex: number): DaySchedule {
  const r = Random.seeded(seed, roomIndex, dayIndex, 0xda7);
  const day0 = dayIndex * DAY;
  const at = (hours: number): number => day0 + math.round(hours * HOUR);
  const occupancies: Occupancy[] = [];
  if (isWeekend(dayIndex)) {
    if (r.chance(0.06)) {
      const start = at(r.int(20, 30) / 2);
      addIfFree(occupancies, drawMeeting(r, profile, start, start + r.int(4, 12) * 15 * MINUTE));
    }
    return { dayIndex, occupancies };
  }
  // Booked calendar: walk the work day in half-hour slots.
  let slot = at(8);
  let lastEnd = day0;
  while (slot < at(17.75)) {
    const hour = (slot - day0) / HOUR;
    const lunch = hour >= 12 && hour < 13.5 ? 0.35 : 1;
    const early = hour < 9 ? 0.5 : 1;
    if (!r.chance(profile.popularity * lunch * early)) {
      slot += 30 * MINUTE;
      continue;
    }
    const booked = r.weighted<number>([
      [15, 1],
      [30, 4],
      [45, 2],
      [60, 4],
      [90, 1.5],
      [120, 1],
    ]);
    const bookedEnd = math.min(slot + booked * MINUTE, at(19));
    if (!r.chance(0.07)) {
      // People arrive a little late and leave a little early (or overrun); times are to the second.
      const start = math.max(lastEnd, slot + math.round(math.max(-5, math.min(10, r.gaussian(2, 2.5))) * MINUTE));
      const end = bookedEnd + math.round(math.max(-10, math.min(10, r.gaussian(-2, 4))) * MINUTE);
      if (end - start >= 5 * MINUTE) {
        occupancies.push(drawMeeting(r, profile, start, end));
        lastEnd = end;
      }
    }
    slot = bookedEnd;
  }
  if (r.chance(0.08)) {
    const start = at(18 + r.int(0, 8) / 4);
    addIfFree(occupancies, drawMeeting(r, profile, start, start + r.int(2, 6) * 15 * MINUTE));
  }
  const dropIns = r.chance(0.35) ? r.int(1, 2) : 0;
  for (let i = 0; i < dropIns; i++) {
    const start = at(r.between(8, 18));
    const occ: Occupancy = { start, end: start + r.int(4, 15) * MINUTE, kind: 'solo', people: 1, loudness: 0 };
    addIfFree(occupancies, occ);
  }
  occupancies.sort((a, b) => a.start - b.start);
  let cleaning: DaySchedule['cleaning'];
  if (r.chance(profile.cleaningRate)) {
    const start = at(r.between(18.5, 21));
    const end = start + r.int(6, 15) * MINUTE;
    if (!occupancies.some((o) => start < o.end && o.start < end)) cleaning = { start, end };
  }
  return { dayIndex, occupancies, cleaning };
}
