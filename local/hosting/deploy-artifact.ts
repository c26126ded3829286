import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { INFERENCE_OUTPUT } from '../../evaluation/p-occupied';
import type { LocalHosting } from './hosting';

/** Deploys an artifact file as `endpointName` (single variant, all traffic) unless the endpoint exists. */
export async function deployArtifact(hosting: LocalHosting, endpointName: string, artifactPath: string) {
  if (hosting.listEndpoints().some((e) => e.EndpointName === endpointName)) return false;
  const path = resolve(artifactPath);
  const base =
    basename(path)
      .replace(/\.json$/, '')
      .replace(/[^a-zA-Z0-9-]/g, '-')
      .slice(0, 40) || 'model';
  const modelName = `${base}-${Date.now().toString(36)}`;
  hosting.createModel({
    ModelName: modelName,
    // The answer format every model the pipeline creates has (tasks/candidate-containers.ts).
    PrimaryContainer: {
      ModelDataUrl: pathToFileURL(path).href,
      Environment: { SAGEMAKER_INFERENCE_OUTPUT: INFERENCE_OUTPUT },
    },
  });
  hosting.createEndpointConfig({
    EndpointConfigName: `${modelName}-config`,
    ProductionVariants: [
      { VariantName: 'AllTraffic', ModelName: modelName, InitialInstanceCount: 1, InitialVariantWeight: 1 },
    ],
  });
  hosting.createEndpoint({ EndpointName: endpointName, EndpointConfigName: `${modelName}-config` });
  const described = await hosting.whenSettled(endpointName, 60_000);
  if (described.EndpointStatus !== 'InService') {
    throw new Error(`Endpoint ${endpointName} is ${described.EndpointStatus}: ${described.FailureReason ?? ''}`);
  }
  return true;
}
