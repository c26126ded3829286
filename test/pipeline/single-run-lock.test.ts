import { flattenStates } from '../../pipeline/render-asl';
import { PipelineErrors, StateNames as S } from '../../pipeline/state-names';
import { synthRetraining } from './fixture';
import { awsError, EXECUTION_ID, type Handler, OTHER_EXECUTION_ID, runLocally } from './local-run';

/**
 * The single-run lock of the synthesized ASL (pipeline/phases/run-lock.ts): a conditional PutItem decides which of
 * two executions proceeds, a RUNNING holder ends the other already-running, a holder that is not RUNNING left a
 * stale lock that is freed and retaken, and every run that took the lock releases it however it ends.
 */

const { asl, template } = synthRetraining();
const states = flattenStates(asl);
const CCF = () => awsError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');

/** GetItem's answer with the lock held by `holder`. */
const heldBy =
  (holder: string): Handler =>
  async () => ({
    Item: { lockId: { S: 'occupancy-retraining' }, executionArn: { S: holder } },
  });
const holderStatus =
  (status: string): Handler =>
  async (input) => ({
    ExecutionArn: input.ExecutionArn,
    Status: status,
    StartDate: '2025-01-01T00:00:00Z',
  });

/** Stubs answering in turn (the last one repeats), recording each call under `name`. */
function inTurn(calls: string[], name: string, answers: (() => unknown)[]): Handler {
  let i = 0;
  return async () => {
    calls.push(name);
    const answer = answers[Math.min(i++, answers.length - 1)] as () => unknown;
    return answer();
  };
}

