import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { type PipelineConfigInput, parsePipelineConfig } from '../../pipeline/config';
import { renderStateMachineAsl } from '../../pipeline/render-asl';
import { RetrainingStateMachine } from '../../pipeline/retraining-state-machine';

/** The construct in a bare stack with inline stand-in Lambdas: no bundling, no other stacks. */
export function synthRetraining(configInput: PipelineConfigInput = {}, options: { cooldown?: boolean } = {}) {
  const config = parsePipelineConfig(configInput);
  const app = new App();
  const stack = new Stack(app, 'Bare', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
  const machine = new RetrainingStateMachine(stack, 'Retraining', {
    config,
    artifactsBucket: new s3.Bucket(stack, 'Artifacts', { encryptionKey: key }),
    lakeBucket: new s3.Bucket(stack, 'Lake', { encryptionKey: key }),
    key,
    glueDatabaseName: 'occupancy',
    athenaWorkGroupName: 'occupancy',
    sageMakerRole: new iam.Role(stack, 'SageMakerRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
    }),
    notificationTopic: new sns.Topic(stack, 'Topic', { masterKey: key }),
    evaluateFunction: fn('Evaluate'),
    approvalRequestFunction: fn('ApprovalRequest'),
    candidateContainersFunction: fn('CandidateContainers'),
    scoringInputFunction: fn('ScoringInput'),
    ...(options.cooldown ? { cooldownFunction: fn('RetrainingCooldown') } : {}),
    rollbackAlarmNames: ['occupancy-variant-5xx', 'occupancy-model-latency', 'occupancy-fallback-rate'],
  });
  const template = Template.fromStack(stack);
  const asl = renderStateMachineAsl(template.toJSON(), { region: 'eu-west-1' });
  return { config, stack, machine, template, asl };
}
