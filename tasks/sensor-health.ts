import { randomUUID } from 'node:crypto';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { AthenaClient } from '@aws-sdk/client-athena';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import type { SqlDialectName } from '../features/dialect';
import { classifyHealth } from '../health/classify';
import { parseHealthRows } from '../health/device-row';
import { buildHealthQuery } from '../health/query';
import {
  HEALTH_KINDS,
  HEALTH_REPORT_KEY,
  HEALTH_REPORTS_PREFIX,
  healthReportEvent,
  SENSOR_FAULTS_TABLE,
  type SensorHealthReport,
} from '../health/types';
import {
  Dimensions,
  OccupancyMetrics,
  SENSOR_HEALTH_SERVICE,
  unhealthyDevicesDimensions,
} from '../observability/metrics';
import { type PipelineConfig, signalSetOf } from '../pipeline/config';
import { numericSignals } from '../telemetry/signals';
import {
  type LambdaHandler,
  onFirstInvoke,
  type Powertools,
  parseEnv,
  pipelineConfigFromEnv,
  wrapHandler,
} from './lambda-handler';
import { type EventInvoker, LambdaEventInvoker } from './ports/event-invoker';
import { AthenaEnvSchema, athenaLakeQueryOf, type LakeQuery } from './ports/lake-query';
import type { ObjectStore } from './ports/object-store';
import { S3ObjectStore } from './ports/s3-object-store';
import { powertools } from './powertools';

/**
 * The sensor health check (issue 22), run every `sensorHealth.everyMinutes`: which devices are stuck, silent, out of
 * range or sending malformed readings now (health/query.ts over the lake, health/classify.ts), written as the report
 * the notifier and the console read (`health/latest.json` + `health/reports/…`), published as UnhealthyDevices per
 * kind (zeros too, so each kind's alarm always has a datapoint and returns to OK), and logged one line per device
 * ('Unhealthy device') for the dashboard's Logs Insights table. Then it tells the notifier a report is written
 * (tasks/sensor-health-notify.ts): a kind's alarm already in ALARM does not fire again for a new device of its kind.
 */

export const SensorHealthInputSchema = z
  .object({
    /** The check's "now" (ISO time or epoch ms): the end of its lookback. @default now */
    at: z.union([z.iso.datetime({ offset: true }), z.number().int().positive()]).optional(),
  })
  // A scheduled event (EventBridge's "Scheduled Event", its own fields) is accepted: it checks now.
  .passthrough();
export type SensorHealthInput = z.infer<typeof SensorHealthInputSchema>;

export type SensorHealthOutput =
  | { readonly checked: false; readonly reason: string }
  | { readonly checked: true; readonly reportUri: string; readonly report: SensorHealthReport };

export interface SensorHealthDeps extends Powertools {
  readonly lake: LakeQuery;
  readonly store: ObjectStore;
  readonly config: PipelineConfig;
  /** 'athena' on AWS and through the local Athena stand-in; 'duckdb' on a lake connection. */
  readonly dialect: SqlDialectName;
  /** @default 'telemetry' */
  readonly telemetryTable?: string;
  /** @default 'sensor_faults' */
  readonly faultsTable?: string;
  /** Bucket of the reports (the artifacts bucket). */
  readonly reportBucket: string;
  /** Hands the notifier each written report's event (HealthReportEvent). @default none: the alarms alone notify */
  readonly notifier?: EventInvoker;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default randomUUID */
  readonly newReportId?: () => string;
}

/** UnhealthyDevices of every kind, each in its own EMF document (as the monitor publishes FeatureDrift). */
export function publishCounts(metrics: Metrics, report: SensorHealthReport): void {
  const def = OccupancyMetrics.UnhealthyDevices;
  for (const kind of HEALTH_KINDS) {
    const single = metrics.singleMetric();
    // `service` is Powertools' default dimension: the function's service name, SENSOR_HEALTH_SERVICE (defaultDeps).
    for (const [k, v] of Object.entries(unhealthyDevicesDimensions(kind))) {
      if (k !== Dimensions.Service) single.addDimension(k, v);
    }
    single.addMetric(def.name, def.unit, report.counts[kind]);
  }
}

export const reportUris = (bucket: string, report: SensorHealthReport) => ({
  latest: `s3://${bucket}/${HEALTH_REPORT_KEY}`,
  archived: `s3://${bucket}/${HEALTH_REPORTS_PREFIX}${new Date(report.checkedAt).toISOString()}-${report.reportId}.json`,
});

