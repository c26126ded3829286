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

/**
 * The local image plays Autopilot's ensembling inference container: one container, these keys, `predicted_label`
 * alone unless SAGEMAKER_INFERENCE_OUTPUT asks for more, columns in the order asked, lists as Python list reprs
 * (`1,0.9,"[0.1, 0.9]","['0', '1']"`), and `probability` meaning P(predicted label) as ensembling models do.
 * https://docs.aws.amazon.com/sagemaker/latest/dg/autopilot-automate-model-development-container-output.html
 */
export const CONTAINER_SUPPORTED_KEYS = ['predicted_label', 'probability', 'labels', 'probabilities'] as const;
export type ContainerOutputKey = (typeof CONTAINER_SUPPORTED_KEYS)[number];
const DEFAULT_OUTPUT: readonly ContainerOutputKey[] = ['predicted_label'];
const isSupported = (key: string): key is ContainerOutputKey =>
  (CONTAINER_SUPPORTED_KEYS as readonly string[]).includes(key);

/** The container refuses its configuration at start (the endpoint or transform job fails with this message). */
export class ContainerConfigError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

/**
 * SAGEMAKER_INFERENCE_OUTPUT as the container reads it. Keys outside CONTAINER_SUPPORTED_KEYS are refused; the
 * container's own wording is not published, so this is the SageMaker Python SDK's check of the same list.
 */
export function containerOutputKeys(environment: Record<string, string> | undefined): ContainerOutputKey[] {
  const declared = environment?.SAGEMAKER_INFERENCE_OUTPUT;
  if (declared === undefined || declared.trim() === '') return [...DEFAULT_OUTPUT];
  const keys = declared.split(',').map((key) => key.trim());
  const bad = keys.filter((key) => !isSupported(key));
  if (bad.length > 0) {
    throw new ContainerConfigError(
      `Requested inference output keys [${bad.join(', ')}] are unsupported. The supported inference keys are [${CONTAINER_SUPPORTED_KEYS.join(', ')}]`,
      'Environment.SAGEMAKER_INFERENCE_OUTPUT',
    );
  }
  return keys.filter(isSupported);
}

const FIELD: Record<ContainerOutputKey, (label: 0 | 1, p: number) => string> = {
  predicted_label: (label) => String(label),
  probability: (label, p) => String(label === 1 ? p : 1 - p),
  probabilities: (_, p) => `"[${1 - p}, ${p}]"`,
  labels: () => `"['0', '1']"`,
};

/** One answer line for `keys`, from the model's P(occupied) and its thresholded label. */
export function containerAnswer(
  keys: readonly ContainerOutputKey[],
  prediction: { probability: number; label: 0 | 1 },
): string {
  return keys.map((key) => FIELD[key](prediction.label, prediction.probability)).join(',');
}

/** A started model container: the predictor plus the answer format its environment asks for. */
export interface ModelContainer extends HostedPredictor {
  /** The text/csv answer line for one row of feature values. */
  answerRow(values: ArrayLike<number>): string;
}

export function startModelContainer(
  artifactPath: string,
  environment: Record<string, string> | undefined,
  loader: ModelLoader,
): ModelContainer {
  const keys = containerOutputKeys(environment);
  const predictor = loadArtifactFile(artifactPath, loader);
  return {
    featureNames: predictor.featureNames,
    version: predictor.version,
    predictRow: (values) => predictor.predictRow(values),
    answerRow: (values) => containerAnswer(keys, predictor.predictRow(values)),
  };
}
