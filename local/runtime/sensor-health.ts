import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
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
import { assertRequest, assertSnsSubject } from '../aws-contract';
import { EndpointError } from '../aws-endpoints/http';
import { lambdaContext } from '../aws-endpoints/lambda-context';
import { LocalStoreMetrics } from '../iot/local-metrics';
import type { LocalLake } from '../lake';
import type { AlarmEvaluator, MetricStore } from '../metrics';
import { scheduleIntervalMs } from '../schedule';
import { AlarmEventRules } from './alarm-rules';
import { AsyncInvokeQueue } from './async-invoke';
import { standInAthena } from './evidence';
import type { Json } from './runner';
import { standInCloudWatchAlarms, standInLambda } from './stand-in-clients';
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

/** SNS 256 KiB message limit: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_RequestParameters */
const SNS_MESSAGE_MAX_BYTES = 262_144;

/**
 * The notifier's SNS client, answered in process: Publish as the local SNS endpoint checks it (the request's shape,
 * the subject, the topic, the size; local/aws-endpoints/sns.ts), delivered to the local notifier.
 */
export function standInSns(topicArn: string, notifier: Notifier): SNSClient {
  const send = async (command: unknown) => {
    if (!(command instanceof PublishCommand))
      throw new Error(`The local SNS stand-in does not answer ${String(command)}`);
    const input = command.input;
    assertRequest('sns', 'Publish', input, 'sdk');
    assertSnsSubject(input.Subject);
    // https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_Errors
    if (input.TopicArn !== topicArn) throw new EndpointError('NotFound', 404, 'Topic does not exist');
    const message = input.Message ?? '';
    if (Buffer.byteLength(message) > SNS_MESSAGE_MAX_BYTES)
      throw new EndpointError('InvalidParameter', 400, 'Invalid parameter: Message too long');
    await notifier.publish(input.Subject ?? '(no subject)', message);
    return { MessageId: `local-${Date.now()}` };
  };
  return { send } as unknown as SNSClient;
}

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
