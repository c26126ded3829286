import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
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

/** `predicted_label,probability` (first line). Labels may be 0/1 or true/false, as Autopilot containers answer. */
export function parseModelAnswer(body: string): { occupied: boolean; probability: number } | undefined {
  const line = body.split('\n', 1)[0]?.trim() ?? '';
  const [label, probabilityText] = line.split(',').map((s) => s.trim());
  const probability = Number(probabilityText);
  if (probabilityText === undefined || probabilityText === '' || !(probability >= 0 && probability <= 1)) {
    return undefined;
  }
  if (label === '1' || label === 'true' || label === 'True') return { occupied: true, probability };
  if (label === '0' || label === 'false' || label === 'False') return { occupied: false, probability };
  return undefined;
}

/** `model-version=<v>` in the container's custom attributes names the model; otherwise endpoint/variant does. */
function modelOf(endpointName: string, variant: string | undefined, customAttributes: string | undefined): string {
  const version = /(?:^|[;,]\s*)model-version=([^;,]+)/.exec(customAttributes ?? '')?.[1];
  if (version) return version.trim();
  return `${endpointName}/${variant ?? 'unknown'}`;
}

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
  OriginalStatusCode?: unknown;
}

const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'ThrottledException']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

/** Failure kind and whether one more attempt may succeed. */
export function classifyEndpointError(error: unknown): { kind: EndpointFailureKind; retryable: boolean } {
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorShape;
  const name = typeof e.name === 'string' ? e.name : '';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  if (name === 'AbortError' || name === 'TimeoutError') return { kind: 'timeout', retryable: true };
  if (THROTTLING.has(name) || status === 429) return { kind: 'throttle', retryable: true };
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return { kind: 'error', retryable: true };
  if (name === 'ModelError') {
    // A model 5xx may be transient; a 4xx (wrong width, bad value) will fail the same way again.
    const original = typeof e.OriginalStatusCode === 'number' ? e.OriginalStatusCode : 500;
    return { kind: 'error', retryable: original >= 500 };
  }
  if (name === 'ModelNotReadyException' || name === 'ServiceUnavailable' || name === 'InternalFailure') {
    return { kind: 'error', retryable: true };
  }
  if (status !== undefined) return { kind: 'error', retryable: status >= 500 };
  // No HTTP status at all: the request never got an answer (socket closed, DNS); worth one more try.
  return { kind: 'error', retryable: true };
}

/** InvokeEndpoint with a per-attempt timeout and bounded retries; the SDK's own retries must be off (maxAttempts 1). */
export class SageMakerEndpoint implements EndpointPort {
  constructor(
    private readonly client: SageMakerRuntimeClient,
    private readonly options: SageMakerEndpointOptions,
  ) {}

  async predict(row: readonly number[]): Promise<ModelAnswer> {
    const body = featureCsvLine(row);
    let last: { kind: EndpointFailureKind; error: unknown } = { kind: 'error', error: undefined };
    let attempts = 0;
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      attempts = attempt;
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), this.options.timeoutMs);
      try {
        const out = await this.client.send(
          new InvokeEndpointCommand({
            EndpointName: this.options.endpointName,
            ContentType: 'text/csv',
            Accept: 'text/csv',
            Body: body,
          }),
          { abortSignal: abort.signal },
        );
        const text = out.Body === undefined ? '' : Buffer.from(out.Body).toString('utf8');
        const answer = parseModelAnswer(text);
        if (answer === undefined) {
          // A malformed answer is a deployment problem, not a transient one: no retry.
          throw new EndpointInvocationError(
            `Endpoint ${this.options.endpointName} answered ${JSON.stringify(text.slice(0, 80))}, not "label,probability"`,
            'error',
            attempt,
          );
        }
        return {
          ...answer,
          model: modelOf(this.options.endpointName, out.InvokedProductionVariant, out.CustomAttributes),
          attempts: attempt,
        };
      } catch (error) {
        if (error instanceof EndpointInvocationError) throw error;
        const timedOut = abort.signal.aborted;
        const { kind, retryable } = timedOut
          ? { kind: 'timeout' as const, retryable: true }
          : classifyEndpointError(error);
        last = { kind, error };
        if (!retryable || attempt === this.options.maxAttempts) break;
      } finally {
        clearTimeout(timer);
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
