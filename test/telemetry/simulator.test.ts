import type { LabelEvent, Reading } from '../../telemetry/reading';
import { THERMOSTAT } from '../../telemetry/signals';
import {
  createRoomSimulator,
  DEFAULT_SIM_START,
  type SimEvent,
  SimulatorOptionsError,
  simulatedReadingCount,
  simulateFleet,
} from '../../telemetry/simulator';
import { parseReading, toWireReport } from '../../telemetry/validate';

const eventTime = (e: SimEvent): number => (e.kind === 'reading' ? e.reading.ts : e.label.ts);

interface Counts {
  tp: number;
  fp: number;
  fn: number;
}
const f1 = ({ tp, fp, fn }: Counts): number => (2 * tp) / (2 * tp + fp + fn);
const tally = (c: Counts, predicted: boolean, actual: boolean): void => {
  if (predicted && actual) c.tp++;
  else if (predicted) c.fp++;
  else if (actual) c.fn++;
};

/** One streaming pass over 20 rooms × 14 days, computing the statistics the tests below assert. */
function fleetStatistics() {
  const occupied = new Map<string, boolean>();
  const recentSound = new Map<string, number[]>();
  const rawRule = { tp: 0, fp: 0, fn: 0 };
  const rollingRule = { tp: 0, fp: 0, fn: 0 };
  let readings = 0;
  let readingsWithoutLabel = 0;
  let outOfOrder = 0;
  let invalid = 0;
  let weekend = 0;
  let weekendOccupied = 0;
  let weekdayWorkHours = 0;
  let weekdayWorkHoursOccupied = 0;
  let lastTime = Number.NEGATIVE_INFINITY;
  const now = DEFAULT_SIM_START + 30 * 86_400_000;
  for (const event of simulateFleet({ rooms: 20, days: 14, seed: 7 })) {
    const time = eventTime(event);
    if (time < lastTime) outOfOrder++;
    lastTime = time;
    if (event.kind === 'label') {
      occupied.set(event.label.thingName, event.label.occupied);
      continue;
    }
    const reading = event.reading;
    readings++;
    // Spot-check validity through the same path as live device reports (every 25th reading keeps this quick).
    if (readings % 25 === 0) {
      try {
        parseReading(toWireReport(reading, THERMOSTAT), THERMOSTAT, { now });
      } catch {
        invalid++;
      }
    }
    const truth = occupied.get(reading.thingName);
    if (truth === undefined) {
      readingsWithoutLabel++;
      continue;
    }
    const day = new Date(reading.ts).getUTCDay();
    const hour = new Date(reading.ts).getUTCHours();
    if (day === 0 || day === 6) {
      weekend++;
      if (truth) weekendOccupied++;
    } else if (hour >= 9 && hour < 17) {
      weekdayWorkHours++;
      if (truth) weekdayWorkHoursOccupied++;
    }
    const sound = Number(reading.values.sound);
    const window = recentSound.get(reading.thingName) ?? [];
    window.push(sound);
    if (window.length > 5) window.shift();
    recentSound.set(reading.thingName, window);
    const rollingMean = window.reduce((a, b) => a + b, 0) / window.length;
    tally(rawRule, sound > 10, truth);
    tally(rollingRule, rollingMean > 10, truth);
  }
  return {
    readings,
    readingsWithoutLabel,
    outOfOrder,
    invalid,
    weekendOccupiedShare: weekendOccupied / weekend,
    workHoursOccupiedShare: weekdayWorkHoursOccupied / weekdayWorkHours,
    rawRuleF1: f1(rawRule),
    rollingRuleF1: f1(rollingRule),
  };
}

describe('simulateFleet over 20 rooms × 14 days', () => {
  const stats = fleetStatistics();

  it('emits every reading, in time order, each after its device has a label', () => {
    expect(stats.readings).toBe(simulatedReadingCount({ rooms: 20, days: 14 }));
    expect(stats.readings).toBe(20 * 14 * 1440);
    expect(stats.outOfOrder).toBe(0);
    expect(stats.readingsWithoutLabel).toBe(0);
  });

  it('produces readings that pass report validation (physical ranges, enum values)', () => {
    expect(stats.invalid).toBe(0);
  });

  it('keeps weekends mostly empty and weekday work hours busy', () => {
    expect(stats.weekendOccupiedShare).toBeLessThan(0.05);
    expect(stats.workHoursOccupiedShare).toBeGreaterThan(0.2);
    expect(stats.workHoursOccupiedShare).toBeLessThan(0.8);
  });

  it('makes the static rule sound > 10 a real but imperfect baseline', () => {
    expect(stats.rawRuleF1).toBeGreaterThanOrEqual(0.55);
    expect(stats.rawRuleF1).toBeLessThanOrEqual(0.9);
  });

  it('has learnable structure: the 5-reading rolling mean of sound beats the raw rule', () => {
    expect(stats.rollingRuleF1).toBeGreaterThan(stats.rawRuleF1 + 0.02);
  });
});

