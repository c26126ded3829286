/**
 * Inference bench (issue 7). Prints ONE JSON object:
 *   { direct: {offered_rps, achieved_rps, p50_ms, p99_ms, errors}, mqtt: {...}, bundle_bytes, cold_import_ms }
 * - direct: the handler with its real transport (SigV4-signed HTTP, tasks/aws-http) → the local endpoint host in
 *   another process over loopback HTTP, shadow write in-process; arrivals evenly spaced (1 ms ticks);
 * - mqtt: end to end — thermostat publish → broker → shadow → rule → handler → endpoint → IoT data plane →
 *   shadow → `update/delta` received by the thermostat;
 * - bundle: tasks/infer-occupancy/handler.ts bundled as CDK's NodejsFunction would (esbuild, minified, node22,
 *   SDK v3 clients bundled); cold import: median time to require it in a fresh node process.
 * - loopback_floor: the same load through a plain http.request to a bare Node server in another process — this
 *   machine's own latency floor, so `direct` can be read against it in the same run;
 * - invoke_cpu_us: CPU of the handler's process per sequential InvokeEndpoint to the same host, through the signed
 *   transport and through the AWS SDK's SageMakerRuntimeClient — why the Lambda does not use the SDK client.
 * Env: BENCH_DIRECT_RPS (1000), BENCH_MQTT_RPS (200), BENCH_SECONDS (5).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { build } from 'esbuild';
import { LiveFleet } from '../local/iot/fleet';
import { startServing } from '../local/iot/serving';
import { summariseLatencies } from '../local/iot/stats';
import { SignedHttpClient } from '../tasks/aws-http';
import { createInferenceHandler, parseInferenceConfig, SageMakerEndpoint } from '../tasks/infer-occupancy';
import { soundModelArtifact } from '../test/inference/helpers';

const DIRECT_RPS = Number(process.env.BENCH_DIRECT_RPS ?? 1000);
const MQTT_RPS = Number(process.env.BENCH_MQTT_RPS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARM_UP_SECONDS = 2;
const ROOT = resolve(__dirname, '..');

interface LoadResult {
  offered_rps: number;
  achieved_rps: number;
  p50_ms: number | null;
  p99_ms: number | null;
  errors: number;
}

const silentLogger = { debug: () => {}, warn: () => {}, error: () => {} };
const noMetrics = { addMetric: () => {}, publishStoredMetrics: () => {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function writeModel(dir: string): string {
  const path = join(dir, 'bench-model.json');
  writeFileSync(path, JSON.stringify(soundModelArtifact('bench-model', 12)));
  return path;
}

/**
 * The endpoint host in its own process, as SageMaker is remote: the handler's process then measures only itself.
 * Returns the host's URL and a stop function.
 */
async function startRemoteEndpointHost(dir: string): Promise<{ url: string; stop: () => void }> {
  const script = `
    const { LocalHosting } = require(${JSON.stringify(join(ROOT, 'local/hosting/hosting'))});
    const { startInvocationServer } = require(${JSON.stringify(join(ROOT, 'local/hosting/server'))});
    const { deployArtifact } = require(${JSON.stringify(join(ROOT, 'local/iot/serving'))});
    (async () => {
      const hosting = new LocalHosting();
      const server = await startInvocationServer(hosting);
      await deployArtifact(hosting, 'occupancy', ${JSON.stringify(writeModel(dir))});
      process.stdout.write(server.url + '\\n');
    })();`;
  // SageMaker would run this on another machine. Here it shares two vCPUs with the handler, and V8's parallel
  // scavenger would take both for its GC pauses; on one GC thread the host keeps to its own core.
  return spawnUrlPrinter(['--single-threaded-gc', '--require', 'tsx/cjs', '-e', script]);
}

/** Starts `node <args>` in its own process; resolves with the URL it prints on its first line, and a stop. */
async function spawnUrlPrinter(args: string[]): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--no-warnings', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolveUrl(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`${args.at(-1)?.slice(0, 40)}… exited with ${code}`)));
  });
  return { url, stop: () => child.kill() };
}

const LOCAL_IDENTITY = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

/**
 * Open-loop load: `DIRECT_RPS` calls per second for `seconds`, sent on 1 ms ticks (a burst of 10 every 10 ms
 * would queue behind itself and measure the burst, not the handler). `call` resolves true when answered.
 */
