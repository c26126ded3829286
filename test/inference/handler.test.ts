import { buildFeatureSpec, computeFeatureVector } from '../../features';
import {
  createInferenceHandler,
  EndpointInvocationError,
  type EndpointPort,
  InferenceConfigError,
  InferenceMetrics,
  type ModelAnswer,
  type OccupancyDesiredState,
  parseInferenceConfig,
} from '../../tasks/infer-occupancy';
import type { Reading } from '../../telemetry/reading';
import { THERMOSTAT } from '../../telemetry/signals';
import { documentsEvent, Recorder, reported } from './helpers';

const spec = buildFeatureSpec(THERMOSTAT);
const T0 = Date.UTC(2026, 0, 7, 10);

class FakeEndpoint implements EndpointPort {
  readonly rows: number[][] = [];
  failWith: Error | undefined;
  async predict(row: readonly number[]): Promise<ModelAnswer> {
    this.rows.push([...row]);
    if (this.failWith) throw this.failWith;
    return { occupied: true, probability: 0.8, model: 'fake/v1', attempts: 1 };
  }
}

class RecordingShadow {
  readonly updates: { thingName: string; desired: OccupancyDesiredState }[] = [];
  async publishDesired(thingName: string, desired: OccupancyDesiredState): Promise<void> {
    this.updates.push({ thingName, desired });
  }
}

function setup(env: Record<string, string> = {}) {
  const recorder = new Recorder();
  const endpoint = new FakeEndpoint();
  const shadow = new RecordingShadow();
  const handler = createInferenceHandler({
    config: parseInferenceConfig(env),
    endpoint,
    shadow,
    logger: recorder.logger,
    metrics: recorder.metricsSink,
    clock: () => T0 + 3_600_000,
  });
  return { recorder, endpoint, shadow, handler };
}

const sounds = [3, 14, 22, 8, 30, 2];
const wire = sounds.map((sound, i) => reported(T0 + i * 60_000, sound, { hvacStatus: i % 2 ? 'FAN' : 'HEATING' }));
const readings: Reading[] = wire.map((w) => ({
  thingName: 'room-01',
  ts: w.timestamp,
  values: { temperature: w.temperature, humidity: w.humidity, sound: w.sound, hvac_status: w.hvacStatus },
}));
const eventAt = (i: number) => documentsEvent('room-01', wire[i] ?? {}, i === 0 ? undefined : wire[i - 1]);

