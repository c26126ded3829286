/** Errors raised by the Lambda tasks. Step Functions sees `name` as the error name (Catch/Retry match it). */

/** The task's input does not have the expected shape; `field` is the dotted path of the first problem. */
export class TaskInputError extends Error {
  constructor(
    message: string,
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TaskInputError';
  }
}

/** An artifact the task reads is malformed or inconsistent (e.g. predictions and holdout row counts differ). */
export class ArtifactError extends Error {
  constructor(
    message: string,
    readonly uri: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ArtifactError';
  }
}

/** A port (S3, DynamoDB, SNS, Step Functions) call failed. */
export class PortError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PortError';
  }
}

/** The function's configuration (environment) is missing or malformed; `field` names the variable. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ConfigError';
  }
}
