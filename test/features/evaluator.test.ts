import {
  buildFeatureSpec,
  computeFeatureVector,
  type DeviceFeatureState,
  FeatureInputError,
  FleetFeatureEvaluator,
  featureNames,
  historyLength,
  initialDeviceState,
  stepFeatures,
} from '../../features';
import type { Reading } from '../../telemetry/reading';
import { THERMOSTAT, UCI_ROOM_OCCUPANCY } from '../../telemetry/signals';
import { dedupedStreams, generateTelemetry } from './helpers';

const spec = buildFeatureSpec(THERMOSTAT, { rollingWindow: 3 });
const names = featureNames(spec);
// Wednesday 2024-01-03 18:00 UTC.
const T0 = Date.UTC(2024, 0, 3, 18, 0, 0);

const reading = (seconds: number, sound: number, temperature = 20, hvac_status = 'HEATING'): Reading => ({
  thingName: 'room-1',
  ts: T0 + seconds * 1000,
  values: { temperature, humidity: 40, sound, hvac_status },
});

const byName = (vector: number[]): Record<string, number> =>
  Object.fromEntries(names.map((n, i) => [n, vector[i] ?? Number.NaN]));

function run(readings: Reading[]): Record<string, number>[] {
  let state = initialDeviceState();
  return readings.map((r) => {
    const step = stepFeatures(spec, state, r);
    state = step.state;
    return byName(step.vector);
  });
}

describe('TypeScript feature evaluator', () => {
  test('raw, delta, rolling mean/std over the last k readings, one-hot and time features', () => {
    const rows = run([reading(0, 4, 20), reading(60, 6, 22, 'OFF'), reading(120, 11, 27), reading(180, 13, 26)]);
    expect(rows.map((r) => r.temperature_delta)).toEqual([0, 2, 5, -1]);
    expect(rows.map((r) => r.temperature_mean_3)).toEqual([20, 21, 23, 25]);
    // Population std of {22, 27, 26}: mean 25, deviations -3, 2, 1 → sqrt(14/3).
    expect(rows[3]?.temperature_std_3).toBeCloseTo(Math.sqrt(14 / 3), 12);
    expect(rows[0]?.temperature_std_3).toBe(0);
    expect(rows.map((r) => [r.hvac_status_is_off, r.hvac_status_is_heating, r.hvac_status_is_fan])).toEqual([
      [0, 1, 0],
      [1, 0, 0],
      [0, 1, 0],
      [0, 1, 0],
    ]);
    // 18:00 → angle 3π/2; Wednesday = 3.
    expect(rows[0]?.hour_sin).toBeCloseTo(-1, 12);
    expect(rows[0]?.hour_cos).toBeCloseTo(0, 12);
    expect(rows[0]?.weekday_sin).toBeCloseTo(Math.sin((2 * Math.PI * 3) / 7), 12);
    expect(rows[0]?.weekday_cos).toBeCloseTo(Math.cos((2 * Math.PI * 3) / 7), 12);
  });

  test('seconds since the sound level last crossed 10, from the first reading before any crossing', () => {
    const sounds = [4, 6, 11, 13, 10, 9, 12];
    const rows = run(sounds.map((s, i) => reading(i * 60, s)));
    // Flips of (sound > 10) at 120 s (6→11), 240 s (13→10), 360 s (9→12).
    expect(rows.map((r) => r.sound_secs_since_cross)).toEqual([0, 60, 0, 60, 0, 60, 0]);
  });

  test('the state stays bounded however long the stream, and is plain JSON', () => {
    let state: DeviceFeatureState = initialDeviceState();
    for (let i = 0; i < 500; i++) state = stepFeatures(spec, state, reading(i * 30, i % 7 === 0 ? 20 : 5)).state;
    expect(state.recent.length).toBe(historyLength(spec));
    const restored = JSON.parse(JSON.stringify(state)) as DeviceFeatureState;
    const next = reading(500 * 30, 8);
    expect(stepFeatures(spec, restored, next).vector).toEqual(stepFeatures(spec, state, next).vector);
  });

  test('computeFeatureVector replays a history to the same vector as the streaming form', () => {
    const stream = [4, 12, 15, 9, 9, 30].map((s, i) => reading(i * 45, s, 20 + i));
    const last = stream[stream.length - 1] as Reading;
    const streamed = run(stream)[stream.length - 1];
    expect(byName(computeFeatureVector(spec, last, stream.slice(0, -1)))).toEqual(streamed);
    // Windowed features need only historyLength(spec) prior readings.
    const short = byName(computeFeatureVector(spec, last, stream.slice(-1 - historyLength(spec), -1)));
    expect(short.temperature_mean_3).toBe(streamed?.temperature_mean_3);
    expect(short.sound_delta).toBe(streamed?.sound_delta);
  });

  test.each([
    [{ ...reading(60, 5), values: { temperature: 20, humidity: 40, hvac_status: 'OFF' } }, 'values.sound'],
    [
      { ...reading(60, 5), values: { temperature: '20', humidity: 40, sound: 1, hvac_status: 'OFF' } },
      'values.temperature',
    ],
    [
      { ...reading(60, 5), values: { temperature: 20, humidity: Number.NaN, sound: 1, hvac_status: 'OFF' } },
      'values.humidity',
    ],
    [{ ...reading(60, 5), values: { temperature: 20, humidity: 40, sound: 1, hvac_status: 3 } }, 'values.hvac_status'],
    [{ ...reading(60, 5), ts: 1.5 }, 'ts'],
    [reading(0, 5), 'ts'],
    [reading(-60, 5), 'ts'],
    [{ ...reading(60, 5), thingName: 'room-2' }, 'thingName'],
    [{ ...reading(60, 5), thingName: '' }, 'thingName'],
  ] as [Reading, string][])('rejects a bad reading %# naming %s', (bad, field) => {
    const state = stepFeatures(spec, initialDeviceState(), reading(0, 5)).state;
    expect(() => stepFeatures(spec, state, bad)).toThrow(FeatureInputError);
    expect(() => stepFeatures(spec, state, bad)).toThrow(expect.objectContaining({ field }));
  });
});

