/**
 * Inference bench (issue 7). Prints ONE JSON object:
 *   { direct: {offered_rps, achieved_rps, p50_ms, p99_ms, errors}, mqtt: {...}, bundle_bytes, cold_import_ms }
 * - direct: the handler with its real transport (SigV4-signed HTTP, tasks/aws-http) → the local endpoint host in
 *   another process over loopback HTTP, shadow write in-process; arrivals evenly spaced (1 ms ticks);
 * - mqtt: end to end — thermostat publish → broker → shadow → rule → handler → endpoint → IoT data plane →
 *   shadow → `update/delta` received by the thermostat;
 * - bundle: tasks/infer-occupancy/handler.ts bundled as CDK's NodejsFunction would (esbuild, minified, node22,
 *   SDK v3 clients bundled); cold import: median time to require it in a fresh node process.
 * - invoke_cpu_us: CPU of the handler's process per sequential InvokeEndpoint to the same host, through the signed
 *   transport and through the AWS SDK's SageMakerRuntimeClient — why the Lambda does not use the SDK client.
 * Env: BENCH_DIRECT_RPS (1000), BENCH_MQTT_RPS (200), BENCH_SECONDS (5).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { build } from 'esbuild';
import { LiveFleet } from '../local/iot/fleet';
import { startServing } from '../local/iot/serving';
import { summariseLatencies } from '../local/iot/stats';
import { SignedHttpClient } from '../tasks/aws-http';
import {
  createInferenceHandler,
  type InferenceHandler,
  type InferenceOutcome,
  parseInferenceConfig,
  SageMakerEndpoint,
} from '../tasks/infer-occupancy';
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
  const child = spawn(process.execPath, ['--no-warnings', '--require', 'tsx/cjs', '-e', script], {
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
    child.once('exit', (code) => reject(new Error(`endpoint host exited with ${code}`)));
  });
  return { url, stop: () => child.kill() };
}

const LOCAL_IDENTITY = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

/**
 * Open-loop load: `DIRECT_RPS` calls per second for `seconds`, sent on 1 ms ticks (a burst of 10 every 10 ms
 * would queue behind itself and measure the burst, not the handler); `record` gets each call's latency.
 */
async function offerLoad(
  handler: InferenceHandler,
  event: () => unknown,
  seconds: number,
  record: (ms: number, outcome: InferenceOutcome | undefined) => void,
): Promise<void> {
  const total = Math.round(DIRECT_RPS * seconds);
  const started = performance.now();
  // A count, not an array of promises: keeping every call's promise and outcome alive until the end makes each
  // young-generation GC copy them all, and those pauses would be measured as the handler's latency.
  let pending = 0;
  let drained: (() => void) | undefined;
  const done = (t0: number, outcome: InferenceOutcome | undefined) => {
    record(performance.now() - t0, outcome);
    pending--;
    if (pending === 0) drained?.();
  };
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * DIRECT_RPS) + 1);
    while (sent < due) {
      sent++;
      pending++;
      const t0 = performance.now();
      handler(event()).then(
        (outcome) => done(t0, outcome),
        () => done(t0, undefined),
      );
    }
    await sleep(1);
  }
  if (pending > 0) await new Promise<void>((resolve) => (drained = resolve));
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
  // Warm-up at the offered rate (JIT of the concurrent paths, the connection pool grown to its working size),
  // then the measured run: the figures are the steady state a warm Lambda fleet would see.
  await offerLoad(handler, event, WARM_UP_SECONDS, () => {});
  fallbacks = 0;
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  await offerLoad(handler, event, SECONDS, (ms, outcome) => {
    if (outcome === undefined || outcome.status !== 'answered') errors++;
    else latencies.push(ms);
  });
  const elapsed = (performance.now() - started) / 1000;
  client.destroy();
  const s = summariseLatencies(latencies);
  return {
    offered_rps: DIRECT_RPS,
    achieved_rps: Math.round(latencies.length / elapsed),
    p50_ms: s.p50_ms,
    p99_ms: s.p99_ms,
    errors: errors + fallbacks,
  };
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
    const mqtt = await benchMqtt(dir);
    const result = { direct, mqtt, bundle_bytes: bytes, cold_import_ms: cold, invoke_cpu_us: invokeCpu };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
