import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { mockClient } from 'aws-sdk-client-mock';
import type { SensorFaultRecord } from '../../health/types';
import {
  createInferenceHandler,
  type EndpointPort,
  encodeRecord,
  FirehoseDeliveryError,
  firehoseSensorFaultSink,
  InferenceMetrics,
  parseInferenceConfig,
  type ShadowPublisher,
} from '../../tasks/infer-occupancy';
import { documentsEvent, Recorder, reported } from './helpers';

/** Every reading the handler refuses becomes a sensor_faults row (issue 22), when its device is known. */

const T0 = Date.UTC(2026, 0, 7, 10);
const NOW = T0 + 1500;

function setup(put: (records: readonly SensorFaultRecord[]) => Promise<void> = async () => undefined) {
  const recorder = new Recorder();
  const sent: SensorFaultRecord[] = [];
  const shadow: ShadowPublisher = { publishDesired: async () => undefined };
  const endpoint: EndpointPort = {
    predict: async () => ({ occupied: true, probability: 0.9, model: 'm', variant: 'AllTraffic', attempts: 1 }),
  };
  const handler = createInferenceHandler({
    config: parseInferenceConfig({}),
    endpoint,
    shadow,
    logger: recorder.logger,
    metrics: recorder.metricsSink,
    clock: () => NOW,
    sensorFaults: {
      put: async (records) => {
        sent.push(...records);
        await put(records);
      },
    },
  });
  return { handler, recorder, sent };
}

describe('the handler records refused readings', () => {
  it('an out-of-range signal: kind out-of-range, the wire field and code, the device time', async () => {
    const { handler, recorder, sent } = setup();
    const outcome = await handler(documentsEvent('room-01', reported(T0, 999)));
    expect(outcome).toMatchObject({ status: 'bad-input', code: 'out_of_range' });
    expect(sent).toEqual([
      { thing_name: 'room-01', ts: T0, received_at: NOW, kind: 'out-of-range', field: 'sound', code: 'out_of_range' },
    ]);
    expect(recorder.sum(InferenceMetrics.BadInput)).toBe(1);
  });

  it('a malformed signal (a string where a number goes): kind malformed', async () => {
    const { handler, sent } = setup();
    await handler(documentsEvent('room-01', reported(T0, 5, { temperature: '21.5' })));
    expect(sent).toEqual([
      { thing_name: 'room-01', ts: T0, received_at: NOW, kind: 'malformed', field: 'temperature', code: 'wrong_type' },
    ]);
  });

  it('a bad device time: the row takes the time it was refused', async () => {
    const { handler, sent } = setup();
    await handler(documentsEvent('room-01', reported(T0 + 0.5, 5)));
    expect(sent).toEqual([
      {
        thing_name: 'room-01',
        ts: NOW,
        received_at: NOW,
        kind: 'malformed',
        field: 'timestamp',
        code: 'invalid_format',
      },
    ]);
  });

  it('an event that is not a documents event: recorded when it names a valid thing, else not', async () => {
    const { handler, sent } = setup();
    const broken = { thingName: 'room-02', current: { state: 'oops' }, timestamp: T0 / 1000 };
    expect(await handler(broken)).toMatchObject({ status: 'bad-input', code: 'invalid_event' });
    expect(sent).toEqual([
      {
        thing_name: 'room-02',
        ts: NOW,
        received_at: NOW,
        kind: 'malformed',
        field: 'current.state',
        code: 'invalid_event',
      },
    ]);
    await handler({ ...broken, thingName: 'no spaces allowed' });
    await handler('not even an object');
    await handler(documentsEvent('bad/name', reported(T0, 999)));
    expect(sent).toHaveLength(1);
  });

  it('records nothing for an answered reading', async () => {
    const { handler, sent } = setup();
    expect(await handler(documentsEvent('room-01', reported(T0, 5)))).toMatchObject({ status: 'answered' });
    expect(sent).toEqual([]);
  });

  it('a record that cannot be delivered is logged; the outcome stays bad-input', async () => {
    const { handler, recorder } = setup(async () => {
      throw new FirehoseDeliveryError('1 of 1 not accepted', 's', 1, 1);
    });
    expect(await handler(documentsEvent('room-01', reported(T0, 999)))).toMatchObject({ status: 'bad-input' });
    expect(recorder.logs.map((l) => l.message)).toContain('Sensor fault record not delivered');
    expect(recorder.sum(InferenceMetrics.BadInput)).toBe(1);
  });
});

describe('firehoseSensorFaultSink', () => {
  const firehose = mockClient(FirehoseClient);
  afterEach(() => firehose.reset());
  const row: SensorFaultRecord = {
    thing_name: 'room-01',
    ts: T0,
    received_at: NOW,
    kind: 'out-of-range',
    field: 'sound',
    code: 'out_of_range',
  };

  it('puts newline-delimited JSON records to its stream and resends only failed entries', async () => {
    firehose
      .on(PutRecordBatchCommand)
      .resolvesOnce({ FailedPutCount: 1, RequestResponses: [{ ErrorCode: 'ServiceUnavailableException' }] })
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: '1' }] });
    await firehoseSensorFaultSink(new FirehoseClient({ region: 'us-east-1' }), { streamName: 'faults' }).put([row]);
    const calls = firehose.commandCalls(PutRecordBatchCommand);
    expect(calls.map((c) => c.args[0].input.DeliveryStreamName)).toEqual(['faults', 'faults']);
    expect(calls[1]?.args[0].input.Records).toEqual([{ Data: encodeRecord(row) }]);
    expect(JSON.parse(new TextDecoder().decode(calls[0]?.args[0].input.Records?.[0]?.Data))).toEqual(row);
  });

  it('names sensor fault records when it gives up', async () => {
    firehose.on(PutRecordBatchCommand).resolves({ FailedPutCount: 1, RequestResponses: [{ ErrorCode: 'X' }] });
    const sink = firehoseSensorFaultSink(new FirehoseClient({ region: 'us-east-1' }), { streamName: 'faults' });
    await expect(sink.put([row])).rejects.toMatchObject({
      name: 'FirehoseDeliveryError',
      message: expect.stringContaining('1 of 1 sensor fault record(s) not accepted by faults'),
    });
  });
});

describe('SENSOR_FAULTS_STREAM_NAME', () => {
  it('is optional: absent, refused readings are not recorded', () => {
    expect(parseInferenceConfig({}).sensorFaultsStreamName).toBeUndefined();
    expect(parseInferenceConfig({ SENSOR_FAULTS_STREAM_NAME: 'occ-faults' }).sensorFaultsStreamName).toBe('occ-faults');
  });
});