describe('fleet evaluator (the allocation-free fast path)', () => {
  const start = Date.UTC(2024, 0, 1, 6, 0, 0);

  /** Every device's deduplicated stream, interleaved in fleet time order as a bulk scorer reads it. */
  function fleetRows(set: typeof THERMOSTAT, seed: number): Reading[] {
    const records = generateTelemetry(set, { devices: 5, readingsPerDevice: 300, seed, duplicateRate: 0.05, start });
    return [...dedupedStreams(records).values()]
      .flat()
      .sort((a, b) => a.ts - b.ts || (a.thingName < b.thingName ? -1 : 1));
  }

  test.each([
    [THERMOSTAT, 5],
    [UCI_ROOM_OCCUPANCY, 1],
    [UCI_ROOM_OCCUPANCY, 12],
  ] as const)(
    'stepBatch over interleaved devices equals stepFeatures per device, bit for bit (%#)',
    (set, rollingWindow) => {
      const fleetSpec = buildFeatureSpec(set, { rollingWindow });
      const rows = fleetRows(set, 11 + rollingWindow);
      const evaluator = new FleetFeatureEvaluator(fleetSpec, 2); // grows past its first capacity
      const width = evaluator.width;
      const batchSize = 97; // batches cut devices' streams at arbitrary points
      const out = new Float64Array(batchSize * width);
      const states = new Map<string, DeviceFeatureState>();
      for (let from = 0; from < rows.length; from += batchSize) {
        const chunk = rows.slice(from, from + batchSize);
        const batch = {
          rows: chunk.length,
          slots: Int32Array.from(chunk, (r) => evaluator.slotOf(r.thingName)),
          ts: Float64Array.from(chunk, (r) => r.ts),
          numeric: fleetSpec.numericInputs.map((s) => Float64Array.from(chunk, (r) => r.values[s.name] as number)),
          enums: fleetSpec.enumInputs.map((s, e) =>
            Int32Array.from(chunk, (r) => evaluator.enumCode(e, r.values[s.name] as string)),
          ),
        };
        evaluator.stepBatch(batch, out);
        chunk.forEach((reading, r) => {
          const step = stepFeatures(fleetSpec, states.get(reading.thingName) ?? initialDeviceState(), reading);
          states.set(reading.thingName, step.state);
          expect(Array.from(out.subarray(r * width, (r + 1) * width))).toEqual(step.vector);
        });
      }
      expect(evaluator.size).toBe(5);
      for (const [thingName, state] of states) expect(evaluator.state(evaluator.slotOf(thingName))).toEqual(state);
    },
  );

  test('a state taken from the fleet evaluator continues in stepFeatures, and back', () => {
    const stream = [4, 12, 15, 9, 9, 30, 2, 11].map((s, i) => reading(i * 45, s, 20 + i));
    const evaluator = new FleetFeatureEvaluator(spec);
    const slot = evaluator.slotOf('room-1');
    const out = new Float64Array(evaluator.width);
    for (const r of stream.slice(0, 4)) evaluator.stepReading(slot, r, out);
    let state = evaluator.state(slot);
    for (const r of stream.slice(4, 6)) state = stepFeatures(spec, state, r).state;
    const other = evaluator.addSlot();
    evaluator.restore(other, state);
    for (const r of stream.slice(6)) evaluator.stepReading(other, r, out);
    expect(byName(Array.from(out))).toEqual(run(stream)[stream.length - 1]);
  });

  test('rolling std stays exact on large values (no running sum of squares to cancel)', () => {
    const spec5 = buildFeatureSpec(THERMOSTAT);
    const evaluator = new FleetFeatureEvaluator(spec5);
    const slot = evaluator.addSlot();
    const out = new Float64Array(evaluator.width);
    const std = featureNames(spec5).indexOf('temperature_std_5');
    // 1e12 + 0..4: mean 1e12 + 2, population variance 2. E[x²] - E[x]² would lose every digit here.
    for (let i = 0; i < 5; i++)
      evaluator.stepReading(
        slot,
        { ...reading(i * 60, 5), values: { ...reading(0, 5).values, temperature: 1e12 + i } },
        out,
      );
    expect(out[std]).toBe(Math.sqrt(2));
  });

  test('stepBatch refuses a row out of time order, a non-finite value and an unknown slot, naming the field', () => {
    const evaluator = new FleetFeatureEvaluator(spec);
    const slot = evaluator.addSlot();
    const out = new Float64Array(2 * evaluator.width);
    const batch = (ts: number[], temperature: number[], slots = [slot, slot]) => ({
      rows: ts.length,
      slots: Int32Array.from(slots),
      ts: Float64Array.from(ts),
      numeric: [Float64Array.from(temperature), Float64Array.of(40, 40), Float64Array.of(5, 5)],
      enums: [Int32Array.of(0, 0)],
    });
    expect(() => evaluator.stepBatch(batch([T0, T0], [20, 21]), out)).toThrow(expect.objectContaining({ field: 'ts' }));
    expect(() => evaluator.stepBatch(batch([T0 + 1, T0 + 2], [20, Number.NaN]), out)).toThrow(
      expect.objectContaining({ field: 'values.temperature' }),
    );
    expect(() => evaluator.stepBatch(batch([T0 + 3, T0 + 4], [20, 21], [slot, 7]), out)).toThrow(
      expect.objectContaining({ field: 'slot' }),
    );
    expect(() => evaluator.stepBatch(batch([T0 + 5, T0 + 6], [20, 21]), new Float64Array(3))).toThrow(
      expect.objectContaining({ field: 'out' }),
    );
  });
});
