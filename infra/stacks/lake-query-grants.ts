import type { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { LAKE } from './ingestion-stack';

/** What a function querying lake tables through Athena reads and writes. */
export interface LakeQueryGrantProps {
  readonly stack: Stack;
  /** Lake tables it queries; each is also its S3 prefix in the lake bucket. */
  readonly tables: readonly string[];
  readonly lakeBucket: s3.IBucket;
  /** Holds the workgroup's `athena/` results location. */
  readonly artifactsBucket: s3.IBucket;
}

/**
 * Least privilege for an Athena query over `tables`: queries in the project's workgroup only, the Glue catalog
 * entries of those tables, reads of their prefixes, and the query results (Athena writes and reads them with the
 * caller's permissions).
 */
export function grantLakeQuery(fn: lambda.IFunction, props: LakeQueryGrantProps): void {
  const { stack, tables } = props;
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults'],
      resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: LAKE.workGroup })],
    }),
  );
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions', 'glue:GetPartition'],
      resources: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: LAKE.database }),
        ...tables.map((table) =>
          stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${LAKE.database}/${table}` }),
        ),
      ],
    }),
  );
  for (const table of tables) props.lakeBucket.grantRead(fn, `${table}/*`);
  props.artifactsBucket.grantRead(fn, 'athena/*');
  props.artifactsBucket.grantPut(fn, 'athena/*');
}
