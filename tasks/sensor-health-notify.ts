import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { notificationMessage, notificationSubject } from '../health/report-text';
import { HEALTH_KINDS, HEALTH_REPORT_KEY, type SensorHealthReport } from '../health/types';
import { SENSOR_HEALTH_SERVICE } from '../observability/metrics';
import { ArtifactError } from './errors';
import { type LambdaHandler, onFirstInvoke, type Powertools, parseEnv, wrapHandler } from './lambda-handler';
import { type Notifier, SnsNotifier } from './ports/notifier';
import type { ObjectStore } from './ports/object-store';
import { S3ObjectStore } from './ports/s3-object-store';
import { powertools } from './powertools';

/**
 * The sensor health notifier (issue 22): an UnhealthyDevices alarm going to ALARM (EventBridge rule on the per-kind
 * alarms) → one message naming every unhealthy device of the newest report, sent once per report however many
 * kinds' alarms fire for it.
 *
 * Read-check-write on `health/notified.json` is safe because the function runs with reserved concurrency 1 (set by
 * the stack): two alarms of one check arrive as two invocations, and Lambda runs them one after the other, so the
 * second reads the first's record and sends nothing.
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

export interface NotifiedRecord {
  readonly reportId: string;
  readonly notifiedAt: number;
  readonly alarmName: string;
}

export type NotifyOutput =
  | { readonly notified: true; readonly reportId: string; readonly subject: string }
  | { readonly notified: false; readonly reportId: string | null; readonly reason: string };

export interface SensorHealthNotifyDeps extends Powertools {
  readonly store: ObjectStore;
  readonly notifier: Notifier;
  /** The artifacts bucket the check writes its reports to. */
  readonly reportBucket: string;
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

function parseReport(text: string, uri: string): SensorHealthReport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new ArtifactError(`${uri} is not JSON`, uri, { cause: error });
  }
  const r = doc as Partial<SensorHealthReport> | null;
  const valid =
    typeof r === 'object' &&
    r !== null &&
    typeof r.reportId === 'string' &&
    typeof r.checkedAt === 'number' &&
    Array.isArray(r.unhealthy) &&
    typeof r.counts === 'object' &&
    r.counts !== null &&
    HEALTH_KINDS.every((k) => typeof r.counts?.[k] === 'number');
  if (!valid)
    throw new ArtifactError(`${uri} is not a sensor health report (reportId, checkedAt, counts, unhealthy)`, uri);
  return doc as SensorHealthReport;
}

/**
 * The report id last notified; null before the first message. S3 answers a missing key with NoSuchKey (404) only to a
 * caller allowed s3:ListBucket, else AccessDenied (403: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html),
 * so the function's role needs it (the stack's grantRead gives s3:List*); any other failure is not "none yet".
 */
async function lastNotified(store: ObjectStore, uri: string): Promise<string | null> {
  try {
    const doc = JSON.parse(await store.getText(uri)) as Partial<NotifiedRecord> | null;
    return typeof doc?.reportId === 'string' ? doc.reportId : null;
  } catch (error) {
    if (isMissingObject(error)) return null;
    throw error;
  }
}

export function createHandler(deps: SensorHealthNotifyDeps): LambdaHandler<NotifyOutput> {
  const { logger, store, notifier } = deps;
  const now = deps.now ?? Date.now;
  const reportUri = `s3://${deps.reportBucket}/${HEALTH_REPORT_KEY}`;
  const notifiedUri = `s3://${deps.reportBucket}/${HEALTH_NOTIFIED_KEY}`;
  return wrapHandler(
    async (event: AlarmStateChange): Promise<NotifyOutput> => {
      const alarmName = event.detail.alarmName;
      if (event.detail.state.value !== 'ALARM') {
        const reason = `${alarmName} is ${event.detail.state.value}, not ALARM`;
        logger.info('nothing to notify', { reason });
        return { notified: false, reportId: null, reason };
      }
      const report = parseReport(await store.getText(reportUri), reportUri);
      if ((await lastNotified(store, notifiedUri)) === report.reportId) {
        const reason = `report ${report.reportId} was already notified (another kind's alarm of the same check)`;
        logger.info('nothing to notify', { reason, alarmName });
        return { notified: false, reportId: report.reportId, reason };
      }
      const subject = notificationSubject(report, deps.project);
      await notifier.publish(subject, notificationMessage(report, alarmName, { reportUri }));
      // Recorded after the send: a failed write (retried by Lambda's async invoke) may repeat a message, never lose one.
      const record: NotifiedRecord = { reportId: report.reportId, notifiedAt: now(), alarmName };
      await store.putText(notifiedUri, `${JSON.stringify(record)}\n`, 'application/json');
      logger.info('sensor health notified', {
        reportId: report.reportId,
        alarmName,
        unhealthy: report.unhealthy.length,
      });
      return { notified: true, reportId: report.reportId, subject };
    },
    { ...deps, schema: AlarmStateChangeSchema, inputName: 'Alarm state change event' },
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
  };
}

export const handler = onFirstInvoke(() => createHandler(defaultDeps()));
