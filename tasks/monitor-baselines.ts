import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListTagsCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { parseTrainingBaseline, type TrainingBaseline } from '../monitoring/baseline';
import { TRAINING_BASELINE_TAG } from '../monitoring/baseline-location';
import type { ObjectStore } from './ports/object-store';

/**
 * The training baselines of the models an endpoint serves, found from the endpoint itself (issue 21 item 1):
 * DescribeEndpoint → its endpoint config's production and shadow variants → DescribeModel → first the model's
 * TRAINING_BASELINE_TAG (ListTags: the baseline the pipeline wrote for a model it created, the only one an
 * Autopilot model.tar.gz has), else the container's ModelDataUrl → the artifact JSON's `trainingBaseline`. Keyed as the predictions table's model_version records an
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

/** Pages of ListTags a model is read for (a resource holds at most 50 tags; a page at least 50). */
const MAX_TAG_PAGES = 5;

/** The model's TRAINING_BASELINE_TAG value, if any. https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListTags.html */
async function baselineTag(sagemaker: SageMakerDescribe, modelArn: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_TAG_PAGES; page++) {
    const listed = await sagemaker.send(
      new ListTagsCommand({ ResourceArn: modelArn, ...(nextToken ? { NextToken: nextToken } : {}) }),
    );
    const tag = listed.Tags?.find((t) => t.Key === TRAINING_BASELINE_TAG);
    if (tag?.Value) return tag.Value;
    nextToken = listed.NextToken;
    if (!nextToken) return undefined;
  }
  return undefined;
}

/** The baseline document the tag points to (the summary itself, as tasks/training-baseline-writer.ts writes). */
async function taggedBaseline(
  store: ObjectStore,
  url: string,
): Promise<{ baseline: TrainingBaseline } | { missing: string }> {
  try {
    return { baseline: parseTrainingBaseline(JSON.parse(await store.getText(url))) };
  } catch (error) {
    return { missing: `tagged baseline ${url} is not readable: ${message(error)}` };
  }
}

/** The baseline the model's tag points to; undefined when it has no such tag (a model the pipeline did not create). */
async function taggedLookup(
  deps: BaselineLookupDeps,
  modelArn: string | undefined,
): Promise<{ baseline: TrainingBaseline } | { missing: string } | undefined> {
  if (!modelArn) return undefined;
  let url: string | undefined;
  try {
    url = await baselineTag(deps.sagemaker, modelArn);
  } catch (error) {
    return { missing: `the model's tags could not be listed: ${message(error)}` };
  }
  return url === undefined ? undefined : taggedBaseline(deps.store, url);
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
      const reasons: string[] = [];
      const tagged = await taggedLookup(deps, described.ModelArn);
      if (tagged && 'baseline' in tagged) {
        found.set(`${endpointName}/${variant}`, tagged.baseline);
        continue;
      }
      if (tagged) reasons.push(tagged.missing);
      const urls = [described.PrimaryContainer, ...(described.Containers ?? [])].flatMap((c) =>
        c?.ModelDataUrl ? [c.ModelDataUrl] : [],
      );
      if (urls.length === 0) {
        warn([...reasons, 'the model has no ModelDataUrl'].join('; '), { variant, model });
        continue;
      }
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
