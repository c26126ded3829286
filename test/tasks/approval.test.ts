import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { lambdaContext } from '../../local/aws-endpoints/lambda-context';
import { type ApprovalRequest, requestApproval, secretMatches, sha256Hex } from '../../tasks/approval';
import { createHandler as createApprovalCallbackHandler } from '../../tasks/approval-callback';
import { createHandler as createApprovalRequestHandler } from '../../tasks/approval-request';
import { PortError } from '../../tasks/errors';
import { DynamoApprovalStore, MemoryApprovalStore } from '../../tasks/ports/approval-store';
import { SnsNotifier } from '../../tasks/ports/notifier';
import { S3ObjectStore } from '../../tasks/ports/s3-object-store';
import { SfnTaskCallback, type TaskCallback } from '../../tasks/ports/task-callback';
import { powertools } from '../../tasks/powertools';

const request: ApprovalRequest = {
  taskToken: 'token-abc',
  runId: 'run-7',
  executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:occupancy-retraining:run-7',
  modelPackageArn: 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/occupancy/3',
  modelPackageGroupName: 'occupancy',
  summary: 'Candidate F1 0.910 vs best baseline static-rule 0.700',
  timeoutSeconds: 3600,
};

class RecordingCallback implements TaskCallback {
  readonly calls: { kind: 'succeed' | 'fail'; token: string; payload: unknown }[] = [];
  async succeed(token: string, output: unknown) {
    this.calls.push({ kind: 'succeed', token, payload: output });
  }
  async fail(token: string, error: string, cause: string) {
    this.calls.push({ kind: 'fail', token, payload: { error, cause: JSON.parse(cause) } });
  }
}

async function setup() {
  const store = new MemoryApprovalStore();
  const published: { subject: string; message: string }[] = [];
  const callback = new RecordingCallback();
  let clock = 1_700_000_000_000;
  let n = 0;
  const deps = {
    store,
    callback,
    notifier: { publish: async (subject: string, message: string) => void published.push({ subject, message }) },
    apiBaseUrl: 'https://api.example.com/prod/',
    region: 'eu-west-1',
    now: () => clock,
    newSecret: () => `secret-${++n}-${'x'.repeat(40)}`,
  };
  const links = await requestApproval(request, deps);
  const callbackHandler = createApprovalCallbackHandler({ ...powertools('approval-callback'), ...deps });
  const handler = (event: unknown) => callbackHandler(event, lambdaContext('ApprovalCallbackFunction'));
  const params = (url: string) => Object.fromEntries(new URL(url).searchParams);
  return { store, published, callback, deps, links, handler, params, advance: (ms: number) => (clock += ms) };
}

const apiEvent = (httpMethod: string, query: Record<string, string>, form?: Record<string, string>) => ({
  httpMethod,
  queryStringParameters: query,
  body: form ? new URLSearchParams(form).toString() : null,
  isBase64Encoded: false,
});

