import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSensorHealthReport } from '../../health/report-schema';
import { HEALTH_KINDS, HEALTH_REPORT_KEY, type SensorHealthReport } from '../../health/types';

/**
 * The console's Sensors view (issue 22): the newest sensor health report in the local object store
 * (`health/latest.json`, which each check writes to the artifacts bucket), grouped by kind for the page.
 * The bucket is not assumed: every bucket folder of the store is looked at and the newest check wins.
 */

export interface SensorsKindGroup {
  readonly kind: (typeof HEALTH_KINDS)[number];
  readonly count: number;
  readonly devices: SensorHealthReport['unhealthy'];
}

export type SensorsView =
  | { readonly state: 'no-report' }
  /** A report the console cannot read: says which file and why, rather than an empty page. */
  | { readonly state: 'unreadable'; readonly source: string; readonly message: string }
  | {
      readonly state: 'report';
      /** `s3://<bucket>/health/latest.json` */
      readonly source: string;
      readonly report: SensorHealthReport;
      /** Every kind in HEALTH_KINDS order, empty ones too (the page shows their zero). */
      readonly byKind: readonly SensorsKindGroup[];
      /** Minutes between checks (config sensorHealth.everyMinutes), when known: the page warns about a stale report. */
      readonly everyMinutes?: number;
    };

/** Groups a report's devices by kind (HEALTH_KINDS order, devices by thing name within a kind). Pure. */
export function groupByKind(report: SensorHealthReport): SensorsKindGroup[] {
  return HEALTH_KINDS.map((kind) => {
    const devices = report.unhealthy
      .filter((d) => d.kind === kind)
      .sort((a, b) => a.thingName.localeCompare(b.thingName));
    return { kind, count: devices.length, devices };
  });
}

/**
 * The newest report under an object store's root (`<state>/s3`): one `health/latest.json` per bucket at most.
 * `everyMinutes`: the check's schedule, passed on for the page's staleness warning. @default unknown (no warning)
 */
export function sensorsView(storeRoot: string, everyMinutes?: number): SensorsView {
  if (!existsSync(storeRoot)) return { state: 'no-report' };
  let newest: { source: string; report: SensorHealthReport } | undefined;
  let unreadable: { source: string; message: string } | undefined;
  for (const bucket of readdirSync(storeRoot, { withFileTypes: true })) {
    if (!bucket.isDirectory()) continue;
    const path = join(storeRoot, bucket.name, ...HEALTH_REPORT_KEY.split('/'));
    if (!existsSync(path)) continue;
    const source = `s3://${bucket.name}/${HEALTH_REPORT_KEY}`;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      unreadable = { source, message: error instanceof Error ? error.message : String(error) };
      continue;
    }
    const read = readSensorHealthReport(text);
    if (!read.ok) unreadable = { source, message: read.problem };
    else if (!newest || read.report.checkedAt > newest.report.checkedAt) newest = { source, report: read.report };
  }
  if (newest) {
    const schedule = everyMinutes === undefined ? {} : { everyMinutes };
    return { state: 'report', ...newest, byKind: groupByKind(newest.report), ...schedule };
  }
  return unreadable ? { state: 'unreadable', ...unreadable } : { state: 'no-report' };
}
