import type { Reading } from '../telemetry/reading';
import { type DeviceFeatureState, FleetFeatureEvaluator } from './evaluator-fleet';
import type { FeatureSpec } from './spec';

/**
 * The TypeScript interpreter of the feature spec, for real-time inference. It must produce what the
 * SQL generator produces for the same device stream (the parity test holds both to 1e-9).
 *
 * Chosen form: streaming. `stepFeatures(spec, state, reading)` takes a small carry-over state per
 * device and returns the vector and the next state. The state is bounded — the last max(1, k-1)
 * readings' numeric values plus, per crossing feature, the time of the last crossing — and plain JSON,
 * so a caller can persist it (e.g. next to the device shadow). `computeFeatureVector` is a convenience
 * wrapper that replays a history; its crossing feature can only see as far back as that history.
 * Both run on the allocation-free fleet kernel (evaluator-fleet.ts), which callers stepping many readings
 * (a fleet, a bench) use directly.
 */

export { type DeviceFeatureState, FeatureInputError } from './evaluator-fleet';

export function initialDeviceState(): DeviceFeatureState {
  return { thingName: null, firstTs: null, lastTs: null, recent: [], lastCrossTs: [] };
}

/** One single-slot kernel and output buffer per spec, reused by every call (steps are synchronous). */
const kernels = new WeakMap<FeatureSpec, { evaluator: FleetFeatureEvaluator; out: Float64Array }>();

function kernelFor(spec: FeatureSpec): { evaluator: FleetFeatureEvaluator; out: Float64Array } {
  let kernel = kernels.get(spec);
  if (!kernel) {
    const evaluator = new FleetFeatureEvaluator(spec, 1);
    evaluator.addSlot();
    kernel = { evaluator, out: new Float64Array(evaluator.width) };
    kernels.set(spec, kernel);
  }
  return kernel;
}

/** One reading of one device → its feature vector (featureNames(spec) order) and the device's next state. */
export function stepFeatures(
  spec: FeatureSpec,
  state: DeviceFeatureState,
  reading: Reading,
): { vector: number[]; state: DeviceFeatureState } {
  const { evaluator, out } = kernelFor(spec);
  evaluator.restore(0, state);
  evaluator.stepReading(0, reading, out);
  const vector: number[] = new Array(out.length);
  for (let f = 0; f < out.length; f++) vector[f] = out[f] as number;
  return { vector, state: evaluator.stateAfter(0, state) };
}

/**
 * Convenience form: the vector of `reading` given the device's prior readings (deduplicated, ascending
 * ts, newest last). Windowed features need only the last `historyLength(spec)`; the crossing feature
 * counts from the first reading in `history`, so pass the full stream (or use `stepFeatures` with a
 * carried state) when it matters.
 */
export function computeFeatureVector(spec: FeatureSpec, reading: Reading, history: readonly Reading[]): number[] {
  const evaluator = new FleetFeatureEvaluator(spec, 1);
  const slot = evaluator.addSlot();
  const out = new Float64Array(evaluator.width);
  for (const prior of history) evaluator.stepReading(slot, prior, out);
  evaluator.stepReading(slot, reading, out);
  return Array.from(out);
}
