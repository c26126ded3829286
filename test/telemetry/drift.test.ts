import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DRIFT_SCENARIOS,
  DriftOptionsError,
  type DriftScenario,
  daylight,
  defaultChangeDay,
  parseDriftScenario,
  planDrift,
} from '../../telemetry/drift';
import { type SignalSet, THERMOSTAT, UCI_OCCUPANCY, UCI_ROOM_OCCUPANCY } from '../../telemetry/signals';
import { DEFAULT_SIM_START, type SimEvent, type SimulateFleetOptions, simulateFleet } from '../../telemetry/simulator';
import { cliInProcess } from '../local/cli-in-process';

jest.setTimeout(120_000);

const DAY = 86_400_000;
const HOUR = 3_600_000;

function hashOf(opts: SimulateFleetOptions): { events: number; sha256: string } {
  const h = createHash('sha256');
  let events = 0;
  for (const e of simulateFleet(opts)) {
    h.update(JSON.stringify(e));
    h.update('\n');
    events++;
  }
  return { events, sha256: h.digest('hex') };
}

interface Row {
  readonly room: string;
  readonly ts: number;
  readonly values: Readonly<Record<string, number | string>>;
  readonly occupied: boolean;
}

/** Readings with the ground truth in force at each, and the raw events. */
function run(opts: SimulateFleetOptions): { rows: Row[]; events: SimEvent[] } {
  const occupied = new Map<string, boolean>();
  const rows: Row[] = [];
  const events: SimEvent[] = [];
  for (const e of simulateFleet(opts)) {
    events.push(e);
    if (e.kind === 'label') occupied.set(e.label.thingName, e.label.occupied);
    else {
      const { thingName: room, ts, values } = e.reading;
      rows.push({ room, ts, values, occupied: occupied.get(room) ?? false });
    }
  }
  return { rows, events };
}

const FLEET = { rooms: 4, days: 14, seed: 11 } as const;
const base = run(FLEET);
const drifted = new Map<DriftScenario, ReturnType<typeof run>>(
  DRIFT_SCENARIOS.map((scenario) => [scenario, run({ ...FLEET, drift: { scenario } })]),
);
const plan = (scenario: DriftScenario) => planDrift({ scenario }, { days: FLEET.days, start: DEFAULT_SIM_START });
const changeAt = plan('usage').changeAt;
const rowsOf = (scenario: DriftScenario): Row[] => drifted.get(scenario)?.rows ?? [];
const eventTime = (e: SimEvent): number => (e.kind === 'reading' ? e.reading.ts : e.label.ts);
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const num = (row: Row, signal: string): number => Number(row.values[signal]);

describe('the default stream', () => {
  it('is byte-identical to the one before drift scenarios existed (hashes taken before the change)', () => {
    expect(hashOf({ rooms: 3, days: 3, seed: 5 })).toEqual({
      events: 13071,
      sha256: '6e8b39f582dd0cac786a1ee34e0f9272028229f22ef6ea772667bf57ce0b3ba2',
    });
    expect(hashOf({ rooms: 2, days: 2, seed: 3, signalSet: UCI_ROOM_OCCUPANCY })).toEqual({
      events: 5808,
      sha256: '004c6118ceea1000bf89f27f340290102825ff9522727d3e8ec623cb9244b32b',
    });
  });
});

describe('the change', () => {
  it('falls after train and validation (the newest 15 % is the default holdout) and before the holdout', () => {
    for (const days of [1, 2, 7, 14, 20, 30, 365]) {
      const change = defaultChangeDay(days);
      expect(change).toBeGreaterThan(0);
      expect(change).toBeLessThan(days * 0.85);
      if (days >= 2) expect(change).toBeGreaterThanOrEqual(days * 0.8);
    }
    const p = plan('season');
    expect(p.changeDay).toBeCloseTo(284 / 24, 9);
    expect(new Date(p.changeAt).toISOString()).toBe('2026-01-18T20:00:00.000Z');
  });

  it.each(DRIFT_SCENARIOS)('%s: before it, the stream is exactly the undrifted one; after it, it differs', (s) => {
    const events = drifted.get(s)?.events ?? [];
    const digest = (list: SimEvent[], keep: (e: SimEvent) => boolean) =>
      createHash('sha256')
        .update(JSON.stringify(list.filter(keep)))
        .digest('hex');
    const early = (e: SimEvent) => eventTime(e) < changeAt;
    const late = (e: SimEvent) => !early(e);
    expect(digest(events, early)).toBe(digest(base.events, early));
    expect(events.filter(late).length).toBeGreaterThan(1000);
    expect(digest(events, late)).not.toBe(digest(base.events, late));
  });

  it('is deterministic for a seed', () => {
    const again = hashOf({ ...FLEET, rooms: 2, days: 3, drift: { scenario: 'lighting', changeDay: 1.5 } });
    expect(hashOf({ ...FLEET, rooms: 2, days: 3, drift: { scenario: 'lighting', changeDay: 1.5 } })).toEqual(again);
    expect(
      hashOf({ ...FLEET, rooms: 2, days: 3, seed: 12, drift: { scenario: 'lighting', changeDay: 1.5 } }),
    ).not.toEqual(again);
  });
});

