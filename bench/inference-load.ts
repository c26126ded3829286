/**
 * The `direct` and `loopback_floor` loads of bench/inference.ts, each run in a process of its own holding only
 * what it measures (as a Lambda instance holds only its function), so neither pays for the orchestrator's heap
 * (esbuild, the SDK, the MQTT stack). Usage: `tsx bench/inference-load.ts <direct|floor> <url>` (bench/inference.ts
 * runs it bundled as the Lambda's code is: tsx wraps every closure to keep its name); prints one JSON
 * LoadResult. Env: BENCH_DIRECT_RPS (1000), BENCH_SECONDS (5), BENCH_WARMUP_SECONDS (5).
 */
import { Agent, request } from 'node:http';
import { summariseLatencies } from '../local/iot/stats';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/runtime/identity';
import { SignedHttpClient } from '../tasks/aws-http';
import { createInferenceHandler, parseInferenceConfig, SageMakerEndpoint } from '../tasks/infer-occupancy';

const RPS = Number(process.env.BENCH_DIRECT_RPS ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/**
 * At 1000 req/s on this 2-vCPU VM, the calling process's CPU per call (and the endpoint host's) falls for about
 * 5 s after the first call while V8 tiers the hot paths up, then holds: 60 % → 26 % of a core for `direct`
 * (sampled from /proc every 0.5 s). What is measured is the steady state after that; the warm-up's own p99 is
 * reported beside it as `warmup_p99_ms`, and the cold start as `cold_import_ms`.
 */
const WARM_UP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);

export interface LoadResult {
  offered_rps: number;
  achieved_rps: number;
  p50_ms: number | null;
  p99_ms: number | null;
  errors: number;
  /** CPU of the calling process (handler + transport, or the plain client) over the run, % of one core. */
  process_cpu_pct: number;
  /** p99 of the warm-up (the same load, before the measured seconds). */
  warmup_p99_ms: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Open-loop load: `RPS` calls per second for `seconds`, sent on 1 ms ticks (a burst of 10 every 10 ms would
 * queue behind itself and measure the burst, not the handler). `call` resolves true when answered.
 */
async function offerLoad(seconds: number, call: () => Promise<boolean>): Promise<Omit<LoadResult, 'warmup_p99_ms'>> {
  const total = Math.round(RPS * seconds);
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
  const cpuBefore = process.cpuUsage();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RPS) + 1);
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
  const cpu = process.cpuUsage(cpuBefore);
  const s = summariseLatencies(latencies);
  return {
    offered_rps: RPS,
    achieved_rps: Math.round(latencies.length / elapsed),
    p50_ms: s.p50_ms,
    p99_ms: s.p99_ms,
    errors,
    process_cpu_pct: Math.round((cpu.user + cpu.system) / 1e4 / elapsed),
  };
}

/** The handler with its real transport (SigV4-signed HTTP) → the endpoint host at `url`; shadow write in-process. */
async function direct(url: string): Promise<LoadResult> {
  const client = new SignedHttpClient({
    url,
    service: 'sagemaker',
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  let fallbacks = 0;
  const handler = createInferenceHandler({
    config: parseInferenceConfig({}),
    endpoint: new SageMakerEndpoint(client, { endpointName: 'occupancy', timeoutMs: 300, maxAttempts: 2 }),
    shadow: {
      publishDesired: async (_thing, desired) => {
        if (desired.occupancySource === 'fallback') fallbacks++;
      },
    },
    logger: { debug: () => {}, warn: () => {}, error: () => {} },
    metrics: { addMetric: () => {}, publishStoredMetrics: () => {} },
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
  // Warm-up at the offered rate (JIT of the concurrent paths, connection pool at its working size), then measure.
  const warmUp = await offerLoad(WARM_UP_SECONDS, call);
  fallbacks = 0;
  const result = await offerLoad(SECONDS, call);
  client.destroy();
  // A fallback answer is an answered reading, but not the model's: count it as an error of this bench.
  return { ...result, errors: result.errors + fallbacks, warmup_p99_ms: warmUp.p99_ms };
}

/** This machine's floor for the same load: a plain keep-alive `http.request`, no handler, no signing. */
async function floor(url: string): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 50 });
  const { hostname, port } = new URL(url);
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
  const warmUp = await offerLoad(WARM_UP_SECONDS, call);
  const result = await offerLoad(SECONDS, call);
  agent.destroy();
  return { ...result, warmup_p99_ms: warmUp.p99_ms };
}

async function main(): Promise<void> {
  const [mode, url] = process.argv.slice(2);
  if ((mode !== 'direct' && mode !== 'floor') || url === undefined) {
    throw new Error('usage: tsx bench/inference-load.ts <direct|floor> <endpoint host url>');
  }
  const result = mode === 'direct' ? await direct(url) : await floor(url);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
