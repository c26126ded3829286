import { INFERENCE_OUTPUT, readOccupancyScore } from '../../evaluation/p-occupied';
import {
  AwsHttpNetworkError,
  type AwsHttpResponse,
  AwsHttpTimeoutError,
  type AwsHttpTransport,
  AwsServiceError,
  escapeUri,
  serviceErrorOf,
} from '../aws-http';
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
  readonly attempts: number;
}

export interface SageMakerEndpointOptions {
  readonly endpointName: string;
  /** Per-attempt timeout. */
  readonly timeoutMs: number;
  /** 2 = one retry. Only retryable failures (timeout, throttle, 5xx, network) are retried. */
  readonly maxAttempts: number;
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

const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'ThrottledException']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/** Failure kind and whether one more attempt may succeed. */
export function classifyEndpointError(error: unknown): { kind: EndpointFailureKind; retryable: boolean } {
  if (error instanceof AwsHttpTimeoutError) return { kind: 'timeout', retryable: true };
  if (error instanceof AwsHttpNetworkError) {
    // Refused or reset (a kept-alive connection the server closed): the request never got an answer.
    return { kind: 'error', retryable: error.code === undefined || NETWORK_CODES.has(error.code) };
  }
  if (!(error instanceof AwsServiceError)) return { kind: 'error', retryable: true };
  const { errorType, status } = error;
  if (THROTTLING.has(errorType) || status === 429) return { kind: 'throttle', retryable: true };
  if (errorType === 'ModelError') {
    // A model 5xx may be transient; a 4xx (wrong width, bad value) will fail the same way again.
    const original = error.details.OriginalStatusCode;
    return { kind: 'error', retryable: typeof original === 'number' ? original >= 500 : true };
  }
  if (errorType === 'ModelNotReadyException' || errorType === 'ServiceUnavailable' || errorType === 'InternalFailure') {
    return { kind: 'error', retryable: true };
  }
  return { kind: 'error', retryable: status >= 500 };
}

/** One object for every call: the transport plans the signing of a headers object once. */
const CSV_HEADERS = { 'content-type': 'text/csv', accept: 'text/csv' } as const;

const headerOf = (response: AwsHttpResponse, name: string): string | undefined => {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * SageMaker Runtime InvokeEndpoint (`POST /endpoints/{name}/invocations`, SigV4 service `sagemaker`) with a
 * per-attempt timeout and bounded retries of what may succeed on a second try.
 */
export class SageMakerEndpoint implements EndpointPort {
  private readonly path: string;

  constructor(
    private readonly http: AwsHttpTransport,
    private readonly options: SageMakerEndpointOptions,
  ) {
    this.path = `/endpoints/${escapeUri(options.endpointName)}/invocations`;
  }

  /** One attempt: the answer, or the service/transport error it failed with. */
  private async invoke(body: string, attempt: number): Promise<ModelAnswer> {
    const response = await this.http.send({
      method: 'POST',
      path: this.path,
      headers: CSV_HEADERS,
      body,
      timeoutMs: this.options.timeoutMs,
    });
    if (response.status < 200 || response.status >= 300) {
      throw serviceErrorOf(response.status, headerOf(response, 'x-amzn-errortype'), response.body.toString('utf8'));
    }
    const text = response.body.toString('utf8');
    const answer = parseModelAnswer(text);
    if (answer === undefined) {
      // A malformed answer is a deployment problem, not a transient one: no retry.
      throw new EndpointInvocationError(
        `Endpoint ${this.options.endpointName} answered ${JSON.stringify(text.slice(0, 80))}, not "${INFERENCE_OUTPUT}"`,
        'error',
        attempt,
      );
    }
    return {
      occupied: answer.occupied,
      probability: answer.probability,
      model: modelOf(
        this.options.endpointName,
        headerOf(response, 'x-amzn-invoked-production-variant'),
        headerOf(response, 'x-amzn-sagemaker-custom-attributes'),
      ),
      attempts: attempt,
    };
  }

  async predict(row: readonly number[]): Promise<ModelAnswer> {
    const body = featureCsvLine(row);
    let last: { kind: EndpointFailureKind; error: unknown } = { kind: 'error', error: undefined };
    let attempts = 0;
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      attempts = attempt;
      try {
        return await this.invoke(body, attempt);
      } catch (error) {
        if (error instanceof EndpointInvocationError) throw error;
        const { kind, retryable } = classifyEndpointError(error);
        last = { kind, error };
        if (!retryable) break;
      }
    }
    const reason = last.error instanceof Error ? `${last.error.name}: ${last.error.message}` : String(last.error);
    throw new EndpointInvocationError(
      `InvokeEndpoint ${this.options.endpointName} failed (${last.kind}): ${reason}`,
      last.kind,
      attempts,
      { cause: last.error },
    );
  }
}
