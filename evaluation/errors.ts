/** Bad input to the evaluation core: names the offending field (e.g. `predicted`, `probability`, `margin`). */
export class EvaluationError extends Error {
  constructor(
    message: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EvaluationError';
  }
}
