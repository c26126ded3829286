import { pathToFileURL } from 'node:url';
import { INFERENCE_OUTPUT } from '../../evaluation/p-occupied';
import { LocalHosting } from '../../local/hosting/hosting';

/**
 * What `occupancy run` does to a state dir `serve` is serving from: model B on a new variant (`Green`), deployed by
 * UpdateEndpoint. Run in-process by the follow test, or as a process of its own:
 * `node --import tsx test/iot/deploy-model-b.ts <stateDir> <artifact.json>`.
 */
export async function deployModelB(stateDir: string, artifactPath: string): Promise<string | undefined> {
  const writer = new LocalHosting({ stateDir, timeScale: 0.002 });
  try {
    writer.createModel({
      ModelName: 'model-b',
      PrimaryContainer: {
        ModelDataUrl: pathToFileURL(artifactPath).href,
        Environment: { SAGEMAKER_INFERENCE_OUTPUT: INFERENCE_OUTPUT },
      },
    });
    writer.createEndpointConfig({
      EndpointConfigName: 'model-b-config',
      ProductionVariants: [
        { VariantName: 'Green', ModelName: 'model-b', InitialInstanceCount: 1, InitialVariantWeight: 1 },
      ],
    });
    writer.updateEndpoint({ EndpointName: 'occupancy', EndpointConfigName: 'model-b-config' });
    return (await writer.whenSettled('occupancy', 30_000)).EndpointConfigName;
  } finally {
    writer.close();
  }
}

if (require.main === module) {
  deployModelB(process.argv[2] ?? '', process.argv[3] ?? '').then(
    (config) => {
      process.stdout.write(`${config}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${error}\n`);
      process.exitCode = 1;
    },
  );
}
