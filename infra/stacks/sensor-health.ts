import { join } from 'node:path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { HEALTH_KINDS, SENSOR_FAULTS_TABLE, sensorHealthAlarmName } from '../../health/types';
import { OccupancyMetrics, selectMetric, unhealthyDevicesDimensions } from '../../observability/metrics';
import type { PipelineConfig } from '../../pipeline/config';
import { LAKE } from './ingestion-stack';
import { grantLakeQuery } from './lake-query-grants';
import { assertLambdaEnvironmentSize } from './lambda-environment';
import { cloudWatchMetric } from './metric';
import { nodeFunction } from './node-function';

export interface SensorHealthProps {
  readonly config: PipelineConfig;
  readonly key: kms.IKey;
  /** The lake: the check reads the telemetry and sensor_faults tables. */
  readonly lakeBucket: s3.IBucket;
  /** Athena's results (`athena/`) and the reports (`health/`). */
  readonly artifactsBucket: s3.IBucket;
  /** Where the notifier publishes the list of unhealthy devices (PipelineStack `occupancy-notifications`). */
  readonly topic: sns.ITopic;
}

const TASKS_DIR = join(__dirname, '..', '..', 'tasks');
/** The lake tables the check queries (each is also its S3 prefix in the lake bucket). */
export const SENSOR_HEALTH_LAKE_TABLES = [LAKE.telemetryTable, SENSOR_FAULTS_TABLE] as const;
/** The Logs Insights line the check writes per unhealthy device (tasks/sensor-health.ts). */
export const UNHEALTHY_DEVICE_MESSAGE = 'Unhealthy device';

/**
 * Sensor health alerts (issue 22 items 1–2): tasks/sensor-health.ts on an EventBridge Scheduler rate of
 * `sensorHealth.everyMinutes`, publishing UnhealthyDevices per kind; one alarm per kind on that fleet metric (never
 * one per device: a fleet of thousands must not make thousands of alarms); one rule on those alarms' changes to
 * ALARM invoking the notifier (tasks/sensor-health-notify.ts), which sends the report's device list to the topic.
 * The check also hands the notifier each report, so a device going bad under an alarm already in ALARM is sent too.
 */
