import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFeatureSpec, computeFeatureVector } from '../../features';
import { deployArtifact } from '../../local/hosting/deploy-artifact';
import { LocalHosting } from '../../local/hosting/hosting';
import { startInvocationServer } from '../../local/hosting/server';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/runtime/identity';
import {
  createInferenceClients,
  type InferenceClients,
  IotDataShadowPublisher,
  type OccupancyDesiredState,
  parseInferenceConfig,
  SageMakerEndpoint,
} from '../../tasks/infer-occupancy';
import { THERMOSTAT } from '../../telemetry/signals';
import { closedLoopbackPort, closeServer, listenOnLoopback } from '../loopback';
import { writeSoundModel } from './helpers';

/**
 * The inference Lambda's SDK clients (clients.ts) against loopback servers answering as SageMaker Runtime and the
 * IoT data plane do: what the SDK's standard retry mode retries (throttling, 5xx, timeouts, refused connections,
 * with backoff, within the config's attempt budget) and what it does not (other 4xx), counted at the server.
 */

const IDENTITY = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
const ANSWER = '1,"[0.3, 0.7]","[\'0\', \'1\']"\n';
const DESIRED: OccupancyDesiredState = {
  roomOccupancy: true,
  occupancyProbability: 0.7,
  occupancyModel: 'occupancy/AllTraffic',
  occupancySource: 'model',
  occupancyReadingTs: 1,
};

type Answer = (res: ServerResponse) => void;

/** AWS's error shape for REST-JSON services: the error name in x-amzn-ErrorType, a JSON body with the message. */
const fail =
  (status: number, errorType: string, details: Record<string, unknown> = {}): Answer =>
  (res) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': `${errorType}:http://internal` });
    res.end(JSON.stringify({ message: `${errorType} injected`, ...details }));
  };
const ok: Answer = (res) => {
  res.writeHead(200, { 'Content-Type': 'text/csv', 'x-Amzn-Invoked-Production-Variant': 'AllTraffic' });
  res.end(ANSWER);
};
const published: Answer = (res) => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end('{}');
};

let server: Server;
let url: string;
/** Answers in order; the last one repeats. */
let script: Answer[] = [];
let hits = 0;
const hanging: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => (script[Math.min(hits, script.length) - 1] ?? ok)(res));
  });
  url = `http://127.0.0.1:${await listenOnLoopback(server)}`;
});
afterAll(() => closeServer(server));

let clients: InferenceClients;
afterEach(() => {
  clients?.destroy();
  for (const res of hanging.splice(0)) res.destroy();
});

function setup(env: Record<string, string> = {}, endpointUrl = url) {
  hits = 0;
  const config = parseInferenceConfig(env);
  clients = createInferenceClients(config, {
    sagemakerRuntimeEndpoint: endpointUrl,
    iotDataEndpoint: endpointUrl,
    ...IDENTITY,
  });
  return {
    endpoint: new SageMakerEndpoint(clients.sagemakerRuntime, { endpointName: 'occupancy' }),
    shadow: new IotDataShadowPublisher(clients.iotData),
  };
}

