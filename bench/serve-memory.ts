/**
 * `serve`'s memory under many devices and hostile payloads (issue 16): a serve stack (broker, shadows, rule →
 * handler → endpoint host, lake ingestion, a deployed model) runs in a child process of its own, so the RSS read is
 * serve's alone; this process publishes shadow updates for BENCH_THINGS (200 000) distinct thing names over MQTT,
 * each answered by the model, at most BENCH_WINDOW (200) unanswered at a time; then idles and collects garbage;
 * then sends BENCH_OVERSIZED (20) publishes of BENCH_OVERSIZED_MB (50) MB each, every one refused.
 * Prints JSON: RSS before, peak, after the load, after idle + GC, after the oversized burst; `bound_mb` (the bound
 * README documents for the default --max-devices 10 000) and `within_bound`.
 * Usage: `npm run bench:serve` (env BENCH_THINGS, BENCH_MAX_DEVICES, BENCH_IDLE_SECONDS to vary).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { type ServeStats, startServing } from '../local/iot/serving';
import { soundModelArtifact } from '../test/inference/helpers';

const THINGS = Number(process.env.BENCH_THINGS ?? 200_000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 200);
const MAX_DEVICES = Number(process.env.BENCH_MAX_DEVICES ?? 10_000);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 5);
const OVERSIZED = Number(process.env.BENCH_OVERSIZED ?? 20);
const OVERSIZED_MB = Number(process.env.BENCH_OVERSIZED_MB ?? 50);
const PUBLISHERS = 4;
/** The documented bound (README, "occupancy serve"): serve's peak RSS with the default --max-devices 10 000. */
const BOUND_MB = 400;

interface Measure {
  rss_mb: number;
  heap_used_mb: number;
  external_mb: number;
  heap_total_mb: number;
  stats: ServeStats;
}

type ChildRequest = { id: number; gc: boolean };
type ChildReply = { id: number; measure: Measure } | { ready: string };

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the serve process ----------------------------------------------------------------------------------------

