import {
  createFaultInjector,
  DEFAULT_FAULT_HOURS_BEFORE_END,
  FaultOptionsError,
  faultSignal,
  parseFaultScenario,
  planFaults,
  refusedRecord,
} from '../../telemetry/faults';
import type { Reading } from '../../telemetry/reading';
import { THERMOSTAT, UCI_ROOM_OCCUPANCY } from '../../telemetry/signals';
import { simulateFleet } from '../../telemetry/simulator';
import { parseReading, toWireReport } from '../../telemetry/validate';

const START = Date.UTC(2026, 0, 7);
const DAY = 86_400_000;
const fleet = { things: ['room-01', 'room-02', 'room-03'], signalSet: THERMOSTAT, start: START, end: START + DAY };

const readings = (days = 1): Reading[] => {
  const out: Reading[] = [];
  for (const e of simulateFleet({ rooms: 3, days, seed: 3, start: START }))
    if (e.kind === 'reading') out.push(e.reading);
  return out;
};

const expectFlagError = (fn: () => unknown, pattern: RegExp): void => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FaultOptionsError);
    expect((error as FaultOptionsError).field).toBe('fault');
    expect((error as Error).message).toMatch(/^fault: /);
    expect((error as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a FaultOptionsError');
};

describe('parseFaultScenario', () => {
  it('reads kind, thing and an optional zoned ISO time', () => {
    expect(parseFaultScenario('silent:room-02')).toEqual({ kind: 'silent', thingName: 'room-02' });
    expect(parseFaultScenario('out-of-range:room-01@2026-01-07T18:00Z')).toEqual({
      kind: 'out-of-range',
      thingName: 'room-01',
      at: Date.UTC(2026, 0, 7, 18),
    });
    expect(parseFaultScenario('stuck:a:b@2026-01-07T18:30:00+01:00').at).toBe(Date.UTC(2026, 0, 7, 17, 30));
  });

  it('refuses an unknown kind, a bad thing name and a bad or zoneless time, naming the flag', () => {
    expectFlagError(() => parseFaultScenario('broken:room-01'), /unknown kind "broken".*stuck, silent/);
    expectFlagError(() => parseFaultScenario('room-01'), /expected <kind>:<thing>/);
    expectFlagError(() => parseFaultScenario('stuck:room 1'), /not a thing name/);
    expectFlagError(() => parseFaultScenario('stuck:room-01@tomorrow'), /bad time "tomorrow"/);
    expectFlagError(() => parseFaultScenario('stuck:room-01@2026-01-07T18:00'), /bad time/);
    expectFlagError(() => parseFaultScenario('stuck:room-01@2026-02-30T18:00Z'), /bad time/);
  });
});

describe('planFaults', () => {
  it(`defaults to ${DEFAULT_FAULT_HOURS_BEFORE_END} h before the end and names the static rule's signal`, () => {
    const [stuck, silent] = planFaults(
      [parseFaultScenario('stuck:room-01'), parseFaultScenario('silent:room-02')],
      fleet,
    );
    expect(stuck).toMatchObject({ kind: 'stuck', thingName: 'room-01', at: START + 18 * 3_600_000, signal: 'sound' });
    expect(silent?.signal).toBeUndefined();
    // No static rule: the first numeric signal.
    expect(UCI_ROOM_OCCUPANCY.staticRule).toBeUndefined();
    expect(faultSignal(UCI_ROOM_OCCUPANCY)?.name).toBe('s1_temp');
  });

  it('refuses an unknown thing, a time outside the period and the same fault twice', () => {
    expectFlagError(() => planFaults([parseFaultScenario('stuck:room-09')], fleet), /unknown thing "room-09".*room-01/);
    expectFlagError(() => planFaults([{ kind: 'stuck', thingName: 'room-01', at: START - 1 }], fleet), /outside/);
    expectFlagError(() => planFaults([{ kind: 'stuck', thingName: 'room-01', at: START + DAY }], fleet), /outside/);
    const twice = [parseFaultScenario('silent:room-01'), parseFaultScenario('silent:room-01')];
    expectFlagError(() => planFaults(twice, fleet), /given twice/);
  });
});

describe('createFaultInjector', () => {
  const at = START + 12 * 3_600_000;
  const run = (spec: string) => {
    const plans = planFaults([{ ...parseFaultScenario(spec), at }], fleet);
    const injector = createFaultInjector(plans, THERMOSTAT);
    return readings().map((r) => ({ r, out: injector.apply(r) }));
  };

  it('stuck: the signal holds its value at the fault time; other devices and signals are untouched', () => {
    const outs = run('stuck:room-02');
    const before = outs.filter(({ r }) => r.thingName !== 'room-02' || r.ts < at);
    expect(before.every(({ r, out }) => out.kind === 'reading' && out.reading === r)).toBe(true);
    const after = outs.filter(({ r }) => r.thingName === 'room-02' && r.ts >= at);
    const first = after[0]?.r.values.sound;
    const sounds = new Set(after.map(({ out }) => (out.kind === 'reading' ? out.reading.values.sound : 'none')));
    expect([...sounds]).toEqual([first]);
    const temps = new Set(after.map(({ out }) => (out.kind === 'reading' ? out.reading.values.temperature : 0)));
    expect(temps.size).toBeGreaterThan(10);
    // Still valid: the IoT rule lets a stuck reading through.
    for (const { out } of after)
      if (out.kind === 'reading') parseReading(toWireReport(out.reading, THERMOSTAT), THERMOSTAT, { now: at + DAY });
  });

  it('silent: no reading from the fault time on', () => {
    const outs = run('silent:room-03').filter(({ r }) => r.thingName === 'room-03');
    expect(outs.filter(({ out }) => out.kind === 'silent').every(({ r }) => r.ts >= at)).toBe(true);
    expect(outs.filter(({ out }) => out.kind === 'silent')).toHaveLength(outs.filter(({ r }) => r.ts >= at).length);
  });

  it.each([
    ['out-of-range', { kind: 'out-of-range', field: 'sound', code: 'out_of_range' }],
    ['malformed', { kind: 'malformed', field: 'sound', code: 'wrong_type' }],
  ] as const)(
    '%s: every other reading is refused by the real validator, recorded as a sensor_faults row',
    (kind, row) => {
      const outs = run(`${kind}:room-01`).filter(({ r }) => r.thingName === 'room-01' && r.ts >= at);
      const refused = outs.filter(({ out }) => out.kind === 'refused');
      expect(refused.length).toBe(Math.ceil(outs.length / 2));
      expect(outs.map(({ out }) => out.kind)).toEqual(outs.map((_, i) => (i % 2 === 0 ? 'refused' : 'reading')));
      for (const { r, out } of refused) {
        if (out.kind !== 'refused') continue;
        expect(refusedRecord(out.report, THERMOSTAT, r.ts + 500)).toEqual({
          thing_name: 'room-01',
          ts: r.ts,
          received_at: r.ts + 500,
          ...row,
        });
      }
    },
  );

  it('refusedRecord: undefined for a report the validator accepts', () => {
    const [r] = readings();
    if (!r) throw new Error('no reading');
    expect(
      refusedRecord({ thingName: r.thingName, timestamp: r.ts, ...r.values, hvacStatus: 'OFF' }, THERMOSTAT, r.ts),
    ).toBeUndefined();
  });
});
