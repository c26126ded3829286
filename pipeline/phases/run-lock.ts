import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { awsRetry } from '../retry';

/**
 * The single-run lock: one DynamoDB item per state machine, `{ lockId: <state machine name>, executionArn }`,
 * taken with a conditional PutItem (atomic: of two executions starting at the same instant exactly one succeeds)
 * and deleted, conditioned on the holder's ARN, when the run ends. ListExecutions cannot decide this: two
 * executions started together both see two RUNNING, and its results are eventually consistent.
 */

/** Partition key of the lock table. */
export const RUN_LOCK_KEY = 'lockId';
/** The attribute holding the execution ARN of the holder. */
export const RUN_LOCK_HOLDER = 'executionArn';
/** Stale locks (holder no longer RUNNING) freed and retaken at most this many times before the run fails. */
export const RUN_LOCK_MAX_ATTEMPTS = 3;

/**
 * A failed condition of the optimized DynamoDB integration (`arn:aws:states:::dynamodb:*`), as AWS's own lock
 * sample catches it: https://aws.amazon.com/blogs/compute/controlling-concurrency-in-distributed-systems-using-aws-step-functions/
 * (aws-samples/aws-stepfunctions-examples, sam/app-control-concurrency-with-dynamodb). The aws-sdk integration
 * spells it `DynamoDb.` instead; this pipeline uses only the optimized one.
 */
export const CONDITIONAL_CHECK_FAILED = 'DynamoDB.ConditionalCheckFailedException';

export interface RunLockTable {
  readonly table: dynamodb.ITable;
  /** The lock item's key value: the state machine's name (one lock per state machine). */
  readonly lockName: string;
}

export function runLockKey(lock: RunLockTable): Record<string, tasks.DynamoAttributeValue> {
  return { [RUN_LOCK_KEY]: tasks.DynamoAttributeValue.fromString(lock.lockName) };
}

/**
 * DeleteItem of the lock, only while this execution holds it (`#holder = :holder`): a run never frees another's
 * lock. Any failure (not the holder, throttled past the retries) continues to `next`: the work is done, and a lock
 * left behind by a finished execution is freed by the next run, which finds its holder not RUNNING.
 */
export function releaseRunLock(scope: Construct, id: string, lock: RunLockTable, next: sfn.IChainable): sfn.IChainable {
  const release = new tasks.DynamoDeleteItem(scope, id, {
    table: lock.table,
    key: runLockKey(lock),
    conditionExpression: '#holder = :holder',
    expressionAttributeNames: { '#holder': RUN_LOCK_HOLDER },
    expressionAttributeValues: {
      ':holder': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.Id')),
    },
    resultPath: sfn.JsonPath.DISCARD,
  });
  release.addRetry(awsRetry('DynamoDB'));
  release.addCatch(next, { errors: [sfn.Errors.ALL], resultPath: '$.lockReleaseError' });
  return release.next(next);
}
