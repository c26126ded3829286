import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stop as stopEsbuild } from 'esbuild';
import { bundleLambda } from '../../bench/lambda-bundle';
import { closeServer, listenOnLoopback } from '../loopback';
import { documentsEvent, reported } from './helpers';

/**
 * The inference Lambda as deployed: tasks/infer-occupancy/handler.ts bundled as CDK's NodejsFunction bundles it,
 * loaded by a plain node process with a Lambda-shaped environment (X-Ray on, the SDK's endpoint variables pointing
 * at loopback servers), invoked with real-shaped IoT rule events. Checks its answers, the signed requests, its EMF
 * (cold-start metric once), its request-id'd logs, and that the tracer annotation lands on the handler's
 * subsegment (the X-Ray daemon is a UDP socket here).
 */

const ROOT = resolve(__dirname, '../..');
const FUNCTION_NAME = 'InferOccupancy';
const TRACE_ROOT = '1-67a0c0de-0123456789abcdef0123456';

interface Received {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

async function recordingServer(answer: (res: ServerResponse, n: number) => void) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(res, received.length);
    });
  });
  const port = await listenOnLoopback(server);
  return { received, url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}

let dir: string;
let bundle: string;
let daemon: Socket;
const datagrams: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bundled-inference-'));
  ({ file: bundle } = await bundleLambda(join(ROOT, 'tasks/infer-occupancy/handler.ts'), join(dir, 'handler.js')));
  await stopEsbuild();
  daemon = createSocket('udp4');
  daemon.on('message', (m) => datagrams.push(m.toString('utf8')));
  await new Promise<void>((r) => daemon.bind(0, '127.0.0.1', r));
}, 120_000);

