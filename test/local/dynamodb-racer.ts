import { LocalDynamoDB } from '../../local/adapters/dynamodb';

/**
 * A child process of dynamodb-lock.test.ts: on "go" from its parent (a barrier: every racer is released by one
 * message round), it tries to take the lock item with a conditional PutItem and reports whether it got it.
 */
const [stateDir = '', who = ''] = process.argv.slice(2);
const db = new LocalDynamoDB(stateDir, [{ name: 'Locks', keys: [{ name: 'lockId', type: 'S' }] }]);

process.on('message', async (message) => {
  if (message !== 'go') return;
  try {
    await db.putItem({
      TableName: 'Locks',
      Item: { lockId: { S: 'retraining' }, executionArn: { S: who } },
      ConditionExpression: 'attribute_not_exists(#k)',
      ExpressionAttributeNames: { '#k': 'lockId' },
    });
    process.send?.({ who, took: true });
  } catch (error) {
    process.send?.({ who, took: false, error: (error as Error).name });
  }
  process.disconnect?.();
});
process.send?.('ready');
