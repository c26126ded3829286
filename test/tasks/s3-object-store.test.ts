import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { FileApprovalStore, LocalNotifier } from '../../local/adapters/approvals';
import { LocalDynamoDB } from '../../local/adapters/dynamodb';
import { FolderObjectStore } from '../../local/adapters/s3';
import { localClientConfig, startAwsEndpoints } from '../../local/aws-endpoints';
import { ApprovalTable } from '../../local/aws-endpoints/dynamodb-approvals';
import type { ListeningServer } from '../../local/http';
import { TaskTokenBroker } from '../../local/runtime/task-tokens';
import { ArtifactError, PortError } from '../../tasks/errors';
import { MODEL_PACKAGE_INDEX } from '../../tasks/ports/approval-store';
import { MIN_PART_BYTES, S3ObjectStore } from '../../tasks/ports/s3-object-store';
import { textLines } from '../../tasks/split-reader';

/** The streaming half of the S3 port: listing, ranged reads, line streams and multipart writes. */

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  yield* parts;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('S3ObjectStore streaming calls (aws-sdk-client-mock)', () => {
  const s3 = mockClient(S3Client);
  const store = (partBytes?: number) =>
    new S3ObjectStore(new S3Client({ region: 'eu-west-1' }), partBytes ? { partBytes } : {});
  afterEach(() => s3.reset());
  afterAll(() => s3.restore());

  it('lists a prefix across pages, following the continuation token', async () => {
    s3.on(ListObjectsV2Command, { Bucket: 'bkt', Prefix: 'runs/r/data/holdout/', ContinuationToken: undefined })
      .resolves({
        IsTruncated: true,
        NextContinuationToken: 't1',
        Contents: [{ Key: 'runs/r/data/holdout/a', Size: 3 }],
      })
      .on(ListObjectsV2Command, { ContinuationToken: 't1' })
      .resolves({ IsTruncated: false, Contents: [{ Key: 'runs/r/data/holdout/b', Size: 0 }] });
    expect(await store().listObjects('s3://bkt/runs/r/data/holdout/')).toEqual([
      { uri: 's3://bkt/runs/r/data/holdout/a', size: 3 },
      { uri: 's3://bkt/runs/r/data/holdout/b', size: 0 },
    ]);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(2);
    s3.on(ListObjectsV2Command).rejects(new Error('AccessDenied'));
    await expect(store().listObjects('s3://bkt/x/')).rejects.toBeInstanceOf(PortError);
  });

  it('reads a byte range with an inclusive Range header', async () => {
    s3.on(GetObjectCommand).resolves({ Body: { transformToByteArray: async () => new Uint8Array([1, 2]) } as never });
    expect([...(await store().getRange('s3://bkt/k', 10, 12))]).toEqual([1, 2]);
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: 'bkt',
      Key: 'k',
      Range: 'bytes=10-11',
    });
  });

  it('streams a body whose lines cross chunk boundaries', async () => {
    s3.on(GetObjectCommand).resolves({
      Body: Readable.from([Buffer.from('a,1\nb,'), Buffer.from('2\r\n\nc,3')]) as never,
    });
    expect(await collect(textLines(store().getStream('s3://bkt/p.out')))).toEqual(['a,1', 'b,2', '', 'c,3']);
  });

  it('writes what fits in a part with one PutObject', async () => {
    s3.on(PutObjectCommand).resolves({});
    await store(MIN_PART_BYTES).putStream('s3://bkt/in.csv', chunks('1,2\n', '3,4\n'), 'text/csv');
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      Key: 'in.csv',
      ContentType: 'text/csv',
    });
    expect(String(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Body)).toBe('1,2\n3,4\n');
    expect(s3.commandCalls(CreateMultipartUploadCommand)).toHaveLength(0);
  });

  it('writes more than a part as a multipart upload, one part held at a time', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({ ETag: `"e${input.PartNumber}"` }));
    s3.on(CompleteMultipartUploadCommand).resolves({});
    await store(8).putStream('s3://bkt/in.csv', chunks('1234', '5678', '9abc', 'def'));
    const bodies = s3
      .commandCalls(UploadPartCommand)
      .map((c) => Buffer.from(c.args[0].input.Body as Buffer).toString());
    expect(bodies).toEqual(['12345678', '9abcdef']);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
      UploadId: 'u1',
      MultipartUpload: {
        Parts: [
          { PartNumber: 1, ETag: '"e1"' },
          { PartNumber: 2, ETag: '"e2"' },
        ],
      },
    });
  });

  it('aborts the upload when a part fails or the source fails, and passes the source error through', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
    s3.on(UploadPartCommand).rejects(new Error('SlowDown'));
    s3.on(AbortMultipartUploadCommand).resolves({});
    await expect(store(4).putStream('s3://bkt/in.csv', chunks('12345'))).rejects.toBeInstanceOf(PortError);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);

    s3.on(UploadPartCommand).resolves({ ETag: '"e"' });
    async function* failing(): AsyncGenerator<string> {
      yield '12345';
      throw new ArtifactError('holdoutUri: bad part', 's3://bkt/h/');
    }
    await expect(store(4).putStream('s3://bkt/in.csv', failing())).rejects.toBeInstanceOf(ArtifactError);
    expect(s3.commandCalls(AbortMultipartUploadCommand)).toHaveLength(2);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });
});

