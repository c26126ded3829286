import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import {
  batchesOf,
  createInferenceHandler,
  EndpointInvocationError,
  type EndpointPort,
  encodePrediction,
  FirehoseDeliveryError,
  firehosePredictionSink,
  type PredictionRecord,
  parseInferenceConfig,
  predictionColumns,
  predictionFeatureColumn,
  predictionRecord,
  type ShadowPublisher,
  servedFeatureSpec,
} from '../../tasks/infer-occupancy';
import { THERMOSTAT } from '../../telemetry/signals';
import { documentsEvent, Recorder, reported, THERMOSTAT_FEATURES } from './helpers';

const spec = servedFeatureSpec(THERMOSTAT);
const vector = THERMOSTAT_FEATURES.map((_, i) => i + 0.5);

const input = {
  thingName: 'room-1',
  ts: 1_700_000_000_000,
  predictedAt: 1_700_000_000_250,
  modelVersion: 'occupancy/AllTraffic',
  variant: 'AllTraffic',
  probability: 0.8,
  occupied: true,
  source: 'model' as const,
  vector,
};

describe('predictionRecord', () => {
  it('carries the answer and one f_ column per served feature, named as the Glue table names them', () => {
    const record = predictionRecord(spec, input);
    expect(record).toMatchObject({
      thing_name: 'room-1',
      ts: 1_700_000_000_000,
      model_version: 'occupancy/AllTraffic',
      variant: 'AllTraffic',
      probability: 0.8,
      decision: 1,
      source: 'model',
    });
    expect(Object.keys(record)).toEqual(predictionColumns(spec).map((c) => c.name));
    expect(record[predictionFeatureColumn('sound')]).toBe(vector[THERMOSTAT_FEATURES.indexOf('sound')]);
  });

  it('writes a non-finite feature as null and refuses a vector of the wrong length', () => {
    const withNaN = [...vector];
    withNaN[0] = Number.NaN;
    expect(
      predictionRecord(spec, { ...input, vector: withNaN })[predictionFeatureColumn(spec.features[0]?.name ?? '')],
    ).toBeNull();
    expect(() => predictionRecord(spec, { ...input, vector: vector.slice(1) })).toThrow(RangeError);
  });

  it('never lets a feature take a fixed column name (a signal named like one)', () => {
    const names = predictionColumns(spec).map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('batchesOf (PutRecordBatch limits)', () => {
  it('cuts at 500 records and at 4 MiB, and refuses a record over 1,000 KiB', () => {
    expect(batchesOf(Array.from({ length: 1001 }, () => new Uint8Array(10))).map((b) => b.length)).toEqual([
      500, 500, 1,
    ]);
    const big = new Uint8Array(900 * 1024);
    expect(batchesOf([big, big, big, big, big]).map((b) => b.length)).toEqual([4, 1]);
    expect(() => batchesOf([new Uint8Array(1000 * 1024 + 1)])).toThrow(RangeError);
  });
});

describe('firehosePredictionSink (FirehoseRecordSink)', () => {
  const firehose = mockClient(FirehoseClient);
  afterEach(() => firehose.reset());
  const record = predictionRecord(spec, input);
  const sink = () => firehosePredictionSink(new FirehoseClient({ region: 'us-east-1' }), { streamName: 's' });

  it('puts newline-delimited JSON to the stream', async () => {
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: '1' }] });
    await sink().put([record]);
    const call = firehose.commandCalls(PutRecordBatchCommand)[0]?.args[0].input;
    expect(call?.DeliveryStreamName).toBe('s');
    expect(call?.Records?.[0]?.Data).toEqual(encodePrediction(record));
    expect(new TextDecoder().decode(call?.Records?.[0]?.Data)).toMatch(/^\{.*\}\n$/);
  });

  it('resends only the records a partial failure names', async () => {
    firehose
      .on(PutRecordBatchCommand)
      .resolvesOnce({
        FailedPutCount: 1,
        RequestResponses: [{ RecordId: '1' }, { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'slow down' }],
      })
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: '2' }] });
    const second = { ...record, thing_name: 'room-2' };
    await sink().put([record, second]);
    const calls = firehose.commandCalls(PutRecordBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Records).toEqual([{ Data: encodePrediction(second) }]);
  });

  it('gives up after its attempts with a typed error naming the stream and the count', async () => {
    firehose.on(PutRecordBatchCommand).resolves({
      FailedPutCount: 1,
      RequestResponses: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'x' }],
    });
    const error = await sink()
      .put([record])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FirehoseDeliveryError);
    expect(error).toMatchObject({ streamName: 's', failed: 1, total: 1 });
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(3);
  });

  it('turns a refused call into FirehoseDeliveryError with the cause', async () => {
    firehose
      .on(PutRecordBatchCommand)
      .rejects(Object.assign(new Error('no such stream'), { name: 'ResourceNotFoundException' }));
    await expect(sink().put([record])).rejects.toMatchObject({
      name: 'FirehoseDeliveryError',
      message: expect.stringContaining('ResourceNotFoundException'),
    });
  });
});

describe('the handler records its answers', () => {
  const T0 = Date.UTC(2026, 0, 7, 10);
  const event = documentsEvent('room-01', reported(T0, 22));
  const setup = (fail: Error | undefined, put: (records: readonly PredictionRecord[]) => Promise<void>) => {
    const recorder = new Recorder();
    const shadow: ShadowPublisher = { publishDesired: async () => undefined };
    const endpoint: EndpointPort = {
      predict: async () => {
        if (fail) throw fail;
        return { occupied: true, probability: 0.8, model: 'occupancy/AllTraffic', variant: 'AllTraffic', attempts: 1 };
      },
    };
    const handler = createInferenceHandler({
      config: parseInferenceConfig({}),
      endpoint,
      shadow,
      logger: recorder.logger,
      metrics: recorder.metricsSink,
      clock: () => T0 + 1000,
      predictions: { put },
    });
    return { handler, recorder };
  };

  it('puts one record per answer, from the vector the endpoint got: model, then the static rule', async () => {
    const sent: PredictionRecord[][] = [];
    const model = setup(undefined, async (records) => void sent.push([...records]));
    const answered = await model.handler(event);
    const rule = setup(
      new EndpointInvocationError('down', 'error', 2),
      async (records) => void sent.push([...records]),
    );
    await rule.handler(event);
    expect(sent.map((batch) => batch.length)).toEqual([1, 1]);
    expect(sent[0]?.[0]).toMatchObject({
      thing_name: 'room-01',
      ts: T0,
      predicted_at: T0 + 1000,
      variant: 'AllTraffic',
      probability: 0.8,
      decision: 1,
      source: 'model',
    });
    expect(sent[0]?.[0]?.[predictionFeatureColumn('sound')]).toBe(22);
    expect(sent[1]?.[0]).toMatchObject({
      model_version: 'threshold:sound>10',
      variant: '',
      probability: 1,
      decision: 1,
      source: 'fallback',
    });
    expect(answered).toMatchObject({ status: 'answered', prediction: sent[0]?.[0] });
  });

  it('still answers when the record cannot be delivered, and logs why', async () => {
    const { handler, recorder } = setup(undefined, async () => {
      throw new FirehoseDeliveryError('1 of 1 not accepted', 's', 1, 1);
    });
    const outcome = await handler(event);
    expect(outcome).toMatchObject({ status: 'answered' });
    expect(outcome).not.toHaveProperty('prediction');
    expect(recorder.logs.find((l) => l.level === 'error')?.message).toMatch(/Prediction record not delivered/);
  });
});
