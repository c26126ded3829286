import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { FileApprovalStore, LocalNotifier } from '../../local/adapters/approvals';
import { LocalDynamoDB } from '../../local/adapters/dynamodb';
import { FolderObjectStore } from '../../local/adapters/s3';
import { localClientConfig, startAwsEndpoints } from '../../local/aws-endpoints';
import { ApprovalTable } from '../../local/aws-endpoints/dynamodb-approvals';
import type { ListeningServer } from '../../local/http';
import { TaskTokenBroker } from '../../local/runtime/task-tokens';
import { type ApprovalRecord, DynamoApprovalStore, MODEL_PACKAGE_INDEX } from '../../tasks/ports/approval-store';
import { SnsNotifier } from '../../tasks/ports/notifier';
import { S3ObjectStore } from '../../tasks/ports/s3-object-store';
import { SfnTaskCallback } from '../../tasks/ports/task-callback';

/** The local AWS endpoints, driven by the same SDK clients and ports the Lambda handlers use. */

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:approvals';
const TABLE = 'ApprovalTokens';
let dir: string;
let server: ListeningServer;
let broker: TaskTokenBroker;
let approvals: FileApprovalStore;
const printed: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aws-endpoints-'));
  broker = new TaskTokenBroker(dir);
  approvals = new FileApprovalStore(dir);
  server = await startAwsEndpoints({
    s3: new FolderObjectStore(dir),
    dynamodb: {
      tables: new LocalDynamoDB(dir, [{ name: 'RunLock', keys: [{ name: 'lockId', type: 'S' }] }]),
      approvals: new ApprovalTable(TABLE, approvals),
      approvalIndex: MODEL_PACKAGE_INDEX,
    },
    sns: { topicArn: TOPIC, notifier: new LocalNotifier(dir, (text) => printed.push(text)) },
    sfn: broker,
  });
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const config = () => localClientConfig(server.url);

const record = (runId: string): ApprovalRecord => ({
  runId,
  taskToken: `token-${runId}`,
  executionArn: `arn:aws:states:us-east-1:000000000000:execution:sm:${runId}`,
  modelPackageArn: `arn:aws:sagemaker:us-east-1:000000000000:model-package/occupancy/${runId.length}`,
  approveSecretHash: 'a'.repeat(64),
  rejectSecretHash: 'b'.repeat(64),
  createdAt: 1_700_000_000_000,
  expiresAt: 1_800_000_000,
  status: 'pending',
});

