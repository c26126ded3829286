import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { lambdaContext } from '../../local/aws-endpoints/lambda-context';
import { TaskInputError } from '../../tasks/errors';
import { powertools } from '../../tasks/powertools';
import { createHandler } from '../../tasks/retraining-cooldown';

/** CheckRetrainingCooldown against DynamoDB's API (the adapter; the local runtime runs it on the local table). */

const dynamo = mockClient(DynamoDBClient);
const handler = createHandler({ ...powertools('retraining-cooldown'), dynamodb: new DynamoDBClient({}) });
const input = (startedAt: string, executionArn = 'arn:run-2') => ({
  table: 'RunLock',
  lockName: 'occupancy-retraining',
  executionArn,
  startedAt,
  reason: 'fallback-rate',
  cooldownMinutes: 60,
});
const last = {
  lockId: { S: 'occupancy-retraining#evidence' },
  executionArn: { S: 'arn:run-1' },
  startedAt: { S: '2026-01-01T10:00:00.000Z' },
  reason: { S: 'sustained-drift' },
};

beforeEach(() => dynamo.reset());

describe('retraining cooldown', () => {
  it('the first evidence run is let through and recorded, only if no record exists', async () => {
    dynamo.on(GetItemCommand).resolves({});
    dynamo.on(PutItemCommand).resolves({});
    const out = await handler(input('2026-01-01T10:00:00Z'), lambdaContext('Cooldown'));
    expect(out).toMatchObject({ allowed: true, cooldownUntil: '2026-01-01T11:00:00.000Z' });
    expect(dynamo.commandCalls(GetItemCommand)[0]?.args[0].input).toMatchObject({ ConsistentRead: true });
    expect(dynamo.commandCalls(PutItemCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: 'attribute_not_exists(#lockId)',
      Item: { lockId: { S: 'occupancy-retraining#evidence' }, reason: { S: 'fallback-rate' } },
    });
  });

  it('within the cooldown: refused, naming the run it counts from, nothing written', async () => {
    dynamo.on(GetItemCommand).resolves({ Item: last });
    const out = await handler(input('2026-01-01T10:59:59Z'), lambdaContext('Cooldown'));
    expect(out).toEqual({
      allowed: false,
      lastExecutionArn: 'arn:run-1',
      lastStartedAt: '2026-01-01T10:00:00.000Z',
      lastReason: 'sustained-drift',
      cooldownUntil: '2026-01-01T11:00:00.000Z',
    });
    expect(dynamo.commandCalls(PutItemCommand)).toHaveLength(0);
  });

  it('after the cooldown: let through, replacing the record only if it is still the one read', async () => {
    dynamo.on(GetItemCommand).resolves({ Item: last });
    dynamo.on(PutItemCommand).resolves({});
    const out = await handler(input('2026-01-01T11:00:00Z'), lambdaContext('Cooldown'));
    expect(out).toMatchObject({ allowed: true, lastReason: 'sustained-drift' });
    expect(dynamo.commandCalls(PutItemCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: '#holder = :holder',
      ExpressionAttributeValues: { ':holder': { S: 'arn:run-1' } },
    });
  });

  it('a race lost between the read and the put refuses; a retried invocation of the recorded run passes', async () => {
    dynamo.on(GetItemCommand).resolves({});
    dynamo.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    expect(await handler(input('2026-01-01T12:00:00Z'), lambdaContext('Cooldown'))).toMatchObject({ allowed: false });
    dynamo.reset();
    dynamo.on(GetItemCommand).resolves({ Item: last });
    const retried = await handler(input('2026-01-01T10:00:00Z', 'arn:run-1'), lambdaContext('Cooldown'));
    expect(retried).toMatchObject({ allowed: true });
  });

  it('refuses an input without a start time, naming the field', async () => {
    await expect(
      handler({ ...input('2026-01-01T10:00:00Z'), startedAt: 'yesterday' }, lambdaContext('Cooldown')),
    ).rejects.toThrow(TaskInputError);
  });
});
