import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDynamoDB } from '../../local/adapters/dynamodb';
import { assertRequest, stepFunctionsNameOf } from '../../local/aws-contract';

/**
 * The local DynamoDB tables behind the single-run lock: conditional PutItem/DeleteItem evaluated strictly,
 * expressions outside the two the state machine uses refused, and conditional writes atomic across processes.
 */

const TABLE = 'Locks';
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDb(): { db: LocalDynamoDB; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ddb-'));
  dirs.push(dir);
  return { db: new LocalDynamoDB(dir, [{ name: TABLE, keys: [{ name: 'lockId', type: 'S' }] }]), dir };
}

const key = { lockId: { S: 'retraining' } };
const take = (db: LocalDynamoDB, holder: string) =>
  db.putItem({
    TableName: TABLE,
    Item: { ...key, executionArn: { S: holder } },
    ConditionExpression: 'attribute_not_exists(#lockId)',
    ExpressionAttributeNames: { '#lockId': 'lockId' },
  });
const release = (db: LocalDynamoDB, holder: string) =>
  db.deleteItem({
    TableName: TABLE,
    Key: key,
    ConditionExpression: '#holder = :holder',
    ExpressionAttributeNames: { '#holder': 'executionArn' },
    ExpressionAttributeValues: { ':holder': { S: holder } },
  });

/** The error name a Task state's Catch sees (as local-stack.ts names adapter errors). */
async function errorName(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return stepFunctionsNameOf('dynamodb', error);
  }
  return 'no error';
}

describe('local DynamoDB: conditions', () => {
  it('attribute_not_exists: the first put takes the item, the second fails ConditionalCheckFailed', async () => {
    const { db } = freshDb();
    await expect(take(db, 'a')).resolves.toEqual({});
    expect(await errorName(take(db, 'b'))).toBe('DynamoDB.ConditionalCheckFailedException');
    expect(await db.getItem({ TableName: TABLE, Key: key, ConsistentRead: true })).toEqual({
      Item: { ...key, executionArn: { S: 'a' } },
    });
  });

  it('#name = :value: deletes only while the value matches', async () => {
    const { db } = freshDb();
    await take(db, 'a');
    expect(await errorName(release(db, 'b'))).toBe('DynamoDB.ConditionalCheckFailedException');
    await expect(release(db, 'a')).resolves.toEqual({});
    expect(await db.getItem({ TableName: TABLE, Key: key })).toEqual({});
    // No item: the attribute is absent, so the condition is false.
    expect(await errorName(release(db, 'a'))).toBe('DynamoDB.ConditionalCheckFailedException');
    await expect(take(db, 'b')).resolves.toEqual({});
  });

  it.each([
    ['another function', 'attribute_exists(#lockId)', { '#lockId': 'lockId' }, undefined],
    ['a bare attribute name', 'attribute_not_exists(lockId)', undefined, undefined],
    ['a compound condition', '#h = :h OR attribute_not_exists(#h)', { '#h': 'executionArn' }, { ':h': { S: 'a' } }],
    ['another comparator', '#h <> :h', { '#h': 'executionArn' }, { ':h': { S: 'a' } }],
    ['an undefined name placeholder', 'attribute_not_exists(#x)', { '#lockId': 'lockId' }, undefined],
    ['an unused name', 'attribute_not_exists(#lockId)', { '#lockId': 'lockId', '#y': 'y' }, undefined],
    ['an unused value', 'attribute_not_exists(#lockId)', { '#lockId': 'lockId' }, { ':v': { S: 'a' } }],
    ['an undefined value placeholder', '#h = :v', { '#h': 'executionArn' }, { ':w': { S: 'a' } }],
  ])('refuses %s with a ValidationException', async (_what, expression, names, values) => {
    const { db } = freshDb();
    const error = await db
      .putItem({
        TableName: TABLE,
        Item: key,
        ConditionExpression: expression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      })
      .catch((e: unknown) => e as Error & { code?: string });
    expect(error).toMatchObject({ code: 'ValidationException' });
    expect(await db.getItem({ TableName: TABLE, Key: key })).toEqual({});
  });

  it('refuses placeholders without an expression, keys that do not match the schema, and features it lacks', async () => {
    const { db } = freshDb();
    const refused = (p: Promise<unknown>) => p.catch((e: Error & { code?: string }) => e.code);
    expect(await refused(db.putItem({ TableName: TABLE, Item: key, ExpressionAttributeNames: { '#a': 'a' } }))).toBe(
      'ValidationException',
    );
    expect(await refused(db.putItem({ TableName: TABLE, Item: { lockId: { N: '1' } } }))).toBe('ValidationException');
    expect(await refused(db.putItem({ TableName: TABLE, Item: { lockId: { S: '' } } }))).toBe('ValidationException');
    expect(await refused(db.getItem({ TableName: TABLE, Key: { ...key, other: { S: 'x' } } }))).toBe(
      'ValidationException',
    );
    expect(await refused(db.putItem({ TableName: TABLE, Item: key, ReturnValues: 'ALL_NEW' }))).toBe(
      'ValidationException',
    );
    expect(await errorName(db.getItem({ TableName: 'Nope', Key: key }))).toBe('DynamoDB.ResourceNotFoundException');
  });

  it('requests are checked against the SDK model as Step Functions passes them', () => {
    expect(() =>
      assertRequest('dynamodb', 'putItem', { TableName: TABLE, Item: key, Conditions: 'x' }, 'stepfunctions'),
    ).toThrow(/Unknown parameter 'Conditions'/);
    expect(() =>
      assertRequest('dynamodb', 'putItem', { TableName: TABLE, Item: { lockId: { S: 'a', N: '1' } } }, 'stepfunctions'),
    ).toThrow(/exactly one member/);
  });
});

