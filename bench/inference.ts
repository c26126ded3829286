/**
 * Inference bench (issue 17): the Lambda as Lambda runs it. Prints ONE JSON object:
 *   { instances, rps, seconds, p50_ms, p99_ms, floor_p50_ms, floor_p99_ms, cpu_us_per_reading, floor_cpu_us,
 *     init_ms, bundle_bytes, readings, errors, fallbacks, goals: {…: boolean} }
 * - The handler (tasks/infer-occupancy/handler.ts) is bundled as CDK's NodejsFunction bundles it.
 * - K instances (BENCH_INSTANCES, default 4), each a node process that loads the bundle and handles one reading at
 *   a time, share BENCH_RPS (default 200) readings/s on a fixed schedule, against the local endpoint host (and an
 *   IoT data plane stub) in ANOTHER process; BENCH_WARMUP_SECONDS (3) of warm-up, then BENCH_SECONDS (10) measured.
 *   Latency is the handler's invocation (start → promise settled); CPU is each instance's own over the window.
 * - floor: the same instances and schedule doing the reading's two round trips (invoke, publish) as bare keep-alive
 *   http.requests to a bare node server in another process: this machine's loopback floor in the same run.
 *   Paced CPU is dearer than back-to-back CPU here (each wake-up of a 2-vCPU VM's process costs): read
 *   cpu_us_per_reading against floor_cpu_us, and against back_to_back_cpu_us (200 readings without pauses, after).
 * - bare_host_p50_ms / bare_host_p99_ms: the handler against the floor's bare server, without the endpoint host's
 *   own work (model, contract checks): the client side's share of the latency.
 * - init_ms: a fresh node process requiring the bundle (config parsed, SDK clients created), median of 5.
 * Goals: p99 ≤ floor p99 + 3 ms; CPU ≤ 1500 µs per reading; init ≤ 250 ms; bundle ≤ 1.5 MB; 0 errors.
 * Tracing is off (no X-Ray daemon here), as is any Lambda runtime overhead. BENCH_CPU_PROF=<dir>: a CPU profile of
 * one instance.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stop as stopEsbuild } from 'esbuild';
import { percentile } from '../local/iot/stats';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/runtime/identity';
import { soundModelArtifact } from '../test/inference/helpers';
import { bundleLambda } from './lambda-bundle';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 4);
const RPS = Number(process.env.BENCH_RPS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const INIT_RUNS = 5;
const ROOT = resolve(__dirname, '..');

/** Starts `node <args>`; resolves with the URL line(s) it prints first, and a stop. */
async function spawnPrinter(args: string[], lines = 1): Promise<{ urls: string[]; stop: () => void }> {
  const child = spawn(process.execPath, ['--no-warnings', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const urls = await new Promise<string[]>((resolveUrls, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const got = out.split('\n').slice(0, -1);
      if (got.length >= lines) resolveUrls(got.slice(0, lines).map((l) => l.trim()));
    });
    child.once('exit', (code) => reject(new Error(`helper process exited with ${code}`)));
  });
  return { urls, stop: () => child.kill() };
}

/**
 * The endpoint host (the real model, as `serve` hosts it) and an IoT data plane stub answering Publish, in their own
 * process: SageMaker and IoT are remote, the instances then measure only themselves.
 */
function startRemoteServices(dir: string): Promise<{ urls: string[]; stop: () => void }> {
  const model = join(dir, 'bench-model.json');
  writeFileSync(model, JSON.stringify(soundModelArtifact('bench-model', 12)));
  const script = `
    const { LocalHosting } = require(${JSON.stringify(join(ROOT, 'local/hosting/hosting'))});
    const { startInvocationServer } = require(${JSON.stringify(join(ROOT, 'local/hosting/server'))});
    const { deployArtifact } = require(${JSON.stringify(join(ROOT, 'local/hosting/deploy-artifact'))});
    (async () => {
      const hosting = new LocalHosting();
      const server = await startInvocationServer(hosting);
      await deployArtifact(hosting, 'occupancy', ${JSON.stringify(model)});
      const iot = require('node:http').createServer((req, res) => {
        req.resume();
        req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 }); res.end('{}'); });
      });
      iot.keepAliveTimeout = 65000;
      iot.listen(0, '127.0.0.1', () => process.stdout.write(server.url + '\\nhttp://127.0.0.1:' + iot.address().port + '\\n'));
    })();`;
  // One GC thread: the services share the two vCPUs with the instances.
  return spawnPrinter(['--single-threaded-gc', '--require', 'tsx/cjs', '-e', script], 2);
}

const FLOOR_ANSWER = `1,"[0.1, 0.9]","['0', '1']"\n`;

function startBareHost(): Promise<{ urls: string[]; stop: () => void }> {
  const script = `
    const server = require('node:http').createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url.startsWith('/topics/')) { res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 }); res.end('{}'); return; }
        res.writeHead(200, { 'content-type': 'text/csv', 'content-length': ${Buffer.byteLength(FLOOR_ANSWER)} }); res.end(${JSON.stringify(FLOOR_ANSWER)});
      });
    });
    server.keepAliveTimeout = 65000;
    server.listen(0, '127.0.0.1', () => process.stdout.write('http://127.0.0.1:' + server.address().port + '\\n'));`;
  return spawnPrinter(['--single-threaded-gc', '-e', script]);
}

