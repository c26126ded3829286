import * as z from 'zod';
import { TaskInputError } from './errors';
import { firstIssue, powertools } from './powertools';

/**
 * PrepareCandidateContainers: Autopilot's BestCandidate.InferenceContainers answer with the label only.
 * Evaluation needs the probability too, which Autopilot emits when told so through environment variables:
 * - one container (ensembling): SAGEMAKER_INFERENCE_OUTPUT on it;
 * - a pipeline (hyper-parameter tuning: feature transform → algorithm → inverse label transform):
 *   the algorithm container outputs predicted_label,probability and the last container takes it as input
 *   and passes it through.
 */

export const INFERENCE_OUTPUT = 'predicted_label,probability';

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

export function withProbabilityOutput(containers: readonly InferenceContainer[]): InferenceContainer[] {
  const last = containers.length - 1;
  return containers.map((container, i) => {
    const env = { ...(container.Environment ?? {}) };
    if (containers.length === 1) {
      env.SAGEMAKER_INFERENCE_OUTPUT = INFERENCE_OUTPUT;
    } else if (i === last) {
      env.SAGEMAKER_INFERENCE_INPUT = INFERENCE_OUTPUT;
      env.SAGEMAKER_INFERENCE_OUTPUT = INFERENCE_OUTPUT;
    } else if (i === last - 1) {
      env.SAGEMAKER_INFERENCE_OUTPUT = INFERENCE_OUTPUT;
    }
    return { ...container, Environment: env };
  });
}

const { logger } = powertools('candidate-containers');

export async function handler(event: unknown): Promise<{ containers: InferenceContainer[]; candidateName: string }> {
  const parsed = CandidateContainersInputSchema.safeParse(event);
  if (!parsed.success) {
    const { field, message } = firstIssue(parsed.error.issues);
    throw new TaskInputError(`Invalid PrepareCandidateContainers input: ${message}`, field, { cause: parsed.error });
  }
  const containers = withProbabilityOutput(parsed.data.containers);
  logger.info('containers prepared', { count: containers.length, candidate: parsed.data.candidateName });
  return { containers, candidateName: parsed.data.candidateName ?? 'best' };
}
