/**
 * Words a person reads about sensor health: durations, times, values, and the notification a report becomes
 * (tasks/sensor-health-notify.ts). Pure, no I/O; times in UTC (the fleet spans time zones, the logs are UTC).
 */
import { HEALTH_KINDS, type HealthKind, type SensorHealthReport, type UnhealthyDevice, unhealthyKey } from './types';

const MINUTE_MS = 60_000;

/** "45 s", "47 min", "3 h 5 min", "2 d 4 h". */
export function formatDuration(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / MINUTE_MS);
  if (minutes < 1) return `${Math.floor(Math.max(0, ms) / 1000)} s`;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** "09:10 UTC" on the day of `reference`, else "2026-11-28 09:10 UTC". */
export function formatTime(ms: number, reference: number): string {
  const iso = new Date(ms).toISOString();
  const sameDay = iso.slice(0, 10) === new Date(reference).toISOString().slice(0, 10);
  return `${sameDay ? '' : `${iso.slice(0, 10)} `}${iso.slice(11, 16)} UTC`;
}

/** Units that read worse than no unit after a number. */
const UNITLESS = new Set(['', 'level', 'binary']);

/** "412 ppm", "21.5 °C", "0.0047 kg/kg"; six significant digits at most. */
export function formatValue(value: number, unit: string): string {
  const text = String(Number(value.toPrecision(6)));
  return UNITLESS.has(unit) ? text : `${text} ${unit}`;
}

const KIND_WORDS: Readonly<Record<HealthKind, string>> = {
  stuck: 'Stuck (one value held too long)',
  silent: 'Silent (no reading for longer than usual)',
  'out-of-range': 'Out of range (readings outside the physical range, refused)',
  malformed: 'Malformed (a burst of readings refused as malformed)',
};

/** SNS subjects: fewer than 100 printable ASCII characters (tasks/ports/notifier.ts). */
export function notificationSubject(report: SensorHealthReport, project = 'occupancy'): string {
  const n = report.unhealthy.length === 0 ? 0 : new Set(report.unhealthy.map((u) => u.thingName)).size;
  if (n === 0) return `${project}: sensor health alarm, no unhealthy sensor now`.slice(0, 99);
  const kinds = HEALTH_KINDS.filter((k) => report.counts[k] > 0)
    .map((k) => `${k} ${report.counts[k]}`)
    .join(', ');
  return `${project}: ${n} unhealthy sensor${n === 1 ? '' : 's'} (${kinds})`.slice(0, 99);
}

/** "occupancy: 1 new unhealthy sensor, 3 in all (stuck 2, silent 1)": the message of a new device under an alarm. */
export function newDevicesSubject(report: SensorHealthReport, newKeys: ReadonlySet<string>, project = 'occupancy') {
  const fresh = new Set(report.unhealthy.filter((u) => newKeys.has(unhealthyKey(u))).map((u) => u.thingName)).size;
  const all = new Set(report.unhealthy.map((u) => u.thingName)).size;
  const kinds = HEALTH_KINDS.filter((k) => report.counts[k] > 0)
    .map((k) => `${k} ${report.counts[k]}`)
    .join(', ');
  return `${project}: ${fresh} new unhealthy sensor${fresh === 1 ? '' : 's'}, ${all} in all (${kinds})`.slice(0, 99);
}

function deviceLine(u: UnhealthyDevice, checkedAt: number, isNew: boolean): string {
  const good = u.lastGoodReading === null ? 'none in the lookback' : formatTime(u.lastGoodReading, checkedAt);
  return `  - ${isNew ? '(new) ' : ''}${u.thingName}: ${u.detail}. Since ${formatTime(u.since, checkedAt)}; last good reading ${good}.`;
}

/**
 * Devices a message lists (the rest are counted): an SNS message is at most 256 KB
 * (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html); a device line is a few hundred bytes at most.
 */
export const MAX_LISTED_DEVICES = 500;

/** What an operator does, the same for every message. */
export const OPERATOR_ADVICE = [
  'What to do:',
  '  - Check each device named above: power, network, placement, and the sensor itself (a stuck or out-of-range',
  '    signal usually means a failing or obstructed sensor; a silent one, power or connectivity).',
  '  - While a device is flagged stuck or out of range, its readings are left out of the training export.',
  '  - Nothing to acknowledge: the alarm returns to OK by itself when a later check finds the device healthy.',
];

/**
 * The notification body: every unhealthy device by kind with since, last good reading and detail, then what to do.
 * A report without unhealthy devices (the alarm was stale by the time this ran) says so instead of listing nothing.
 */
export function notificationMessage(
  report: SensorHealthReport,
  alarmName: string,
  options: {
    readonly maxDevices?: number;
    readonly reportUri?: string;
    /** Devices (`kind:thing`) unhealthy now and not at the previous check: marked "(new)" and listed first. */
    readonly newKeys?: ReadonlySet<string>;
  } = {},
): string {
  const maxDevices = options.maxDevices ?? MAX_LISTED_DEVICES;
  const newKeys = options.newKeys ?? new Set<string>();
  const checked = new Date(report.checkedAt).toISOString();
  const why =
    newKeys.size === 0
      ? `Alarm ${alarmName}.`
      : `New unhealthy device(s) since the previous check: ${newKeys.size}, while ${alarmName} stayed in ALARM.`;
  const head = `${why} Sensor health check ${report.reportId} at ${checked} (${report.devicesKnown} device(s) known in the last ${report.lookbackHours} h).`;
  if (report.unhealthy.length === 0) {
    return [
      head,
      '',
      'The newest check finds no unhealthy device: the devices that raised this alarm are healthy again, and the',
      'alarm returns to OK at its next evaluation. Nothing to do.',
    ].join('\n');
  }
  let room = maxDevices;
  const sections = HEALTH_KINDS.flatMap((kind) => {
    const ofKind = report.unhealthy.filter((u) => u.kind === kind);
    // New ones first, so a long list never cuts them off.
    const devices = [
      ...ofKind.filter((u) => newKeys.has(unhealthyKey(u))),
      ...ofKind.filter((u) => !newKeys.has(unhealthyKey(u))),
    ];
    if (devices.length === 0) return [];
    const listed = devices.slice(0, Math.max(0, room));
    room -= listed.length;
    const more = devices.length - listed.length;
    const where = options.reportUri ? `: ${options.reportUri}` : '';
    return [
      '',
      `${KIND_WORDS[kind]}: ${devices.length}`,
      ...listed.map((u) => deviceLine(u, report.checkedAt, newKeys.has(unhealthyKey(u)))),
      ...(more > 0 ? [`  … and ${more} more (the full list is in the report${where})`] : []),
    ];
  });
  return [head, ...sections, '', ...OPERATOR_ADVICE].join('\n');
}
