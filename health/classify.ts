/**
 * Which devices are unhealthy at the check's time, and why (issue 22): pure, no I/O. The rows are the health
 * query's (health/query.ts → health/device-row.ts), one per device known in the lookback.
 *
 * - stuck: the newest reading's run of one value of a numeric signal lasts at least that signal's stuck time (the
 *   rule health/flag-sql.ts flags readings by); since = the run's first reading.
 * - silent: no reading for longer than max(silentIntervals × the device's median gap, silentMinMinutes); since =
 *   its last reading (the lookback's start when it has none, only refused ones).
 * - out-of-range: its newest out-of-range refusal is less than outOfRangeClearMinutes old (the flag is not yet
 *   cleared); since = the first refusal of that streak.
 * - malformed: at least malformedBurst readings refused as malformed within the last malformedWindowMinutes (by when
 *   they were refused); since = the first.
 */
import type { SensorHealthConfig } from '../pipeline/config';
import { numericSignals, type SignalSet } from '../telemetry/signals';
import type { DeviceHealthRow, SignalRun } from './device-row';
import { flagRuleOf } from './flag-sql';
import { formatDuration, formatTime, formatValue } from './report-text';
import { HEALTH_KINDS, type HealthKind, type SensorHealthReport, type UnhealthyDevice } from './types';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

export interface ClassifyOptions {
  /** The check's time (epoch ms). */
  readonly at: number;
  readonly config: SensorHealthConfig;
  readonly signalSet: SignalSet;
  readonly reportId: string;
}

/** The silence a device is allowed (ms): silentIntervals of its usual gap, never less than silentMinMinutes. */
export function silentAfterMs(medianGapMs: number | null, config: SensorHealthConfig): number {
  const floor = config.silentMinMinutes * MINUTE_MS;
  return medianGapMs === null ? floor : Math.max(config.silentIntervals * medianGapMs, floor);
}

function stuckOf(row: DeviceHealthRow, o: ClassifyOptions, limits: ReadonlyMap<string, number>): UnhealthyDevice[] {
  const stuck = row.runs.filter((r) => {
    const minutes = limits.get(r.signal);
    return minutes !== undefined && r.spanMs >= minutes * MINUTE_MS;
  });
  // The longest run names the device's stuck state (the first signal of the set on a tie).
  const worst = stuck.reduce<SignalRun | undefined>(
    (a, b) => (a === undefined || b.spanMs > a.spanMs ? b : a),
    undefined,
  );
  if (!worst) return [];
  const unit = numericSignals(o.signalSet).find((s) => s.name === worst.signal)?.unit ?? '';
  const value = worst.value === null ? 'one value' : formatValue(worst.value, unit);
  const others =
    stuck.length > 1
      ? ` (also ${stuck
          .filter((r) => r !== worst)
          .map((r) => r.signal)
          .join(', ')})`
      : '';
  return [
    {
      thingName: row.thingName,
      kind: 'stuck',
      since: worst.since,
      lastGoodReading: row.lastGoodReading,
      signal: worst.signal,
      detail: `${worst.signal} held ${value} since ${formatTime(worst.since, o.at)} (${formatDuration(worst.spanMs)})${others}`,
    },
  ];
}

function silentOf(row: DeviceHealthRow, o: ClassifyOptions): UnhealthyDevice[] {
  if (row.lastReading === null) {
    return [
      {
        thingName: row.thingName,
        kind: 'silent',
        since: o.at - o.config.lookbackHours * HOUR_MS,
        lastGoodReading: row.lastGoodReading,
        detail: `no accepted reading in the last ${o.config.lookbackHours} h (only refused ones)`,
      },
    ];
  }
  const quiet = o.at - row.lastReading;
  if (quiet <= silentAfterMs(row.medianGapMs, o.config)) return [];
  const usual =
    row.medianGapMs === null ? 'only one reading in the lookback' : `usually every ${formatDuration(row.medianGapMs)}`;
  return [
    {
      thingName: row.thingName,
      kind: 'silent',
      since: row.lastReading,
      lastGoodReading: row.lastGoodReading,
      detail: `no reading for ${formatDuration(quiet)}; ${usual}`,
    },
  ];
}

function outOfRangeOf(row: DeviceHealthRow, o: ClassifyOptions): UnhealthyDevice[] {
  const f = row.outOfRange;
  if (!f || o.at - f.last >= o.config.outOfRangeClearMinutes * MINUTE_MS) return [];
  const readings = f.count === 1 ? '1 reading' : `${f.count} readings`;
  return [
    {
      thingName: row.thingName,
      kind: 'out-of-range',
      since: f.since,
      lastGoodReading: row.lastGoodReading,
      ...(f.field ? { signal: f.field } : {}),
      detail: `${readings} out of range${f.field ? ` (${f.field})` : ''}, last ${formatTime(f.last, o.at)}`,
    },
  ];
}

function malformedOf(row: DeviceHealthRow, o: ClassifyOptions): UnhealthyDevice[] {
  const m = row.malformed;
  if (!m || m.count < o.config.malformedBurst) return [];
  const cause = m.field || m.code ? ` (${m.field || '?'}: ${m.code || '?'})` : '';
  return [
    {
      thingName: row.thingName,
      kind: 'malformed',
      since: m.first,
      lastGoodReading: row.lastGoodReading,
      detail: `${m.count} malformed readings in ${formatDuration(o.config.malformedWindowMinutes * MINUTE_MS)}${cause}`,
    },
  ];
}

const byKindThenThing = (a: UnhealthyDevice, b: UnhealthyDevice): number =>
  HEALTH_KINDS.indexOf(a.kind) - HEALTH_KINDS.indexOf(b.kind) ||
  (a.thingName < b.thingName ? -1 : a.thingName > b.thingName ? 1 : 0);

export function classifyHealth(rows: readonly DeviceHealthRow[], o: ClassifyOptions): SensorHealthReport {
  const limits = new Map(flagRuleOf(o.config, o.signalSet).stuck.map((s) => [s.signal, s.minutes]));
  const unhealthy = rows
    .flatMap((row) => [
      ...stuckOf(row, o, limits),
      ...silentOf(row, o),
      ...outOfRangeOf(row, o),
      ...malformedOf(row, o),
    ])
    .sort(byKindThenThing);
  const counts = Object.fromEntries(
    HEALTH_KINDS.map((k) => [k, unhealthy.filter((u) => u.kind === k).length]),
  ) as Record<HealthKind, number>;
  return {
    reportId: o.reportId,
    checkedAt: o.at,
    lookbackHours: o.config.lookbackHours,
    devicesKnown: new Set(rows.map((r) => r.thingName)).size,
    counts,
    unhealthy,
  };
}