export function createHandler(deps: SensorHealthDeps): LambdaHandler<SensorHealthOutput> {
  const { logger, metrics, config } = deps;
  const now = deps.now ?? Date.now;
  const newReportId = deps.newReportId ?? randomUUID;
  const signalSet = signalSetOf(config);
  const signals = numericSignals(signalSet).map((s) => s.name);
  return wrapHandler(
    async (input: SensorHealthInput): Promise<SensorHealthOutput> => {
      if (!config.sensorHealth.enabled) {
        const reason = 'sensorHealth.enabled is false: no check, no report, no metrics';
        logger.info('sensor health check disabled', { reason });
        return { checked: false, reason };
      }
      const at = input.at === undefined ? now() : typeof input.at === 'number' ? input.at : Date.parse(input.at);
      const sql = buildHealthQuery({
        dialect: deps.dialect,
        at,
        config: config.sensorHealth,
        signalSet,
        telemetryTable: deps.telemetryTable ?? 'telemetry',
        faultsTable: deps.faultsTable ?? SENSOR_FAULTS_TABLE,
      });
      const rows = parseHealthRows(await deps.lake.select(sql), signals);
      const report = classifyHealth(rows, { at, config: config.sensorHealth, signalSet, reportId: newReportId() });
      const uris = reportUris(deps.reportBucket, report);
      const body = `${JSON.stringify(report, null, 2)}\n`;
      // The archive first: latest.json never names a report that is not archived.
      await deps.store.putText(uris.archived, body, 'application/json');
      await deps.store.putText(uris.latest, body, 'application/json');
      publishCounts(metrics, report);
      for (const u of report.unhealthy) {
        logger.warn('Unhealthy device', {
          thingName: u.thingName,
          kind: u.kind,
          since: new Date(u.since).toISOString(),
          lastGoodReading: u.lastGoodReading === null ? null : new Date(u.lastGoodReading).toISOString(),
          signal: u.signal ?? null,
          detail: u.detail,
        });
      }
      logger.info('sensor health checked', {
        reportId: report.reportId,
        at: new Date(at).toISOString(),
        devicesKnown: report.devicesKnown,
        counts: report.counts,
      });
      // After the report is written and published; a failure fails the run, and the schedule's retry checks again.
      await deps.notifier?.invoke(healthReportEvent(report));
      return { checked: true, reportUri: uris.latest, report };
    },
    { ...deps, schema: SensorHealthInputSchema, inputName: 'Sensor health input' },
  );
}

/** Set by the stack that deploys the check; AWS_REGION by Lambda itself. */
export const SensorHealthEnvSchema = AthenaEnvSchema.extend({
  /** The pipeline config (JSON of PipelineConfigInput): sensorHealth, signalSetId, signalSet. */
  PIPELINE_CONFIG: z.string().min(1),
  TELEMETRY_TABLE: z.string().min(1).default('telemetry'),
  SENSOR_FAULTS_TABLE: z.string().min(1).default(SENSOR_FAULTS_TABLE),
  /** The artifacts bucket's name (no s3://): health/latest.json and health/reports/ go there. */
  REPORT_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name'),
  /** The notifier function's ARN: each written report's event goes to it (asynchronous invoke). */
  NOTIFY_FUNCTION_ARN: z
    .string()
    .regex(/^arn:[^:]+:lambda:[^:]*:\d*:function:[A-Za-z0-9_-]+$/, 'a Lambda function ARN'),
});

export function defaultDeps(env: NodeJS.ProcessEnv = process.env): SensorHealthDeps {
  const e = parseEnv(SensorHealthEnvSchema, env);
  const config = pipelineConfigFromEnv(e.PIPELINE_CONFIG);
  const tools = powertools(SENSOR_HEALTH_SERVICE);
  const athena = tools.tracer.captureAWSv3Client(new AthenaClient({}));
  return {
    ...tools,
    config,
    dialect: 'athena',
    telemetryTable: e.TELEMETRY_TABLE,
    faultsTable: e.SENSOR_FAULTS_TABLE,
    reportBucket: e.REPORT_BUCKET,
    store: new S3ObjectStore(tools.tracer.captureAWSv3Client(new S3Client({}))),
    lake: athenaLakeQueryOf(athena, e),
    notifier: new LambdaEventInvoker(tools.tracer.captureAWSv3Client(new LambdaClient({})), e.NOTIFY_FUNCTION_ARN),
  };
}

export const handler = onFirstInvoke(() => createHandler(defaultDeps()));
