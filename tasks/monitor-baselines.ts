import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { parseTrainingBaseline, type TrainingBaseline } from '../monitoring/baseline';
import type { ObjectStore } from './ports/object-store';

/**
 * The training baselines of the models an endpoint serves, found from the endpoint itself (issue 21 item 1):
 * DescribeEndpoint → its endpoint config's production and shadow variants → DescribeModel → the container's
 * ModelDataUrl → the artifact JSON's `trainingBaseline`. Keyed as the predictions table's model_version records an
 * answer (tasks/infer-occupancy/endpoint.ts): `<endpoint>/<variant>` — neither Autopilot's inference container nor
 * the local endpoint host sends a `model-version` custom attribute — and also the artifact's own `version`, which a
 * container that did send one would report. A model whose artifact is missing, unreadable or has no baseline is
 * left out with a warning: no drift figures for it, never a failed monitor.
 */

/** The SageMaker calls it makes (a SageMakerClient; locally the endpoint host's stand-in). */
export type SageMakerDescribe = Pick<SageMakerClient, 'send'>;

export interface BaselineLookupDeps {
  readonly sagemaker: SageMakerDescribe;
  /** Reads the artifact at ModelDataUrl (s3:// on AWS; the local store also reads the host's file:// URLs). */
  readonly store: ObjectStore;
  /** A Powertools Logger fits. */
  readonly logger: { warn(message: string, extra: Record<string, unknown>): void };
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The artifact's baseline and version, or why there is none. */
async function artifactBaseline(
  store: ObjectStore,
  url: string,
): Promise<{ baseline: TrainingBaseline; version?: string } | { missing: string }> {
  let doc: unknown;
  try {
    doc = JSON.parse(await store.getText(url));
  } catch (error) {
    return { missing: `artifact ${url} is not readable JSON: ${message(error)}` };
  }
  if (typeof doc !== 'object' || doc === null || !('trainingBaseline' in doc)) {
    return { missing: `artifact ${url} has no trainingBaseline` };
  }
  const { trainingBaseline, version } = doc as { trainingBaseline: unknown; version?: unknown };
  try {
    const baseline = parseTrainingBaseline(trainingBaseline);
    return typeof version === 'string' && version !== '' ? { baseline, version } : { baseline };
  } catch (error) {
    return { missing: `artifact ${url}: ${message(error)}` };
  }
}

/** Every baseline the endpoint's variants (production, then shadow) carry, by model_version. */
export async function servingBaselines(
  deps: BaselineLookupDeps,
  endpointName: string,
): Promise<Map<string, TrainingBaseline>> {
  const found = new Map<string, TrainingBaseline>();
  const warn = (reason: string, extra: Record<string, unknown> = {}) =>
    deps.logger.warn('no training baseline: drift not measured', { endpointName, reason, ...extra });
  let variants: { variant: string; model: string }[];
  try {
    const endpoint = await deps.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
    const configName = endpoint.EndpointConfigName;
    if (!configName) throw new Error('DescribeEndpoint named no EndpointConfigName');
    const config = await deps.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName }));
    variants = [...(config.ProductionVariants ?? []), ...(config.ShadowProductionVariants ?? [])].flatMap((v) =>
      v.VariantName && v.ModelName ? [{ variant: v.VariantName, model: v.ModelName }] : [],
    );
  } catch (error) {
    warn(`the endpoint could not be described: ${message(error)}`);
    return found;
  }
  for (const { variant, model } of variants) {
    try {
      const described = await deps.sagemaker.send(new DescribeModelCommand({ ModelName: model }));
      const urls = [described.PrimaryContainer, ...(described.Containers ?? [])].flatMap((c) =>
        c?.ModelDataUrl ? [c.ModelDataUrl] : [],
      );
      if (urls.length === 0) {
        warn('the model has no ModelDataUrl', { variant, model });
        continue;
      }
      const reasons: string[] = [];
      for (const url of urls) {
        const read = await artifactBaseline(deps.store, url);
        if ('missing' in read) {
          reasons.push(read.missing);
          continue;
        }
        found.set(`${endpointName}/${variant}`, read.baseline);
        if (read.version !== undefined) found.set(read.version, read.baseline);
        reasons.length = 0;
        break;
      }
      if (reasons.length > 0) warn(reasons.join('; '), { variant, model });
    } catch (error) {
      warn(`the model could not be described: ${message(error)}`, { variant, model });
    }
  }
  return found;
}
