import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { METRICS_NAMESPACE, SENSOR_HEALTH_SERVICE } from '../../observability/metrics';
import { parseEnv, pipelineConfigFromEnv } from '../../tasks/lambda-handler';
import { CloudWatchAlarmStates } from '../../tasks/ports/alarm-states';
import { LambdaEventInvoker } from '../../tasks/ports/event-invoker';
import { AthenaLakeQuery } from '../../tasks/ports/lake-query';
import { type Notifier, SnsNotifier } from '../../tasks/ports/notifier';
import {
  createHandler as createCheckHandler,
  SensorHealthEnvSchema,
  type SensorHealthInput,
  type SensorHealthOutput,
} from '../../tasks/sensor-health';
import {
  createHandler as createNotifyHandler,
  type NotifyOutput,
  SensorHealthNotifyEnvSchema,
} from '../../tasks/sensor-health-notify';
import { LocalAthena } from '../adapters/athena';
import type { FolderObjectStore } from '../adapters/s3';
import { lambdaContext } from '../aws-endpoints/lambda-context';
import { LocalStoreMetrics } from '../iot/local-metrics';
import type { LocalLake } from '../lake';
import type { AlarmEvaluator, MetricStore } from '../metrics';
import { scheduleIntervalMs } from '../schedule';
import { AlarmEventRules } from './alarm-rules';
import { AsyncInvokeQueue } from './async-invoke';
import { standInAthena } from './evidence';
import type { Json } from './runner';
import { standInCloudWatchAlarms, standInLambda, standInSns } from './stand-in-clients';
import type { SensorHealthOfTemplate } from './synth';

/**
 * Sensor health, locally (issue 22): the check Lambda's handler (tasks/sensor-health.ts) with its synthesized
 * environment, its Athena query answered by the local Athena stand-in over the local lake, its report in the local
 * store and its UnhealthyDevices in the local metric store; the synthesized alarms per kind in the local alarm
 * evaluator; the synthesized rule, and the check's report event, invoking the notifier (tasks/sensor-health-notify.ts)
 * asynchronously, one at a time (its reserved concurrency), which reads the alarms' state from the local evaluator
 * and publishes through an SNS client to the local notifier (`<state>/notifications.ndjson`).
 */

export interface LocalSensorHealthParts {
  readonly sensorHealth: SensorHealthOfTemplate;
  readonly lake: LocalLake;
  readonly store: FolderObjectStore;
  readonly metrics: MetricStore;
  readonly alarms: AlarmEvaluator;
  /** Where the notifier's messages land (the LocalNotifier: terminal and notifications log). */
  readonly notifier: Notifier;
  /** Local time per AWS second: the async queue's retry waits. @default 1 */
  readonly timeScale?: number;
  readonly onProgress?: (line: string) => void;
}

/** What one check did: the handler's output, then the notifier's answers to its report event and the alarms it raised. */
export interface CheckRun {
  readonly output: SensorHealthOutput;
  readonly notified: NotifyOutput[];
}

/** Where the local check's Athena results go (on AWS: the workgroup's result location). */
const LOCAL_HEALTH_RESULTS = 's3://occupancy-athena-results/sensor-health/';

const quietTools = (serviceName: string, metrics: MetricStore) => ({
  // The check logs one WARN line per unhealthy device (for CloudWatch Logs Insights); locally the report says it.
  logger: new Logger({ serviceName, logLevel: 'ERROR' }),
  metrics: new LocalStoreMetrics(metrics, { namespace: METRICS_NAMESPACE, serviceName }),
  tracer: new Tracer({ serviceName, enabled: false }),
});

export class LocalSensorHealth {
  readonly rules: AlarmEventRules;
  private readonly queue: AsyncInvokeQueue;
  private readonly check: (input: SensorHealthInput) => Promise<SensorHealthOutput>;
  private readonly notify: (event: Json) => Promise<NotifyOutput>;
  /** Answers of the notifier since the last runCheck started. */
  private notified: NotifyOutput[] = [];