/**
 * One simulated instance: loads the bundle (or, for the floor, only node:http), then handles its share of the
 * schedule one reading at a time. Reports latencies and CPU of the measured window over IPC.
 */
const INSTANCE_SCRIPT = `
const [mode, bundle, url, rate, warmup, seconds, id] = process.argv.slice(1);
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true });
const features = ${soundModelArtifact('x').featureNames.length};
let run;
if (mode === 'handler') {
  const { handler } = require(bundle);
  const context = { functionName: 'infer-occupancy', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:infer-occupancy', memoryLimitInMB: '512', awsRequestId: '', logGroupName: '/aws/lambda/infer-occupancy', logStreamName: 'bench', callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 30000 };
  const last = new Map();
  run = async (i) => {
    const thingName = 'room-' + id + '-' + (i % 50);
    const ts = Date.now();
    const prev = last.get(thingName);
    const reported = { temperature: 21.5, humidity: 40, sound: (i * 7) % 30, hvacStatus: 'FAN', timestamp: ts };
    last.set(thingName, reported);
    const event = { thingName, previous: prev ? { state: { reported: prev }, metadata: {}, version: i } : null, current: { state: { reported }, metadata: {}, version: i + 1 }, timestamp: Math.floor(ts / 1000) };
    const outcome = await handler(event, { ...context, awsRequestId: id + '-' + i });
    if (outcome.status !== 'answered') return 'error';
    return outcome.desired.occupancySource === 'fallback' ? 'fallback' : 'ok';
  };
} else {
  const body = new Array(features).fill('1').join(',');
  const desired = JSON.stringify({ state: { desired: { roomOccupancy: true, occupancyProbability: 0.9, occupancyModel: 'occupancy/AllTraffic', occupancySource: 'model', occupancyReadingTs: Date.now() } } });
  const post = (path, type, payload) => new Promise((resolve) => {
    const req = http.request(url + path, { method: 'POST', agent, headers: { 'content-type': type, 'content-length': Buffer.byteLength(payload) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? 'ok' : 'error'));
    });
    req.on('error', () => resolve('error'));
    req.end(payload);
  });
  // The same two round trips a reading costs the handler: InvokeEndpoint, then the shadow publish.
  run = async () => {
    const invoked = await post('/endpoints/occupancy/invocations', 'text/csv', body);
    const publishedTo = await post('/topics/%24aws%2Fthings%2Froom%2Fshadow%2Fupdate?qos=1', 'application/octet-stream', desired);
    return invoked === 'ok' && publishedTo === 'ok' ? 'ok' : 'error';
  };
}
(async () => {
  const interval = 1000 / Number(rate);
  const t0 = performance.now() + Number(id) * interval / ${INSTANCES};
  const warmEnd = t0 + Number(warmup) * 1000;
  const end = warmEnd + Number(seconds) * 1000;
  const latencies = [];
  let errors = 0, fallbacks = 0, cpu, measured = false;
  for (let i = 0; ; i++) {
    const due = t0 + i * interval;
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (!measured && due >= warmEnd) { measured = true; cpu = process.cpuUsage(); }
    const start = performance.now();
    let result;
    try { result = await run(i); } catch { result = 'error'; }
    if (measured) {
      latencies.push(performance.now() - start);
      if (result === 'error') errors++;
      if (result === 'fallback') fallbacks++;
    }
  }
  const used = process.cpuUsage(cpu);
  // The same code back to back, no wake-up between readings: what the paced figure pays for waking up.
  const burst = 200;
  const before = process.cpuUsage();
  for (let i = 0; i < burst; i++) { try { if ((await run(1e6 + i)) === 'error') errors++; } catch { errors++; } }
  const hot = process.cpuUsage(before);
  process.send({ latencies, errors, fallbacks, cpu_us: used.user + used.system, system_us: used.system, hot_us: (hot.user + hot.system) / burst }, () => process.exit(0));
})();
`;

interface InstanceResult {
  latencies: number[];
  errors: number;
  fallbacks: number;
  cpu_us: number;
  system_us: number;
  hot_us: number;
}

