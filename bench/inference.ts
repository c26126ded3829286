/**
 * Inference bench (issue 7). Prints ONE JSON object:
 *   { direct: {offered_rps, achieved_rps, p50_ms, p99_ms, errors}, mqtt: {...}, bundle_bytes, cold_import_ms }
 * - direct and loopback_floor also carry process_cpu_pct: the calling process's CPU over the run (% of a core);
 * - direct: the handler with its real transport (SigV4-signed HTTP, tasks/aws-http) → the local endpoint host in
 *   another process over loopback HTTP, shadow write in-process; open loop on 1 ms ticks, after a 5 s warm-up
 *   (V8 tiering; its p99 is reported as `warmup_p99_ms`),
 *   in a process of its own (bench/inference-load.ts, bundled as the Lambda's code is and run by plain node);
 * - mqtt: end to end — thermostat publish → broker → shadow → rule → handler → endpoint → IoT data plane →
 *   shadow → `update/delta` received by the thermostat;
 * - bundle: tasks/infer-occupancy/handler.ts bundled as CDK's NodejsFunction would (esbuild, minified, node22);
 *   cold import: median time to require it in a fresh node process.
 * - loopback_floor: the same load through a plain http.request to a bare Node server in another process — this
 *   machine's own latency floor, so `direct` can be read against it in the same run;
 * - invoke_cpu_us: CPU of the handler's process per sequential InvokeEndpoint to the same host, through the signed
 *   transport and through the AWS SDK's SageMakerRuntimeClient — why the Lambda does not use the SDK client.
 * Env: BENCH_DIRECT_RPS (1000), BENCH_MQTT_RPS (200), BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (5).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { build, stop as stopEsbuild } from 'esbuild';
import { LiveFleet } from '../local/iot/fleet';
import { startServing } from '../local/iot/serving';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/runtime/identity';
import { SignedHttpClient } from '../tasks/aws-http';
import { soundModelArtifact } from '../test/inference/helpers';
import type { LoadResult } from './inference-load';

const MQTT_RPS = Number(process.env.BENCH_MQTT_RPS ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROOT = resolve(__dirname, '..');

const silentLogger = { debug: () => {}, warn: () => {}, error: () => {} };
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
    const { deployArtifact } = require(${JSON.stringify(join(ROOT, 'local/hosting/deploy-artifact'))});
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

/**
 * Runs the load bundle (bench/inference-load.ts built as the Lambda's code is, see `bundle`) in its own process
 * against `url`; its one JSON line is the result. Run from the bundle, not through tsx: tsx keeps function names
 * by wrapping every closure, a cost per request the deployed code does not have.
 */
function runLoad(loadBundle: string, mode: 'direct' | 'floor', url: string): Promise<LoadResult> {
  return new Promise((resolveResult, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', loadBundle, mode, url], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`inference-load ${mode} exited with ${code}`));
      else resolveResult(JSON.parse(out) as LoadResult);
    });
  });
}

/** An answer of the shape the local host gives for SAGEMAKER_INFERENCE_OUTPUT=predicted_label,probabilities,labels. */
const FLOOR_ANSWER = `1,"[0.1, 0.9]","['0', '1']"\n`;

/** A bare Node HTTP server answering a constant FLOOR_ANSWER: the endpoint of the loopback floor. */
function startBareHost(): Promise<{ url: string; stop: () => void }> {
  const script = `
    const server = require('node:http').createServer((req, res) => {
      req.resume();
      req.on('end', () => { res.writeHead(200, { 'content-type': 'text/csv', 'content-length': ${Buffer.byteLength(FLOOR_ANSWER)} }); res.end(${JSON.stringify(FLOOR_ANSWER)}); });
    });
    server.keepAliveTimeout = 65000;
    server.listen(0, '127.0.0.1', () => process.stdout.write('http://127.0.0.1:' + server.address().port + '\\n'));`;
  return spawnUrlPrinter(['--single-threaded-gc', '-e', script]);
}

const LOCAL_IDENTITY = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };

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

async function benchMqtt(dir: string): Promise<Omit<LoadResult, 'process_cpu_pct' | 'warmup_p99_ms'>> {
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

/** `entry` bundled as CDK's NodejsFunction bundles the Lambda (esbuild, minified, node22, cjs). */
async function bundle(entry: string, file: string): Promise<{ file: string; bytes: number }> {
  await build({
    entryPoints: [entry],
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
    const { file, bytes } = await bundle(
      join(ROOT, 'tasks/infer-occupancy/handler.ts'),
      join(dir, 'infer-occupancy.js'),
    );
    const load = await bundle(join(__dirname, 'inference-load.ts'), join(dir, 'inference-load.js'));
    // esbuild keeps its service process (and its pings) alive; none of it belongs in the measured minutes.
    await stopEsbuild();
    const cold = coldImportMs(file);
    const host = await startRemoteEndpointHost(dir);
    let direct: LoadResult;
    let invokeCpu: { signed_http: number; aws_sdk: number };
    try {
      direct = await runLoad(load.file, 'direct', host.url);
      invokeCpu = await benchInvokeCpu(host);
    } finally {
      host.stop();
    }
    const bare = await startBareHost();
    let loopbackFloor: LoadResult;
    try {
      loopbackFloor = await runLoad(load.file, 'floor', bare.url);
    } finally {
      bare.stop();
    }
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
