/** Typed errors of the inference Lambda; each names the field or dependency it is about. */

/** The shadow documents event is not something the handler can answer (wrong shape, invalid telemetry). */
export class InferenceInputError extends Error {
  constructor(
    message: string,
    readonly field: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InferenceInputError';
  }
}

/** The handler's environment is misconfigured; `field` is the environment variable. */
export class InferenceConfigError extends Error {
  constructor(
    message: string,
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InferenceConfigError';
  }
}

export type EndpointFailureKind = 'timeout' | 'throttle' | 'error';

/** InvokeEndpoint failed after its retry (or with an answer that is not `label,probability`). */
export class EndpointInvocationError extends Error {
  constructor(
    message: string,
    readonly kind: EndpointFailureKind,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EndpointInvocationError';
  }
}

/** Writing the answer to the device shadow failed: thrown, so the Lambda's async retry re-delivers the reading. */
export class ShadowPublishError extends Error {
  constructor(
    message: string,
    readonly thingName: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ShadowPublishError';
  }
}
