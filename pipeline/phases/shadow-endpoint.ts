import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { PipelineErrors } from '../state-names';
import type { PhaseContext } from './context';
import { describeEndpoint } from './endpoint-lookup';
import { pollLoop } from './poll-loop';

export interface SwitchEndpointConfigProps {
  /** The UpdateEndpoint state's id. */
  readonly update: string;
  /** Where the target config's name is. */
  readonly configPath: string;
  readonly poll: {
    readonly init: string;
    readonly wait: string;
    readonly poll: string;
    readonly count: string;
    readonly check: string;
  };
  /** Fail (down the failure path) ids: the endpoint settled elsewhere or dead; the poll limit. */
  readonly failed: string;
  readonly limit: string;
  /** Once InService on the target config. */
  readonly next: sfn.IChainable;
}

/**
 * UpdateEndpoint to another config whose production variant keeps its name and model (shadow on, shadow off), with
 * no DeploymentConfig (blue/green all at once), then DescribeEndpoint until InService on that config. Anything else
 * (settled on another config, Failed, OutOfService, UpdateRollbackFailed, the poll limit) fails the run.
 */
export function switchEndpointConfig(ctx: PhaseContext, props: SwitchEndpointConfigProps): sfn.IChainable {
  const { scope, config } = ctx;
  const update = ctx.guard(
    new tasks.CallAwsService(scope, props.update, {
      service: 'sagemaker',
      action: 'updateEndpoint',
      iamAction: 'sagemaker:UpdateEndpoint',
      iamResources: [ctx.arns.endpoint, ctx.arns.anyEndpointConfig],
      parameters: { EndpointName: config.endpointName, EndpointConfigName: sfn.JsonPath.stringAt(props.configPath) },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'SageMaker',
  );
  const ids = props.poll;
  const settle = pollLoop(scope, {
    ids: { init: ids.init, wait: ids.wait, count: ids.count, check: ids.check },
    poll: ctx.guard(describeEndpoint(ctx, ids.poll, '$.endpointNow'), 'SageMaker'),
    counterPath: '$.switchPoll',
    interval: Duration.seconds(config.poll.endpointSeconds),
    maxIterations: config.poll.endpointMaxIterations,
    exits: [
      {
        when: sfn.Condition.and(
          sfn.Condition.stringEquals('$.endpointNow.status', 'InService'),
          sfn.Condition.stringEqualsJsonPath('$.endpointNow.endpointConfigName', props.configPath),
        ),
        next: props.next,
      },
      {
        when: sfn.Condition.or(
          ...['InService', 'Failed', 'OutOfService', 'UpdateRollbackFailed'].map((s) =>
            sfn.Condition.stringEquals('$.endpointNow.status', s),
          ),
        ),
        next: ctx.failWith(
          props.failed,
          PipelineErrors.EndpointFailed,
          `States.Format('Endpoint ${config.endpointName} is {} on config {} (expected {})', $.endpointNow.status, $.endpointNow.endpointConfigName, ${props.configPath})`,
        ),
      },
    ],
    onLimit: ctx.failWith(
      props.limit,
      PipelineErrors.PollLimitExceeded,
      `States.Format('Endpoint ${config.endpointName} did not settle on {} within ${config.poll.endpointMaxIterations} polls', ${props.configPath})`,
    ),
  });
  return update.next(settle);
}