async function offerLoad(seconds: number, call: () => Promise<boolean>): Promise<LoadResult> {
  const total = Math.round(DIRECT_RPS * seconds);
  const latencies: number[] = [];
  let errors = 0;
  // A count, not an array of promises: keeping every call's promise and outcome alive until the end makes each
  // young-generation GC copy them all, and those pauses would be measured as the handler's latency.
  let pending = 0;
  let drained: (() => void) | undefined;
  const done = (t0: number, answered: boolean) => {
    if (answered) latencies.push(performance.now() - t0);
    else errors++;
    pending--;
    if (pending === 0) drained?.();
  };
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * DIRECT_RPS) + 1);
    while (sent < due) {
      sent++;
      pending++;
      const t0 = performance.now();
      call().then(
        (answered) => done(t0, answered),
        () => done(t0, false),
      );
    }
    await sleep(1);
  }
  if (pending > 0) await new Promise<void>((resolve) => (drained = resolve));
  const elapsed = (performance.now() - started) / 1000;
  const s = summariseLatencies(latencies);
  return {
    offered_rps: DIRECT_RPS,
    achieved_rps: Math.round(latencies.length / elapsed),
    p50_ms: s.p50_ms,
    p99_ms: s.p99_ms,
    errors,
  };
}

/** Warm-up at the offered rate (JIT of the concurrent paths, connection pool at its working size), then measure. */
async function steadyLoad(call: () => Promise<boolean>): Promise<LoadResult> {
  await offerLoad(WARM_UP_SECONDS, call);
  return offerLoad(SECONDS, call);
}

/**
 * The machine's own floor for the same load: a bare Node HTTP server in another process answering a constant, and
 * a plain keep-alive `http.request` — no handler, no signing, no model. What `direct` adds to this is ours.
 */
async function benchLoopbackFloor(): Promise<LoadResult> {
  const script = `
    const server = require('node:http').createServer((req, res) => {
      req.resume();
      req.on('end', () => { res.writeHead(200, { 'content-type': 'text/csv', 'content-length': 6 }); res.end('1,0.9\\n'); });
    });
    server.keepAliveTimeout = 65000;
    server.listen(0, '127.0.0.1', () => process.stdout.write('http://127.0.0.1:' + server.address().port + '\\n'));`;
  const host = await spawnUrlPrinter(['-e', script]);
  const agent = new Agent({ keepAlive: true, maxSockets: 50 });
  const { hostname, port } = new URL(host.url);
  const body = '1,'.repeat(20).concat('1');
  const call = () =>
    new Promise<boolean>((resolve) => {
      const req = request(
        { hostname, port, method: 'POST', path: '/endpoints/occupancy/invocations', agent },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200));
        },
      );
      req.on('error', () => resolve(false));
      req.end(body);
    });
  try {
    return await steadyLoad(call);
  } finally {
    agent.destroy();
    host.stop();
  }
}

async function benchDirect(host: { url: string }): Promise<LoadResult> {
  const client = new SignedHttpClient({ url: host.url, service: 'sagemaker', ...LOCAL_IDENTITY });
  const config = parseInferenceConfig({});
  let fallbacks = 0;
  const handler = createInferenceHandler({
    config,
    endpoint: new SageMakerEndpoint(client, { endpointName: 'occupancy', timeoutMs: 300, maxAttempts: 2 }),
    shadow: {
      publishDesired: async (_thing, desired) => {
        if (desired.occupancySource === 'fallback') fallbacks++;
      },
    },
    logger: silentLogger,
    metrics: noMetrics,
  });
  const rooms = 200;
  const last = new Map<string, Record<string, unknown>>();
  const lastTs = new Map<string, number>();
  let seq = 0;
  const event = () => {
    const thingName = `room-${String(seq % rooms).padStart(3, '0')}`;
    seq++;
    // Strictly increasing per device, as a real device stream.
    const timestamp = Math.max(Date.now(), (lastTs.get(thingName) ?? 0) + 1);
    lastTs.set(thingName, timestamp);
    const current = {
      temperature: 21 + (seq % 7) * 0.1,
      humidity: 40,
      sound: (seq * 7) % 30,
      hvacStatus: 'FAN',
      timestamp,
    };
    const previous = last.get(thingName);
    last.set(thingName, current);
    return {
      thingName,
      previous: previous ? { state: { reported: previous } } : null,
      current: { state: { reported: current } },
    };
  };
  const call = async () => (await handler(event())).status === 'answered';
  await offerLoad(WARM_UP_SECONDS, call);
  fallbacks = 0;
  const result = await offerLoad(SECONDS, call);
  client.destroy();
  // A fallback answer is an answered reading, but not the model's: count it as an error of this bench.
  return { ...result, errors: result.errors + fallbacks };
}

