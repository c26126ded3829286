import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { awsRetry } from '../retry';
import { PipelineErrors, StateNames as S } from '../state-names';
import type { PhaseContext } from './context';
import { CONDITIONAL_CHECK_FAILED, RUN_LOCK_HOLDER, RUN_LOCK_KEY, RUN_LOCK_MAX_ATTEMPTS, runLockKey } from './run-lock';

/**
 * NameRun → the single-run lock: names every resource of the run after the execution, and exits early
 * (already-running) when another execution of the state machine holds the lock and is running.
 */
export function buildRunIdentity(ctx: PhaseContext, next: sfn.IChainable): sfn.IChainable {
  const { scope, props } = ctx;
  // AutoML job names are ≤ 32 chars: an MD5 is exactly 32 hex characters. Its input, "<state machine>/<execution
  // name>", is unique per execution (names are unique per state machine). Not the full execution ARN: the local
  // emulator's States.Hash is wrong for inputs of 56 bytes or more, and every ARN is longer than that.
  const runKey = `States.Hash(States.Format('${props.stateMachineName}/{}', $$.Execution.Name), 'MD5')`;
  const bucket = props.artifactsBucketName;
  const runUri = (suffix: string) => `States.Format('s3://${bucket}/runs/{}/${suffix}', $$.Execution.Name)`;
  const nameRun = new sfn.Pass(scope, S.NameRun, {
    parameters: {
      'id.$': '$$.Execution.Name',
      'executionArn.$': '$$.Execution.Id',
      'startedAt.$': '$$.Execution.StartTime',
      'key.$': runKey,
      'autoMLJobName.$': runKey,
      'candidateModelName.$': `States.Format('occ-{}-candidate', ${runKey})`,
      'candidateTransformJobName.$': `States.Format('occ-{}-candidate', ${runKey})`,
      'servingTransformJobName.$': `States.Format('occ-{}-serving', ${runKey})`,
      'endpointConfigName.$': `States.Format('occ-{}', ${runKey})`,
      bucket,
      'prefix.$': "States.Format('runs/{}', $$.Execution.Name)",
      'athenaOutput.$': runUri('athena/'),
      // The splits are Parquet prefixes (Athena UNLOAD targets, ending with '/'): every object under one is the split.
      'trainUri.$': runUri('data/train/'),
      'validationUri.$': runUri('data/validation/'),
      'holdoutUri.$': runUri('data/holdout/'),
      'scoringInputUri.$': runUri('data/holdout-input.csv'),
      'autoMLOutput.$': runUri('automl'),
      'candidatePredictions.$': runUri('predictions/candidate'),
      'servingPredictions.$': runUri('predictions/serving'),
      'evaluationPrefix.$': runUri('evaluation'),
    },
    resultPath: '$.run',
  });

  return nameRun.next(buildSingleRunLock(ctx, next));
}

/**
 * InitRunLock → GuardSingleRun (conditional PutItem of the lock) → next. When the item exists: ReadRunLock →
 * CheckRunLockHolder (this execution already holds it, e.g. a retried PutItem whose answer was lost → next) →
 * DescribeRunLockHolder → CheckSingleRun: a RUNNING holder ends this run `already-running`; a holder that is
 * not (it failed, was aborted, timed out, or was interrupted locally) left a stale lock, which is deleted
 * (conditioned on that holder) and taken again, at most RUN_LOCK_MAX_ATTEMPTS times.
 */
