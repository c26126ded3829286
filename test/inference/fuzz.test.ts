import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import fc from 'fast-check';
import { lambdaContext } from '../../local/aws-endpoints/lambda-context';
import { LocalStoreMetrics } from '../../local/iot/local-metrics';
import { MetricStore } from '../../local/metrics/store';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/runtime/identity';
import { INFERENCE_SERVICE, inferenceMetricDimensions, METRICS_NAMESPACE } from '../../pipeline/state-names';
import { type InferenceOutcome, type OccupancyDesiredState, parseInferenceConfig } from '../../tasks/infer-occupancy';
import { buildDeps, createHandler } from '../../tasks/infer-occupancy/lambda';
import { HVAC_STATUSES } from '../../telemetry/signals';
import { closeServer, listenOnLoopback } from '../loopback';

/**
 * Property-based fuzz of the Lambda handler as deployed (middy, Parser in safeParse mode, Powertools middlewares,
 * SDK clients): valid documents (with random endpoint failures), valid documents with one field broken, and
 * arbitrary JSON-ish values. No input may throw; every valid reading is answered (model or fallback) and written to
 * the shadow; nothing else is written. The endpoint and the IoT data plane are real loopback HTTP servers.
 */

const NOW = Date.UTC(2026, 0, 14, 12);
const RUNS = 10_000;

/** How the endpoint server answers: a model answer, SageMaker's throttle and 5xx, or a reset connection. */
type EndpointMode = 'ok' | 'reset' | 'throttle' | 'error';

const thingName = fc.stringMatching(/^[a-zA-Z0-9:_-]{1,24}$/);
const reportedState = fc.record(
  {
    temperature: fc.double({ min: -40, max: 85, noNaN: true }),
    humidity: fc.double({ min: 0, max: 100, noNaN: true }),
    sound: fc.double({ min: 0, max: 200, noNaN: true }),
    hvacStatus: fc.constantFrom(...HVAC_STATUSES),
    // The wire format's device time is an integer of epoch ms (telemetry/wire.ts): the only form the rule passes.
    timestamp: fc.integer({ min: NOW - 30 * 86_400_000, max: NOW }),
  },
  { requiredKeys: ['temperature', 'humidity', 'sound', 'hvacStatus', 'timestamp'] },
);
const extras = fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });

const validDocument = fc
  .record({
    thingName,
    current: reportedState,
    extra: extras,
    previous: fc.oneof(fc.constant(undefined), fc.constant(null), reportedState, fc.jsonValue({ maxDepth: 3 })),
    version: fc.nat({ max: 1_000_000 }),
  })
  .map(({ thingName, current, extra, previous, version }) => ({
    thingName,
    current: { state: { reported: { ...extra, ...current } }, metadata: {}, version: version + 1 },
    ...(previous === undefined
      ? {}
      : { previous: previous === null ? null : { state: { reported: previous }, metadata: {}, version } }),
    timestamp: Math.floor(NOW / 1000),
  }));

const PATHS: readonly (readonly string[])[] = [
  ['thingName'],
  ['current'],
  ['current', 'state'],
  ['current', 'state', 'reported'],
  ['current', 'state', 'reported', 'temperature'],
  ['current', 'state', 'reported', 'humidity'],
  ['current', 'state', 'reported', 'sound'],
  ['current', 'state', 'reported', 'hvacStatus'],
  ['current', 'state', 'reported', 'timestamp'],
  ['current', 'version'],
  ['previous'],
];
const oddValue = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1e308, 1e308, -0, '', '12.5', 'HEATING ', null, [], {}),
  fc.string({ maxLength: 300 }),
);

function withField(doc: Record<string, unknown>, path: readonly string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(doc);
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    if (typeof next !== 'object' || next === null) return copy;
    at = next as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

const brokenDocument = fc
  .tuple(validDocument, fc.constantFrom(...PATHS), fc.oneof(oddValue, fc.constant(undefined)))
  .map(([doc, path, value]) => withField(doc, path, value));

const anyEvent = fc.oneof(
  fc.anything({ maxDepth: 4, withNullPrototype: true, withObjectString: true }),
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom('__proto__', { __proto__: { polluted: true } }, JSON.parse('{"__proto__":{"polluted":1}}')),
);

type Case = { kind: 'valid' | 'broken' | 'any'; event: unknown; endpoint: EndpointMode };

const cases: fc.Arbitrary<Case> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('valid' as const),
      event: validDocument,
      endpoint: fc.constantFrom<EndpointMode>('ok', 'ok', 'reset', 'throttle', 'error'),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('broken' as const),
      event: brokenDocument,
      endpoint: fc.constantFrom<EndpointMode>('ok', 'error'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('any' as const),
      event: anyEvent,
      endpoint: fc.constant<EndpointMode>('ok'),
    }),
  },
);

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

function sendError(res: ServerResponse, status: number, errorType: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': errorType });
  res.end(JSON.stringify({ message: `${errorType} injected` }));
}

