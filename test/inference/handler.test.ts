import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFeatureSpec, computeFeatureVector } from '../../features';
import { deployArtifact } from '../../local/hosting/deploy-artifact';
import { LocalHosting } from '../../local/hosting/hosting';
import { startInvocationServer } from '../../local/hosting/server';
import { SignedHttpClient } from '../../tasks/aws-http';
import {
  createInferenceHandler,
  EndpointInvocationError,
  type EndpointPort,
  InferenceConfigError,
  InferenceMetrics,
  type ModelAnswer,
  type OccupancyDesiredState,
  parseInferenceConfig,
  SageMakerEndpoint,
} from '../../tasks/infer-occupancy';
import type { Reading } from '../../telemetry/reading';
import { THERMOSTAT } from '../../telemetry/signals';
import { closedLoopbackPort } from '../loopback';
import { documentsEvent, Recorder, reported, writeSoundModel } from './helpers';

const spec = buildFeatureSpec(THERMOSTAT);
const T0 = Date.UTC(2026, 0, 7, 10);

class FakeEndpoint implements EndpointPort {
  readonly rows: number[][] = [];
  failWith: Error | undefined;
  async predict(row: readonly number[]): Promise<ModelAnswer> {
    this.rows.push([...row]);
    if (this.failWith) throw this.failWith;
    return { occupied: true, probability: 0.8, model: 'fake/v1', attempts: 1 };
  }
}

class RecordingShadow {
  readonly updates: { thingName: string; desired: OccupancyDesiredState }[] = [];
  async publishDesired(thingName: string, desired: OccupancyDesiredState): Promise<void> {
    this.updates.push({ thingName, desired });
  }
}

function setup(env: Record<string, string> = {}) {
  const recorder = new Recorder();
  const endpoint = new FakeEndpoint();
  const shadow = new RecordingShadow();
  const handler = createInferenceHandler({
    config: parseInferenceConfig(env),
    endpoint,
    shadow,
    logger: recorder.logger,
    metrics: recorder.metricsSink,
    clock: () => T0 + 3_600_000,
  });
  return { recorder, endpoint, shadow, handler };
}

const sounds = [3, 14, 22, 8, 30, 2];
const wire = sounds.map((sound, i) => reported(T0 + i * 60_000, sound, { hvacStatus: i % 2 ? 'FAN' : 'HEATING' }));
const readings: Reading[] = wire.map((w) => ({
  thingName: 'room-01',
  ts: w.timestamp,
  values: { temperature: w.temperature, humidity: w.humidity, sound: w.sound, hvac_status: w.hvacStatus },
}));
const eventAt = (i: number) => documentsEvent('room-01', wire[i] ?? {}, i === 0 ? undefined : wire[i - 1]);