function buildSingleRunLock(ctx: PhaseContext, next: sfn.IChainable): sfn.IChainable {
  const { scope, props } = ctx;
  const lock = { table: props.runLockTable, lockName: props.stateMachineName };
  const holderPath = `$.lock.Item.${RUN_LOCK_HOLDER}.S`;

  const init = new sfn.Pass(scope, S.InitRunLock, {
    result: sfn.Result.fromObject({ count: 0 }),
    resultPath: '$.lockAttempts',
  });
  // attribute_not_exists on the key: the put succeeds only when no item has this key, atomically
  // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html#Expressions.ConditionExpressions.PreventingOverwrites).
  const take = new tasks.DynamoPutItem(scope, S.GuardSingleRun, {
    table: lock.table,
    item: {
      ...runLockKey(lock),
      [RUN_LOCK_HOLDER]: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.Id')),
      startedAt: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.StartTime')),
    },
    conditionExpression: 'attribute_not_exists(#lockId)',
    expressionAttributeNames: { '#lockId': RUN_LOCK_KEY },
    resultPath: sfn.JsonPath.DISCARD,
  });
  // Strongly consistent: the holder read must see the item the failed put collided with.
  const read = ctx.guard(
    new tasks.DynamoGetItem(scope, S.ReadRunLock, {
      table: lock.table,
      key: runLockKey(lock),
      consistentRead: true,
      resultPath: '$.lock',
    }),
    'DynamoDB',
  );
  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html (Status)
  const describe = new tasks.CallAwsService(scope, S.DescribeRunLockHolder, {
    service: 'sfn',
    action: 'describeExecution',
    iamAction: 'states:DescribeExecution',
    iamResources: [ctx.arns.executions],
    parameters: { ExecutionArn: sfn.JsonPath.stringAt(holderPath) },
    resultSelector: { 'executionArn.$': '$.ExecutionArn', 'status.$': '$.Status', 'startDate.$': '$.StartDate' },
    resultPath: '$.holder',
  });
  const releaseStale = new tasks.DynamoDeleteItem(scope, S.ReleaseStaleRunLock, {
    table: lock.table,
    key: runLockKey(lock),
    conditionExpression: '#holder = :holder',
    expressionAttributeNames: { '#holder': RUN_LOCK_HOLDER },
    expressionAttributeValues: { ':holder': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt(holderPath)) },
    resultPath: sfn.JsonPath.DISCARD,
  });
  const count = new sfn.Pass(scope, S.CountRunLockAttempt, {
    parameters: { 'count.$': 'States.MathAdd($.lockAttempts.count, 1)' },
    resultPath: '$.lockAttempts',
  });
  const contended = ctx.failWith(
    S.RunLockContended,
    PipelineErrors.RunLockContended,
    `States.Format('The single-run lock was freed {} times and taken by another execution each time', $.lockAttempts.count)`,
  );
  const alreadyRunning = new sfn.Pass(scope, S.MarkAlreadyRunning, {
    parameters: {
      outcome: 'already-running',
      'runId.$': '$.run.id',
      'executionArn.$': '$.run.executionArn',
      'heldBy.$': '$.holder.executionArn',
      'heldSince.$': '$.holder.startDate',
    },
  }).next(new sfn.Succeed(scope, S.AlreadyRunning, { comment: 'Another execution holds the lock; this one exits.' }));

  take.addRetry(awsRetry('DynamoDB'));
  take.addCatch(read, { errors: [CONDITIONAL_CHECK_FAILED], resultPath: '$.lockError' });
  ctx.guard(take);
  // A holder whose execution no longer exists (history expires 90 days after it closes) holds a stale lock too.
  // The aws-sdk:sfn error prefix is spelled both ways by different sources (see ../retry.ts).
  describe.addRetry(awsRetry('Sfn'));
  describe.addCatch(releaseStale, {
    errors: ['Sfn.ExecutionDoesNotExistException', 'SFN.ExecutionDoesNotExistException'],
    resultPath: '$.holderError',
  });
  ctx.guard(describe);
  releaseStale.addRetry(awsRetry('DynamoDB'));
  // Someone else freed (or retook) it first: count the attempt and try again.
  releaseStale.addCatch(count, { errors: [CONDITIONAL_CHECK_FAILED], resultPath: '$.lockError' });
  ctx.guard(releaseStale);

  count.next(
    new sfn.Choice(scope, S.CheckRunLockAttempts)
      .when(sfn.Condition.numberGreaterThanEquals('$.lockAttempts.count', RUN_LOCK_MAX_ATTEMPTS), contended)
      .otherwise(take),
  );
  releaseStale.next(count);
  read.next(
    new sfn.Choice(scope, S.CheckRunLockHolder)
      // Freed between the failed put and the read.
      .when(sfn.Condition.isNotPresent('$.lock.Item'), count)
      .when(sfn.Condition.stringEqualsJsonPath(holderPath, '$.run.executionArn'), next)
      .otherwise(describe),
  );
  describe.next(
    new sfn.Choice(scope, S.CheckSingleRun)
      .when(sfn.Condition.stringEquals('$.holder.status', 'RUNNING'), alreadyRunning)
      .otherwise(releaseStale),
  );
  take.next(next);
  return init.next(take);
}
