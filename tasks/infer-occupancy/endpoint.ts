import {
  InvokeEndpointCommand,
  type InvokeEndpointCommandOutput,
  type SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import { INFERENCE_OUTPUT, readOccupancyScore } from '../../evaluation/p-occupied';
import { type EndpointFailureKind, EndpointInvocationError } from './errors';

/** What the handler needs from the model endpoint: one feature row in, one answer out. */
export interface EndpointPort {
  /** @throws EndpointInvocationError when no answer came (after the retry). */
  predict(row: readonly number[]): Promise<ModelAnswer>;
}

export interface ModelAnswer {
  readonly occupied: boolean;
  readonly probability: number;
  /** What answered: `<endpoint>/<variant>` (or the model version when the container reports one). */
  readonly model: string;
  /** The production variant that answered (InvokedProductionVariant); '' when the endpoint does not say. */
  readonly variant?: string;
  readonly attempts: number;
}

export interface SageMakerEndpointOptions {
  readonly endpointName: string;
}

/** A CSV line the way Autopilot's inference container reads it; NaN/∞ never reach here (features are finite). */
export function featureCsvLine(row: readonly number[]): string {
  return row.map((v) => (Number.isFinite(v) ? String(v) : '')).join(',');
}

/**
 * The first line of the container's answer to SAGEMAKER_INFERENCE_OUTPUT=predicted_label,probabilities,labels
 * (`1,"[0.1, 0.9]","['0', '1']"`): occupied is the predicted label, probability is P(occupied), read by
 * evaluation/p-occupied.ts as the evaluation reads it. Undefined when the line is not such an answer.
 */
export function parseModelAnswer(body: string): { occupied: boolean; probability: number } | undefined {
  const lineEnd = body.indexOf('\n');
  const read = readOccupancyScore(lineEnd === -1 ? body : body.slice(0, lineEnd));
  return read.ok ? { occupied: read.score.predicted === 1, probability: read.score.pOccupied } : undefined;
}

/** `model-version=<v>` in the container's custom attributes names the model; otherwise endpoint/variant does. */
function modelOf(endpointName: string, variant: string | undefined, customAttributes: string | undefined): string {
  if (customAttributes !== undefined) {
    const version = /(?:^|[;,]\s*)model-version=([^;,]+)/.exec(customAttributes)?.[1]?.trim();
    if (version) return version;
  }
  return `${endpointName}/${variant ?? 'unknown'}`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the SDK leaves on an error it gave up on: `$metadata.attempts`, the service's error name, the HTTP status. */
interface SdkFailure {
  readonly name?: string;
  readonly code?: string;
  readonly $metadata?: { readonly attempts?: number; readonly httpStatusCode?: number };
}

/**
 * The failure kind the handler logs and counts. The retry decision is the SDK's (standard mode: throttling,
 * 5xx, timeouts and connection errors retried with backoff; any other 4xx not): this only names what happened.
 * SageMaker Runtime throttles with ThrottlingException (HTTP 400) or ModelNotReadyException (HTTP 429).
 * https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html#API_runtime_InvokeEndpoint_Errors
 */
export function endpointFailureKind(error: unknown): EndpointFailureKind {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as SdkFailure;
  if (failure.name === 'TimeoutError' || failure.code === 'ETIMEDOUT') return 'timeout';
  if (failure.name === 'ThrottlingException' || failure.$metadata?.httpStatusCode === 429) return 'throttle';
  return 'error';
}

const attemptsOf = (error: unknown): number =>
  (typeof error === 'object' && error !== null ? (error as SdkFailure).$metadata?.attempts : undefined) ?? 1;

/**
 * SageMaker Runtime InvokeEndpoint through the SDK client (created once per instance, with its timeouts and
 * retry budget: clients.ts). One CSV line in, the container's first answer line out.
 */
export class SageMakerEndpoint implements EndpointPort {
  constructor(
    private readonly client: SageMakerRuntimeClient,
    private readonly options: SageMakerEndpointOptions,
  ) {}

  async predict(row: readonly number[]): Promise<ModelAnswer> {
    const { endpointName } = this.options;
    let output: InvokeEndpointCommandOutput;
    try {
      output = await this.client.send(
        new InvokeEndpointCommand({
          EndpointName: endpointName,
          ContentType: 'text/csv',
          Accept: 'text/csv',
          Body: encoder.encode(featureCsvLine(row)),
        }),
      );
    } catch (error) {
      const kind = endpointFailureKind(error);
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new EndpointInvocationError(
        `InvokeEndpoint ${endpointName} failed (${kind}): ${reason}`,
        kind,
        attemptsOf(error),
        { cause: error },
      );
    }
    const text = output.Body === undefined ? '' : decoder.decode(output.Body);
    const answer = parseModelAnswer(text);
    const attempts = output.$metadata.attempts ?? 1;
    if (answer === undefined) {
      // A malformed answer is a deployment problem, not a transient one: no retry.
      throw new EndpointInvocationError(
        `Endpoint ${endpointName} answered ${JSON.stringify(text.slice(0, 80))}, not "${INFERENCE_OUTPUT}"`,
        'error',
        attempts,
      );
    }
    return {
      occupied: answer.occupied,
      probability: answer.probability,
      model: modelOf(endpointName, output.InvokedProductionVariant, output.CustomAttributes),
      variant: output.InvokedProductionVariant ?? '',
      attempts,
    };
  }
}