describe('inference handler', () => {
  it('sends the evaluator’s feature vector for the whole device stream and writes the model’s answer', async () => {
    const { handler, endpoint, shadow, recorder } = setup();
    const outcomes = [];
    for (let i = 0; i < wire.length; i++) outcomes.push(await handler(eventAt(i)));
    readings.forEach((reading, i) => {
      expect(endpoint.rows[i]).toEqual(computeFeatureVector(spec, reading, readings.slice(0, i)));
    });
    expect(outcomes.map((o) => (o.status === 'answered' ? o.history : o.status))).toEqual([
      'fresh',
      'chained',
      'chained',
      'chained',
      'chained',
      'chained',
    ]);
    expect(shadow.updates[5]).toEqual({
      thingName: 'room-01',
      desired: {
        roomOccupancy: true,
        occupancyProbability: 0.8,
        occupancyModel: 'fake/v1',
        occupancySource: 'model',
        occupancyReadingTs: readings[5]?.ts,
      },
    });
    expect(recorder.sum(InferenceMetrics.Inferences)).toBe(6);
    expect(recorder.sum(InferenceMetrics.InferenceFallback)).toBe(0);
    expect(recorder.published).toHaveLength(6);
  });

  it('after a cold start seeds the history from `previous`, so delta stays exact', async () => {
    const { handler, endpoint } = setup();
    const outcome = await handler(eventAt(4));
    expect(outcome).toMatchObject({ status: 'answered', history: 'seeded' });
    expect(endpoint.rows[0]).toEqual(computeFeatureVector(spec, readings[4] as Reading, [readings[3] as Reading]));
  });

  it('chains on the reading it already holds, even when the shadow’s copy of it is no longer valid', async () => {
    const { handler, endpoint } = setup();
    await handler(eventAt(0));
    await handler(eventAt(1));
    // `previous` names the held reading by its time; its values are not read again (a partial state here).
    const next = await handler(documentsEvent('room-01', wire[2] ?? {}, { timestamp: wire[1]?.timestamp, sound: 'x' }));
    expect(next).toMatchObject({ status: 'answered', history: 'chained' });
    expect(endpoint.rows[2]).toEqual(computeFeatureVector(spec, readings[2] as Reading, readings.slice(0, 2)));
  });

  it('refuses a device time written as ISO-8601: the wire format is integer epoch ms (telemetry/wire.ts)', async () => {
    const { handler, endpoint } = setup();
    const iso = { ...wire[0], timestamp: new Date(wire[0]?.timestamp ?? 0).toISOString() };
    const outcome = await handler(documentsEvent('room-01', iso));
    expect(outcome).toMatchObject({ status: 'bad-input', field: 'current.state.reported.timestamp' });
    expect(endpoint.rows).toHaveLength(0);
  });

  it('does not chain on a held time the shadow’s previous state does not have', async () => {
    const { handler, endpoint } = setup();
    await handler(eventAt(0));
    await handler(eventAt(1));
    // The shadow says the reading before #3 was #2, which this instance never saw: seed from it instead.
    const outcome = await handler(eventAt(3));
    expect(outcome).toMatchObject({ status: 'answered', history: 'seeded' });
    expect(endpoint.rows[2]).toEqual(computeFeatureVector(spec, readings[3] as Reading, [readings[2] as Reading]));
  });

  it('answers a re-delivered reading again without breaking the chain', async () => {
    const { handler, endpoint, shadow } = setup();
    await handler(eventAt(0));
    await handler(eventAt(1));
    await handler(eventAt(1));
    const next = await handler(eventAt(2));
    expect(shadow.updates).toHaveLength(4);
    expect(next).toMatchObject({ status: 'answered', history: 'chained' });
    expect(endpoint.rows[3]).toEqual(computeFeatureVector(spec, readings[2] as Reading, readings.slice(0, 2)));
  });

  it('answers with the threshold rule, source fallback, when the endpoint fails', async () => {
    const { handler, endpoint, shadow, recorder } = setup();
    endpoint.failWith = new EndpointInvocationError('timed out', 'timeout', 2);
    const loud = await handler(documentsEvent('room-02', reported(T0, 10.5)));
    const quiet = await handler(documentsEvent('room-03', reported(T0, 10)));
    expect(loud).toMatchObject({ status: 'answered', fallbackReason: expect.stringContaining('timeout') });
    expect(shadow.updates.map((u) => u.desired)).toEqual([
      {
        roomOccupancy: true,
        occupancyProbability: 1,
        occupancyModel: 'threshold:sound>10',
        occupancySource: 'fallback',
        occupancyReadingTs: T0,
      },
      {
        roomOccupancy: false,
        occupancyProbability: 0,
        occupancyModel: 'threshold:sound>10',
        occupancySource: 'fallback',
        occupancyReadingTs: T0,
      },
    ]);
    expect(quiet.status).toBe('answered');
    expect(recorder.sum(InferenceMetrics.InferenceFallback)).toBe(2);
    expect(recorder.sum(InferenceMetrics.FallbackCount)).toBe(2);
    expect(recorder.sum(InferenceMetrics.Inferences)).toBe(2);
    expect(recorder.logs.filter((l) => l.level === 'warn')).toHaveLength(2);
  });

  it.each([
    ['not an object', 'hello', '$'],
    ['no current state', { thingName: 'room-01', previous: null }, 'current'],
    ['a sound out of physical range', documentsEvent('room-01', reported(T0, 900)), 'current.state.reported.sound'],
    [
      'an unknown HVAC status',
      documentsEvent('room-01', reported(T0, 9, { hvacStatus: 'TURBO' })),
      'current.state.reported.hvacStatus',
    ],
    ['a bad thing name', documentsEvent('room 01', reported(T0, 9)), 'thingName'],
    [
      'a timestamp in seconds',
      documentsEvent('room-01', reported(Math.floor(T0 / 1000), 9)),
      'current.state.reported.timestamp',
    ],
  ])('returns (does not throw) on %s, logs it and counts BadInput', async (_what, event, field) => {
    const { handler, shadow, recorder, endpoint } = setup();
    const outcome = await handler(event);
    expect(outcome).toMatchObject({ status: 'bad-input', field });
    expect(shadow.updates).toHaveLength(0);
    expect(endpoint.rows).toHaveLength(0);
    expect(recorder.sum(InferenceMetrics.BadInput)).toBe(1);
    expect(recorder.logs).toEqual([
      expect.objectContaining({ level: 'error', attributes: expect.objectContaining({ field }) }),
    ]);
    expect(recorder.published).toHaveLength(1);
  });

  it('refuses a fallback signal the signal set does not have', () => {
    expect(() => setup({ FALLBACK_SIGNAL: 'light', FALLBACK_LEVEL: '365' })).toThrow(
      expect.objectContaining({ name: 'InferenceConfigError', field: 'FALLBACK_SIGNAL' }),
    );
    // A level belongs to a signal: another signal than the set's own rule's needs its own level.
    expect(() => parseInferenceConfig({ FALLBACK_SIGNAL: 'humidity' })).toThrow(
      expect.objectContaining({ name: 'InferenceConfigError', field: 'FALLBACK_LEVEL' }),
    );
    expect(() => parseInferenceConfig({ INVOKE_TIMEOUT_MS: 'soon' })).toThrow(InferenceConfigError);
    expect(() => parseInferenceConfig({ INVOKE_TIMEOUT_MS: 'soon' })).toThrow(/INVOKE_TIMEOUT_MS/);
  });

  it('with no static rule (a signal set without one, no FALLBACK_SIGNAL) leaves a reading the endpoint cannot answer unanswered, counted as a fallback', async () => {
    expect(parseInferenceConfig({}).fallback).toEqual({ signal: 'sound', level: 10 });
    expect(parseInferenceConfig({ SIGNAL_SET_ID: 'uci-occupancy' }).fallback).toBeNull();
    const { handler, endpoint, shadow, recorder } = setup({ SIGNAL_SET_ID: 'uci-occupancy' });
    endpoint.failWith = new EndpointInvocationError('timed out', 'timeout', 2);
    const reading = { timestamp: T0, temperature: 21, humidity: 30, light: 500, co2: 800, humidity_ratio: 0.004 };
    const outcome = await handler(documentsEvent('office', reading));
    expect(outcome).toMatchObject({
      status: 'unanswered',
      thingName: 'office',
      reason: expect.stringContaining('timeout'),
    });
    expect(shadow.updates).toHaveLength(0);
    expect(recorder.sum(InferenceMetrics.InferenceFallback)).toBe(1);
  });
});

