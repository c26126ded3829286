import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { AUTOML_PARQUET } from '../../automl/content-types';
import { PipelineErrors, StateNames as S } from '../state-names';
import type { PhaseContext } from './context';
import { pollLoop } from './poll-loop';

/** StartAutoML → poll DescribeAutoMLJobV2 until Completed (→ `next`), Failed/Stopped or the poll limit. */
export function buildAutoML(ctx: PhaseContext, next: sfn.IChainable): sfn.IChainable {
  const { scope, props, config } = ctx;
  // The splits are Parquet prefixes (Athena UNLOAD): "For tabular problem types: text/csv;header=present or
  // x-application/vnd.amazon+parquet"; both channels must share it
  // (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AutoMLJobChannel.html).
  const channel = (type: 'training' | 'validation', uriPath: string) => ({
    ChannelType: type,
    ContentType: AUTOML_PARQUET,
    CompressionType: 'None',
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: sfn.JsonPath.stringAt(uriPath) } },
  });
  const securityConfig: Record<string, unknown> = {
    VolumeKmsKeyId: props.kmsKeyArn,
    EnableInterContainerTrafficEncryption: true,
  };
  if (props.vpcConfig) {
    securityConfig.VpcConfig = {
      SecurityGroupIds: [...props.vpcConfig.securityGroupIds],
      Subnets: [...props.vpcConfig.subnets],
    };
  }
  const startAutoML = ctx.guard(
    new tasks.CallAwsService(scope, S.StartAutoML, {
      service: 'sagemaker',
      action: 'createAutoMLJobV2',
      iamAction: 'sagemaker:CreateAutoMLJobV2',
      iamResources: [ctx.arns.autoMLJob],
      additionalIamStatements: [
        new iam.PolicyStatement({ actions: ['sagemaker:AddTags'], resources: [ctx.arns.autoMLJob] }),
        passRoleToSageMaker(props.sageMakerRoleArn),
      ],
      parameters: {
        AutoMLJobName: sfn.JsonPath.stringAt('$.run.autoMLJobName'),
        AutoMLJobInputDataConfig: [channel('training', '$.run.trainUri'), channel('validation', '$.run.validationUri')],
        OutputDataConfig: { S3OutputPath: sfn.JsonPath.stringAt('$.run.autoMLOutput'), KmsKeyId: props.kmsKeyArn },
        AutoMLProblemTypeConfig: {
          TabularJobConfig: {
            TargetAttributeName: 'occupied',
            ProblemType: 'BinaryClassification',
            Mode: config.autoML.mode,
            CompletionCriteria: {
              MaxCandidates: config.autoML.maxCandidates,
              MaxRuntimePerTrainingJobInSeconds: config.autoML.maxRuntimePerTrainingJobSeconds,
              MaxAutoMLJobRuntimeInSeconds: config.autoML.maxJobRuntimeSeconds,
            },
          },
        },
        AutoMLJobObjective: { MetricName: config.autoML.objective },
        RoleArn: props.sageMakerRoleArn,
        SecurityConfig: securityConfig,
        Tags: [{ Key: 'occupancy:execution', Value: sfn.JsonPath.stringAt('$.run.id') }],
      },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'SageMaker',
  );
  const describeAutoML = ctx.guard(
    new tasks.CallAwsService(scope, S.DescribeAutoML, {
      service: 'sagemaker',
      action: 'describeAutoMLJobV2',
      iamAction: 'sagemaker:DescribeAutoMLJobV2',
      iamResources: [ctx.arns.autoMLJob],
      parameters: { AutoMLJobName: sfn.JsonPath.stringAt('$.run.autoMLJobName') },
      resultPath: '$.autoML',
    }),
    'SageMaker',
  );
  const status = '$.autoML.AutoMLJobStatus';
  const ended = sfn.Condition.or(
    sfn.Condition.stringEquals(status, 'Failed'),
    sfn.Condition.stringEquals(status, 'Stopped'),
  );
  const autoMLFailed = ctx.failWith(
    S.AutoMLFailed,
    PipelineErrors.AutoMLFailed,
    "States.Format('AutoML job {} ended {}: {}', $.run.autoMLJobName, $.autoML.AutoMLJobStatus, $.autoML.FailureReason)",
  );
  const autoMLStopped = ctx.failWith(
    S.AutoMLStopped,
    PipelineErrors.AutoMLFailed,
    "States.Format('AutoML job {} ended {} ({})', $.run.autoMLJobName, $.autoML.AutoMLJobStatus, $.autoML.AutoMLJobSecondaryStatus)",
  );
  const autoMLPollLimit = ctx.failWith(
    S.AutoMLPollLimit,
    PipelineErrors.PollLimitExceeded,
    "States.Format('AutoML job {} still {} after {} polls', $.run.autoMLJobName, $.autoML.AutoMLJobStatus, $.autoMLPoll.count)",
  );
  const loop = pollLoop(scope, {
    ids: { init: S.InitAutoMLPoll, wait: S.WaitAutoML, count: S.CountAutoMLPoll, check: S.CheckAutoML },
    poll: describeAutoML,
    counterPath: '$.autoMLPoll',
    interval: Duration.seconds(config.poll.autoMLSeconds),
    maxIterations: config.poll.autoMLMaxIterations,
    exits: [
      { when: sfn.Condition.stringEquals(status, 'Completed'), next },
      { when: sfn.Condition.and(ended, sfn.Condition.isPresent('$.autoML.FailureReason')), next: autoMLFailed },
      { when: ended, next: autoMLStopped },
    ],
    onLimit: autoMLPollLimit,
  });
  return startAutoML.next(loop);
}

/** iam:PassRole of the SageMaker execution role, to SageMaker only. */
export function passRoleToSageMaker(roleArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: ['iam:PassRole'],
    resources: [roleArn],
    conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
  });
}
