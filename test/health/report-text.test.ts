import {
  formatDuration,
  formatTime,
  formatValue,
  notificationMessage,
  notificationSubject,
} from '../../health/report-text';
import type { SensorHealthReport } from '../../health/types';

const MIN = 60_000;
const AT = Date.parse('2026-11-29T12:15:00Z');

const report: SensorHealthReport = {
  reportId: 'r-42',
  checkedAt: AT,
  lookbackHours: 24,
  devicesKnown: 5,
  counts: { stuck: 1, silent: 1, 'out-of-range': 1, malformed: 0 },
  unhealthy: [
    {
      thingName: 'thermostat-1',
      kind: 'stuck',
      since: AT - 185 * MIN,
      lastGoodReading: AT - 186 * MIN,
      signal: 'humidity',
      detail: 'humidity held 41 % since 09:10 UTC (3 h 5 min)',
    },
    {
      thingName: 'thermostat-2',
      kind: 'silent',
      since: AT - 47 * MIN,
      lastGoodReading: AT - 47 * MIN,
      detail: 'no reading for 47 min; usually every 1 min',
    },
    {
      thingName: 'thermostat-3',
      kind: 'out-of-range',
      since: AT - 30 * MIN,
      lastGoodReading: null,
      signal: 'temperature',
      detail: '3 readings out of range (temperature), last 12:02 UTC',
    },
  ],
};

describe('report text', () => {
  it('formats durations, times and values for a person', () => {
    expect([45_000, 47 * MIN, 180 * MIN, 185 * MIN, 49 * 60 * MIN, 72 * 60 * MIN].map(formatDuration)).toEqual([
      '45 s',
      '47 min',
      '3 h',
      '3 h 5 min',
      '2 d 1 h',
      '3 d',
    ]);
    expect(formatTime(AT - 5 * MIN, AT)).toBe('12:10 UTC');
    expect(formatTime(AT - 24 * 60 * MIN, AT)).toBe('2026-11-28 12:15 UTC');
    expect(formatValue(412, 'ppm')).toBe('412 ppm');
    expect(formatValue(0.1 + 0.2, '°C')).toBe('0.3 °C');
    expect(formatValue(1, 'binary')).toBe('1');
  });

  it('subject: counts by kind, under 100 printable ASCII characters', () => {
    const subject = notificationSubject(report);
    expect(subject).toBe('occupancy: 3 unhealthy sensors (stuck 1, silent 1, out-of-range 1)');
    const many = notificationSubject(
      { ...report, counts: { stuck: 1e6, silent: 1e6, 'out-of-range': 1e6, malformed: 1e6 } },
      'x'.repeat(80),
    );
    expect(many.length).toBeLessThan(100);
    expect(many).toMatch(/^[\x20-\x7e]+$/);
  });

  it('message: every device by kind with since, last good reading and detail, then what to do', () => {
    const message = notificationMessage(report, 'occupancy-unhealthy-stuck');
    expect(message).toContain('Alarm occupancy-unhealthy-stuck');
    expect(message).toContain(
      '  - thermostat-1: humidity held 41 % since 09:10 UTC (3 h 5 min). Since 09:10 UTC; last good reading 09:09 UTC.',
    );
    expect(message).toContain('  - thermostat-2: no reading for 47 min; usually every 1 min. Since 11:28 UTC;');
    expect(message).toContain(
      '  - thermostat-3: 3 readings out of range (temperature), last 12:02 UTC. Since 11:45 UTC; last good reading none in the lookback.',
    );
    expect(message.indexOf('Stuck')).toBeLessThan(message.indexOf('Silent'));
    expect(message).not.toContain('Malformed');
    expect(message).toContain('left out of the training export');
    expect(message).toContain('returns to OK by itself');
  });

  it('a report without unhealthy devices says the alarm is stale instead of listing nothing', () => {
    const healthy = { ...report, counts: { stuck: 0, silent: 0, 'out-of-range': 0, malformed: 0 }, unhealthy: [] };
    expect(notificationSubject(healthy)).toBe('occupancy: sensor health alarm, no unhealthy sensor now');
    expect(notificationMessage(healthy, 'a')).toContain('finds no unhealthy device');
  });

  it('lists at most maxDevices devices and counts the rest, so a fleet-wide failure fits one SNS message', () => {
    const message = notificationMessage(report, 'a', { maxDevices: 2, reportUri: 's3://b/health/latest.json' });
    expect(message).toContain('  - thermostat-2:');
    expect(message).not.toContain('  - thermostat-3:');
    expect(message).toContain('  … and 1 more (the full list is in the report: s3://b/health/latest.json)');
  });
});