describe('local DynamoDB: atomic across processes', () => {
  const racer = join(__dirname, 'dynamodb-racer.ts');

  it('of 6 processes released by one barrier, exactly one takes the lock item', async () => {
    const { db, dir } = freshDb();
    const children: ChildProcess[] = [];
    const ready: Promise<void>[] = [];
    const results: Promise<{ who: string; took: boolean; error?: string }>[] = [];
    for (let i = 0; i < 6; i++) {
      const child = fork(racer, [dir, `racer-${i}`], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
      children.push(child);
      ready.push(new Promise((resolve) => child.once('message', () => resolve())));
      results.push(
        new Promise((resolve) =>
          child.on('message', (m) => {
            if (typeof m === 'object') resolve(m as { who: string; took: boolean });
          }),
        ),
      );
    }
    await Promise.all(ready);
    for (const child of children) child.send('go');
    const outcomes = await Promise.all(results);
    const winners = outcomes.filter((o) => o.took);
    expect(winners).toHaveLength(1);
    expect(outcomes.filter((o) => !o.took).map((o) => o.error)).toEqual(
      Array(5).fill('DynamoDB.ConditionalCheckFailedException'),
    );
    expect((await db.getItem({ TableName: TABLE, Key: key })).Item?.executionArn).toEqual({ S: winners[0]?.who });
  });

  it('a mutex left by a killed process is broken, and the table keeps working', async () => {
    const { db, dir } = freshDb();
    await take(db, 'a'); // creates the table folder
    const child = fork('-e', [''], { execArgv: [], stdio: 'ignore' });
    const deadPid = child.pid ?? 0;
    await new Promise((resolve) => child.once('exit', resolve));
    const mutex = join(dir, 'dynamodb', TABLE, '.mutex');
    writeFileSync(mutex, `${deadPid} deadbeef`);
    await expect(release(db, 'a')).resolves.toEqual({});
    expect(existsSync(mutex)).toBe(false);
    expect(readdirSync(join(dir, 'dynamodb', TABLE)).filter((f) => f.startsWith('.mutex'))).toEqual([]);
  });

  it('a mutex held by a live process that never lets go ends the call with an error naming the file', async () => {
    const { dir } = freshDb();
    const db = new LocalDynamoDB(dir, [{ name: TABLE, keys: [{ name: 'lockId', type: 'S' }] }], {
      mutexTimeoutMs: 50,
    });
    await take(db, 'a');
    writeFileSync(join(dir, 'dynamodb', TABLE, '.mutex'), `${process.ppid} cafe`);
    await expect(release(db, 'a')).rejects.toThrow(/\.mutex: held by another process/);
  });
});
