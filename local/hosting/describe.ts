import type {
  DescribeEndpointCommandOutput,
  ProductionVariant,
  ProductionVariantSummary,
  VariantStatus,
} from '@aws-sdk/client-sagemaker';
import type { HostingState } from './state';
import type { ConfigRecord, EndpointState } from './types';

/** DescribeEndpoint's answer for an endpoint: the serving (blue) variants and, mid-update, the pending (green) ones. */
export function describeEndpointState(
  state: HostingState,
  endpoint: EndpointState,
): Omit<DescribeEndpointCommandOutput, '$metadata'> {
  const deployment = endpoint.deployment;
  const blueShare = deployment ? 1 - deployment.greenShare : 1;
  const servingConfig = endpoint.serving ? state.configs.get(endpoint.serving.endpointConfigName) : undefined;
  const blueStatus: VariantStatus | undefined = deployment?.phase === 'baking' ? 'Baking' : undefined;
  const out: Omit<DescribeEndpointCommandOutput, '$metadata'> = {
    EndpointName: endpoint.name,
    EndpointArn: endpoint.arn,
    EndpointStatus: endpoint.status,
    CreationTime: new Date(endpoint.creationTime),
    LastModifiedTime: new Date(endpoint.lastModifiedTime),
  };
  if (servingConfig) {
    out.EndpointConfigName = servingConfig.name;
    if (endpoint.status !== 'Creating' && endpoint.status !== 'Failed') {
      out.ProductionVariants = variantSummaries(state, servingConfig, blueShare, blueStatus);
      const shadows = servingConfig.input.ShadowProductionVariants;
      if (shadows !== undefined) {
        out.ShadowProductionVariants = variantSummaries(state, servingConfig, blueShare, blueStatus, shadows);
      }
    }
  }
  if (endpoint.failureReason !== undefined) out.FailureReason = endpoint.failureReason;
  if (endpoint.lastDeploymentConfig !== undefined) out.LastDeploymentConfig = endpoint.lastDeploymentConfig;
  if (deployment) {
    const greenConfig = state.configs.get(deployment.green.endpointConfigName);
    const greenStatus: VariantStatus =
      deployment.phase === 'provisioning' ? 'Creating' : deployment.phase === 'rolling-back' ? 'Deleting' : 'Baking';
    out.PendingDeploymentSummary = {
      EndpointConfigName: deployment.green.endpointConfigName,
      StartTime: new Date(deployment.startedAt),
      ...(greenConfig
        ? { ProductionVariants: variantSummaries(state, greenConfig, deployment.greenShare, greenStatus) }
        : {}),
    };
  }
  return out;
}

function variantSummaries(
  state: HostingState,
  config: ConfigRecord,
  share: number,
  status: VariantStatus | undefined,
  variants: readonly ProductionVariant[] = config.input.ProductionVariants ?? [],
): ProductionVariantSummary[] {
  return variants.map((v) => {
    const weight = v.InitialVariantWeight ?? 1;
    const count = v.InitialInstanceCount ?? 1;
    const image = state.models.get(v.ModelName ?? '')?.input.PrimaryContainer?.Image ?? 'local/occupancy-predictor';
    return {
      VariantName: v.VariantName,
      DeployedImages: [{ SpecifiedImage: image, ResolvedImage: image }],
      CurrentWeight: weight * share,
      DesiredWeight: weight,
      CurrentInstanceCount: share > 0 ? count : 0,
      DesiredInstanceCount: count,
      ...(status ? { VariantStatus: [{ Status: status }] } : {}),
    };
  });
}