describe('approval by e-mailed link', () => {
  it('stores only hashes and e-mails both links and the console link', async () => {
    const { store, published, links } = await setup();
    const record = await store.get('run-7');
    expect(record?.status).toBe('pending');
    expect(record?.taskToken).toBe('token-abc');
    expect(JSON.stringify(record)).not.toContain('secret-1');
    expect(published[0]?.message).toContain(links.approveUrl);
    expect(published[0]?.message).toContain(links.rejectUrl);
    expect(published[0]?.message).toContain('sagemaker/home?region=eu-west-1');
  });

  it('GET only shows a confirmation form; POST approves once and answers the token', async () => {
    const { handler, links, params, callback, advance } = await setup();
    const get = await handler(apiEvent('GET', params(links.approveUrl)));
    expect(get).toMatchObject({ statusCode: 200 });
    expect(callback.calls).toEqual([]);
    advance(90_000);
    const post = await handler(apiEvent('POST', {}, params(links.approveUrl)));
    expect(post).toMatchObject({ statusCode: 200 });
    expect(callback.calls).toEqual([
      {
        kind: 'succeed',
        token: 'token-abc',
        payload: { approved: true, via: 'link', decidedBy: 'approval-link', waitedSeconds: 90 },
      },
    ]);
    const again = await handler(apiEvent('POST', {}, params(links.rejectUrl)));
    expect(again).toMatchObject({ statusCode: 409 });
    expect(callback.calls).toHaveLength(1);
  });

  it('reject link fails the task with ApprovalRejected and a JSON cause', async () => {
    const { handler, links, params, callback } = await setup();
    await handler(apiEvent('POST', {}, params(links.rejectUrl)));
    expect(callback.calls[0]).toMatchObject({
      kind: 'fail',
      payload: { error: 'ApprovalRejected', cause: { rejected: true } },
    });
  });

  it('a wrong or swapped secret is refused and decides nothing', async () => {
    const { handler, links, params, callback } = await setup();
    const approve = params(links.approveUrl);
    const reject = params(links.rejectUrl);
    const swapped = await handler(apiEvent('POST', {}, { ...approve, token: reject.token ?? '' }));
    expect(swapped).toMatchObject({ statusCode: 403 });
    const forged = await handler(apiEvent('POST', {}, { ...approve, token: 'f'.repeat(43) }));
    expect(forged).toMatchObject({ statusCode: 403 });
    const unknown = await handler(apiEvent('POST', {}, { ...approve, run: 'run-unknown' }));
    expect(unknown).toMatchObject({ statusCode: 403 });
    const malformed = await handler(apiEvent('GET', { run: 'run-7' }));
    expect(malformed).toMatchObject({ statusCode: 400 });
    expect(callback.calls).toEqual([]);
  });

  it('an expired request is refused', async () => {
    const { handler, links, params, callback, advance } = await setup();
    advance((3600 + 86_400 + 10) * 1000);
    const post = await handler(apiEvent('POST', {}, params(links.approveUrl)));
    expect(post).toMatchObject({ statusCode: 410 });
    expect(callback.calls).toEqual([]);
  });

  it('secretMatches compares against the stored hash', () => {
    expect(secretMatches('abc', sha256Hex('abc'))).toBe(true);
    expect(secretMatches('abd', sha256Hex('abc'))).toBe(false);
    expect(secretMatches('abc', '')).toBe(false);
  });
});

describe('approval from the SageMaker console', () => {
  const event = (status: string) => ({
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    detail: {
      ModelPackageArn: request.modelPackageArn,
      ModelApprovalStatus: status,
      ModelPackageGroupName: 'occupancy',
    },
  });

  it('an Approved package answers the token; the pipeline’s own later update is ignored', async () => {
    const { handler, callback } = await setup();
    expect(await handler(event('Approved'))).toEqual({ outcome: 'approved' });
    expect(await handler(event('Approved'))).toEqual({ outcome: 'already-decided' });
    expect(callback.calls).toHaveLength(1);
    expect(callback.calls[0]).toMatchObject({ kind: 'succeed', payload: { via: 'console' } });
  });

  it('Rejected fails the task; PendingManualApproval is ignored', async () => {
    const { handler, callback } = await setup();
    expect(await handler(event('PendingManualApproval'))).toEqual({ outcome: 'ignored' });
    expect(await handler(event('Rejected'))).toEqual({ outcome: 'rejected' });
    expect(callback.calls[0]).toMatchObject({ kind: 'fail', payload: { error: 'ApprovalRejected' } });
  });

  it('rejects an event of neither shape', async () => {
    const { handler } = await setup();
    await expect(handler({ hello: 'world' })).rejects.toMatchObject({ name: 'TaskInputError' });
  });
});

