import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { PipelineConfig } from '../config';
import type { RetrainingDefinitionProps } from '../retraining-definition';
import { type AwsService, awsRetry } from '../retry';

/** Catch target: the failure path expects `$.error` = { Error, Cause }. */
export const ERROR_PATH = '$.error';

type Guardable = sfn.TaskStateBase | sfn.Parallel | sfn.CustomState;

/** What every phase builder shares: the scope, props, ARNs, the failure path and collected IAM statements. */
export interface PhaseContext {
  readonly scope: Construct;
  readonly stack: Stack;
  readonly props: RetrainingDefinitionProps;
  readonly config: PipelineConfig;
  readonly statements: iam.PolicyStatement[];
  readonly arns: {
    readonly endpoint: string;
    readonly endpointConfig: string;
    readonly anyEndpointConfig: string;
    readonly model: string;
    readonly transformJob: string;
    readonly autoMLJob: string;
    readonly modelPackage: string;
    readonly modelPackageGroup: string;
    readonly stateMachine: string;
    /** Every execution of this state machine (DescribeExecution of the single-run lock's holder). */
    readonly executions: string;
  };
  /** Where every unhandled failure goes (NotifyFailure → RunFailed). Set by the failure phase. */
  readonly notifyFailure: sfn.IChainable;
  /** Retry transient errors, then send everything else down the failure path. */
  guard<T extends Guardable>(state: T, service?: AwsService): T;
  /** Retry transient errors only (inside Parallel branches the Parallel's Catch handles the rest). */
  retryOnly<T extends sfn.TaskStateBase | sfn.CustomState>(state: T, service: AwsService): T;
  /** A Pass that puts `{ Error, Cause }` at `$.error` and continues down the failure path. */
  failWith(id: string, error: string, causeIntrinsic: string): sfn.Pass;
  /** The notification topic, imported once per scope. */
  topic(): sns.ITopic;
}

export function createContext(
  scope: Construct,
  props: RetrainingDefinitionProps,
  notifyFailure: sfn.IChainable,
  statements: iam.PolicyStatement[],
): PhaseContext {
  const { config } = props;
  const stack = Stack.of(scope);
  const sageMakerArn = (resourceType: string, name: string): string =>
    stack.formatArn({ service: 'sagemaker', resource: resourceType, resourceName: name });
  return {
    scope,
    stack,
    props,
    config,
    statements,
    arns: {
      // SageMaker ARNs carry resource names in lower case.
      endpoint: sageMakerArn('endpoint', config.endpointName.toLowerCase()),
      endpointConfig: sageMakerArn('endpoint-config', 'occ-*'),
      anyEndpointConfig: sageMakerArn('endpoint-config', '*'),
      model: sageMakerArn('model', 'occ-*'),
      transformJob: sageMakerArn('transform-job', 'occ-*'),
      autoMLJob: sageMakerArn('automl-job', '*'),
      modelPackage: sageMakerArn('model-package', `${config.modelPackageGroupName.toLowerCase()}/*`),
      modelPackageGroup: sageMakerArn('model-package-group', config.modelPackageGroupName.toLowerCase()),
      stateMachine: stack.formatArn({
        service: 'states',
        resource: 'stateMachine',
        resourceName: props.stateMachineName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
      executions: stack.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${props.stateMachineName}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    },
    notifyFailure,
    guard(state, service) {
      if (service) state.addRetry(awsRetry(service));
      state.addCatch(notifyFailure, { resultPath: ERROR_PATH });
      return state;
    },
    retryOnly(state, service) {
      state.addRetry(awsRetry(service));
      return state;
    },
    failWith(id, error, causeIntrinsic) {
      const pass = new sfn.Pass(scope, id, {
        parameters: { Error: error, 'Cause.$': causeIntrinsic },
        resultPath: ERROR_PATH,
      });
      pass.next(notifyFailure);
      return pass;
    },
    topic() {
      return topicFromArn(scope, props.notificationTopicArn);
    },
  };
}

/** Imported once per scope: both Notify and NotifyFailure publish to the same topic. */
export function topicFromArn(scope: Construct, topicArn: string): sns.ITopic {
  const id = 'NotificationTopicRef';
  const existing = scope.node.tryFindChild(id);
  if (existing) return existing as sns.ITopic;
  return sns.Topic.fromTopicArn(scope, id, topicArn);
}
