import * as z from 'zod';
import { INFERENCE_RESPONSE_KEYS } from '../evaluation/p-occupied';
import { TaskInputError } from './errors';
import { type LambdaHandler, onFirstInvoke, type Powertools, wrapHandler } from './lambda-handler';
import { powertools } from './powertools';

/**
 * PrepareCandidateContainers: Autopilot's BestCandidate.InferenceContainers answer `predicted_label` only.
 * Evaluation needs P(occupied), so every container that declares SAGEMAKER_INFERENCE_SUPPORTED is told to output
 * the keys of INFERENCE_RESPONSE_KEYS it supports, and to take what the container before it outputs:
 * - ensembling (one container): SAGEMAKER_INFERENCE_OUTPUT=predicted_label,probabilities,labels;
 * - HPO (feature transform → algorithm → inverse label transform): the algorithm outputs
 *   predicted_label,probabilities (`labels` is deliberately not among its supported keys), the last container
 *   takes that as SAGEMAKER_INFERENCE_INPUT and outputs predicted_label,probabilities,labels.
 * https://docs.aws.amazon.com/sagemaker/latest/dg/autopilot-automate-model-development-container-output.html
 * This is the SageMaker Python SDK's `validate_and_update_inference_response`, including its refusal when the last
 * container cannot output every key.
 */

const SUPPORTED = 'SAGEMAKER_INFERENCE_SUPPORTED';

const ContainerSchema = z
  .object({
    Image: z.string().min(1),
    ModelDataUrl: z.string().optional(),
    Environment: z.record(z.string(), z.string()).optional(),
  })
  .passthrough();
export type InferenceContainer = z.infer<typeof ContainerSchema>;

export const CandidateContainersInputSchema = z.object({
  containers: z.array(ContainerSchema).min(1).max(15),
  candidateName: z.string().optional(),
  objective: z.unknown().optional(),
});

/** The keys a container declares it can output; undefined when it declares none (a feature transform). */
export function supportedKeys(container: InferenceContainer): string[] | undefined {
  const declared = container.Environment?.[SUPPORTED];
  return declared === undefined ? undefined : declared.split(',').map((key) => key.trim());
}

export function withProbabilityOutput(
  containers: readonly InferenceContainer[],
  keys: readonly string[] = INFERENCE_RESPONSE_KEYS,
): InferenceContainer[] {
  const lastIndex = containers.length - 1;
  const lastSupported = supportedKeys(containers[lastIndex] ?? { Image: '' });
  if (lastSupported === undefined) {
    throw new TaskInputError(
      `The inference model does not support selection of inference content beyond its default content (containers[${lastIndex}] has no ${SUPPORTED})`,
      `containers[${lastIndex}].Environment.${SUPPORTED}`,
    );
  }
  const missing = keys.filter((key) => !lastSupported.includes(key));
  if (missing.length > 0) {
    throw new TaskInputError(
      `Requested inference output keys [${missing.join(', ')}] are unsupported. The supported inference keys are [${lastSupported.join(', ')}]`,
      `containers[${lastIndex}].Environment.${SUPPORTED}`,
    );
  }
  let previousOutput: string | undefined;
  return containers.map((container) => {
    const supported = supportedKeys(container);
    if (supported === undefined) {
      previousOutput = undefined;
      return container;
    }
    const env = { ...(container.Environment ?? {}) };
    const output = keys.filter((key) => supported.includes(key)).join(',');
    if (previousOutput) env.SAGEMAKER_INFERENCE_INPUT = previousOutput;
    if (output) env.SAGEMAKER_INFERENCE_OUTPUT = output;
    previousOutput = output || undefined;
    return { ...container, Environment: env };
  });
}

export interface CandidateContainersResult {
  readonly containers: InferenceContainer[];
  readonly candidateName: string;
}

export function createHandler(deps: Powertools): LambdaHandler<CandidateContainersResult> {
  return wrapHandler(
    async (input: z.output<typeof CandidateContainersInputSchema>) => {
      const containers = withProbabilityOutput(input.containers);
      deps.logger.info('containers prepared', { count: containers.length, candidate: input.candidateName });
      return { containers, candidateName: input.candidateName ?? 'best' };
    },
    { ...deps, schema: CandidateContainersInputSchema, inputName: 'PrepareCandidateContainers input' },
  );
}

export const defaultDeps = (): Powertools => powertools('candidate-containers');

export const handler = onFirstInvoke(() => createHandler(defaultDeps()));
