import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import {
  inferenceMetricDimensions,
  OccupancyMetrics,
  SageMakerEndpointMetrics,
  selectMetric,
  variantMetricDimensions,
} from '../../observability/metrics';
import { customSignalSet, type PipelineConfig } from '../../pipeline/config';
import { INFERENCE_RULE_SQL, INFERENCE_RULE_SQL_VERSION } from '../../tasks/infer-occupancy/rule-sql';
import { assertLambdaEnvironmentSize } from './lambda-environment';
import { cloudWatchMetric } from './metric';
import { nodeFunction } from './node-function';

export interface ServingStackProps extends StackProps {
  readonly config: PipelineConfig;
  readonly key: kms.IKey;
  readonly artifactsBucket: s3.IBucket;
  /**
   * The account's IoT data endpoint (`<prefix>-ats.iot.<region>.amazonaws.com`, from `aws iot describe-endpoint
   * --endpoint-type iot:Data-ATS`) the inference Lambda publishes desired state to.
   * @default the SDK's default endpoint resolution
   */
  readonly iotDataEndpoint?: string;
  /** @default tasks/infer-occupancy/handler.ts */
  readonly inferenceEntry?: string;
  /**
   * The predictions stream (Ingestion stack) the inference Lambda records every answer to.
   * @default none: answers are not recorded
   */
  readonly predictionsStream?: firehose.IDeliveryStream;
  /**
   * The sensor_faults stream (Ingestion stack) the inference Lambda records every refused reading to (the sensor
   * health check reads the table). @default none: refused readings are only counted and logged
   */
  readonly sensorFaultsStream?: firehose.IDeliveryStream;
}

/** Alarm names are fixed so the pipeline can hand them to UpdateEndpoint's AutoRollbackConfiguration. */
export function rollbackAlarmNames(endpointName: string) {
  return {
    variant5xx: `${endpointName}-variant-5xx`,
    modelLatency: `${endpointName}-model-latency`,
    fallbackRate: `${endpointName}-fallback-rate`,
  };
}

/**
 * Serving: the SageMaker execution role (AutoML, transform, endpoint models), the endpoint alarms that
 * drive canary rollback, and the inference Lambda behind an IoT rule on `shadow/update/documents`.
 * The endpoint itself is created by the pipeline's first deploy.
 */
export class ServingStack extends Stack {
  readonly sageMakerRole: iam.Role;
  readonly alarms: cloudwatch.Alarm[];
  readonly alarmNames: ReturnType<typeof rollbackAlarmNames>;
  readonly inferenceFunction?: lambda.IFunction;

