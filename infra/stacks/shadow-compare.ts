import { join } from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ShadowProps } from '../../pipeline/phases/shadow';
import { LAKE } from './ingestion-stack';
import { grantLakeQuery } from './lake-query-grants';
import { assertLambdaEnvironmentSize } from './lambda-environment';
import { nodeFunction } from './node-function';

export interface ShadowComparisonProps {
  readonly key: kms.IKey;
  /** The lake: the comparison reads the predictions and labels prefixes. */
  readonly lakeBucket: s3.IBucket;
  /**
   * Where data capture goes (`capture/`) and Athena's results (`athena/`). The artifacts bucket: the SageMaker
   * execution role, which writes the captures, already writes there (infra/stacks/serving-stack.ts).
   */
  readonly artifactsBucket: s3.IBucket;
}

/** Data capture prefix of the artifacts bucket. */
export const CAPTURE_PREFIX = 'capture';
/** Lake folders the comparison's SQL reads (tasks/shadow-compare-query.ts). */
const LAKE_PREFIXES = [LAKE.predictionsTable, LAKE.labelsTable] as const;

/**
 * The shadow comparison Lambda (tasks/shadow-compare.ts) and the capture destination of the shadow phase
 * (pipeline/phases/shadow.ts). Least privilege: Athena on the lake's workgroup, Glue reads of the two tables, S3
 * reads of the predictions/labels prefixes and of the capture prefix only, Athena's result folder.
 */
export class ShadowComparison extends Construct {
  readonly function: lambda.IFunction;
  /** What the state machine's shadow phase takes. */
  readonly shadow: ShadowProps;

  constructor(scope: Construct, id: string, props: ShadowComparisonProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const environment = {
      ATHENA_DATABASE: LAKE.database,
      ATHENA_WORKGROUP: LAKE.workGroup,
      PREDICTIONS_TABLE: LAKE.predictionsTable,
      LABELS_TABLE: LAKE.labelsTable,
    };
    assertLambdaEnvironmentSize('ShadowCompareFunction', environment);
    const fn = nodeFunction(this, 'Function', {
      entry: join(__dirname, '..', '..', 'tasks', 'shadow-compare.ts'),
      description: 'Shadow: candidate vs serving on the bake period labelled readings',
      key: props.key,
      // One Athena query, the capture files of the bake, a paired bootstrap.
      timeout: Duration.minutes(5),
      memorySize: 1024,
      environment,
    });
    this.function = fn;
    grantLakeQuery(fn, {
      stack,
      tables: LAKE_PREFIXES,
      lakeBucket: props.lakeBucket,
      artifactsBucket: props.artifactsBucket,
    });
    props.artifactsBucket.grantRead(fn, `${CAPTURE_PREFIX}/*`);
    props.key.grantEncryptDecrypt(fn);
    this.shadow = {
      compareFunction: fn,
      captureS3Uri: `s3://${props.artifactsBucket.bucketName}/${CAPTURE_PREFIX}`,
    };
  }
}
