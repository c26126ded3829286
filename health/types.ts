/**
 * Sensor health (issue 22): the kinds of unhealthy device, the report a check writes, and the lake table of
 * readings the inference Lambda refused. One definition for the check (tasks/sensor-health.ts), its notifier,
 * the export's exclusion rule (health/flag-sql.ts), the CDK stacks and the console.
 */

/** Kinds of unhealthy device, as the `Kind` dimension of UnhealthyDevices and the report spell them. */
export const HEALTH_KINDS = ['stuck', 'silent', 'out-of-range', 'malformed'] as const;
export type HealthKind = (typeof HEALTH_KINDS)[number];

/** One device unhealthy now, for one reason (a device may be listed once per kind). */
export interface UnhealthyDevice {
  readonly thingName: string;
  readonly kind: HealthKind;
  /** When it became unhealthy (epoch ms): a stuck run's first reading, the last reading before silence, … */
  readonly since: number;
  /** The device's newest reading that is not flagged (epoch ms); null: none in the lookback. */
  readonly lastGoodReading: number | null;
  /** The signal concerned (stuck, out-of-range), when there is one. */
  readonly signal?: string;
  /** One line for a person: "co2 held 412 for 3 h 10 min", "no reading for 47 min (usually every 1 min)". */
  readonly detail: string;
}

/** What one check found: the report the notifier and the console read (`health/latest.json` in the artifacts). */
export interface SensorHealthReport {
  /** Unique per check; the notifier sends one message per report. */
  readonly reportId: string;
  /** When the check ran (epoch ms): the end of its lookback. */
  readonly checkedAt: number;
  readonly lookbackHours: number;
  /** Devices with a reading or a refused reading in the lookback. */
  readonly devicesKnown: number;
  /** Unhealthy devices per kind (what UnhealthyDevices publishes). */
  readonly counts: Readonly<Record<HealthKind, number>>;
  /** Sorted by kind (HEALTH_KINDS order), then thing name. */
  readonly unhealthy: readonly UnhealthyDevice[];
}

/** Key of the newest report in the artifacts bucket (locally: the state folder's object store). */
export const HEALTH_REPORT_KEY = 'health/latest.json';
/** Folder of every report, one object per check: `health/reports/<ISO time>-<reportId>.json`. */
export const HEALTH_REPORTS_PREFIX = 'health/reports/';

/** The lake table of readings the inference Lambda refused (Firehose → Parquet, `dt` partitions like telemetry). */
export const SENSOR_FAULTS_TABLE = 'sensor_faults';

/** What a refused reading was: out of its signal's physical range, or malformed in any other way. */
export const FAULT_KINDS = ['out-of-range', 'malformed'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Columns of `sensor_faults`, in order, with their Glue types. */
export const SENSOR_FAULT_COLUMNS = [
  { name: 'thing_name', type: 'string' },
  /** The device's time when the report carried a valid one, else the time it was refused (epoch ms). */
  { name: 'ts', type: 'bigint' },
  /** When the Lambda refused it (epoch ms). */
  { name: 'received_at', type: 'bigint' },
  /** FaultKind. */
  { name: 'kind', type: 'string' },
  /** The first offending field (`co2`, `timestamp`, `$`). */
  { name: 'field', type: 'string' },
  /** The validator's issue code (`out_of_range`, `wrong_type`, `missing`, …: telemetry/errors.ts). */
  { name: 'code', type: 'string' },
] as const;

/** One row of `sensor_faults`. */
export interface SensorFaultRecord {
  readonly thing_name: string;
  readonly ts: number;
  readonly received_at: number;
  readonly kind: FaultKind;
  readonly field: string;
  readonly code: string;
}

/** The validator's out-of-range code; every other refusal is `malformed`. */
export const faultKindOf = (code: string): FaultKind => (code === 'out_of_range' ? 'out-of-range' : 'malformed');

/** Alarm of one kind: `occupancy-sensor-health-stuck`, … (the stack names them; the notifier asks for their state). */
export const sensorHealthAlarmName = (kind: HealthKind): string => `occupancy-sensor-health-${kind}`;

/** `kind:thingName`: one unhealthy device of one kind, as the notifier remembers which it has seen. */
export const unhealthyKey = (u: Pick<UnhealthyDevice, 'kind' | 'thingName'>): string => `${u.kind}:${u.thingName}`;

/**
 * What the check sends its notifier after writing a report (asynchronous invoke): an alarm already in ALARM does not
 * change state when another device of its kind goes bad, so this is how such a device still reaches a person.
 */
export interface HealthReportEvent {
  readonly source: 'occupancy.sensor-health';
  readonly 'detail-type': 'Sensor Health Report';
  readonly detail: { readonly reportId: string; readonly checkedAt: number };
}

export const healthReportEvent = (report: Pick<SensorHealthReport, 'reportId' | 'checkedAt'>): HealthReportEvent => ({
  source: 'occupancy.sensor-health',
  'detail-type': 'Sensor Health Report',
  detail: { reportId: report.reportId, checkedAt: report.checkedAt },
});