async function child(stateDir: string): Promise<void> {
  const send = (reply: ChildReply) => process.send?.(reply);
  mkdirSync(stateDir, { recursive: true });
  const modelPath = join(stateDir, 'bench-model.json');
  writeFileSync(modelPath, JSON.stringify(soundModelArtifact('bench-sound', 12)));
  const quiet = { debug() {}, warn() {}, error() {} };
  const stack = await startServing({
    stateDir,
    modelArtifactPath: modelPath,
    logger: quiet,
    maxDevices: MAX_DEVICES,
    ingest: process.env.BENCH_INGEST !== '0',
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (request: ChildRequest) => {
    if (request.gc && gc) {
      gc();
      gc();
    }
    const m = process.memoryUsage();
    send({
      id: request.id,
      measure: {
        rss_mb: mb(m.rss),
        heap_used_mb: mb(m.heapUsed),
        external_mb: mb(m.external),
        heap_total_mb: mb(m.heapTotal),
        stats: stack.stats(),
      },
    });
  });
  process.once('disconnect', () => {
    stack.close().then(() => process.exit(0));
  });
  send({ ready: stack.connection.mqttUrl });
}

// ---- the bench ---------------------------------------------------------------------------------------------------

/** Peak RSS of a process so far (VmHWM), MB. */
function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return Math.round((Number(line?.replace(/\D/g, '') ?? 0) / 1024) * 10) / 10;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-serve-'));
  const serve: ChildProcess = fork(__filename, ['child', join(dir, 'state')], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pid = serve.pid ?? 0;
  let nextId = 0;
  const waiting = new Map<number, (m: Measure) => void>();
  const url = await new Promise<string>((resolve, reject) => {
    serve.once('exit', (code) => reject(new Error(`serve child exited ${code}`)));
    serve.on('message', (reply: ChildReply) => {
      if ('ready' in reply) resolve(reply.ready);
      else waiting.get(reply.id)?.(reply.measure);
    });
  });
  const measure = (gc: boolean) =>
    new Promise<Measure>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      serve.send({ id, gc } satisfies ChildRequest);
    });

  try {
    const before = await measure(true);

    // 200 k distinct thing names, each answered by the handler (the delta carries the model's answer).
    const observer = await connectAsync(url, { clientId: 'bench-observer', reconnectPeriod: 0 });
    let answered = 0;
    observer.on('message', () => answered++);
    await observer.subscribeAsync('$aws/things/+/shadow/update/delta');
    const publishers: MqttClient[] = await Promise.all(
      Array.from({ length: PUBLISHERS }, (_, i) =>
        connectAsync(url, { clientId: `bench-pub-${i}`, reconnectPeriod: 0 }),
      ),
    );
    const started = performance.now();
    const ts = Date.now();
    for (let sent = 0; sent < THINGS; sent++) {
      while (sent - answered >= WINDOW) await sleep(2);
      const thing = `bench-${String(sent).padStart(6, '0')}`;
      const report = { temperature: 21.5, humidity: 40, sound: sent % 30, hvacStatus: 'FAN', timestamp: ts + sent };
      const publisher = publishers[sent % PUBLISHERS] as MqttClient;
      publisher.publish(`$aws/things/${thing}/shadow/update`, JSON.stringify({ state: { reported: report } }));
    }
    // A reading the handler could not answer (its desired update timed out on a busy machine) never comes back:
    // wait until answers stop arriving rather than for all of them.
    for (let seen = -1, quiet = 0; answered < THINGS && quiet < 10_000; ) {
      await sleep(100);
      quiet = answered === seen ? quiet + 100 : 0;
      seen = answered;
    }
    const loadSeconds = (performance.now() - started) / 1000;
    const afterLoad = await measure(false);
    const peakAfterLoad = peakRssMb(pid);
    await Promise.all([...publishers, observer].map((c) => c.endAsync(true)));

    await sleep(IDLE_SECONDS * 1000);
    const afterIdle = await measure(true);

    // Over-limit publishes: each is refused from its header and its connection closed.
    const big = Buffer.alloc(OVERSIZED_MB * 1024 * 1024, 0x61);
    for (let i = 0; i < OVERSIZED; i++) {
      const hog = await connectAsync(url, { clientId: `bench-hog-${i}`, reconnectPeriod: 0 });
      hog.on('error', () => {});
      await new Promise<void>((resolve) => {
        hog.once('close', () => resolve());
        hog.publish('$aws/things/hog/shadow/update', big);
      });
      hog.end(true);
    }
    await sleep(500);
    const afterOversized = await measure(true);
    const peak = peakRssMb(pid);

    const result = {
      things: THINGS,
      answered,
      load_seconds: Math.round(loadSeconds * 10) / 10,
      max_devices: MAX_DEVICES,
      rss_before_mb: before.rss_mb,
      heap_used_before_mb: before.heap_used_mb,
      rss_after_load_mb: afterLoad.rss_mb,
      rss_peak_during_load_mb: peakAfterLoad,
      rss_after_idle_gc_mb: afterIdle.rss_mb,
      heap_used_after_idle_gc_mb: afterIdle.heap_used_mb,
      external_after_idle_gc_mb: afterIdle.external_mb,
      heap_total_after_idle_gc_mb: afterIdle.heap_total_mb,
      heap_used_after_load_mb: afterLoad.heap_used_mb,
      heap_total_after_load_mb: afterLoad.heap_total_mb,
      oversized_sent: OVERSIZED,
      oversized_mb_each: OVERSIZED_MB,
      rss_after_oversized_mb: afterOversized.rss_mb,
      rss_peak_mb: peak,
      oversized_rss_growth_mb: Math.round((afterOversized.rss_mb - afterIdle.rss_mb) * 10) / 10,
      stats_after: afterOversized.stats,
      bound_mb: BOUND_MB,
      within_bound:
        peak <= BOUND_MB &&
        afterOversized.stats.oversized === OVERSIZED &&
        afterOversized.stats.shadows <= MAX_DEVICES &&
        afterOversized.stats.rule.matched === THINGS &&
        afterOversized.stats.rule.inFlight === 0,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (!result.within_bound) process.exitCode = 1;
  } finally {
    serve.disconnect();
    await new Promise((r) => serve.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') {
  child(process.argv[3] ?? '').catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
