/**
 * Errors shaped like SageMaker's: `name` is the AWS error code (what an SDK client would throw and what a Step
 * Functions Catch matches on), `code` repeats it, `statusCode` is the HTTP status AWS would answer with.
 */
export class SageMakerServiceError extends Error {
  readonly $fault: 'client' | 'server';
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = code;
    this.$fault = statusCode >= 500 ? 'server' : 'client';
  }
}

/** Bad request or unknown resource: SageMaker reports both as ValidationException. */
export class ValidationException extends SageMakerServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ValidationException', message, 400, options);
  }
}

/** The resource exists but its state forbids the call (e.g. updating an endpoint that is already updating). */
export class ResourceInUse extends SageMakerServiceError {
  constructor(message: string) {
    super('ResourceInUse', message, 400);
  }
}

/**
 * InvokeEndpoint failure as SageMaker Runtime reports it: `errorType` goes in the `x-amzn-ErrorType` header,
 * `statusCode` is the HTTP status, `details` are extra JSON body fields (e.g. OriginalStatusCode for ModelError).
 */
export class InvokeEndpointError extends Error {
  constructor(
    readonly errorType:
      | 'ValidationError'
      | 'ModelError'
      | 'ModelNotReadyException'
      | 'InternalFailure'
      | 'ServiceUnavailable',
    readonly statusCode: number,
    message: string,
    readonly details: Record<string, string | number> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = errorType;
  }

  get code(): string {
    return this.errorType;
  }
}

/** The hosting state file exists but cannot be read back. */
export class HostingStateError extends Error {
  override readonly name = 'HostingStateError';
  readonly code = 'HostingStateError';
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}
