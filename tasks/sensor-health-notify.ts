import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { readSensorHealthReport } from '../health/report-schema';
import { newDevicesSubject, notificationMessage, notificationSubject } from '../health/report-text';
import {
  HEALTH_REPORT_KEY,
  type HealthKind,
  type SensorHealthReport,
  sensorHealthAlarmName,
  unhealthyKey,
} from '../health/types';
import { SENSOR_HEALTH_SERVICE } from '../observability/metrics';
import { ArtifactError } from './errors';
import { type LambdaHandler, onFirstInvoke, type Powertools, parseEnv, wrapHandler } from './lambda-handler';
import { type AlarmStates, CloudWatchAlarmStates } from './ports/alarm-states';
import { type Notifier, SnsNotifier } from './ports/notifier';
import type { ObjectStore } from './ports/object-store';
import { S3ObjectStore } from './ports/s3-object-store';
import { powertools } from './powertools';

/**
 * The sensor health notifier (issue 22). One message naming every unhealthy device of the newest report, sent once
 * per report however many events arrive for it, on either of two events:
 * - an UnhealthyDevices alarm going to ALARM (EventBridge rule on the per-kind alarms);
 * - the check's report event (HealthReportEvent, after each check) when a device went unhealthy since the previous
 *   check under an alarm that stays in ALARM: in ALARM now, its threshold reached by the previous report and by this
 *   one. CloudWatch acts on state changes only, so without this a second stuck device would never be named while the
 *   first keeps the stuck alarm in ALARM
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-evaluation.html: actions run on a change).
 *   When the previous report was under the threshold, the alarm's own change to ALARM sends this report.
 *
 * Read-check-write on `health/notified.json` is safe because the function runs with reserved concurrency 1 (set by
 * the stack): events arrive as invocations Lambda runs one after the other, so each reads the previous one's record.
 */

/** Which report was last notified (beside the report in the artifacts bucket). */
export const HEALTH_NOTIFIED_KEY = 'health/notified.json';

