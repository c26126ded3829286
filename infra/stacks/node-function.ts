import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { LAMBDA_BUNDLING } from './lambda-bundling';

export interface NodeFunctionProps {
  readonly entry: string;
  readonly description: string;
  readonly environment?: Record<string, string>;
  /** @default 30 s */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** Encrypts the function's environment and log group. */
  readonly key: kms.IKey;
}

/**
 * A Lambda bundled by the local esbuild (no Docker), Node.js 22, X-Ray active, its own KMS-encrypted
 * log group. The AWS SDK v3 clients are bundled (not taken from the runtime) so versions match the tests.
 */
export function nodeFunction(scope: Construct, id: string, props: NodeFunctionProps): nodejs.NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    encryptionKey: props.key,
    retention: logs.RetentionDays.THREE_MONTHS,
  });
  return new nodejs.NodejsFunction(scope, id, {
    entry: props.entry,
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    description: props.description,
    memorySize: props.memorySize ?? 512,
    timeout: props.timeout ?? Duration.seconds(30),
    tracing: lambda.Tracing.ACTIVE,
    environment: { NODE_OPTIONS: '--enable-source-maps', ...(props.environment ?? {}) },
    environmentEncryption: props.key,
    logGroup,
    bundling: {
      forceDockerBundling: false,
      minify: LAMBDA_BUNDLING.minify,
      sourceMap: LAMBDA_BUNDLING.sourceMap,
      target: LAMBDA_BUNDLING.target,
      externalModules: [...LAMBDA_BUNDLING.externalModules],
    },
  });
}