describe('inference handler', () => {
  it('sends the evaluator’s feature vector for the whole device stream and writes the model’s answer', async () => {
    const { handler, endpoint, shadow, recorder } = setup();
    const outcomes = [];
    for (let i = 0; i < wire.length; i++) outcomes.push(await handler(eventAt(i)));
    readings.forEach((reading, i) => {
      expect(endpoint.rows[i]).toEqual(computeFeatureVector(spec, reading, readings.slice(0, i)));
    });
    expect(outcomes.map((o) => (o.status === 'answered' ? o.history : o.status))).toEqual([
      'fresh',
      'chained',
      'chained',
      'chained',
      'chained',
      'chained',
    ]);
    expect(shadow.updates[5]).toEqual({
      thingName: 'room-01',
      desired: {
        roomOccupancy: true,
        occupancyProbability: 0.8,
        occupancyModel: 'fake/v1',
        occupancySource: 'model',
        occupancyReadingTs: readings[5]?.ts,
      },
    });
    expect(recorder.sum(InferenceMetrics.Inferences)).toBe(6);
    expect(recorder.sum(InferenceMetrics.InferenceFallback)).toBe(0);
  });

  it('after a cold start seeds the history from `previous`, so delta stays exact', async () => {
    const { handler, endpoint } = setup();
    const outcome = await handler(eventAt(4));
    expect(outcome).toMatchObject({ status: 'answered', history: 'seeded' });
    expect(endpoint.rows[0]).toEqual(computeFeatureVector(spec, readings[4] as Reading, [readings[3] as Reading]));
  });

  it('chains on the reading it already holds, even when the shadow’s copy of it is no longer valid', async () => {
    const { handler, endpoint } = setup();
    await handler(eventAt(0));
    await handler(eventAt(1));
    // `previous` names the held reading by its time; its values are not read again (a partial state here).
    const next = await handler(documentsEvent('room-01', wire[2] ?? {}, { timestamp: wire[1]?.timestamp, sound: 'x' }));
    expect(next).toMatchObject({ status: 'answered', history: 'chained' });
    expect(endpoint.rows[2]).toEqual(computeFeatureVector(spec, readings[2] as Reading, readings.slice(0, 2)));
  });

  it('refuses a device time written as ISO-8601: the wire format is integer epoch ms (telemetry/wire.ts)', async () => {
    const { handler, endpoint } = setup();
    const iso = { ...wire[0], timestamp: new Date(wire[0]?.timestamp ?? 0).toISOString() };
    const outcome = await handler(documentsEvent('room-01', iso));
    expect(outcome).toMatchObject({ status: 'bad-input', field: 'current.state.reported.timestamp' });
    expect(endpoint.rows).toHaveLength(0);
  });

  it('does not chain on a held time the shadow’s previous state does not have', async () => {
    const { handler, endpoint } = setup();
    await handler(eventAt(0));
    await handler(eventAt(1));
    // The shadow says the reading before #3 was #2, which this instance never saw: seed from it instead.
    const outcome = await handler(eventAt(3));
    expect(outcome).toMatchObject({ status: 'answered', history: 'seeded' });
    expect(endpoint.rows[2]).toEqual(computeFeatureVector(spec, readings[3] as Reading, [readings[2] as Reading]));
  });

  it('answers a re-delivered reading again without breaking the chain', async () => {
    const { handler, endpoint, shadow } = setup();
    await handler(eventAt(0));
    await handler(eventAt(1));
    await handler(eventAt(1));
    const next = await handler(eventAt(2));
    expect(shadow.updates).toHaveLength(4);
    expect(next).toMatchObject({ status: 'answered', history: 'chained' });
    expect(endpoint.rows[3]).toEqual(computeFeatureVector(spec, readings[2] as Reading, readings.slice(0, 2)));
  });

  it('answers with the threshold rule, source fallback, when the endpoint fails', async () => {
    const { handler, endpoint, shadow, recorder } = setup();
    endpoint.failWith = new EndpointInvocationError('timed out', 'timeout', 2);
    const loud = await handler(documentsEvent('room-02', reported(T0, 10.5)));
    const quiet = await handler(documentsEvent('room-03', reported(T0, 10)));
    expect(loud).toMatchObject({ status: 'answered', fallbackReason: expect.stringContaining('timeout') });
    expect(shadow.updates.map((u) => u.desired)).toEqual([
      {
        roomOccupancy: true,
        occupancyProbability: 1,
        occupancyModel: 'threshold:sound>10',
        occupancySource: 'fallback',
        occupancyReadingTs: T0,
      },
      {
        roomOccupancy: false,
        occupancyProbability: 0,
        occupancyModel: 'threshold:sound>10',
        occupancySource: 'fallback',
        occupancyReadingTs: T0,
      },
    ]);
    expect(quiet.status).toBe('answered');
    expect(recorder.sum(InferenceMetrics.InferenceFallback)).toBe(2);
    expect(recorder.sum(InferenceMetrics.FallbackCount)).toBe(2);
    expect(recorder.sum(InferenceMetrics.Inferences)).toBe(2);
    expect(recorder.logs.filter((l) => l.level === 'warn')).toHaveLength(2);
  });

  it.each([
    ['not an object', 'hello', '$'],
    ['no current state', { thingName: 'room-01', previous: null }, 'current'],
    ['a sound out of physical range', documentsEvent('room-01', reported(T0, 900)), 'current.state.reported.sound'],
    [
      'an unknown HVAC status',
      documentsEvent('room-01', reported(T0, 9, { hvacStatus: 'TURBO' })),
      'current.state.reported.hvacStatus',
    ],
    ['a bad thing name', documentsEvent('room 01', reported(T0, 9)), 'thingName'],
    [
      'a timestamp in seconds',
      documentsEvent('room-01', reported(Math.floor(T0 / 1000), 9)),
      'current.state.reported.timestamp',
    ],
  ])('returns (does not throw) on %s, logs it and counts BadInput', async (_what, event, field) => {
    const { handler, shadow, recorder, endpoint } = setup();
    const outcome = await handler(event);
    expect(outcome).toMatchObject({ status: 'bad-input', field });
    expect(shadow.updates).toHaveLength(0);
    expect(endpoint.rows).toHaveLength(0);
    expect(recorder.sum(InferenceMetrics.BadInput)).toBe(1);
    expect(recorder.logs).toEqual([
      expect.objectContaining({ level: 'error', attributes: expect.objectContaining({ field }) }),
    ]);
  });

  it('refuses a fallback signal the signal set does not have', () => {
    expect(() => setup({ FALLBACK_SIGNAL: 'light', FALLBACK_LEVEL: '365' })).toThrow(
      expect.objectContaining({ name: 'InferenceConfigError', field: 'FALLBACK_SIGNAL' }),
    );
    // A level belongs to a signal: another signal than the set's own rule's needs its own level.
    expect(() => parseInferenceConfig({ FALLBACK_SIGNAL: 'humidity' })).toThrow(
      expect.objectContaining({ name: 'InferenceConfigError', field: 'FALLBACK_LEVEL' }),
    );
    expect(() => parseInferenceConfig({ INVOKE_TIMEOUT_MS: 'soon' })).toThrow(InferenceConfigError);
    expect(() => parseInferenceConfig({ INVOKE_TIMEOUT_MS: 'soon' })).toThrow(/INVOKE_TIMEOUT_MS/);
  });

  it('with no static rule (a signal set without one, no FALLBACK_SIGNAL) leaves a reading the endpoint cannot answer unanswered, counted as a fallback', async () => {
    expect(parseInferenceConfig({}).fallback).toEqual({ signal: 'sound', level: 10 });
    expect(parseInferenceConfig({ SIGNAL_SET_ID: 'uci-occupancy' }).fallback).toBeNull();
    const { handler, endpoint, shadow, recorder } = setup({ SIGNAL_SET_ID: 'uci-occupancy' });
    endpoint.failWith = new EndpointInvocationError('timed out', 'timeout', 2);
    const reading = { timestamp: T0, temperature: 21, humidity: 30, light: 500, co2: 800, humidity_ratio: 0.004 };
    const outcome = await handler(documentsEvent('office', reading));
    expect(outcome).toMatchObject({
      status: 'unanswered',
      thingName: 'office',
      reason: expect.stringContaining('timeout'),
    });
    expect(shadow.updates).toHaveLength(0);
    expect(recorder.sum(InferenceMetrics.InferenceFallback)).toBe(1);
  });
});
