import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { PhaseContext } from './context';

/**
 * Whether the endpoint exists, decided without any error name: ListEndpoints with NameContains, then an
 * exact match on the names it returns. (DescribeEndpoint's "Could not find endpoint" is a ValidationException
 * that is not in SageMaker's API model, so its name through Step Functions is not certain.)
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpoints.html
 */
export interface EndpointLookupProps {
  readonly ids: {
    readonly list: string;
    readonly names: string;
    readonly name: string;
    readonly match: string;
    readonly check: string;
  };
  /** Where `{ names, exists }` is kept. */
  readonly resultPath: string;
  readonly found: sfn.IChainable;
  readonly missing: sfn.IChainable;
  /** 'guard' outside Parallel branches (Catch to the failure path), 'retryOnly' inside them. */
  readonly errors: 'guard' | 'retryOnly';
}

export function endpointLookup(ctx: PhaseContext, props: EndpointLookupProps): sfn.IChainable {
  const { scope, config } = ctx;
  const list = new tasks.CallAwsService(scope, props.ids.list, {
    service: 'sagemaker',
    action: 'listEndpoints',
    iamAction: 'sagemaker:ListEndpoints',
    // ListEndpoints has no resource-level permissions: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html
    iamResources: ['*'],
    // 100 is the largest page; more than 100 endpoints containing the name would make CreateEndpoint fail
    // ("already exists"), never update the wrong endpoint.
    parameters: { NameContains: config.endpointName, MaxResults: 100 },
    resultSelector: { 'endpoints.$': '$.Endpoints' },
    resultPath: props.resultPath,
  });
  if (props.errors === 'guard') ctx.guard(list, 'SageMaker');
  else ctx.retryOnly(list, 'SageMaker');
  // The names as a list of strings. A Map rather than `$.Endpoints[*].EndpointName`: what a wildcard that
  // matches nothing gives (an empty list on AWS, an error in aws-local-stepfunctions) is not relied on.
  const names = new sfn.Map(scope, props.ids.names, {
    itemsPath: `${props.resultPath}.endpoints`,
    itemSelector: { 'name.$': '$$.Map.Item.Value.EndpointName' },
    resultPath: `${props.resultPath}.names`,
  }).itemProcessor(new sfn.Pass(scope, props.ids.name, { inputPath: '$.name' }));
  const match = new sfn.Pass(scope, props.ids.match, {
    parameters: { 'exists.$': `States.ArrayContains(${props.resultPath}.names, '${config.endpointName}')` },
    resultPath: props.resultPath,
  });
  const check = new sfn.Choice(scope, props.ids.check)
    .when(sfn.Condition.booleanEquals(`${props.resultPath}.exists`, true), props.found)
    .otherwise(props.missing);
  return list.next(names).next(match).next(check);
}

/** DescribeEndpoint of the configured endpoint: `{ status, endpointConfigName }` at `resultPath`. */
export function describeEndpoint(ctx: PhaseContext, id: string, resultPath: string): tasks.CallAwsService {
  return new tasks.CallAwsService(ctx.scope, id, {
    service: 'sagemaker',
    action: 'describeEndpoint',
    iamAction: 'sagemaker:DescribeEndpoint',
    iamResources: [ctx.arns.endpoint],
    parameters: { EndpointName: ctx.config.endpointName },
    resultSelector: { 'status.$': '$.EndpointStatus', 'endpointConfigName.$': '$.EndpointConfigName' },
    resultPath,
  });
}

export interface EndpointInServiceProps {
  readonly ids: { readonly describe: string; readonly check: string };
  /** Where DescribeEndpoint's `{ status, endpointConfigName }` is kept. */
  readonly resultPath: string;
  readonly inService: sfn.IChainable;
  readonly otherwise: sfn.IChainable;
  /** 'guard' outside Parallel branches (Catch to the failure path), 'retryOnly' inside them. */
  readonly errors: 'guard' | 'retryOnly';
}

/** DescribeEndpoint, then `inService` if the endpoint is InService, else `otherwise`. */
export function whenEndpointInService(ctx: PhaseContext, props: EndpointInServiceProps): sfn.IChainable {
  const describe = describeEndpoint(ctx, props.ids.describe, props.resultPath);
  if (props.errors === 'guard') ctx.guard(describe, 'SageMaker');
  else ctx.retryOnly(describe, 'SageMaker');
  return describe.next(
    new sfn.Choice(ctx.scope, props.ids.check)
      .when(sfn.Condition.stringEquals(`${props.resultPath}.status`, 'InService'), props.inService)
      .otherwise(props.otherwise),
  );
}
