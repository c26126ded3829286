import { Token } from 'aws-cdk-lib';

/** Lambda refuses a function whose environment variables total more than 4 KB (keys and values). */
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html (quotas: "Environment variables ... 4 KB")
export const LAMBDA_ENVIRONMENT_MAX_BYTES = 4096;
/** An unresolved token (an ARN or name of another resource) counted at about what it resolves to. */
const TOKEN_PLACEHOLDER_BYTES = 64;

export class LambdaEnvironmentTooLargeError extends Error {
  constructor(
    readonly functionId: string,
    readonly bytes: number,
    readonly largest: string,
  ) {
    super(
      `${functionId}: its environment variables total ${bytes} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_MAX_BYTES}; ` +
        `the largest is ${largest} (for SIGNAL_SET: a smaller signal set file, e.g. shorter descriptions)`,
    );
    this.name = 'LambdaEnvironmentTooLargeError';
  }
}

/**
 * Refuses at synth what Lambda would refuse at deploy (an empty environment is never too large).
 */
export function assertLambdaEnvironmentSize(functionId: string, environment: Readonly<Record<string, string>>): void {
  const entries = Object.entries(environment);
  const sizes = entries.map(([key, value]) => ({
    key,
    bytes: Buffer.byteLength(key) + (Token.isUnresolved(value) ? TOKEN_PLACEHOLDER_BYTES : Buffer.byteLength(value)),
  }));
  const bytes = sizes.reduce((sum, entry) => sum + entry.bytes, 0);
  if (bytes <= LAMBDA_ENVIRONMENT_MAX_BYTES) return;
  const largest = sizes.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  throw new LambdaEnvironmentTooLargeError(functionId, bytes, largest.key);
}