afterAll(() => {
  daemon.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the bundle in a fresh process (one Lambda instance) over `events`; its outcomes and its output. */
function invokeBundle(env: Record<string, string>, events: readonly unknown[]) {
  const script = `
    const { handler } = require(${JSON.stringify(bundle)});
    (async () => {
      const outcomes = [];
      for (const [i, event] of ${JSON.stringify(events)}.entries()) {
        // A trace of its own per invocation, as Lambda's runtime sets it.
        process.env._X_AMZN_TRACE_ID = 'Root=${TRACE_ROOT}' + i + ';Parent=53995c3f42cd8ad' + i + ';Sampled=1';
        outcomes.push(await handler(event, {
          functionName: '${FUNCTION_NAME}', functionVersion: '$LATEST',
          invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:${FUNCTION_NAME}',
          memoryLimitInMB: '512', awsRequestId: 'request-' + i, logGroupName: '/aws/lambda/${FUNCTION_NAME}',
          logStreamName: 'stream', callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 30000,
        }));
      }
      // Exit once stdout (a pipe: asynchronous) has taken the last EMF line; kept-alive sockets would hold it open.
      process.send(outcomes, () => process.stdout.write('', () => process.exit(0)));
    })();`;
  return new Promise<{ outcomes: Record<string, unknown>[]; stdout: string; stderr: string }>((done, fail) => {
    const child = spawn(process.execPath, ['--no-warnings', '-e', script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stdout = '';
    let stderr = '';
    let outcomes: Record<string, unknown>[] | undefined;
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('message', (m) => {
      outcomes = m as Record<string, unknown>[];
    });
    child.once('exit', (code) =>
      outcomes ? done({ outcomes, stdout, stderr }) : fail(new Error(`bundle exited ${code}: ${stderr}`)),
    );
  });
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

it('answers real-shaped rule events from the model, signed, with EMF (cold start once), request ids and X-Ray annotations', async () => {
  const sagemaker = await recordingServer((res, n) => {
    // The second reading: SageMaker answers 5xx twice (the attempt budget), so the threshold rule answers.
    if (n === 2 || n === 3) {
      res.writeHead(500, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'InternalFailure' });
      res.end('{"message":"injected"}');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/csv', 'x-Amzn-Invoked-Production-Variant': 'Blue' });
    res.end('0,"[0.8, 0.2]","[\'0\', \'1\']"\n');
  });
  const iotData = await recordingServer((res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
  });
  try {
    const now = Date.now();
    const { outcomes, stdout, stderr } = await invokeBundle(
      {
        ENDPOINT_NAME: 'rooms',
        AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: sagemaker.url,
        IOT_DATA_ENDPOINT: iotData.url,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'ASIATEST',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_SESSION_TOKEN: 'session-token',
        AWS_LAMBDA_FUNCTION_NAME: FUNCTION_NAME,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        _HANDLER: 'index.handler',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        LAMBDA_TASK_ROOT: dir,
        AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
        AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
      },
      [
        documentsEvent('room-07', reported(now, 4), reported(now - 60_000, 3)),
        documentsEvent('room-07', reported(now + 1, 40), reported(now, 4)),
        { thingName: 'room-07', current: { state: { reported: 'not an object' } } },
      ],
    );
    expect(outcomes.map((o) => o.status)).toEqual(['answered', 'answered', 'bad-input']);
    expect(outcomes[0]).toMatchObject({ desired: { occupancySource: 'model', occupancyModel: 'rooms/Blue' } });
    expect(outcomes[1]).toMatchObject({ desired: { occupancySource: 'fallback', roomOccupancy: true } });
    expect(outcomes[2]).toMatchObject({ field: 'current.state.reported' });

    // SigV4 by the SDK with the function role's session, to the SDK's own endpoint variable.
    expect(sagemaker.received).toHaveLength(3);
    expect(sagemaker.received[0]).toMatchObject({
      url: '/endpoints/rooms/invocations',
      headers: {
        'content-type': 'text/csv',
        accept: 'text/csv',
        'x-amz-security-token': 'session-token',
        authorization: expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=ASIATEST\/\d{8}\/eu-west-1\/sagemaker\//),
      },
    });
    expect(iotData.received).toHaveLength(2);
    expect(iotData.received[0]?.url).toBe('/topics/%24aws%2Fthings%2Froom-07%2Fshadow%2Fupdate?qos=1');
    expect(iotData.received[0]?.headers.authorization).toMatch(/\/eu-west-1\/iotdata\/aws4_request/);
    expect(JSON.parse(iotData.received[0]?.body ?? '')).toEqual({
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

    // Both streams go to the function's log group on Lambda (the Logger writes warnings and errors to stderr).
    const lines = jsonLines(`${stdout}\n${stderr}`);
    const emf = lines.filter((l) => '_aws' in l);
    const coldStarts = emf.filter((d) => 'ColdStart' in d);
    expect(coldStarts).toEqual([
      expect.objectContaining({ ColdStart: 1, function_name: FUNCTION_NAME, service: 'infer-occupancy' }),
    ]);
    // One EMF document per invocation, with the dimensions the alarms select.
    const perInvocation = emf.filter((d) => !('ColdStart' in d));
    expect(perInvocation).toHaveLength(3);
    expect(perInvocation[0]).toMatchObject({ EndpointName: 'rooms', Inferences: 1, InferenceFallback: 0 });
    expect(perInvocation[1]).toMatchObject({ InferenceFallback: 1, FallbackCount: 1 });
    expect(perInvocation[2]).toMatchObject({ BadInput: 1 });
    // injectLambdaContext: the fallback warning and the bad-input error carry their invocation's request id.
    expect(lines.find((l) => l.message === 'Endpoint did not answer; threshold fallback')).toMatchObject({
      function_request_id: 'request-1',
      cold_start: false,
    });
    expect(lines.find((l) => l.level === 'ERROR')).toMatchObject({ function_request_id: 'request-2' });

    // captureLambdaHandler: the annotation is on the handler's subsegment, not refused on the main segment.
    expect(`${stdout}${stderr}`).not.toContain('cannot annotate the main segment');
    // The first invocation's segments (the daemon is UDP: what the process sent before it exited).
    const first = datagrams
      .map((d) => JSON.parse(d.slice(d.indexOf('\n') + 1)) as Record<string, unknown>)
      .filter((segment) => segment.trace_id === `${TRACE_ROOT}0`);
    expect(first.find((segment) => segment.name === '## index.handler')).toMatchObject({
      annotations: { ColdStart: true, Service: 'infer-occupancy', occupancySource: 'model' },
    });
    // captureAWSv3Client: each SDK call is a subsegment of its own.
    expect(first.find((segment) => segment.name === 'SageMakerRuntime')).toMatchObject({
      aws: { operation: 'InvokeEndpoint', endpoint_name: 'rooms' },
    });
    expect(first.find((segment) => segment.name === 'IoTDataPlane')).toMatchObject({ aws: { operation: 'Publish' } });
  } finally {
    await sagemaker.close();
    await iotData.close();
  }
});
