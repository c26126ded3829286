/** How a hosted model is turned into something that scores rows: the ModelLoader injection point. */
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContainerDefinition } from '@aws-sdk/client-sagemaker';
import { loadPredictor } from '../../automl/artifact';
import { ValidationException } from './errors';

/** What the endpoint host needs from a model artifact (a subset of automl/artifact's Predictor). */
export interface HostedPredictor {
  readonly featureNames: readonly string[];
  readonly version: string;
  predictRow(values: ArrayLike<number>): { probability: number; label: 0 | 1 };
}

/** Turns parsed artifact JSON into a predictor; throws on an invalid artifact. */
export type ModelLoader = (artifact: unknown) => HostedPredictor;

export const defaultModelLoader: ModelLoader = loadPredictor;

/** The single container of a model: PrimaryContainer, or Containers[0]. */
export function primaryContainer(
  input: { PrimaryContainer?: ContainerDefinition; Containers?: ContainerDefinition[] },
  modelName: string,
): ContainerDefinition {
  const container = input.PrimaryContainer ?? input.Containers?.[0];
  if (!container) throw new ValidationException(`Model ${modelName}: PrimaryContainer or Containers[0] is required.`);
  if (input.Containers !== undefined && input.Containers.length > 1) {
    throw new ValidationException(
      `Model ${modelName}: inference pipelines (several Containers) are not supported locally.`,
    );
  }
  return container;
}

/** `file:///abs/path/model.json` → `/abs/path/model.json`; anything else is a ValidationException. */
export function artifactPathOf(modelDataUrl: string | undefined, modelName: string): string {
  if (modelDataUrl === undefined || modelDataUrl === '') {
    throw new ValidationException(
      `Model ${modelName}: ModelDataUrl is required (file://<absolute path to artifact json>).`,
    );
  }
  if (!modelDataUrl.startsWith('file://')) {
    throw new ValidationException(
      `Model ${modelName}: ModelDataUrl ${modelDataUrl} is not supported locally; use file://<absolute path>.`,
    );
  }
  let path: string;
  try {
    path = fileURLToPath(modelDataUrl);
  } catch (cause) {
    throw new ValidationException(`Model ${modelName}: ModelDataUrl ${modelDataUrl} is not a valid file URL.`, {
      cause,
    });
  }
  if (!isAbsolute(path)) throw new ValidationException(`Model ${modelName}: ModelDataUrl must be an absolute path.`);
  return path;
}

export function loadArtifactFile(path: string, loader: ModelLoader): HostedPredictor {
  const text = readFileSync(path, 'utf8');
  return loader(JSON.parse(text));
}