describe('S3 (REST, path style) through S3ObjectStore', () => {
  it('writes and reads an object back, stored in the state folder layout', async () => {
    const store = new S3ObjectStore(new S3Client(config()));
    await store.putText('s3://artifacts/runs/r1/evaluation.json', '{"ok":true}\n', 'application/json');
    expect(await store.getText('s3://artifacts/runs/r1/evaluation.json')).toBe('{"ok":true}\n');
    expect(readFileSync(join(dir, 's3', 'artifacts', 'runs', 'r1', 'evaluation.json'), 'utf8')).toBe('{"ok":true}\n');
  });

  it('answers a missing key with S3 NoSuchKey (404, XML error document)', async () => {
    const client = new S3Client(config());
    const error = await client
      .send(new GetObjectCommand({ Bucket: 'artifacts', Key: 'runs/none.csv' }))
      .catch((e) => e);
    expect(error).toMatchObject({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
  });

  it('refuses an invalid bucket name as S3 does', async () => {
    const client = new S3Client(config());
    const error = await client.send(new GetObjectCommand({ Bucket: 'Not_A_Bucket', Key: 'k' })).catch((e) => e);
    expect(error).toMatchObject({ name: 'InvalidBucketName', $metadata: { httpStatusCode: 400 } });
  });
});

describe('DynamoDB (JSON 1.0) through DynamoApprovalStore', () => {
  const store = () => new DynamoApprovalStore(new DynamoDBClient(config()), TABLE);

  it('puts, gets, finds by model package and decides once, in the local approval files', async () => {
    const r = record('run-ddb-1');
    await store().put(r);
    expect(await store().get('run-ddb-1')).toEqual(r);
    expect((await store().findByModelPackage(r.modelPackageArn))?.runId).toBe('run-ddb-1');
    expect(await store().decide('run-ddb-1', 'approved', 'approval-link')).toBe(true);
    // The second decision fails the condition: DynamoDB's ConditionalCheckFailedException, mapped to false.
    expect(await store().decide('run-ddb-1', 'rejected', 'approval-link')).toBe(false);
    expect(await approvals.get('run-ddb-1')).toMatchObject({ status: 'approved', decidedBy: 'approval-link' });
    expect(await store().get('run-unknown')).toBeUndefined();
  });

  it('answers a failed condition with ConditionalCheckFailedException (__type)', async () => {
    const client = new DynamoDBClient(config());
    const error = await client
      .send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: { runId: { S: 'run-missing' } },
          UpdateExpression: 'SET #status = :status, decidedBy = :by, decidedAt = :at',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': { S: 'approved' },
            ':by': { S: 'x' },
            ':at': { N: '1' },
            ':pending': { S: 'pending' },
          },
        }),
      )
      .catch((e) => e);
    expect(error).toMatchObject({ name: 'ConditionalCheckFailedException', $metadata: { httpStatusCode: 400 } });
  });

  it('refuses what the SDK model refuses (missing Key) and an unknown table', async () => {
    const client = new DynamoDBClient(config());
    const missing = await client
      .send(new GetItemCommand({ TableName: TABLE } as unknown as ConstructorParameters<typeof GetItemCommand>[0]))
      .catch((e) => e);
    expect(missing).toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    const unknown = await client
      .send(new PutItemCommand({ TableName: 'Nope', Item: { lockId: { S: 'x' } } }))
      .catch((e) => e);
    expect(unknown).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('serves the single-run lock table with its conditional put', async () => {
    const client = new DynamoDBClient(config());
    const put = () =>
      client.send(
        new PutItemCommand({
          TableName: 'RunLock',
          Item: { lockId: { S: 'pipeline' } },
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': 'lockId' },
        }),
      );
    await put();
    await expect(put()).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    const got = await client.send(new GetItemCommand({ TableName: 'RunLock', Key: { lockId: { S: 'pipeline' } } }));
    expect(got.Item).toEqual({ lockId: { S: 'pipeline' } });
  });
});

describe('SNS (query protocol) through SnsNotifier', () => {
  it('publishes to the topic: the notifier prints and logs it', async () => {
    await new SnsNotifier(new SNSClient(config()), TOPIC).publish('approve run-1?', 'Approve: http://x');
    expect(printed.join('\n')).toContain('approve run-1?');
    expect(readFileSync(join(dir, 'notifications.ndjson'), 'utf8')).toContain('Approve: http://x');
  });

  it('refuses an unknown topic (NotFound) and a subject SNS refuses (InvalidParameter)', async () => {
    const client = new SNSClient(config());
    const unknown = await client.send(new PublishCommand({ TopicArn: `${TOPIC}-other`, Message: 'm' })).catch((e) => e);
    expect(unknown).toMatchObject({ name: 'NotFoundException', $metadata: { httpStatusCode: 404 } });
    const subject = await client
      .send(new PublishCommand({ TopicArn: TOPIC, Subject: 'two\nlines', Message: 'm' }))
      .catch((e) => e);
    expect(subject).toMatchObject({ name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 } });
  });
});

describe('Step Functions (JSON 1.0) through SfnTaskCallback', () => {
  it('answers a waiting task token with success and with failure', async () => {
    const callback = new SfnTaskCallback(new SFNClient(config()));
    const ok = broker.wait('token-ok', { runId: 'r' }, 10);
    await callback.succeed('token-ok', { approved: true });
    await expect(ok).resolves.toEqual({ kind: 'success', output: { approved: true } });
    const failed = broker.wait('token-fail', { runId: 'r' }, 10);
    await callback.fail('token-fail', 'ApprovalRejected', '{"rejected":true}');
    await expect(failed).resolves.toEqual({ kind: 'failure', error: 'ApprovalRejected', cause: '{"rejected":true}' });
  });

  it('refuses a token nobody waits on with TaskDoesNotExist', async () => {
    const error = await new SfnTaskCallback(new SFNClient(config())).succeed('token-none', {}).catch((e) => e);
    expect(error).toMatchObject({ name: 'PortError' });
    expect(error.cause).toMatchObject({ name: 'TaskDoesNotExist', $metadata: { httpStatusCode: 400 } });
  });
});