describe('SageMakerEndpoint over signed HTTP', () => {
  let server: Server;
  let hits = 0;
  let respond: (res: import('node:http').ServerResponse) => void;
  let client: SignedHttpClient;

  const clientFor = (url: string) =>
    new SignedHttpClient({
      url,
      service: 'sagemaker',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      req.resume();
      req.on('end', () => respond(res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = clientFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    client.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    hits = 0;
  });

  const endpoint = () => new SageMakerEndpoint(client, { endpointName: 'occupancy', timeoutMs: 150, maxAttempts: 2 });
  const fail =
    (status: number, errorType: string, details: Record<string, unknown> = {}) =>
    (res: import('node:http').ServerResponse) => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': `${errorType}:http://internal` });
      res.end(JSON.stringify({ message: `${errorType} injected`, ...details }));
    };

  it.each([
    [500, 'InternalFailure', 'error', 2, {}],
    [429, 'ThrottlingException', 'throttle', 2, {}],
    [503, 'ServiceUnavailable', 'error', 2, {}],
    [400, 'ValidationError', 'error', 1, {}],
    [424, 'ModelError', 'error', 1, { OriginalStatusCode: 400 }],
    [424, 'ModelError', 'error', 2, { OriginalStatusCode: 503 }],
  ])('on HTTP %i %s fails as %s after %i attempt(s)', async (status, errorType, kind, attempts, details) => {
    respond = fail(status, errorType, details);
    await expect(endpoint().predict([1, 2, 3])).rejects.toMatchObject({
      name: 'EndpointInvocationError',
      kind,
      attempts,
    });
    expect(hits).toBe(attempts);
  });

  it('times out a hanging endpoint and retries once', async () => {
    const hanging: import('node:http').ServerResponse[] = [];
    respond = (res) => hanging.push(res);
    await expect(endpoint().predict([1])).rejects.toMatchObject({ kind: 'timeout', attempts: 2 });
    expect(hits).toBe(2);
    for (const res of hanging) res.destroy();
  });

  it('rejects an answer that is not label,probability without retrying', async () => {
    respond = (res) => {
      res.writeHead(200, { 'Content-Type': 'text/csv' });
      res.end('maybe\n');
    };
    await expect(endpoint().predict([1])).rejects.toMatchObject({ kind: 'error', attempts: 1 });
    expect(hits).toBe(1);
  });

  it('fails with a network error when nothing listens, after the retry', async () => {
    const port = await closedLoopbackPort();
    const closed = clientFor(`http://127.0.0.1:${port}`);
    const ep = new SageMakerEndpoint(closed, { endpointName: 'occupancy', timeoutMs: 500, maxAttempts: 2 });
    await expect(ep.predict([1])).rejects.toMatchObject({ kind: 'error', attempts: 2 });
    closed.destroy();
  });

  it('gets the model’s answer from the local endpoint host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'infer-'));
    const hosting = new LocalHosting();
    const host = await startInvocationServer(hosting);
    const local = clientFor(host.url);
    try {
      await deployArtifact(hosting, 'occupancy', writeSoundModel(dir, 'model-a', 12));
      const ep = new SageMakerEndpoint(local, { endpointName: 'occupancy', timeoutMs: 1000, maxAttempts: 2 });
      const row = computeFeatureVector(spec, { ...(readings[4] as Reading), thingName: 'room-09' }, []);
      const answer = await ep.predict(row);
      expect(answer).toMatchObject({ occupied: true, model: 'occupancy/AllTraffic', attempts: 1 });
      expect(answer.probability).toBeGreaterThan(0.5);
    } finally {
      local.destroy();
      await host.close();
      hosting.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Lambda entry (handler.ts)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  interface Received {
    url: string;
    headers: import('node:http').IncomingHttpHeaders;
    body: string;
  }
  /** A loopback HTTP server that records each request and answers with `answer`. */
  async function recordingServer(answer: (res: import('node:http').ServerResponse) => void) {
    const received: Received[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        answer(res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      received,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => {
        server.closeAllConnections();
        return new Promise((r) => server.close(r));
      },
    };
  }

  it('signs InvokeEndpoint and the shadow publish with the function role and answers from the model', async () => {
    const sagemaker = await recordingServer((res) => {
      res.writeHead(200, { 'Content-Type': 'text/csv', 'x-Amzn-Invoked-Production-Variant': 'Blue' });
      res.end('0,"[0.8, 0.2]","[\'0\', \'1\']"\n');
    });
    const iotData = await recordingServer((res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
    Object.assign(process.env, {
      ENDPOINT_NAME: 'rooms',
      SAGEMAKER_RUNTIME_URL: sagemaker.url,
      IOT_DATA_ENDPOINT: iotData.url,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'ASIATEST',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'session-token',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    try {
      let entry!: typeof import('../../tasks/infer-occupancy/handler');
      jest.isolateModules(() => {
        entry = jest.requireActual('../../tasks/infer-occupancy/handler');
      });
      const now = Date.now();
      const outcome = await entry.handler(documentsEvent('room-07', reported(now, 4), reported(now - 60_000, 3)));
      expect(outcome).toMatchObject({
        status: 'answered',
        desired: { occupancySource: 'model', roomOccupancy: false },
      });
      const invoke = sagemaker.received[0];
      expect(invoke?.url).toBe('/endpoints/rooms/invocations');
      expect(invoke?.headers).toMatchObject({
        'content-type': 'text/csv',
        accept: 'text/csv',
        'x-amz-security-token': 'session-token',
        authorization: expect.stringMatching(
          /^AWS4-HMAC-SHA256 Credential=ASIATEST\/\d{8}\/eu-west-1\/sagemaker\/aws4_request, SignedHeaders=.*host;.*x-amz-security-token, Signature=[0-9a-f]{64}$/,
        ),
      });
      expect(invoke?.body.split(',')).toHaveLength(spec.features.length);
      const publish = iotData.received[0];
      expect(publish?.url).toBe('/topics/%24aws%2Fthings%2Froom-07%2Fshadow%2Fupdate?qos=1');
      expect(publish?.headers.authorization).toMatch(/\/eu-west-1\/iotdata\/aws4_request, /);
      expect(JSON.parse(publish?.body ?? '')).toEqual({
        state: {
          desired: {
            roomOccupancy: false,
            occupancyProbability: 0.2,
            occupancyModel: 'rooms/Blue',
            occupancySource: 'model',
            occupancyReadingTs: now,
          },
        },
      });
      entry.sagemakerRuntime.destroy();
      entry.iotData.destroy();
    } finally {
      await sagemaker.close();
      await iotData.close();
    }
  });

  it('refuses to start without the role credentials, naming the variable', () => {
    Object.assign(process.env, { AWS_REGION: 'eu-west-1', POWERTOOLS_LOG_LEVEL: 'SILENT' });
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    expect(() =>
      jest.isolateModules(() => {
        jest.requireActual('../../tasks/infer-occupancy/handler');
      }),
    ).toThrow(expect.objectContaining({ name: 'AwsEnvironmentError', field: 'AWS_ACCESS_KEY_ID' }));
  });
});
