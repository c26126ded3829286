import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { StateNames as S } from '../state-names';
import { describeEndpointConfig } from './calls';
import type { PhaseContext } from './context';
import { endpointLookup, whenEndpointInService } from './endpoint-lookup';

/**
 * The incumbent to beat: the model the endpoint serves, if the endpoint exists and is InService.
 * Leaves `$.serving` = `{ exists, endpointName[, endpointConfigName, modelName] }` and goes to `next`.
 */
export function buildServingLookup(ctx: PhaseContext, next: sfn.IChainable): sfn.IChainable {
  const { scope, config } = ctx;
  const noServingModel = new sfn.Pass(scope, S.NoServingModel, {
    parameters: { exists: false, endpointName: config.endpointName },
    resultPath: '$.serving',
  }).next(next);
  const findServingConfig = ctx
    .guard(
      describeEndpointConfig(ctx, S.FindServingConfig, {
        iamResource: ctx.arns.anyEndpointConfig,
        namePath: '$.servingEndpoint.endpointConfigName',
        resultSelector: {
          exists: true,
          endpointName: config.endpointName,
          'endpointConfigName.$': '$.EndpointConfigName',
          'modelName.$': '$.ProductionVariants[0].ModelName',
        },
        resultPath: '$.serving',
      }),
      'SageMaker',
    )
    .next(next);
  const describeServing = whenEndpointInService(ctx, {
    ids: { describe: S.DescribeServingEndpoint, check: S.CheckServingEndpoint },
    resultPath: '$.servingEndpoint',
    inService: findServingConfig,
    otherwise: noServingModel,
    errors: 'guard',
  });
  return endpointLookup(ctx, {
    ids: {
      list: S.FindServingEndpoint,
      names: S.NameServingEndpoints,
      name: S.ServingEndpointName,
      match: S.MatchServingEndpoint,
      check: S.CheckServingEndpointListed,
    },
    resultPath: '$.servingLookup',
    found: describeServing,
    missing: noServingModel,
    errors: 'guard',
  });
}