describe('approval request handler', () => {
  it('rejects input without a task token, naming the field', async () => {
    const { deps } = await setup();
    const handler = createApprovalRequestHandler({ ...powertools('approval-request'), ...deps });
    const { taskToken: _omit, ...rest } = request;
    await expect(handler(rest, lambdaContext('ApprovalRequestFunction'))).rejects.toMatchObject({
      name: 'TaskInputError',
      field: 'taskToken',
    });
  });
});

describe('AWS adapters (aws-sdk-client-mock)', () => {
  it('S3ObjectStore reads and writes text by s3 URI, wrapping failures', async () => {
    const s3 = mockClient(S3Client);
    s3.on(GetObjectCommand, { Bucket: 'bkt', Key: 'k/x.csv' }).resolves({
      // The SDK's stream mixin, reduced to the one method the adapter uses.
      Body: { transformToString: async () => 'a,b\n' } as never,
    });
    s3.on(PutObjectCommand).resolves({});
    const store = new S3ObjectStore(new S3Client({ region: 'eu-west-1' }));
    expect(await store.getText('s3://bkt/k/x.csv')).toBe('a,b\n');
    await store.putText('s3://bkt/k/y.json', '{}', 'application/json');
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      Bucket: 'bkt',
      Key: 'k/y.json',
      Body: '{}',
    });
    s3.on(GetObjectCommand, { Bucket: 'bkt', Key: 'missing' }).rejects(new Error('NoSuchKey'));
    await expect(store.getText('s3://bkt/missing')).rejects.toBeInstanceOf(PortError);
    await expect(store.getText('not-a-uri')).rejects.toMatchObject({ name: 'TaskInputError' });
    s3.restore();
  });

  it('SnsNotifier publishes with an SNS-safe subject', async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: '1' });
    await new SnsNotifier(new SNSClient({ region: 'eu-west-1' }), 'arn:topic').publish(
      `Run ✓ ${'x'.repeat(200)}`,
      'body',
    );
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBe('arn:topic');
    // SNS: "less than 100 characters".
    expect(input?.Subject?.length).toBe(99);
    expect(input?.Subject).not.toContain('✓');
    sns.restore();
  });

  it('SfnTaskCallback sends success output as JSON and failures with error and cause', async () => {
    const sfn = mockClient(SFNClient);
    sfn.on(SendTaskSuccessCommand).resolves({});
    sfn.on(SendTaskFailureCommand).resolves({});
    const callback = new SfnTaskCallback(new SFNClient({ region: 'eu-west-1' }));
    await callback.succeed('t1', { approved: true });
    await callback.fail('t2', 'ApprovalRejected', '{}');
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: 't1',
      output: '{"approved":true}',
    });
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toEqual({
      taskToken: 't2',
      error: 'ApprovalRejected',
      cause: '{}',
    });
    sfn.restore();
  });

  it('DynamoApprovalStore decides only a pending record and looks packages up through the index', async () => {
    const ddb = mockClient(DynamoDBClient);
    ddb
      .on(UpdateItemCommand)
      .resolvesOnce({})
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }));
    ddb.on(QueryCommand).resolves({ Items: [{ runId: { S: 'run-7' } }] });
    ddb.on(GetItemCommand).resolves({
      Item: {
        runId: { S: 'run-7' },
        status: { S: 'pending' },
        createdAt: { N: '1' },
        expiresAt: { N: '2' },
        taskToken: { S: 't' },
      },
    });
    const store = new DynamoApprovalStore(new DynamoDBClient({ region: 'eu-west-1' }), 'tokens');
    expect(await store.decide('run-7', 'approved', 'me')).toBe(true);
    expect(await store.decide('run-7', 'approved', 'me')).toBe(false);
    expect(ddb.commandCalls(UpdateItemCommand)[0]?.args[0].input.ConditionExpression).toBe('#status = :pending');
    const found = await store.findByModelPackage('arn:pkg');
    expect(found).toMatchObject({ runId: 'run-7', status: 'pending', taskToken: 't' });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.IndexName).toBe('byModelPackage');
    ddb.restore();
  });
});
