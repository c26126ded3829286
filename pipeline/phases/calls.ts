import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { METRICS_NAMESPACE } from '../state-names';
import type { PhaseContext } from './context';

/**
 * SDK-integration Task states built the same way in more than one phase; callers add the retry/catch
 * (ctx.guard or ctx.retryOnly) that fits where the state stands.
 */

/** PutMetricData to the pipeline's namespace. PutMetricData has no resource-level permissions, hence `*`. */
export function putMetricData(ctx: PhaseContext, id: string, metricData: unknown): tasks.CallAwsService {
  return new tasks.CallAwsService(ctx.scope, id, {
    service: 'cloudwatch',
    action: 'putMetricData',
    iamAction: 'cloudwatch:PutMetricData',
    iamResources: ['*'],
    parameters: { Namespace: METRICS_NAMESPACE, MetricData: metricData },
    resultPath: sfn.JsonPath.DISCARD,
  });
}

/** UpdateModelPackage of the run's registered package to `status`, with `description` as ApprovalDescription. */
export function updateModelPackage(
  ctx: PhaseContext,
  id: string,
  status: 'Approved' | 'Rejected',
  description: string,
): tasks.CallAwsService {
  return new tasks.CallAwsService(ctx.scope, id, {
    service: 'sagemaker',
    action: 'updateModelPackage',
    iamAction: 'sagemaker:UpdateModelPackage',
    iamResources: [ctx.arns.modelPackage],
    parameters: {
      ModelPackageArn: sfn.JsonPath.stringAt('$.registration.modelPackageArn'),
      ModelApprovalStatus: status,
      ApprovalDescription: description,
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
}

export interface DescribeEndpointConfigProps {
  /** The endpoint configs the role may describe. */
  readonly iamResource: string;
  /** JSONPath of the config's name in the state input. */
  readonly namePath: string;
  readonly resultSelector: Record<string, unknown>;
  readonly resultPath: string;
}

/** DescribeEndpointConfig of the config named at `namePath`, selected into `resultPath`. */
export function describeEndpointConfig(
  ctx: PhaseContext,
  id: string,
  props: DescribeEndpointConfigProps,
): tasks.CallAwsService {
  return new tasks.CallAwsService(ctx.scope, id, {
    service: 'sagemaker',
    action: 'describeEndpointConfig',
    iamAction: 'sagemaker:DescribeEndpointConfig',
    iamResources: [props.iamResource],
    parameters: { EndpointConfigName: sfn.JsonPath.stringAt(props.namePath) },
    resultSelector: props.resultSelector,
    resultPath: props.resultPath,
  });
}