  constructor(private readonly parts: LocalSensorHealthParts) {
    const { sensorHealth, alarms } = parts;
    const checkEnv = parseEnv(SensorHealthEnvSchema, sensorHealth.check.environment);
    const check = createCheckHandler({
      ...quietTools(SENSOR_HEALTH_SERVICE, parts.metrics),
      config: pipelineConfigFromEnv(checkEnv.PIPELINE_CONFIG),
      dialect: 'athena',
      telemetryTable: checkEnv.TELEMETRY_TABLE,
      faultsTable: checkEnv.SENSOR_FAULTS_TABLE,
      reportBucket: checkEnv.REPORT_BUCKET,
      store: parts.store,
      lake: new AthenaLakeQuery(standInAthena(new LocalAthena(parts.lake, parts.store)), {
        database: checkEnv.ATHENA_DATABASE,
        workGroup: checkEnv.ATHENA_WORKGROUP,
        outputLocation: checkEnv.ATHENA_OUTPUT_LOCATION ?? LOCAL_HEALTH_RESULTS,
        pollMs: 0,
      }),
      notifier: new LambdaEventInvoker(
        standInLambda([{ arn: sensorHealth.notifier.arn, enqueue: (event) => this.queue.enqueue(event) }]),
        checkEnv.NOTIFY_FUNCTION_ARN,
      ),
    });
    this.check = (input) => check(input, lambdaContext(sensorHealth.check.logicalId, { timeoutMs: 300_000 }));

    const notifyEnv = parseEnv(SensorHealthNotifyEnvSchema, sensorHealth.notifier.environment);
    const notify = createNotifyHandler({
      ...quietTools(`${SENSOR_HEALTH_SERVICE}-notify`, parts.metrics),
      store: parts.store,
      reportBucket: notifyEnv.REPORT_BUCKET,
      notifier: new SnsNotifier(standInSns(notifyEnv.TOPIC_ARN, parts.notifier), notifyEnv.TOPIC_ARN),
      alarms: new CloudWatchAlarmStates(standInCloudWatchAlarms(alarms)),
    });
    this.notify = async (event) => {
      const out = await notify(event, lambdaContext(sensorHealth.notifier.logicalId));
      this.notified.push(out);
      if (out.notified) parts.onProgress?.(`sensor health: notified ${out.subject}`);
      return out;
    };

    this.queue = new AsyncInvokeQueue((event) => this.notify(event), {
      reservedConcurrency: sensorHealth.notifier.reservedConcurrency ?? 1,
      timeScale: parts.timeScale ?? 1,
      onFailure: (error) => parts.onProgress?.(`sensor health: the notifier failed every attempt: ${String(error)}`),
    });
    for (const alarm of sensorHealth.alarms) alarms.putMetricAlarm(alarm);
    this.rules = new AlarmEventRules(sensorHealth.rules, alarms, (arn, input, rule, target) => {
      if (target.type !== 'lambda' || arn !== sensorHealth.notifier.arn)
        throw new Error(`${rule.logicalId}: no local function ${arn}`);
      this.queue.enqueue(input);
    });
  }

  /** The alarm names of the kinds (what the rule watches). */
  get alarmNames(): string[] {
    return this.rules.alarmNames;
  }

  /**
   * One scheduled invocation: the check publishes and writes its report and queues its report event, the alarms are
   * evaluated (CloudWatch does so every period), and every notifier invocation queued has run.
   */
  async runCheck(input: SensorHealthInput = {}): Promise<CheckRun> {
    this.notified = [];
    const output = await this.check(input);
    if (output.checked) {
      const counts = Object.entries(output.report.counts)
        .filter(([, n]) => n > 0)
        .map(([kind, n]) => `${kind} ${n}`);
      this.parts.onProgress?.(
        `sensor health: ${output.report.unhealthy.length} unhealthy of ${output.report.devicesKnown} devices${counts.length > 0 ? ` (${counts.join(', ')})` : ''}`,
      );
    }
    this.rules.evaluate();
    await this.queue.drained();
    return { output, notified: this.notified };
  }

  /** The check on the synthesized schedule (local/schedule.ts: rate() runs on its interval); none when disabled. */
  startSchedule(onError: (error: unknown) => void): { close(): void } {
    const check = this.parts.sensorHealth.check;
    if (!check.scheduleEnabled) return { close: () => undefined };
    const { intervalMs, note } = scheduleIntervalMs(check.scheduleExpression);
    if (note) this.parts.onProgress?.(note.replace('retraining', 'checking sensor health'));
    const timer = setInterval(() => {
      this.runCheck().catch(onError);
    }, intervalMs);
    return { close: () => clearInterval(timer) };
  }
}