describe('scenarios', () => {
  it('sensor-failure: the static rule signal sticks on every other device after the change, and varied before', () => {
    const rows = rowsOf('sensor-failure');
    expect(plan('sensor-failure').signal).toBe('sound');
    for (const [i, room] of ['room-01', 'room-02', 'room-03', 'room-04'].entries()) {
      const mine = rows.filter((r) => r.room === room);
      const after = new Set(mine.filter((r) => r.ts >= changeAt).map((r) => num(r, 'sound')));
      const before = new Set(mine.filter((r) => r.ts < changeAt).map((r) => num(r, 'sound')));
      expect(before.size).toBeGreaterThan(50);
      if (i % 2 === 0) expect(after.size).toBe(1);
      else expect(after.size).toBeGreaterThan(50);
    }
    // The other signals and the ground truth are untouched.
    expect(rows.map((r) => [r.values.temperature, r.occupied])).toEqual(
      base.rows.map((r) => [r.values.temperature, r.occupied]),
    );
  });

  it('calibration-offset: temperature shifts by each device’s 1.5–3 °C offset (full a day after the change); labels unchanged', () => {
    const rows = rowsOf('calibration-offset');
    expect(plan('calibration-offset').signal).toBe('temperature');
    expect(rows.map((r) => r.occupied)).toEqual(base.rows.map((r) => r.occupied));
    const shifts = new Map<string, number[]>();
    let changedBefore = 0;
    rows.forEach((r, i) => {
      const b = base.rows[i];
      if (b === undefined) throw new Error('streams differ in length');
      const diff = num(r, 'temperature') - num(b, 'temperature');
      if (r.ts < changeAt && diff !== 0) changedBefore++;
      else if (r.ts >= changeAt + DAY) shifts.set(r.room, [...(shifts.get(r.room) ?? []), diff]);
    });
    expect(changedBefore).toBe(0);
    expect(shifts.size).toBe(4);
    const offsets = [...shifts.values()].map((diffs) => {
      expect(Math.max(...diffs) - Math.min(...diffs)).toBeLessThan(0.011); // one offset per device, up to rounding
      return mean(diffs);
    });
    for (const offset of offsets) {
      expect(offset).toBeGreaterThanOrEqual(1.49);
      expect(offset).toBeLessThanOrEqual(3.01);
    }
    expect(new Set(offsets.map((o) => o.toFixed(2))).size).toBe(4);
  });

  it('usage: after the first midnight past the change, the occupied hours move about 4 h later', () => {
    const from = Math.ceil(changeAt / DAY) * DAY;
    const occupiedHours = (rows: Row[]) =>
      rows.filter((r) => r.ts >= from && r.occupied).map((r) => (r.ts % DAY) / HOUR);
    const before = occupiedHours(base.rows);
    const after = occupiedHours(rowsOf('usage'));
    expect(mean(after) - mean(before)).toBeGreaterThan(3);
    expect(mean(after) - mean(before)).toBeLessThan(4.5);
    const evening = (hours: number[]) => hours.filter((h) => h >= 19).length / hours.length;
    expect(evening(before)).toBeLessThan(0.05);
    expect(evening(after)).toBeGreaterThan(0.3);
  });

  it('season: the HVAC mix flips from heating to cooling and rooms get warmer', () => {
    const rows = rowsOf('season');
    expect(plan('season').signal).toBeUndefined(); // the thermostat's own physics, not a rewritten signal
    const share = (rs: Row[], status: string) => rs.filter((r) => r.values.hvac_status === status).length / rs.length;
    const before = rows.filter((r) => r.ts < changeAt);
    const after = rows.filter((r) => r.ts >= changeAt + 6 * HOUR);
    expect(share(before, 'HEATING')).toBeGreaterThan(0.1);
    expect(share(before, 'COOLING')).toBeLessThan(0.01);
    expect(share(after, 'COOLING')).toBeGreaterThan(0.05);
    expect(share(after, 'HEATING')).toBeLessThan(0.01);
    const baseAfter = base.rows.filter((r) => r.ts >= changeAt + 6 * HOUR);
    expect(mean(after.map((r) => num(r, 'temperature')))).toBeGreaterThan(
      mean(baseAfter.map((r) => num(r, 'temperature'))) + 2,
    );
  });

  it('lighting: the thermostat set (no light sensor) gets a midday-peaking level on sound, the static rule’s signal', () => {
    expect(plan('lighting').signal).toBe('sound');
    const rows = rowsOf('lighting');
    const wrong = rows.filter((r, i) => {
      const diff = num(r, 'sound') - num(base.rows[i] ?? r, 'sound');
      const peak = r.ts < changeAt ? 0 : daylight(r.ts);
      // 200 is the signal's ceiling: a level already near it cannot rise by the whole peak.
      return peak === 0 ? diff !== 0 : diff < 10 * peak - 0.051 || (diff > 20 * peak + 0.051 && num(r, 'sound') < 200);
    });
    expect(wrong).toEqual([]);
    expect(rows.filter((r) => r.ts >= changeAt && daylight(r.ts) > 0).length).toBeGreaterThan(1000);
    // Empty rooms at midday now cross the static rule `sound > 10` far more often than before.
    const falseAlarms = (rs: Row[]) => {
      const midday = rs.filter((r) => r.ts >= changeAt && !r.occupied && daylight(r.ts) > 0.9);
      return midday.filter((r) => num(r, 'sound') > 10).length / midday.length;
    };
    expect(falseAlarms(rows)).toBeGreaterThan(falseAlarms(base.rows) + 0.5);
  });

  it('picks honest signals on other signal sets, and refuses what a set cannot do', () => {
    const on = (scenario: DriftScenario, signalSet = UCI_OCCUPANCY) =>
      planDrift({ scenario }, { days: 14, start: DEFAULT_SIM_START, signalSet }).signal;
    expect(on('lighting')).toBe('light');
    expect(on('sensor-failure')).toBe('light'); // no static rule: the light-like signal
    expect(on('calibration-offset')).toBe('temperature');
    expect(on('season')).toBe('temperature');
    expect(on('usage')).toBeUndefined();
    expect(on('sensor-failure', THERMOSTAT)).toBe('sound');
    const doors: SignalSet = {
      id: 'doors',
      description: 'door contacts only',
      signals: [{ name: 'door', kind: 'enum', values: ['closed', 'open'] }],
    };
    expect(() => on('lighting', doors)).toThrow('drift: scenario "lighting" needs a numeric signal; doors has none');
    expect(() => on('season', doors)).toThrow(/needs the thermostat set or a °C signal; doors has none/);
    expect(on('usage', doors)).toBeUndefined();
    const season = { scenario: 'season', changeDay: 1 } as const;
    const { rows } = run({ rooms: 2, days: 3, seed: 2, signalSet: UCI_OCCUPANCY, drift: season });
    const generic = run({ rooms: 2, days: 3, seed: 2, signalSet: UCI_OCCUPANCY }).rows;
    const late = (rs: Row[]) => rs.filter((r) => r.ts >= DEFAULT_SIM_START + 2 * DAY).map((r) => num(r, 'temperature'));
    expect(mean(late(rows)) - mean(late(generic))).toBeGreaterThan(3.95);
    expect(mean(late(rows)) - mean(late(generic))).toBeLessThan(4.05);
  });
});