describe('the local S3 endpoint answers the streaming calls as S3 does', () => {
  let dir: string;
  let server: ListeningServer;
  let client: S3Client;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'local-s3-'));
    server = await startAwsEndpoints({
      s3: new FolderObjectStore(dir),
      dynamodb: {
        tables: new LocalDynamoDB(dir, []),
        approvals: new ApprovalTable('T', new FileApprovalStore(dir)),
        approvalIndex: MODEL_PACKAGE_INDEX,
      },
      sns: { topicArn: 'arn:aws:sns:us-east-1:000000000000:t', notifier: new LocalNotifier(dir, () => undefined) },
      sfn: new TaskTokenBroker(dir),
    });
    client = new S3Client(localClientConfig(server.url));
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ListObjectsV2: keys under a prefix in UTF-8 order, paginated by MaxKeys with a continuation token', async () => {
    const bucketDir = join(dir, 's3', 'bkt');
    mkdirSync(join(bucketDir, 'data', 'holdout', 'sub'), { recursive: true });
    for (const name of ['b', 'a', 'Z', 'é', 'sub/c']) writeFileSync(join(bucketDir, 'data', 'holdout', name), name);
    writeFileSync(join(bucketDir, 'data', 'holdout-input.csv'), 'x');
    const store = new S3ObjectStore(client);
    const all = await store.listObjects('s3://bkt/data/holdout/');
    expect(all.map((o) => o.uri.slice('s3://bkt/data/holdout/'.length))).toEqual(['Z', 'a', 'b', 'sub/c', 'é']);
    // A prefix is a string prefix, not a folder.
    expect((await store.listObjects('s3://bkt/data/holdout')).length).toBe(6);
    const page = await client.send(new ListObjectsV2Command({ Bucket: 'bkt', Prefix: 'data/holdout/', MaxKeys: 2 }));
    expect(page).toMatchObject({ IsTruncated: true, KeyCount: 2, Contents: [{ Key: 'data/holdout/Z', Size: 1 }, {}] });
    const next = await client.send(
      new ListObjectsV2Command({
        Bucket: 'bkt',
        Prefix: 'data/holdout/',
        ContinuationToken: page.NextContinuationToken,
      }),
    );
    expect(next.Contents?.map((o) => o.Key)).toEqual(['data/holdout/b', 'data/holdout/sub/c', 'data/holdout/é']);
    expect(await store.listObjects('s3://bkt/nothing/')).toEqual([]);
  });

  it('GetObject with a Range: 206 with exactly those bytes; unsatisfiable: InvalidRange', async () => {
    const store = new S3ObjectStore(client);
    await store.putText('s3://bkt/r/obj', '0123456789');
    expect(Buffer.from(await store.getRange('s3://bkt/r/obj', 2, 5)).toString()).toBe('234');
    const suffix = await client.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'r/obj', Range: 'bytes=-3' }));
    expect(suffix.ContentRange).toBe('bytes 7-9/10');
    expect(await suffix.Body?.transformToString()).toBe('789');
    await expect(
      client.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'r/obj', Range: 'bytes=10-20' })),
    ).rejects.toMatchObject({ name: 'InvalidRange', $metadata: { httpStatusCode: 416 } });
    expect(await collect(textLines(store.getStream('s3://bkt/r/obj')))).toEqual(['0123456789']);
  });

  it('multipart: parts joined in order on completion, none visible before; a small part is EntityTooSmall', async () => {
    const store = new S3ObjectStore(client, { partBytes: MIN_PART_BYTES });
    const line = `${'x'.repeat(1023)}\n`;
    async function* big(): AsyncGenerator<string> {
      for (let i = 0; i < 6 * 1024; i++) yield line;
    }
    await store.putStream('s3://bkt/mp/in.csv', big(), 'text/csv');
    const listed = await store.listObjects('s3://bkt/mp/');
    expect(listed).toEqual([{ uri: 's3://bkt/mp/in.csv', size: 6 * 1024 * 1024 }]);
    expect(readdirSync(join(dir, 's3', 'bkt', 'mp'))).toEqual(['in.csv']);

    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'mp/small' }));
    const parts = [];
    for (const PartNumber of [1, 2]) {
      const { ETag } = await client.send(
        new UploadPartCommand({ Bucket: 'bkt', Key: 'mp/small', UploadId, PartNumber, Body: Buffer.from('tiny') }),
      );
      parts.push({ PartNumber, ETag });
    }
    await expect(
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'bkt',
          Key: 'mp/small',
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      ),
    ).rejects.toMatchObject({ name: 'EntityTooSmall' });
    await client.send(new AbortMultipartUploadCommand({ Bucket: 'bkt', Key: 'mp/small', UploadId }));
    await expect(
      client.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'mp/small', UploadId, PartNumber: 3, Body: 'x' })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });
});

