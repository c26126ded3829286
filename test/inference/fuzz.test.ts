import fc from 'fast-check';
import {
  createInferenceHandler,
  EndpointInvocationError,
  type EndpointPort,
  type InferenceOutcome,
  type OccupancyDesiredState,
  parseInferenceConfig,
} from '../../tasks/infer-occupancy';
import { HVAC_STATUSES } from '../../telemetry/signals';
import { Recorder } from './helpers';

/**
 * Property-based fuzz of the handler: valid documents (with random endpoint failures), valid documents with one
 * field broken, and arbitrary JSON-ish values. No input may throw; every valid reading is answered (model or
 * fallback) and written to the shadow; nothing else is written. In-process fakes for endpoint and shadow keep it fast.
 */

const NOW = Date.UTC(2026, 0, 14, 12);
const RUNS = 10_000;

type EndpointMode = 'ok' | 'timeout' | 'throttle' | 'error';

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
      endpoint: fc.constantFrom<EndpointMode>('ok', 'ok', 'timeout', 'throttle', 'error'),
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

it(`fuzz: ${RUNS} generated documents, no throw, every valid reading answered`, async () => {
  let mode: EndpointMode = 'ok';
  const endpoint: EndpointPort = {
    predict: async (row) => {
      if (row.some((v) => !Number.isFinite(v))) throw new Error(`non-finite feature in ${row.join(',')}`);
      if (mode === 'ok') return { occupied: row.length % 2 === 0, probability: 0.5, model: 'fuzz', attempts: 1 };
      throw new EndpointInvocationError(`injected ${mode}`, mode, 2);
    },
  };
  const writes: OccupancyDesiredState[] = [];
  const recorder = new Recorder();
  const handler = createInferenceHandler({
    config: parseInferenceConfig({ HISTORY_MAX_DEVICES: '500' }),
    endpoint,
    shadow: { publishDesired: async (_thing, desired) => void writes.push(desired) },
    logger: recorder.logger,
    metrics: recorder.metricsSink,
    clock: () => NOW,
  });

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
  expect(counts.thrown).toBe(0);
  expect(counts.validUnanswered).toBe(0);
  expect(counts.valid).toBeGreaterThan(RUNS / 4);
  expect(counts.badInput).toBeGreaterThan(RUNS / 10);
  expect(recorder.sum('BadInput')).toBe(counts.badInput);
  expect(recorder.sum('InferenceFallback')).toBe(counts.fallback);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