  constructor(scope: Construct, id: string, props: ServingStackProps) {
    super(scope, id, props);
    const { config } = props;
    const endpoint = config.endpointName;

    this.sageMakerRole = new iam.Role(this, 'SageMakerExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: 'occupancy: Autopilot jobs, batch transform and endpoint models',
    });
    props.artifactsBucket.grantReadWrite(this.sageMakerRole);
    props.key.grantEncryptDecrypt(this.sageMakerRole);
    props.key.grant(this.sageMakerRole, 'kms:DescribeKey');
    // Job volumes (VolumeKmsKeyId) are attached with a grant SageMaker creates as this role; only grants for AWS
    // resources. https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
    this.sageMakerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant'],
        resources: [props.key.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
    const arn = (resource: string, name: string) =>
      this.formatArn({ service: 'sagemaker', resource, resourceName: name });
    this.sageMakerRole.addToPolicy(
      new iam.PolicyStatement({
        // Autopilot runs its processing, training, tuning and transform jobs with this role.
        actions: [
          'sagemaker:CreateProcessingJob',
          'sagemaker:DescribeProcessingJob',
          'sagemaker:StopProcessingJob',
          'sagemaker:CreateTrainingJob',
          'sagemaker:DescribeTrainingJob',
          'sagemaker:StopTrainingJob',
          'sagemaker:CreateHyperParameterTuningJob',
          'sagemaker:DescribeHyperParameterTuningJob',
          'sagemaker:StopHyperParameterTuningJob',
          'sagemaker:ListTrainingJobsForHyperParameterTuningJob',
          'sagemaker:CreateTransformJob',
          'sagemaker:DescribeTransformJob',
          'sagemaker:StopTransformJob',
          'sagemaker:CreateModel',
          'sagemaker:DescribeModel',
          'sagemaker:DeleteModel',
          'sagemaker:AddTags',
          'sagemaker:ListTags',
        ],
        resources: [
          arn('processing-job', '*'),
          arn('training-job', '*'),
          arn('hyper-parameter-tuning-job', '*'),
          arn('transform-job', '*'),
          arn('model', '*'),
          arn('automl-job', '*'),
        ],
      }),
    );
    this.sageMakerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.sageMakerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );
    this.sageMakerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [
          this.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '/aws/sagemaker/*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    this.sageMakerRole.addToPolicy(
      new iam.PolicyStatement({
        // AWS-owned Autopilot and algorithm images live in service accounts; the token call has no resource.
        actions: ['ecr:GetAuthorizationToken', 'cloudwatch:PutMetricData'],
        resources: ['*'],
      }),
    );
    this.sageMakerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        resources: [`arn:${this.partition}:ecr:${this.region}:*:repository/*`],
      }),
    );

    // ---- alarms that roll a canary back ----
    this.alarmNames = rollbackAlarmNames(endpoint);
    const dims = variantMetricDimensions(endpoint, 'AllTraffic');
    const period = Duration.minutes(1);
    const fiveXx = new cloudwatch.Alarm(this, 'Variant5xxAlarm', {
      alarmName: this.alarmNames.variant5xx,
      alarmDescription: 'Endpoint variant answers 5xx: roll the deployment back',
      metric: cloudWatchMetric(selectMetric(SageMakerEndpointMetrics.Invocation5XXErrors, dims), {
        statistic: 'Sum',
        period,
      }),
      threshold: config.alarms.invocation5xxErrors,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: config.alarms.evaluationPeriods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const latency = new cloudwatch.Alarm(this, 'ModelLatencyAlarm', {
      alarmName: this.alarmNames.modelLatency,
      alarmDescription: 'Model p99 latency too high: roll the deployment back',
      metric: cloudWatchMetric(selectMetric(SageMakerEndpointMetrics.ModelLatency, dims), { statistic: 'p99', period }),
      threshold: config.alarms.modelLatencyMicros,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: config.alarms.evaluationPeriods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const inference = inferenceMetricDimensions(endpoint);
    const sum = { statistic: 'Sum', period };
    const fallback = new cloudwatch.Alarm(this, 'FallbackRateAlarm', {
      alarmName: this.alarmNames.fallbackRate,
      alarmDescription: 'Inference answered by the threshold fallback too often: roll the deployment back',
      metric: new cloudwatch.MathExpression({
        expression: 'IF(total > 0, fallbacks / total, 0)',
        usingMetrics: {
          fallbacks: cloudWatchMetric(selectMetric(OccupancyMetrics.InferenceFallback, inference), sum),
          total: cloudWatchMetric(selectMetric(OccupancyMetrics.Inferences, inference), sum),
        },
        period,
      }),
      threshold: config.alarms.fallbackRate,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: config.alarms.evaluationPeriods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.alarms = [fiveXx, latency, fallback];

    // ---- realtime inference ----
    const entry = props.inferenceEntry ?? join(__dirname, '..', '..', 'tasks', 'infer-occupancy', 'handler.ts');
    if (existsSync(entry)) {
      const environment: Record<string, string> = {
        ENDPOINT_NAME: endpoint,
        SIGNAL_SET_ID: config.signalSetId,
        // A user's set is unknown to the handler by id: the document itself, validated at cold start.
        ...(customSignalSet(config) ? { SIGNAL_SET: JSON.stringify(customSignalSet(config)) } : {}),
        // No static rule: no fallback; a reading the endpoint cannot answer is left unanswered (and counted).
        ...(config.staticRule
          ? { FALLBACK_SIGNAL: config.staticRule.signal, FALLBACK_LEVEL: String(config.staticRule.level) }
          : {}),
        ...(props.iotDataEndpoint ? { IOT_DATA_ENDPOINT: props.iotDataEndpoint } : {}),
        ...(props.predictionsStream ? { PREDICTIONS_STREAM_NAME: props.predictionsStream.deliveryStreamName } : {}),
        ...(props.sensorFaultsStream ? { SENSOR_FAULTS_STREAM_NAME: props.sensorFaultsStream.deliveryStreamName } : {}),
      };
      assertLambdaEnvironmentSize('InferOccupancy', environment);
      const fn = nodeFunction(this, 'InferOccupancy', {
        entry,
        description: 'Shadow telemetry → features → endpoint → desired.roomOccupancy (threshold fallback)',
        environment,
        timeout: Duration.seconds(10),
        key: props.key,
      });
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['sagemaker:InvokeEndpoint'],
          resources: [arn('endpoint', endpoint.toLowerCase())],
        }),
      );
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          // The handler publishes the desired state to the reserved shadow topic through the data plane.
          actions: ['iot:Publish'],
          resources: [
            this.formatArn({ service: 'iot', resource: 'topic', resourceName: '$aws/things/*/shadow/update' }),
          ],
        }),
      );
      const streams = [props.predictionsStream, props.sensorFaultsStream].flatMap((st) => (st ? [st] : []));
      if (streams.length > 0) {
        // PutRecordBatch only, on those streams only; SSE is Firehose's own use of the key (no KMS grant needed).
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['firehose:PutRecordBatch'],
            resources: streams.map((st) => st.deliveryStreamArn),
          }),
        );
      }
      const rule = new iot.CfnTopicRule(this, 'InferenceRule', {
        topicRulePayload: {
          description: 'Changed reported telemetry → inference Lambda',
          sql: INFERENCE_RULE_SQL,
          awsIotSqlVersion: INFERENCE_RULE_SQL_VERSION,
          ruleDisabled: false,
          actions: [{ lambda: { functionArn: fn.functionArn } }],
        },
      });
      fn.addPermission('IotInvoke', {
        principal: new iam.ServicePrincipal('iot.amazonaws.com'),
        sourceArn: rule.attrArn,
        sourceAccount: this.account,
      });
      this.inferenceFunction = fn;
    }
  }
}