/** CPU µs of this process per sequential InvokeEndpoint (1000 warm-up calls, then 3000 measured). */
async function invokeCpuMicros(call: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 1000; i++) await call();
  const n = 3000;
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await call();
  const used = process.cpuUsage(before);
  return Math.round((used.user + used.system) / n);
}

async function benchInvokeCpu(host: { url: string }): Promise<{ signed_http: number; aws_sdk: number }> {
  const body = soundModelArtifact('bench-model', 12)
    .featureNames.map(() => '1')
    .join(',');
  const signed = new SignedHttpClient({ url: host.url, service: 'sagemaker', ...LOCAL_IDENTITY });
  const sdk = new SageMakerRuntimeClient({ endpoint: host.url, maxAttempts: 1, ...LOCAL_IDENTITY });
  try {
    const headers = { 'content-type': 'text/csv', accept: 'text/csv' };
    const path = '/endpoints/occupancy/invocations';
    return {
      signed_http: await invokeCpuMicros(() => signed.send({ method: 'POST', path, headers, body, timeoutMs: 1000 })),
      aws_sdk: await invokeCpuMicros(() =>
        sdk.send(
          new InvokeEndpointCommand({
            EndpointName: 'occupancy',
            ContentType: 'text/csv',
            Accept: 'text/csv',
            Body: body,
          }),
        ),
      ),
    };
  } finally {
    signed.destroy();
    sdk.destroy();
  }
}

async function benchMqtt(dir: string): Promise<LoadResult> {
  const stack = await startServing({ modelArtifactPath: writeModel(dir), logger: silentLogger });
  try {
    const ratePerRoom = 5;
    const rooms = Math.max(1, Math.round(MQTT_RPS / ratePerRoom));
    const warm = await LiveFleet.start({
      brokerUrl: stack.connection.mqttUrl,
      rooms: 5,
      firstRoom: rooms,
      ratePerRoom: 20,
    });
    await sleep(1000);
    await warm.stop();
    const fleet = await LiveFleet.start({ brokerUrl: stack.connection.mqttUrl, rooms, ratePerRoom });
    const started = performance.now();
    await sleep(SECONDS * 1000);
    const summary = await fleet.stop(3000);
    const elapsed = (performance.now() - started) / 1000;
    return {
      offered_rps: rooms * ratePerRoom,
      achieved_rps: Math.round(summary.answered / elapsed),
      p50_ms: summary.latency.p50_ms,
      p99_ms: summary.latency.p99_ms,
      errors: summary.unanswered + summary.publishErrors + summary.bySource.fallback,
    };
  } finally {
    await stack.close();
  }
}

async function bundle(dir: string): Promise<{ file: string; bytes: number }> {
  const file = join(dir, 'infer-occupancy.js');
  await build({
    entryPoints: [join(ROOT, 'tasks/infer-occupancy/handler.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    outfile: file,
    logLevel: 'error',
  });
  return { file, bytes: statSync(file).size };
}

function coldImportMs(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  // What a Lambda's environment holds at init: region, the role's credentials, the function's own settings.
  const env = {
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    ENDPOINT_NAME: 'occupancy',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  const runs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const out = spawnSync(process.execPath, ['--no-warnings', '-e', script], { env, encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`cold import failed: ${out.stderr}`);
    runs.push(Number(out.stdout));
  }
  runs.sort((a, b) => a - b);
  return Math.round((runs[3] ?? Number.NaN) * 10) / 10;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-inference-'));
  try {
    const { file, bytes } = await bundle(dir);
    const cold = coldImportMs(file);
    const host = await startRemoteEndpointHost(dir);
    let direct: LoadResult;
    let invokeCpu: { signed_http: number; aws_sdk: number };
    try {
      direct = await benchDirect(host);
      invokeCpu = await benchInvokeCpu(host);
    } finally {
      host.stop();
    }
    const loopbackFloor = await benchLoopbackFloor();
    const mqtt = await benchMqtt(dir);
    const result = {
      direct,
      mqtt,
      bundle_bytes: bytes,
      cold_import_ms: cold,
      loopback_floor: loopbackFloor,
      invoke_cpu_us: invokeCpu,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