describe('single-run lock (synthesized ASL)', () => {
  it('takes the lock with a conditional PutItem holding the execution ARN, on its own table', () => {
    const guard = states[S.GuardSingleRun] as { Resource: string; Parameters: Record<string, unknown> };
    expect(guard.Resource).toBe('arn:aws:states:::dynamodb:putItem');
    expect(guard.Parameters).toMatchObject({
      ConditionExpression: 'attribute_not_exists(#lockId)',
      ExpressionAttributeNames: { '#lockId': 'lockId' },
      Item: { lockId: { S: 'occupancy-retraining' }, executionArn: { 'S.$': '$$.Execution.Id' } },
    });
    for (const release of [S.ReleaseRunLock, S.ReleaseRunLockOnFailure]) {
      expect(states[release]).toMatchObject({
        Resource: 'arn:aws:states:::dynamodb:deleteItem',
        Parameters: {
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeValues: { ':holder': { 'S.$': '$$.Execution.Id' } },
        },
      });
    }
    expect(JSON.stringify(asl)).not.toMatch(/listExecutions/);
  });

  it('every end of a run that took the lock passes a release: Done after ReleaseRunLock, RunFailed after the failure path', () => {
    const ends = Object.entries(asl.States).filter(([, s]) => s.Type === 'Fail' || s.Type === 'Succeed');
    expect(ends.map(([name]) => name).sort()).toEqual([S.AlreadyRunning, S.Done, S.RunFailed].sort());
    const into = (target: string) =>
      Object.entries(asl.States)
        .filter(
          ([, s]) =>
            s.Next === target || ((s.Catch as { Next: string }[] | undefined) ?? []).some((c) => c.Next === target),
        )
        .map(([name]) => name);
    expect(into(S.RunFailed)).toEqual([S.ReleaseRunLockOnFailure]);
    expect(into(S.Summarize)).toEqual([S.ReleaseRunLock]);
    expect(into(S.Done)).toEqual([S.Summarize]);
  });

  it('the lock taken: the run proceeds and releases the lock before Summarize', async () => {
    const run = await runLocally(asl, { endpoint: 'InService', promote: false });
    expect(run.output.outcome).toBe('not-promoted');
    expect(run.calls).toContain(S.ReleaseRunLock);
    expect(run.calls).not.toContain(S.ReadRunLock);
    expect(run.calls).not.toContain(S.ReleaseRunLockOnFailure);
  });

  it('held by a RUNNING execution: already-running at once, naming the holder, releasing nothing', async () => {
    const run = await runLocally(asl, { running: 2 });
    expect(run.output).toMatchObject({ outcome: 'already-running', heldBy: OTHER_EXECUTION_ID });
    expect(run.calls).toEqual([S.GuardSingleRun, S.ReadRunLock, S.DescribeRunLockHolder]);
  });

  it.each(['FAILED', 'ABORTED', 'TIMED_OUT', 'SUCCEEDED'])(
    'held by a %s execution (a stale lock): freed on its holder, retaken, and the run proceeds',
    async (status) => {
      const calls: string[] = [];
      let released: Record<string, unknown> | undefined;
      const run = await runLocally(
        asl,
        { endpoint: 'InService', promote: false },
        {
          overrides: {
            GuardSingleRun: inTurn(calls, S.GuardSingleRun, [
              () => {
                throw CCF();
              },
              () => ({}),
            ]),
            ReadRunLock: heldBy(OTHER_EXECUTION_ID),
            DescribeRunLockHolder: holderStatus(status),
            ReleaseStaleRunLock: async (input) => {
              released = input;
              return {};
            },
          },
        },
      );
      expect(run.output.outcome).toBe('not-promoted');
      expect(calls).toEqual([S.GuardSingleRun, S.GuardSingleRun]);
      expect(released).toMatchObject({ ExpressionAttributeValues: { ':holder': { S: OTHER_EXECUTION_ID } } });
    },
  );

  it('a holder whose execution no longer exists held a stale lock too', async () => {
    const calls: string[] = [];
    const run = await runLocally(
      asl,
      { endpoint: 'InService', promote: false },
      {
        overrides: {
          GuardSingleRun: inTurn(calls, S.GuardSingleRun, [
            () => {
              throw CCF();
            },
            () => ({}),
          ]),
          ReadRunLock: heldBy(OTHER_EXECUTION_ID),
          DescribeRunLockHolder: async () => {
            throw awsError('Sfn.ExecutionDoesNotExistException', 'Execution Does Not Exist');
          },
          ReleaseStaleRunLock: async () => ({}),
        },
      },
    );
    expect(run.output.outcome).toBe('not-promoted');
    expect(calls).toHaveLength(2);
  });

  it('held by this very execution (a retried put whose answer was lost): proceeds without asking', async () => {
    const calls: string[] = [];
    const run = await runLocally(
      asl,
      { endpoint: 'InService', promote: false },
      {
        overrides: {
          GuardSingleRun: async () => {
            throw CCF();
          },
          ReadRunLock: heldBy(EXECUTION_ID),
          DescribeRunLockHolder: async () => {
            calls.push(S.DescribeRunLockHolder);
            return {};
          },
        },
      },
    );
    expect(run.output.outcome).toBe('not-promoted');
    expect(calls).toEqual([]);
  });

  it('freed stale locks retaken by others every time: fails RunLockContended after bounded attempts', async () => {
    const calls: string[] = [];
    const run = await runLocally(
      asl,
      {},
      {
        overrides: {
          GuardSingleRun: inTurn(calls, S.GuardSingleRun, [
            () => {
              throw CCF();
            },
          ]),
          ReadRunLock: heldBy(OTHER_EXECUTION_ID),
          DescribeRunLockHolder: holderStatus('FAILED'),
          ReleaseStaleRunLock: async () => {
            throw CCF();
          },
          ReleaseRunLockOnFailure: async () => {
            calls.push(S.ReleaseRunLockOnFailure);
            throw CCF(); // not the holder: nothing to free
          },
        },
      },
    );
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe(PipelineErrors.RunLockContended);
    expect(calls.filter((c) => c === S.GuardSingleRun)).toHaveLength(3);
    expect(calls).toContain(S.ReleaseRunLockOnFailure);
  });

  it('a run that fails after taking the lock releases it on the failure path', async () => {
    const run = await runLocally(
      asl,
      {},
      {
        overrides: {
          DescribeAutoML: async () => ({ AutoMLJobStatus: 'Failed', FailureReason: 'boom' }),
        },
      },
    );
    expect(run.status).toBe('FAILED');
    expect(run.calls).toEqual(expect.arrayContaining([S.NotifyFailure, S.ReleaseRunLockOnFailure]));
    expect(run.calls).not.toContain(S.ReleaseRunLock);
  });

  it('a release that fails does not fail a finished run (the next run frees the lock as stale)', async () => {
    const run = await runLocally(
      asl,
      { endpoint: 'InService', promote: false },
      {
        overrides: {
          ReleaseRunLock: async () => {
            throw awsError('DynamoDB.AccessDeniedException', 'not authorized');
          },
        },
      },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output.outcome).toBe('not-promoted');
  });
});

describe('single-run lock (CDK template)', () => {
  const json = template.toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const [lockId, lockTable] =
    Object.entries(json.Resources).find(([id, r]) => r.Type === 'AWS::DynamoDB::Table' && id.includes('RunLock')) ?? [];

  it('is a small on-demand table keyed by lockId, encrypted with the customer-managed key, with PITR', () => {
    expect(lockTable?.Properties).toMatchObject({
      KeySchema: [{ AttributeName: 'lockId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: expect.anything() },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('the state machine may only Put, Get and Delete items of that table, and describe its own executions', () => {
    const statements = Object.values(json.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap(
        (r) =>
          (r.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement,
      );
    const actions = (s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
    const dynamo = statements.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap(actions).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem']);
    for (const s of dynamo) expect(JSON.stringify(s.Resource)).toContain(`"Ref":"${lockId}"`);
    const describe = statements.filter((s) => actions(s).includes('states:DescribeExecution'));
    expect(describe).toHaveLength(1);
    expect(JSON.stringify(describe[0]?.Resource)).toContain(':execution:occupancy-retraining:*');
    expect(statements.flatMap(actions)).not.toContain('states:ListExecutions');
  });
});