/** EventBridge's "CloudWatch Alarm State Change" event (the fields used; the rest passes). */
export const AlarmStateChangeSchema = z
  .object({
    source: z.literal('aws.cloudwatch'),
    'detail-type': z.literal('CloudWatch Alarm State Change'),
    detail: z
      .object({
        alarmName: z.string().min(1),
        state: z.object({ value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']) }).passthrough(),
      })
      .passthrough(),
  })
  .passthrough();
export type AlarmStateChange = z.infer<typeof AlarmStateChangeSchema>;

/** The check's HealthReportEvent (health/types.ts). */
export const HealthReportEventSchema = z.object({
  source: z.literal('occupancy.sensor-health'),
  'detail-type': z.literal('Sensor Health Report'),
  detail: z.object({ reportId: z.string().min(1), checkedAt: z.number().int().positive() }),
});

// By `source`, so a malformed event's error names its field (`detail.reportId`), not just "Invalid input".
export const NotifyEventSchema = z.discriminatedUnion('source', [AlarmStateChangeSchema, HealthReportEventSchema]);
export type NotifyEvent = z.infer<typeof NotifyEventSchema>;

/** What the notifier remembers between invocations (`health/notified.json`). */
export interface NotifiedRecord {
  /** The report last sent. */
  readonly reportId: string | null;
  readonly notifiedAt: number | null;
  /** What sent it: the alarm's name, or the alarms a new device fell under. */
  readonly alarmName: string | null;
  /** The newest report whose event was handled, and its unhealthy devices (`kind:thing`): "new" is against these. */
  readonly seenReportId: string | null;
  readonly seenDevices: readonly string[];
}

const NO_RECORD: NotifiedRecord = {
  reportId: null,
  notifiedAt: null,
  alarmName: null,
  seenReportId: null,
  seenDevices: [],
};

export type NotifyOutput =
  | { readonly notified: true; readonly reportId: string; readonly subject: string }
  | { readonly notified: false; readonly reportId: string | null; readonly reason: string };

export interface SensorHealthNotifyDeps extends Powertools {
  readonly store: ObjectStore;
  readonly notifier: Notifier;
  /** The artifacts bucket the check writes its reports to. */
  readonly reportBucket: string;
  /** The per-kind alarms' state and threshold (a report event notifies only under an alarm that stays in ALARM). */
  readonly alarms: AlarmStates;
  /** Names the project in the subject. @default 'occupancy' */
  readonly project?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/** True when `error` (or a cause of it) says the object does not exist: S3's NoSuchKey, the local stores' words. */
export function isMissingObject(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (e.name === 'NoSuchKey' || code === 'NoSuchKey' || /^No object at |^NoSuchKey:/.test(e.message)) return true;
  }
  return false;
}

/** The newest report, refused with ArtifactError naming what is wrong (health/report-schema.ts, as the console). */
function parseReport(text: string, uri: string): SensorHealthReport {
  const read = readSensorHealthReport(text);
  if (!read.ok)
    throw new ArtifactError(`${uri} is not a sensor health report: ${read.problem}`, uri, { cause: read.cause });
  return read.report;
}

/**
 * The notifier's record; NO_RECORD before the first. S3 answers a missing key with NoSuchKey (404) only to a caller
 * allowed s3:ListBucket, else AccessDenied (403: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html),
 * so the function's role needs it (the stack's grantRead gives s3:List*); any other failure is not "none yet".
 */
async function readRecord(store: ObjectStore, uri: string): Promise<NotifiedRecord> {
  let text: string;
  try {
    text = await store.getText(uri);
  } catch (error) {
    if (isMissingObject(error)) return NO_RECORD;
    throw error;
  }
  const doc = JSON.parse(text) as Partial<NotifiedRecord> | null;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    reportId: str(doc?.reportId),
    notifiedAt: typeof doc?.notifiedAt === 'number' ? doc.notifiedAt : null,
    alarmName: str(doc?.alarmName),
    seenReportId: str(doc?.seenReportId),
    seenDevices: Array.isArray(doc?.seenDevices) ? doc.seenDevices.filter((d) => typeof d === 'string') : [],
  };
}

const isReportEvent = (e: NotifyEvent): e is z.infer<typeof HealthReportEventSchema> =>
  e.source === 'occupancy.sensor-health';

export function createHandler(deps: SensorHealthNotifyDeps): LambdaHandler<NotifyOutput> {
  const { logger, store, notifier } = deps;
  const now = deps.now ?? Date.now;
  const reportUri = `s3://${deps.reportBucket}/${HEALTH_REPORT_KEY}`;
  const notifiedUri = `s3://${deps.reportBucket}/${HEALTH_NOTIFIED_KEY}`;
  const saveRecord = (record: NotifiedRecord) =>
    store.putText(notifiedUri, `${JSON.stringify(record)}\n`, 'application/json');
  const skip = (reportId: string | null, reason: string, attributes: Record<string, unknown> = {}): NotifyOutput => {
    logger.info('nothing to notify', { reason, ...attributes });
    return { notified: false, reportId, reason };
  };

  /** A kind's alarm went to ALARM: the newest report, unless it was sent already. */
  async function onAlarm(event: AlarmStateChange): Promise<NotifyOutput> {
    const alarmName = event.detail.alarmName;
    if (event.detail.state.value !== 'ALARM')
      return skip(null, `${alarmName} is ${event.detail.state.value}, not ALARM`);
    const report = parseReport(await store.getText(reportUri), reportUri);
    const record = await readRecord(store, notifiedUri);
    if (record.reportId === report.reportId)
      return skip(report.reportId, `report ${report.reportId} was already notified`, { alarmName });
    const subject = notificationSubject(report, deps.project);
    await notifier.publish(subject, notificationMessage(report, alarmName, { reportUri }));
    // Recorded after the send: a failed write (retried by Lambda's async invoke) may repeat a message, never lose one.
    await saveRecord({ ...record, reportId: report.reportId, notifiedAt: now(), alarmName });
    logger.info('sensor health notified', { reportId: report.reportId, alarmName, unhealthy: report.unhealthy.length });
    return { notified: true, reportId: report.reportId, subject };
  }

  /** A check wrote a report: devices new since the previous one, under an alarm that stays in ALARM, are sent. */
  async function onReport(): Promise<NotifyOutput> {
    // The newest report, whichever check's event this is: an older one's devices are in it or healthy again.
    const report = parseReport(await store.getText(reportUri), reportUri);
    const record = await readRecord(store, notifiedUri);
    if (record.seenReportId === report.reportId) return skip(report.reportId, `report ${report.reportId} was seen`);
    const seen = new Set(record.seenDevices);
    const fresh = report.unhealthy.filter((u) => !seen.has(unhealthyKey(u)));
    let next: NotifiedRecord = {
      ...record,
      seenReportId: report.reportId,
      seenDevices: report.unhealthy.map(unhealthyKey),
    };
    const freshKinds = [...new Set(fresh.map((u) => u.kind))];
    const sent = record.reportId === report.reportId;
    const alarming = sent ? [] : await staysAlarming(freshKinds, record.seenDevices, report);
    const newKeys = new Set(fresh.filter((u) => alarming.includes(u.kind)).map(unhealthyKey));
    let output: NotifyOutput;
    if (sent) {
      output = skip(report.reportId, `report ${report.reportId} was already notified`);
    } else if (newKeys.size === 0) {
      output = skip(
        report.reportId,
        fresh.length === 0
          ? 'no device went unhealthy since the previous check'
          : `the alarms of ${freshKinds.join(', ')} do not stay in ALARM: a change to ALARM notifies by itself`,
      );
    } else {
      const alarmNames = alarming.map(sensorHealthAlarmName).join(' and ');
      const subject = newDevicesSubject(report, newKeys, deps.project);
      await notifier.publish(subject, notificationMessage(report, alarmNames, { reportUri, newKeys }));
      next = { ...next, reportId: report.reportId, notifiedAt: now(), alarmName: alarmNames };
      logger.info('sensor health notified', { reportId: report.reportId, alarmName: alarmNames, new: newKeys.size });
      output = { notified: true, reportId: report.reportId, subject };
    }
    await saveRecord(next);
    return output;
  }

  /** Kinds whose alarm is in ALARM and whose threshold the previous report and this one both reach. */
  async function staysAlarming(
    kinds: readonly HealthKind[],
    previous: readonly string[],
    report: SensorHealthReport,
  ): Promise<HealthKind[]> {
    if (kinds.length === 0 || previous.length === 0) return [];
    const before = (kind: HealthKind) => previous.filter((key) => key.startsWith(`${kind}:`)).length;
    const states = await deps.alarms.statesOf(kinds.map(sensorHealthAlarmName));
    return kinds.filter((kind) => {
      const status = states.get(sensorHealthAlarmName(kind));
      if (status?.state !== 'ALARM' || status.threshold === undefined) return false;
      return before(kind) >= status.threshold && report.counts[kind] >= status.threshold;
    });
  }

  return wrapHandler(
    async (event: NotifyEvent): Promise<NotifyOutput> => (isReportEvent(event) ? onReport() : onAlarm(event)),
    { ...deps, schema: NotifyEventSchema, inputName: 'Alarm state change or sensor health report event' },
  );
}

/** Set by the stack that deploys the notifier. */
export const SensorHealthNotifyEnvSchema = z.object({
  /** The artifacts bucket's name (no s3://): reads health/latest.json, writes health/notified.json. */
  REPORT_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
  /** The notification topic (occupancy-notifications). */
  TOPIC_ARN: z.string().regex(/^arn:[^:]+:sns:/, 'an SNS topic ARN'),
});

export function defaultDeps(env: NodeJS.ProcessEnv = process.env): SensorHealthNotifyDeps {
  const e = parseEnv(SensorHealthNotifyEnvSchema, env);
  const tools = powertools(`${SENSOR_HEALTH_SERVICE}-notify`);
  return {
    ...tools,
    reportBucket: e.REPORT_BUCKET,
    store: new S3ObjectStore(tools.tracer.captureAWSv3Client(new S3Client({}))),
    notifier: new SnsNotifier(tools.tracer.captureAWSv3Client(new SNSClient({})), e.TOPIC_ARN),
    alarms: new CloudWatchAlarmStates(tools.tracer.captureAWSv3Client(new CloudWatchClient({}))),
  };
}

export const handler = onFirstInvoke(() => createHandler(defaultDeps()));
