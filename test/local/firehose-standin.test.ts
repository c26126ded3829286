import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { type LocalDeliveryStream, startLocalFirehose } from '../../local/aws-endpoints/firehose';
import type { ListeningServer } from '../../local/http';
import { convertPrediction } from '../../local/iot/predictions-delivery';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/runtime/identity';

/** The local Firehose refuses what PutRecordBatch refuses, with Firehose's error names, through the real SDK client. */

const accepted: Uint8Array[][] = [];
const stream: LocalDeliveryStream = { accept: (records) => accepted.push([...records]) };
let server: ListeningServer;
let client: FirehoseClient;

beforeAll(async () => {
  server = await startLocalFirehose(new Map([['preds', stream]]));
  client = new FirehoseClient({
    endpoint: server.url,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await server.close();
});
beforeEach(() => {
  accepted.length = 0;
});

const data = (bytes: number) => ({ Data: new Uint8Array(bytes).fill(97) });
const put = (name: string, records: { Data: Uint8Array }[]) =>
  client.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records }));

it('accepts a batch and answers every record with an id and FailedPutCount 0', async () => {
  const out = await put('preds', [data(3), data(4)]);
  expect(out.FailedPutCount).toBe(0);
  expect(out.RequestResponses?.every((r) => typeof r.RecordId === 'string')).toBe(true);
  expect(accepted).toEqual([[new Uint8Array(3).fill(97), new Uint8Array(4).fill(97)]]);
});

it('refuses an unknown stream with ResourceNotFoundException', async () => {
  await expect(put('other', [data(1)])).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
});

it('refuses more than 500 records, a record over 1,000 KiB and a request over 4 MiB with InvalidArgumentException', async () => {
  await expect(
    put(
      'preds',
      Array.from({ length: 501 }, () => data(1)),
    ),
  ).rejects.toMatchObject({
    name: 'InvalidArgumentException',
  });
  await expect(put('preds', [data(1000 * 1024 + 1)])).rejects.toMatchObject({ name: 'InvalidArgumentException' });
  await expect(
    put(
      'preds',
      Array.from({ length: 5 }, () => data(900 * 1024)),
    ),
  ).rejects.toMatchObject({
    name: 'InvalidArgumentException',
    message: expect.stringContaining('4 MB'),
  });
  // The limits themselves are accepted.
  await put(
    'preds',
    Array.from({ length: 500 }, () => data(1)),
  );
  await put('preds', [data(1000 * 1024)]);
  expect(accepted).toHaveLength(2);
});

it('converts a record as the OpenX deserializer does: case-insensitive keys, unknown keys dropped, wrong types fail', () => {
  const columns = { thing_name: 'VARCHAR', ts: 'BIGINT', probability: 'DOUBLE', f_sound: 'DOUBLE' };
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  expect(convertPrediction(enc({ Thing_Name: 'a', ts: 5, probability: 0.5, extra: 1 }), columns)).toEqual({
    thing_name: 'a',
    ts: 5,
    probability: 0.5,
    f_sound: null,
  });
  expect(convertPrediction(enc({ thing_name: 'a', ts: 5.5 }), columns)).toBeUndefined();
  expect(convertPrediction(enc({ thing_name: 1, ts: 5 }), columns)).toBeUndefined();
  expect(convertPrediction(new TextEncoder().encode('not json'), columns)).toBeUndefined();
});