function runInstance(mode: 'handler' | 'floor', bundle: string, url: string, env: NodeJS.ProcessEnv, id: number) {
  return new Promise<InstanceResult>((resolveResult, reject) => {
    const args = ['-e', INSTANCE_SCRIPT, mode, bundle, url, String(RPS / INSTANCES), String(WARMUP_SECONDS)];
    // BENCH_CPU_PROF=<dir>: instance 0 writes a V8 CPU profile there (node --cpu-prof), to see where the CPU goes.
    const prof =
      process.env.BENCH_CPU_PROF && id === 0 ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const child = spawn(process.execPath, ['--no-warnings', ...prof, ...args, String(SECONDS), String(id)], {
      cwd: ROOT,
      env,
      // The handler's EMF lines and logs go to stdout, as on Lambda; the bench reads IPC only.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let result: InstanceResult | undefined;
    child.on('message', (m) => {
      result = m as InstanceResult;
    });
    child.once('exit', (code) =>
      result ? resolveResult(result) : reject(new Error(`instance ${id} (${mode}) exited with ${code}`)),
    );
  });
}

async function load(mode: 'handler' | 'floor', bundle: string, url: string, env: NodeJS.ProcessEnv) {
  const results = await Promise.all(
    Array.from({ length: INSTANCES }, (_, id) => runInstance(mode, bundle, url, env, id)),
  );
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const cpu = results.reduce((s, r) => s + r.cpu_us, 0);
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    readings: latencies.length,
    p50_ms: round(percentile(latencies, 50) ?? Number.NaN),
    p99_ms: round(percentile(latencies, 99) ?? Number.NaN),
    cpu_us_per_reading: Math.round(cpu / Math.max(1, latencies.length)),
    system_us_per_reading: Math.round(results.reduce((s, r) => s + r.system_us, 0) / Math.max(1, latencies.length)),
    back_to_back_cpu_us: Math.round(results.reduce((s, r) => s + r.hot_us, 0) / results.length),
    errors: results.reduce((s, r) => s + r.errors, 0),
    fallbacks: results.reduce((s, r) => s + r.fallbacks, 0),
  };
}

/** Cold init: a fresh process requires the bundle (config, Powertools, SDK clients), median of INIT_RUNS. */
async function initMs(bundle: string, env: NodeJS.ProcessEnv): Promise<number> {
  const script = `const t = performance.now(); require(${JSON.stringify(bundle)}); process.send(performance.now() - t);`;
  const times: number[] = [];
  for (let i = 0; i < INIT_RUNS; i++) {
    times.push(
      await new Promise<number>((resolveTime, reject) => {
        const child = spawn(process.execPath, ['--no-warnings', '-e', script], {
          env,
          stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        });
        child.once('message', (m) => resolveTime(m as number));
        child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`init run exited with ${code}`))));
      }),
    );
  }
  times.sort((a, b) => a - b);
  return Math.round((times[Math.floor(times.length / 2)] ?? 0) * 10) / 10;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-inference-'));
  const stops: (() => void)[] = [];
  try {
    const { file: bundle, bytes } = await bundleLambda(
      join(ROOT, 'tasks/infer-occupancy/handler.ts'),
      join(dir, 'handler.js'),
    );
    await stopEsbuild();
    const services = await startRemoteServices(dir);
    stops.push(services.stop);
    const [endpointUrl = '', iotUrl = ''] = services.urls;
    const bare = await startBareHost();
    stops.push(bare.stop);
    // The Lambda's environment, its endpoints pointed at the local services the way the SDK reads them.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: endpointUrl,
      IOT_DATA_ENDPOINT: iotUrl,
      AWS_LAMBDA_FUNCTION_NAME: 'infer-occupancy',
    };
    const init_ms = await initMs(bundle, env);
    const floor = await load('floor', bundle, bare.urls[0] ?? '', env);
    const handler = await load('handler', bundle, endpointUrl, env);
    // The handler against the floor's bare server: its own share of the latency, without the endpoint host's work.
    const bareUrl = bare.urls[0] ?? '';
    const onBare = await load('handler', bundle, bareUrl, {
      ...env,
      AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: bareUrl,
      IOT_DATA_ENDPOINT: bareUrl,
    });
    const result = {
      instances: INSTANCES,
      rps: RPS,
      seconds: SECONDS,
      readings: handler.readings,
      p50_ms: handler.p50_ms,
      p99_ms: handler.p99_ms,
      bare_host_p50_ms: onBare.p50_ms,
      bare_host_p99_ms: onBare.p99_ms,
      floor_p50_ms: floor.p50_ms,
      floor_p99_ms: floor.p99_ms,
      cpu_us_per_reading: handler.cpu_us_per_reading,
      // The kernel's part (loopback TCP, timers): what a Lambda instance would also spend, on its own vCPU.
      system_us_per_reading: handler.system_us_per_reading,
      floor_cpu_us: floor.cpu_us_per_reading,
      floor_system_us: floor.system_us_per_reading,
      cpu_above_floor_us: handler.cpu_us_per_reading - floor.cpu_us_per_reading,
      back_to_back_cpu_us: handler.back_to_back_cpu_us,
      floor_back_to_back_cpu_us: floor.back_to_back_cpu_us,
      init_ms,
      bundle_bytes: bytes,
      errors: handler.errors + floor.errors + onBare.errors,
      fallbacks: handler.fallbacks,
    };
    const goals = {
      p99: result.p99_ms <= result.floor_p99_ms + 3,
      cpu: result.cpu_us_per_reading <= 1500,
      init: result.init_ms <= 250,
      bundle: result.bundle_bytes <= 1.5 * 1024 * 1024,
      errors: result.errors === 0,
    };
    process.stdout.write(`${JSON.stringify({ ...result, goals })}\n`);
  } finally {
    for (const stop of stops) stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
