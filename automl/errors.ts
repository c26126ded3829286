/** Typed errors of the AutoML engine. Each names the field or input at fault. */

export class AutoMLInputError extends Error {
  constructor(
    message: string,
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AutoMLInputError';
  }
}

export class ArtifactError extends Error {
  constructor(
    message: string,
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ArtifactError';
  }
}

export class AutoMLJobError extends Error {
  constructor(
    message: string,
    readonly jobName: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AutoMLJobError';
  }
}

/** Thrown inside training loops when the job is being stopped; never escapes the engine. */
export class TrainingStopped extends Error {
  constructor() {
    super('training stopped');
    this.name = 'TrainingStopped';
  }
}