describe('InvokeEndpoint through SageMakerRuntimeClient', () => {
  it('uses the standard retry mode with the configured budget', async () => {
    setup({ INVOKE_MAX_ATTEMPTS: '3' });
    const strategy = await clients.sagemakerRuntime.config.retryStrategy();
    expect((strategy as { mode?: string }).mode).toBe('standard');
    expect(await clients.sagemakerRuntime.config.maxAttempts()).toBe(3);
  });

  // SageMaker throttles InvokeEndpoint with ThrottlingException (HTTP 400, a common error of its APIs) and answers
  // ModelNotReadyException (HTTP 429) while a model loads; both are retried by the SDK with backoff.
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html#API_runtime_InvokeEndpoint_Errors
  it.each([
    ['ThrottlingException', 400],
    ['ModelNotReadyException', 429],
  ])('retries %s (HTTP %i) with backoff and then answers from the model', async (errorType, status) => {
    const { endpoint } = setup();
    script = [fail(status, errorType), ok];
    const answer = await endpoint.predict([1, 2, 3]);
    expect(answer).toMatchObject({ occupied: true, probability: 0.7, model: 'occupancy/AllTraffic', attempts: 2 });
    expect(hits).toBe(2);
  });

  it('retries a 5xx within the budget: InternalFailure twice then an answer, with 3 attempts', async () => {
    const { endpoint } = setup({ INVOKE_MAX_ATTEMPTS: '3' });
    script = [fail(500, 'InternalFailure'), fail(503, 'ServiceUnavailable'), ok];
    expect(await endpoint.predict([1])).toMatchObject({ occupied: true, attempts: 3 });
    expect(hits).toBe(3);
  });

  it.each([
    [500, 'InternalFailure', 'error', 2],
    [400, 'ThrottlingException', 'throttle', 2],
    [429, 'ModelNotReadyException', 'throttle', 2],
    [400, 'ValidationError', 'error', 1],
    [424, 'ModelError', 'error', 1],
  ])('on HTTP %i %s for good fails as %s after %i request(s)', async (status, errorType, kind, requests) => {
    const { endpoint } = setup();
    script = [fail(status, errorType, errorType === 'ModelError' ? { OriginalStatusCode: 400 } : {})];
    await expect(endpoint.predict([1])).rejects.toMatchObject({
      name: 'EndpointInvocationError',
      kind,
      attempts: requests,
      cause: expect.objectContaining({ name: errorType }),
    });
    expect(hits).toBe(requests);
  });

  it('times out a hanging endpoint per attempt and retries it once', async () => {
    const { endpoint } = setup({ INVOKE_TIMEOUT_MS: '150' });
    script = [(res) => void hanging.push(res)];
    await expect(endpoint.predict([1])).rejects.toMatchObject({ kind: 'timeout', attempts: 2 });
    expect(hits).toBe(2);
  });

  it('rejects an answer that is not label,probability without retrying', async () => {
    const { endpoint } = setup();
    script = [
      (res) => {
        res.writeHead(200, { 'Content-Type': 'text/csv' });
        res.end('maybe\n');
      },
    ];
    await expect(endpoint.predict([1])).rejects.toMatchObject({ kind: 'error', attempts: 1 });
    expect(hits).toBe(1);
  });

  it('fails with a network error when nothing listens, after the retry', async () => {
    const { endpoint } = setup({}, `http://127.0.0.1:${await closedLoopbackPort()}`);
    await expect(endpoint.predict([1])).rejects.toMatchObject({
      kind: 'error',
      attempts: 2,
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('gets the model’s answer from the local endpoint host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'infer-'));
    const hosting = new LocalHosting();
    const host = await startInvocationServer(hosting);
    try {
      await deployArtifact(hosting, 'occupancy', writeSoundModel(dir, 'model-a', 12));
      const { endpoint } = setup({}, host.url);
      const spec = buildFeatureSpec(THERMOSTAT);
      const reading = {
        thingName: 'room-09',
        ts: Date.UTC(2026, 0, 7),
        values: { temperature: 21.5, humidity: 40, sound: 30, hvac_status: 'FAN' },
      };
      const answer = await endpoint.predict(computeFeatureVector(spec, reading, []));
      expect(answer).toMatchObject({ occupied: true, model: 'occupancy/AllTraffic', attempts: 1 });
      expect(answer.probability).toBeGreaterThan(0.5);
    } finally {
      await host.close();
      hosting.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('goes where AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME says when no endpoint is given (the SDK reads it)', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME;
    process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = url;
    try {
      hits = 0;
      script = [ok];
      clients = createInferenceClients(parseInferenceConfig({}), IDENTITY);
      const endpoint = new SageMakerEndpoint(clients.sagemakerRuntime, { endpointName: 'occupancy' });
      expect(await endpoint.predict([1])).toMatchObject({ occupied: true });
      expect(hits).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME;
      else process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = saved;
    }
  });
});

describe('shadow publish through IoTDataPlaneClient', () => {
  // The IoT data plane's Publish errors: InvalidRequestException 400, RequestEntityTooLargeException 413,
  // ThrottlingException 429, ServiceUnavailableException 503, InternalFailureException 500.
  // https://docs.aws.amazon.com/iot/latest/apireference/API_iotdata_Publish.html#API_iotdata_Publish_Errors
  it.each([
    [400, 'InvalidRequestException'],
    [413, 'RequestEntityTooLargeException'],
    [403, 'ForbiddenException'],
  ])('does not retry HTTP %i %s: it cannot succeed (one request)', async (status, errorType) => {
    const { shadow } = setup();
    script = [fail(status, errorType)];
    await expect(shadow.publishDesired('room-1', DESIRED)).rejects.toMatchObject({
      name: 'ShadowPublishError',
      thingName: 'room-1',
      cause: expect.objectContaining({ name: errorType }),
    });
    expect(hits).toBe(1);
  });

  it('retries 503 and throttling within the budget, then publishes', async () => {
    const { shadow } = setup();
    script = [fail(503, 'ServiceUnavailableException'), fail(429, 'ThrottlingException'), published];
    await shadow.publishDesired('room-1', DESIRED);
    expect(hits).toBe(3);
  });

  it('gives up after PUBLISH_MAX_ATTEMPTS on a persistent 5xx', async () => {
    const { shadow } = setup({ PUBLISH_MAX_ATTEMPTS: '2' });
    script = [fail(500, 'InternalFailureException')];
    await expect(shadow.publishDesired('room-1', DESIRED)).rejects.toMatchObject({
      name: 'ShadowPublishError',
      message: expect.stringContaining('after 2 attempt(s)'),
    });
    expect(hits).toBe(2);
  });
});