describe('FolderObjectStore (the local runtime and console) streams as S3 does', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'folder-store-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists a string prefix in key order, reads ranges and lines, and writes a stream in one rename', async () => {
    const store = new FolderObjectStore(dir);
    await store.putText('s3://bkt/d/holdout/b', 'bb');
    await store.putText('s3://bkt/d/holdout/a', 'a\nline 2\n');
    await store.putText('s3://bkt/d/holdout-input.csv', 'x');
    expect(await store.listObjects('s3://bkt/d/holdout/')).toEqual([
      { uri: 's3://bkt/d/holdout/a', size: 9 },
      { uri: 's3://bkt/d/holdout/b', size: 2 },
    ]);
    expect(await store.listObjects('s3://bkt/d/hol')).toHaveLength(3);
    expect(await store.listObjects('s3://bkt/none/')).toEqual([]);
    expect(Buffer.from(await store.getRange('s3://bkt/d/holdout/a', 2, 6)).toString()).toBe('line');
    expect(await collect(textLines(store.getStream('s3://bkt/d/holdout/a')))).toEqual(['a', 'line 2']);
    await store.putStream('s3://bkt/out/in.csv', chunks('1,2\n', '3,4\n'));
    expect(await store.getText('s3://bkt/out/in.csv')).toBe('1,2\n3,4\n');
    async function* failing(): AsyncGenerator<string> {
      yield 'half';
      throw new Error('source failed');
    }
    await expect(store.putStream('s3://bkt/out/half.csv', failing())).rejects.toThrow('source failed');
    expect(readdirSync(join(dir, 's3', 'bkt', 'out'))).toEqual(['in.csv']);
  });
});