export class SensorHealth extends Construct {
  readonly checkFunction: lambda.IFunction;
  readonly checkLogGroup: logs.ILogGroup;
  readonly notifyFunction: lambda.IFunction;
  readonly schedule: scheduler.CfnSchedule;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: SensorHealthProps) {
    super(scope, id);
    const { config, key } = props;
    const health = config.sensorHealth;
    const stack = Stack.of(this);

    const notify = nodeFunction(this, 'NotifyFunction', {
      entry: join(TASKS_DIR, 'sensor-health-notify.ts'),
      description:
        'Sensor health alarm, or a new unhealthy device under one → the unhealthy devices, once per report, to the topic',
      key,
      environment: { REPORT_BUCKET: props.artifactsBucket.bucketName, TOPIC_ARN: props.topic.topicArn },
    });
    // One at a time: its read-check-write of health/notified.json sends one message per report.
    const cfn = notify.node.defaultChild as lambda.CfnFunction;
    cfn.reservedConcurrentExecutions = 1;
    this.notifyFunction = notify;
    props.artifactsBucket.grantRead(notify, 'health/*');
    props.artifactsBucket.grantPut(notify, 'health/notified.json');
    notify.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [props.topic.topicArn] }));
    // The topic is encrypted with the key (SNS encrypts with the publisher's permissions).
    key.grantEncryptDecrypt(notify);
    // A report event notifies only under a kind's alarm already in ALARM: it reads their state, nothing else.
    notify.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:DescribeAlarms'],
        resources: HEALTH_KINDS.map((kind) =>
          stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: sensorHealthAlarmName(kind),
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
    );

    const environment = {
      PIPELINE_CONFIG: JSON.stringify(sensorHealthConfigInput(config)),
      ATHENA_DATABASE: LAKE.database,
      ATHENA_WORKGROUP: LAKE.workGroup,
      TELEMETRY_TABLE: LAKE.telemetryTable,
      SENSOR_FAULTS_TABLE,
      REPORT_BUCKET: props.artifactsBucket.bucketName,
      NOTIFY_FUNCTION_ARN: notify.functionArn,
    };
    assertLambdaEnvironmentSize('SensorHealthFunction', environment);
    const check = nodeFunction(this, 'Function', {
      entry: join(TASKS_DIR, 'sensor-health.ts'),
      description: 'Sensor health: stuck, silent, out-of-range and malformed devices (UnhealthyDevices per kind)',
      key,
      // A day of a fleet's telemetry through Athena, which may queue: minutes, under the schedule's period.
      timeout: Duration.minutes(Math.min(5, health.everyMinutes)),
      environment,
    });
    this.checkFunction = check;
    this.checkLogGroup = check.logGroup;
    grantLakeQuery(check, {
      stack,
      tables: SENSOR_HEALTH_LAKE_TABLES,
      lakeBucket: props.lakeBucket,
      artifactsBucket: props.artifactsBucket,
    });
    // Writes health/latest.json and health/reports/…; reads nothing else of the artifacts but Athena's results.
    props.artifactsBucket.grantPut(check, 'health/*');
    key.grantEncryptDecrypt(check);
    // Each report's event to the notifier (asynchronous invoke of $LATEST: the function, not grantInvoke's `:*`).
    check.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [notify.functionArn] }),
    );

    const role = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    // The function itself, not grantInvoke (which adds `:*` versions): the schedule invokes $LATEST.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [check.functionArn] }));
    key.grant(role, 'kms:Decrypt');
    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      name: 'occupancy-sensor-health',
      description: 'Check the fleet for unhealthy sensors',
      scheduleExpression: `rate(${health.everyMinutes} ${health.everyMinutes === 1 ? 'minute' : 'minutes'})`,
      state: health.enabled ? 'ENABLED' : 'DISABLED',
      kmsKeyArn: key.keyArn,
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: check.functionArn,
        roleArn: role.roleArn,
        // "now" is when it runs (SensorHealthInputSchema: `at` defaults to the invocation time).
        input: JSON.stringify({}),
        // A late check is worth less than the next one: retry within one period only.
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: Math.max(60, health.everyMinutes * 60) },
      },
    });

    const period = Duration.minutes(health.everyMinutes);
    for (const kind of HEALTH_KINDS) {
      this.alarms.push(
        new cloudwatch.Alarm(this, `Unhealthy-${kind}`, {
          alarmName: sensorHealthAlarmName(kind),
          alarmDescription: `${health.alarmDevices} or more devices ${kind} (the list: health/latest.json, the notification, the dashboard)`,
          metric: cloudWatchMetric(selectMetric(OccupancyMetrics.UnhealthyDevices, unhealthyDevicesDimensions(kind)), {
            statistic: 'Maximum',
            period,
          }),
          threshold: health.alarmDevices,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          datapointsToAlarm: 1,
          // The check publishes every kind every run, zeros too: a period without a datapoint is a late or failed
          // check (or one whose point fell in the next period), not a recovery. IGNORE keeps the current state
          // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data),
          // so a missed run neither clears an ALARM (and re-notifies on the next) nor raises one.
          treatMissingData: cloudwatch.TreatMissingData.IGNORE,
        }),
      );
    }

    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html (event shape)
    this.rule = new events.Rule(this, 'AlarmRule', {
      description: 'Sensor health alarm → ALARM: notify the unhealthy devices',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: this.alarms.map((a) => a.alarmArn),
        detail: { state: { value: ['ALARM'] } },
      },
      // Asynchronous invocation: a throttled event (reserved concurrency 1) waits in Lambda's queue and is retried.
      targets: [new targets.LambdaFunction(notify, { retryAttempts: 4, maxEventAge: Duration.hours(2) })],
    });
  }
}

/**
 * What the check reads of the config (tasks/sensor-health.ts PIPELINE_CONFIG): the sensorHealth settings and the
 * signal set as resolved. Small, for Lambda's 4 KB environment.
 */
export function sensorHealthConfigInput(config: PipelineConfig): Record<string, unknown> {
  return {
    sensorHealth: config.sensorHealth,
    signalSetId: config.signalSetId,
    ...(config.signalSet ? { signalSet: config.signalSet } : {}),
  };
}