it(`fuzz: ${RUNS} generated documents, no throw, every valid reading answered`, async () => {
  let mode: EndpointMode = 'ok';
  const sagemaker = createServer(async (req, res) => {
    const row = (await readBody(req)).split(',').map((v) => (v === '' ? Number.NaN : Number(v)));
    if (mode === 'reset') return void req.socket.destroy();
    if (mode === 'throttle') return sendError(res, 400, 'ThrottlingException');
    if (mode === 'error') return sendError(res, 500, 'InternalFailure');
    // What the fake endpoint checked before: the handler never sends a non-finite feature.
    if (row.some((v) => !Number.isFinite(v))) return sendError(res, 400, 'ValidationError');
    res.writeHead(200, { 'Content-Type': 'text/csv', 'x-Amzn-Invoked-Production-Variant': 'AllTraffic' });
    res.end(`${row.length % 2 === 0 ? 1 : 0},"[0.5, 0.5]","['0', '1']"\n`);
  });
  const writes: OccupancyDesiredState[] = [];
  const iotData = createServer(async (req, res) => {
    writes.push((JSON.parse(await readBody(req)) as { state: { desired: OccupancyDesiredState } }).state.desired);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{}');
  });
  const store = new MetricStore();
  const config = parseInferenceConfig({ HISTORY_MAX_DEVICES: '500', INVOKE_MAX_ATTEMPTS: '1' });
  const deps = buildDeps({
    config,
    logger: new Logger({ serviceName: INFERENCE_SERVICE, logLevel: 'SILENT' }),
    metrics: new LocalStoreMetrics(store, { namespace: METRICS_NAMESPACE, serviceName: INFERENCE_SERVICE }),
    tracer: new Tracer({ serviceName: INFERENCE_SERVICE, enabled: false }),
    target: {
      sagemakerRuntimeEndpoint: `http://127.0.0.1:${await listenOnLoopback(sagemaker)}`,
      iotDataEndpoint: `http://127.0.0.1:${await listenOnLoopback(iotData)}`,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    },
  });
  const lambda = createHandler({ ...deps, clock: () => NOW });
  // Each invocation gets its own context, as Lambda gives one per invoke: one shared context's 30 s countdown ran out
  // mid-fuzz on a loaded machine and middy's early timeout answered the rest.
  const handler = (event: unknown) => lambda(event, lambdaContext('InferOccupancy'));
  const sum = (metricName: string): number => {
    store.flush();
    return (
      store.getMetricStatistics({
        Namespace: METRICS_NAMESPACE,
        MetricName: metricName,
        Dimensions: Object.entries(inferenceMetricDimensions(config.endpointName)).map(([Name, Value]) => ({
          Name,
          Value,
        })),
        StartTime: new Date(Date.now() - 3_600_000),
        EndTime: new Date(Date.now() + 3_600_000),
        Period: 7200,
        Statistics: ['Sum'],
      }).Datapoints[0]?.Sum ?? 0
    );
  };

  const counts = {
    runs: 0,
    valid: 0,
    broken: 0,
    any: 0,
    model: 0,
    fallback: 0,
    badInput: 0,
    thrown: 0,
    validUnanswered: 0,
  };
  await fc.assert(
    fc.asyncProperty(cases, async ({ kind, event, endpoint: endpointMode }) => {
      counts.runs++;
      counts[kind]++;
      mode = endpointMode;
      const before = writes.length;
      let outcome: InferenceOutcome;
      try {
        outcome = await handler(event);
      } catch (error) {
        counts.thrown++;
        throw error;
      }
      if (outcome.status === 'answered') {
        counts[outcome.desired.occupancySource]++;
        expect(writes.length).toBe(before + 1);
        expect(typeof writes[before]?.roomOccupancy).toBe('boolean');
        expect(outcome.desired.occupancySource).toBe(mode === 'ok' ? 'model' : 'fallback');
      } else {
        counts.badInput++;
        expect(writes.length).toBe(before);
        expect(outcome.status === 'bad-input' && outcome.field).toEqual(expect.any(String));
      }
      if (kind === 'valid' && outcome.status !== 'answered') {
        counts.validUnanswered++;
        throw new Error(`valid reading not answered: ${JSON.stringify(outcome)}`);
      }
    }),
    { numRuns: RUNS, seed: 20260114 },
  );
  console.log(`inference fuzz counts ${JSON.stringify(counts)}`);
  deps.clients.destroy();
  await closeServer(sagemaker);
  await closeServer(iotData);
  expect(counts.thrown).toBe(0);
  expect(counts.validUnanswered).toBe(0);
  expect(counts.valid).toBeGreaterThan(RUNS / 4);
  expect(counts.badInput).toBeGreaterThan(RUNS / 10);
  expect(sum('BadInput')).toBe(counts.badInput);
  expect(sum('InferenceFallback')).toBe(counts.fallback);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