describe('simulateFleet determinism and shape', () => {
  const collect = (seed: number, rooms = 3): SimEvent[] => [...simulateFleet({ rooms, days: 2, seed })];

  it('gives identical events for the same seed and different events for another seed', () => {
    // Compared as JSON: a deep toEqual over thousands of events is needlessly slow.
    const a = JSON.stringify(collect(42));
    expect(a.length).toBeGreaterThan(100_000);
    expect(JSON.stringify(collect(42))).toBe(a);
    expect(JSON.stringify(collect(43))).not.toBe(a);
  });

  it('keeps a room identical whatever the fleet size', () => {
    const roomTwo = (events: SimEvent[]): (Reading | LabelEvent)[] =>
      events.map((e) => (e.kind === 'reading' ? e.reading : e.label)).filter((e) => e.thingName === 'room-02');
    const alone = JSON.stringify(roomTwo(collect(5, 2)));
    expect(alone).toContain('room-02');
    expect(JSON.stringify(roomTwo(collect(5, 6)))).toBe(alone);
  });

  it('names devices room-01… and labels each device at its start and at each change', () => {
    const events = collect(9, 4);
    const names = new Set(events.flatMap((e) => (e.kind === 'reading' ? [e.reading.thingName] : [])));
    expect([...names].sort()).toEqual(['room-01', 'room-02', 'room-03', 'room-04']);
    for (const name of names) {
      const labels = events.flatMap((e) => (e.kind === 'label' && e.label.thingName === name ? [e.label] : []));
      const firstReading = events.find((e) => e.kind === 'reading' && e.reading.thingName === name);
      expect(labels[0]?.ts).toBe(firstReading && eventTime(firstReading));
      for (let i = 1; i < labels.length; i++) expect(labels[i]?.occupied).not.toBe(labels[i - 1]?.occupied);
    }
  });

  it('honours start and intervalSeconds', () => {
    const start = Date.UTC(2026, 5, 1);
    const readings = [...simulateFleet({ rooms: 1, days: 1, seed: 1, start, intervalSeconds: 300 })].flatMap((e) =>
      e.kind === 'reading' ? [e.reading.ts] : [],
    );
    expect(readings).toHaveLength(288);
    const [first = Number.NaN, second = Number.NaN] = readings;
    expect(second - first).toBe(300_000);
    expect(first).toBeGreaterThanOrEqual(start);
    expect(first).toBeLessThan(start + 300_000);
  });

  it.each([
    ['rooms', { rooms: 0, days: 1 }],
    ['rooms', { rooms: 1.5, days: 1 }],
    ['days', { rooms: 1, days: -1 }],
    ['intervalSeconds', { rooms: 1, days: 1, intervalSeconds: 0 }],
    ['start', { rooms: 1, days: 1, start: Number.NaN }],
  ])('rejects a bad %s', (field, opts) => {
    expect(() => simulateFleet(opts).next()).toThrow(expect.objectContaining({ name: 'SimulatorOptionsError', field }));
  });
});

describe('createRoomSimulator (live stepping)', () => {
  it('steps at arbitrary increasing times and refuses to go back', () => {
    const room = createRoomSimulator(0, 3, DEFAULT_SIM_START);
    const first = room.next(DEFAULT_SIM_START);
    expect(first.label).toEqual({ thingName: 'room-01', ts: DEFAULT_SIM_START, occupied: false });
    const later = room.next(DEFAULT_SIM_START + 10 * 3_600_000 + 17_000);
    expect(later.reading.thingName).toBe('room-01');
    expect(() => room.next(DEFAULT_SIM_START)).toThrow(SimulatorOptionsError);
  });
});
