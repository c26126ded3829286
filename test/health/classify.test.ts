import { classifyHealth, silentAfterMs } from '../../health/classify';
import type { DeviceHealthRow } from '../../health/device-row';
import { SensorHealthSchema } from '../../pipeline/config';
import { THERMOSTAT, UCI_OCCUPANCY } from '../../telemetry/signals';

const MIN = 60_000;
const AT = Date.parse('2026-11-29T12:15:00Z');
const config = SensorHealthSchema.parse({});

/** A healthy device: reads every minute, the last one a minute ago, nothing refused. */
function row(thingName: string, over: Partial<DeviceHealthRow> = {}): DeviceHealthRow {
  return {
    thingName,
    lastReading: AT - MIN,
    lastGoodReading: AT - MIN,
    medianGapMs: MIN,
    runs: [{ signal: 'temperature', since: AT - 30 * MIN, spanMs: 29 * MIN, value: 21.5 }],
    outOfRange: null,
    malformed: null,
    ...over,
  };
}

const classify = (rows: DeviceHealthRow[], set = THERMOSTAT, c = config) =>
  classifyHealth(rows, { at: AT, config: c, signalSet: set, reportId: 'r1' });

describe('classifyHealth', () => {
  it('finds nothing wrong with healthy devices, and counts every kind (zeros too)', () => {
    const report = classify([row('a'), row('b')]);
    expect(report).toEqual({
      reportId: 'r1',
      checkedAt: AT,
      lookbackHours: 24,
      devicesKnown: 2,
      counts: { stuck: 0, silent: 0, 'out-of-range': 0, malformed: 0 },
      unhealthy: [],
    });
  });

  describe('stuck', () => {
    const stuckRow = (spanMs: number) =>
      row('s', { runs: [{ signal: 'humidity', since: AT - MIN - spanMs, spanMs, value: 41.25 }] });

    it('flags a run of one value that lasts the stuck time, not a millisecond less', () => {
      expect(classify([stuckRow(180 * MIN - 1)]).counts.stuck).toBe(0);
      const report = classify([stuckRow(185 * MIN)]);
      expect(report.unhealthy).toEqual([
        {
          thingName: 's',
          kind: 'stuck',
          since: AT - 186 * MIN,
          lastGoodReading: AT - MIN,
          signal: 'humidity',
          detail: 'humidity held 41.25 % since 09:09 UTC (3 h 5 min)',
        },
      ]);
      expect(classify([stuckRow(180 * MIN)]).counts.stuck).toBe(1);
    });

    it("uses a signal's own stuckAfterMinutes (UCI light: 24 h) over the config's", () => {
      const light = (spanMs: number) =>
        row('office', { runs: [{ signal: 'light', since: AT - spanMs, spanMs, value: 0 }] });
      expect(classify([light(15 * 60 * MIN)], UCI_OCCUPANCY).counts.stuck).toBe(0);
      const report = classify([light(1440 * MIN)], UCI_OCCUPANCY);
      expect(report.unhealthy[0]?.detail).toBe('light held 0 lux since 2026-11-28 12:15 UTC (24 h)');
    });

    it('names the longest stuck run, and the others', () => {
      const report = classify([
        row('s', {
          runs: [
            { signal: 'temperature', since: AT - 200 * MIN, spanMs: 200 * MIN, value: 20 },
            { signal: 'humidity', since: AT - 300 * MIN, spanMs: 300 * MIN, value: 40 },
          ],
        }),
      ]);
      expect(report.counts.stuck).toBe(1);
      expect(report.unhealthy[0]).toMatchObject({ signal: 'humidity', since: AT - 300 * MIN });
      expect(report.unhealthy[0]?.detail).toBe('humidity held 40 % since 07:15 UTC (5 h) (also temperature)');
    });
  });

  describe('silent', () => {
    it('allows silentIntervals median gaps, never less than silentMinMinutes', () => {
      expect(silentAfterMs(MIN, config)).toBe(15 * MIN);
      expect(silentAfterMs(5 * MIN, config)).toBe(50 * MIN);
      expect(silentAfterMs(null, config)).toBe(15 * MIN);
    });

    it('flags a device quiet for longer than that, since its last reading', () => {
      expect(classify([row('q', { lastReading: AT - 15 * MIN })]).counts.silent).toBe(0);
      const report = classify([row('q', { lastReading: AT - 47 * MIN, lastGoodReading: AT - 47 * MIN })]);
      expect(report.unhealthy).toEqual([
        {
          thingName: 'q',
          kind: 'silent',
          since: AT - 47 * MIN,
          lastGoodReading: AT - 47 * MIN,
          detail: 'no reading for 47 min; usually every 1 min',
        },
      ]);
      expect(classify([row('q', { lastReading: AT - 15 * MIN - 1 })]).counts.silent).toBe(1);
    });

    it('scales with a slow device: every 5 min, silent after 50 min', () => {
      const slow = (quiet: number) => row('slow', { medianGapMs: 5 * MIN, lastReading: AT - quiet });
      expect(classify([slow(50 * MIN)]).counts.silent).toBe(0);
      expect(classify([slow(50 * MIN + 1)]).unhealthy[0]?.detail).toBe('no reading for 50 min; usually every 5 min');
    });

    it('a device with only refused readings in the lookback is silent since the lookback began', () => {
      const report = classify([row('r', { lastReading: null, lastGoodReading: null, medianGapMs: null, runs: [] })]);
      expect(report.unhealthy).toEqual([
        {
          thingName: 'r',
          kind: 'silent',
          since: AT - 24 * 60 * MIN,
          lastGoodReading: null,
          detail: 'no accepted reading in the last 24 h (only refused ones)',
        },
      ]);
    });
  });

  describe('out-of-range', () => {
    const oor = (ago: number, count = 3) =>
      row('o', {
        lastGoodReading: AT - 20 * MIN,
        outOfRange: { last: AT - ago, since: AT - ago - 10 * MIN, count, field: 'temperature' },
      });

    it('flags a device until outOfRangeClearMinutes pass without another refusal', () => {
      const report = classify([oor(13 * MIN)]);
      expect(report.unhealthy).toEqual([
        {
          thingName: 'o',
          kind: 'out-of-range',
          since: AT - 23 * MIN,
          lastGoodReading: AT - 20 * MIN,
          signal: 'temperature',
          detail: '3 readings out of range (temperature), last 12:02 UTC',
        },
      ]);
      expect(classify([oor(60 * MIN - 1)]).counts['out-of-range']).toBe(1);
      expect(classify([oor(60 * MIN)]).counts['out-of-range']).toBe(0);
    });

    it('says "1 reading" for one', () => {
      expect(classify([oor(MIN, 1)]).unhealthy[0]?.detail).toBe('1 reading out of range (temperature), last 12:14 UTC');
    });
  });

  describe('malformed', () => {
    const burst = (count: number) =>
      row('m', {
        malformed: { count, first: AT - 12 * MIN, last: AT - MIN, field: 'temperature', code: 'wrong_type' },
      });

    it('flags malformedBurst refusals within the window, not one fewer', () => {
      expect(classify([burst(4)]).counts.malformed).toBe(0);
      const report = classify([burst(7)]);
      expect(report.unhealthy).toEqual([
        {
          thingName: 'm',
          kind: 'malformed',
          since: AT - 12 * MIN,
          lastGoodReading: AT - MIN,
          detail: '7 malformed readings in 15 min (temperature: wrong_type)',
        },
      ]);
      expect(classify([burst(5)]).counts.malformed).toBe(1);
    });
  });

  it('lists a device once per kind, sorted by kind then thing name, counted per kind', () => {
    const report = classify([
      row('z-both', {
        lastReading: AT - 60 * MIN,
        runs: [{ signal: 'sound', since: AT - 300 * MIN, spanMs: 240 * MIN, value: 0 }],
      }),
      row('a-stuck', { runs: [{ signal: 'sound', since: AT - 200 * MIN, spanMs: 199 * MIN, value: 3 }] }),
      row('healthy'),
    ]);
    expect(report.unhealthy.map((u) => [u.kind, u.thingName])).toEqual([
      ['stuck', 'a-stuck'],
      ['stuck', 'z-both'],
      ['silent', 'z-both'],
    ]);
    expect(report.counts).toEqual({ stuck: 2, silent: 1, 'out-of-range': 0, malformed: 0 });
    expect(report.devicesKnown).toBe(3);
    // "sound" is unit "level": a bare number reads better.
    expect(report.unhealthy[0]?.detail).toBe('sound held 3 since 08:55 UTC (3 h 19 min)');
  });
});