describe('errors', () => {
  it('an unknown scenario is refused, naming the flag and the valid names', () => {
    expect(() => parseDriftScenario('meteor')).toThrow(
      'drift: unknown scenario "meteor"; valid: calibration-offset, season, usage, lighting, sensor-failure',
    );
    try {
      parseDriftScenario('meteor');
    } catch (error) {
      expect(error).toBeInstanceOf(DriftOptionsError);
      expect(error).toMatchObject({ field: 'drift', cause: { field: 'drift' } });
    }
  });

  it('a change outside the period is refused, naming the field', () => {
    for (const changeDay of [0, 3, -1, Number.NaN]) {
      expect(() => [...simulateFleet({ rooms: 1, days: 3, drift: { scenario: 'usage', changeDay } })]).toThrow(
        /^drift\.changeDay: must be in \(0, 3\) days/,
      );
    }
  });
});

describe('occupancy simulate --drift', () => {
  it('reports the scenario and the change in --json, and exits 2 on an unknown scenario', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drift-cli-'));
    try {
      const ok = await cliInProcess([
        'simulate',
        ...['--rooms', '1', '--days', '2', '--drift', 'sensor-failure', '--json'],
        ...['--state-dir', join(dir, 'state')],
      ]);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({
        readings: 2 * 1440,
        drift: { scenario: 'sensor-failure', change: '2026-01-08T15:00:00.000Z', changeDay: 39 / 24, signal: 'sound' },
      });
      const bad = await cliInProcess(['simulate', '--drift', 'meteor', '--state-dir', join(dir, 'other')]);
      expect(bad).toMatchObject({ code: 2, stdout: '' });
      expect(bad.stderr).toMatch(/--drift: unknown scenario "meteor"; valid: calibration-offset, season, usage/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
