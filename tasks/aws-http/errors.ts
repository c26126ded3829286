/** Failures of a signed AWS HTTP call; each says whether the request may have reached the service. */

/** No complete answer within the per-request timeout; the request was abandoned. */
export class AwsHttpTimeoutError extends Error {
  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/** The connection failed (refused, reset, DNS); `code` is Node's error code when there is one. */
export class AwsHttpNetworkError extends Error {
  readonly code: string | undefined;
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'AwsHttpNetworkError';
    const code = (options.cause as { code?: unknown } | null)?.code;
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/**
 * A service's error answer (restJson1): `name` is the error type (`ThrottlingException`, `ModelError`…) from the
 * `x-amzn-ErrorType` header or the body, `status` the HTTP status, `details` the rest of the JSON body.
 */
export class AwsServiceError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly status: number,
    readonly details: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = errorType;
  }
}

/** The service error of a non-2xx answer: the type as the SDK reads it (header first, then `__type`/`code`). */
export function serviceErrorOf(status: number, errorTypeHeader: string | undefined, body: string): AwsServiceError {
  let details: Record<string, unknown> = {};
  try {
    const parsed: unknown = body === '' ? {} : JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      details = parsed as Record<string, unknown>;
    }
  } catch {
    details = { body: body.slice(0, 500) };
  }
  const fromBody = [details.__type, details.code, details.Code].find((v): v is string => typeof v === 'string');
  // `ValidationError:http://internal.amazon.com/…` and `aws.protocoltests#Throttling` both name the bare type.
  const raw = errorTypeHeader ?? fromBody ?? `Http${status}`;
  const errorType = (raw.split(':')[0] ?? raw).split('#').pop() ?? raw;
  const message = [details.message, details.Message].find((v): v is string => typeof v === 'string');
  return new AwsServiceError(errorType, message ?? `HTTP ${status} ${errorType}`, status, details);
}
