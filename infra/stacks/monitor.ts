import { join } from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { PipelineConfig } from '../../pipeline/config';
import { LAKE } from './ingestion-stack';
import { grantLakeQuery } from './lake-query-grants';
import { assertLambdaEnvironmentSize } from './lambda-environment';
import { nodeFunction } from './node-function';

export interface LiveMonitorProps {
  readonly config: PipelineConfig;
  readonly key: kms.IKey;
  /** The lake: the monitor reads the predictions and labels prefixes. */
  readonly lakeBucket: s3.IBucket;
  /** Athena's result location (`athena/`) and the models' training baselines (`runs/`). */
  readonly artifactsBucket: s3.IBucket;
  /**
   * The pipeline config the function parses (JSON of PipelineConfigInput); what the stack was built from.
   * @default `config` as JSON
   */
  readonly pipelineConfigJson?: string;
}

/** Folders of the lake the monitor's SQL reads (monitoring/query.ts): the predictions and labels tables. */
export const MONITOR_LAKE_PREFIXES = [LAKE.predictionsTable, LAKE.labelsTable] as const;

/**
 * The live monitor (issue 21 item 2): tasks/monitor.ts as a Lambda, started by an EventBridge Scheduler schedule
 * (`monitoring.schedule`, default rate(1 hour)). Least privilege: Athena on the lake's workgroup only, Glue reads of
 * the lake database, S3 reads of the predictions/labels prefixes and the run artifacts, writes of Athena's results,
 * SageMaker Describe of the serving endpoint and its `occ-` configs and models and ListTags of those models (to find
 * each model's training baseline);
 * metrics go out as EMF in its logs (no cloudwatch:PutMetricData).
 */
export class LiveMonitor extends Construct {
  readonly function: lambda.IFunction;
  readonly schedule: scheduler.CfnSchedule;

  constructor(scope: Construct, id: string, props: LiveMonitorProps) {
    super(scope, id);
    const { config, key } = props;
    const stack = Stack.of(this);
    // The function parses the same config; its defaults fill in what the context left out.
    const configJson = props.pipelineConfigJson ?? JSON.stringify(monitorConfigInput(config));
    const environment = {
      PIPELINE_CONFIG: configJson,
      ATHENA_DATABASE: LAKE.database,
      ATHENA_WORKGROUP: LAKE.workGroup,
      PREDICTIONS_TABLE: LAKE.predictionsTable,
      LABELS_TABLE: LAKE.labelsTable,
    };
    assertLambdaEnvironmentSize('MonitorFunction', environment);
    const fn = nodeFunction(this, 'Function', {
      entry: join(__dirname, '..', '..', 'tasks', 'monitor.ts'),
      description: 'Live monitor: live F1 vs the static rule, fallback rate, feature drift',
      key,
      // A 6 h window of an hourly fleet is small, but Athena queues: allow it minutes.
      timeout: Duration.minutes(5),
      environment,
    });
    this.function = fn;
    grantLakeQuery(fn, {
      stack,
      tables: MONITOR_LAKE_PREFIXES,
      lakeBucket: props.lakeBucket,
      artifactsBucket: props.artifactsBucket,
    });
    // Training baselines live in each run's model artifact (ModelDataUrl under runs/).
    props.artifactsBucket.grantRead(fn, 'runs/*');
    // It finds the serving models' artifacts from the endpoint (tasks/monitor-baselines.ts): the project's endpoint,
    // and the configs and models the pipeline names `occ-…` (pipeline/phases/context.ts). SageMaker ARNs are lower case.
    const sageMakerArn = (resource: string, name: string) =>
      stack.formatArn({ service: 'sagemaker', resource, resourceName: name });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:DescribeEndpoint'],
        resources: [sageMakerArn('endpoint', config.endpointName.toLowerCase())],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:DescribeEndpointConfig', 'sagemaker:DescribeModel'],
        resources: [sageMakerArn('endpoint-config', 'occ-*'), sageMakerArn('model', 'occ-*')],
      }),
    );
    // A pipeline-created model names its baseline in a tag (monitoring/baseline-location.ts): ListTags on the
    // project's models only (resource-level: Service Authorization Reference, list_amazonsagemaker.html).
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['sagemaker:ListTags'], resources: [sageMakerArn('model', 'occ-*')] }),
    );
    key.grantEncryptDecrypt(fn);

    const role = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    // The function itself, not CDK's grantInvoke (which adds every version/alias, `:*`): the schedule invokes $LATEST.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }));
    key.grant(role, 'kms:Decrypt');
    const s = config.monitoring.schedule;
    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      name: 'occupancy-monitor',
      description: 'Run the live monitor',
      scheduleExpression: s.expression,
      scheduleExpressionTimezone: s.timezone,
      state: s.enabled ? 'ENABLED' : 'DISABLED',
      kmsKeyArn: key.keyArn,
      flexibleTimeWindow:
        s.flexibleWindowMinutes > 0
          ? { mode: 'FLEXIBLE', maximumWindowInMinutes: s.flexibleWindowMinutes }
          : { mode: 'OFF' },
      target: {
        arn: fn.functionArn,
        roleArn: role.roleArn,
        // The window ends when the monitor runs (tasks/monitor.ts MonitorInputSchema).
        input: JSON.stringify({}),
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 3600 },
      },
    });
  }
}

/**
 * What the monitor reads of the config, as an input its parsePipelineConfig accepts: the endpoint, the monitoring
 * settings, the signal set and the static rule as resolved (`null`: none). Small, for Lambda's 4 KB environment.
 */
export function monitorConfigInput(config: PipelineConfig): Record<string, unknown> {
  return {
    endpointName: config.endpointName,
    monitoring: config.monitoring,
    signalSetId: config.signalSetId,
    ...(config.signalSet ? { signalSet: config.signalSet } : {}),
    staticRule: config.staticRule,
  };
}
