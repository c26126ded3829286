import type { Reading } from '../telemetry/reading';
import { type FeatureDef, type FeatureSpec, historyLength } from './spec';

/**
 * The TypeScript interpreter of the feature spec, for real-time inference. It must produce what the
 * SQL generator produces for the same device stream (the parity test holds both to 1e-9).
 *
 * Chosen form: streaming. `stepFeatures(spec, state, reading)` takes a small carry-over state per
 * device and returns the vector and the next state. The state is bounded — the last max(1, k-1)
 * readings' numeric values plus, per crossing feature, the time of the last crossing — and plain JSON,
 * so a caller can persist it (e.g. next to the device shadow). `computeFeatureVector` is a convenience
 * wrapper that replays a history; its crossing feature can only see as far back as that history.
 */

export class FeatureInputError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'FeatureInputError';
  }
}

export interface DeviceFeatureState {
  /** The device these values belong to; null before its first reading. */
  readonly thingName: string | null;
  /** Time of the device's first reading (epoch ms). */
  readonly firstTs: number | null;
  /** Time of the latest reading seen; the next must be strictly later. */
  readonly lastTs: number | null;
  /** Numeric input values (spec.numericInputs order) of the most recent readings, oldest first. */
  readonly recent: readonly (readonly number[])[];
  /** Per numeric input: time of the latest reading at which `value > crossingLevel` flipped, or null. */
  readonly lastCrossTs: readonly (number | null)[];
}

export function initialDeviceState(): DeviceFeatureState {
  return { thingName: null, firstTs: null, lastTs: null, recent: [], lastCrossTs: [] };
}

const DAY_MS = 86_400_000;

/** Per-spec precomputation: input index of every feature, so a step does no name lookups. */
interface Plan {
  readonly numericNames: readonly string[];
  readonly enumNames: readonly string[];
  /** For each feature, the index of its numeric input (or -1). */
  readonly inputIndex: readonly number[];
  /** Crossing level per numeric input, NaN where there is no crossing feature. */
  readonly crossingLevels: readonly number[];
  readonly keep: number;
}

const plans = new WeakMap<FeatureSpec, Plan>();

function planFor(spec: FeatureSpec): Plan {
  const cached = plans.get(spec);
  if (cached) return cached;
  const numericNames = spec.numericInputs.map((s) => s.name);
  const crossingLevels = numericNames.map(() => Number.NaN);
  const inputIndex = spec.features.map((f) => {
    if (f.kind === 'secs_since_cross') crossingLevels[numericNames.indexOf(f.signal)] = f.level;
    return 'signal' in f ? numericNames.indexOf(f.signal) : -1;
  });
  const plan: Plan = {
    numericNames,
    enumNames: spec.enumInputs.map((s) => s.name),
    inputIndex,
    crossingLevels,
    keep: historyLength(spec),
  };
  plans.set(spec, plan);
  return plan;
}

function readNumericInputs(plan: Plan, reading: Reading): number[] {
  const row = new Array<number>(plan.numericNames.length);
  for (let i = 0; i < plan.numericNames.length; i++) {
    const name = plan.numericNames[i] as string;
    const value = reading.values[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new FeatureInputError(
        `values.${name} must be a finite number, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`,
        `values.${name}`,
      );
    }
    row[i] = value;
  }
  return row;
}

function checkReading(plan: Plan, state: DeviceFeatureState, reading: Reading): void {
  if (typeof reading.thingName !== 'string' || reading.thingName === '') {
    throw new FeatureInputError('thingName must be a non-empty string', 'thingName');
  }
  if (state.thingName !== null && state.thingName !== reading.thingName) {
    throw new FeatureInputError(
      `thingName "${reading.thingName}" does not match the state's device "${state.thingName}"`,
      'thingName',
    );
  }
  if (!Number.isSafeInteger(reading.ts)) throw new FeatureInputError(`ts must be epoch ms, got ${reading.ts}`, 'ts');
  if (state.lastTs !== null && reading.ts <= state.lastTs) {
    throw new FeatureInputError(
      `ts ${reading.ts} is not after the device's previous reading (${state.lastTs}): history must be deduplicated and ascending`,
      'ts',
    );
  }
  for (const name of plan.enumNames) {
    const value = reading.values[name];
    if (typeof value !== 'string') throw new FeatureInputError(`values.${name} must be a string`, `values.${name}`);
  }
}

/** Mean and population std of `recent[*][index]` (the last `window - 1`) plus `current`, oldest first. */
function rollingStats(
  recent: readonly (readonly number[])[],
  index: number,
  current: number,
  window: number,
): { mean: number; std: number } {
  const from = Math.max(0, recent.length - (window - 1));
  const n = recent.length - from + 1;
  let sum = 0;
  for (let r = from; r < recent.length; r++) sum += recent[r]?.[index] ?? 0;
  sum += current;
  const mean = sum / n;
  // Two-pass variance: exact 0 for constant windows, where a sum-of-squares form would leave noise.
  let squares = 0;
  for (let r = from; r < recent.length; r++) {
    const dev = (recent[r]?.[index] ?? 0) - mean;
    squares += dev * dev;
  }
  const devCurrent = current - mean;
  squares += devCurrent * devCurrent;
  return { mean, std: Math.sqrt(squares / n) };
}

/** One reading of one device → its feature vector (featureNames order) and the device's next state. */
export function stepFeatures(
  spec: FeatureSpec,
  state: DeviceFeatureState,
  reading: Reading,
): { vector: number[]; state: DeviceFeatureState } {
  const plan = planFor(spec);
  checkReading(plan, state, reading);
  const current = readNumericInputs(plan, reading);
  const previous = state.recent[state.recent.length - 1];
  const firstTs = state.firstTs ?? reading.ts;

  const inputs = current.length;
  const lastCrossTs = new Array<number | null>(inputs);
  for (let i = 0; i < inputs; i++) {
    const carried = state.lastCrossTs[i] ?? null;
    const level = plan.crossingLevels[i] ?? Number.NaN;
    if (Number.isNaN(level) || previous === undefined) {
      lastCrossTs[i] = carried;
    } else {
      const value = current[i] ?? Number.NaN;
      const before = previous[i] ?? Number.NaN;
      lastCrossTs[i] = value > level !== before > level ? reading.ts : carried;
    }
  }

  const features = spec.features;
  const vector = new Array<number>(features.length);
  for (let f = 0; f < features.length; f++) {
    const feature = features[f] as FeatureDef;
    const index = plan.inputIndex[f] ?? -1;
    const value = current[index] ?? Number.NaN;
    switch (feature.kind) {
      case 'raw':
        vector[f] = value;
        break;
      case 'delta':
        vector[f] = previous === undefined ? 0 : value - (previous[index] ?? Number.NaN);
        break;
      case 'rolling_mean':
        vector[f] = rollingStats(state.recent, index, value, feature.window).mean;
        break;
      case 'rolling_std':
        vector[f] = rollingStats(state.recent, index, value, feature.window).std;
        break;
      case 'secs_since_cross':
        vector[f] = (reading.ts - (lastCrossTs[index] ?? firstTs)) / 1000;
        break;
      case 'one_hot':
        vector[f] = reading.values[feature.signal] === feature.value ? 1 : 0;
        break;
      case 'hour_sin':
        vector[f] = Math.sin((2 * Math.PI * (reading.ts % DAY_MS)) / DAY_MS);
        break;
      case 'hour_cos':
        vector[f] = Math.cos((2 * Math.PI * (reading.ts % DAY_MS)) / DAY_MS);
        break;
      case 'weekday_sin':
        vector[f] = Math.sin((2 * Math.PI * weekday(reading.ts)) / 7);
        break;
      case 'weekday_cos':
        vector[f] = Math.cos((2 * Math.PI * weekday(reading.ts)) / 7);
        break;
    }
  }

  const recent =
    state.recent.length >= plan.keep ? state.recent.slice(state.recent.length - plan.keep + 1) : [...state.recent];
  recent.push(current);
  return {
    vector,
    state: { thingName: reading.thingName, firstTs, lastTs: reading.ts, recent, lastCrossTs },
  };
}

/** UTC weekday, 0 = Sunday (1970-01-01 was a Thursday). */
function weekday(ts: number): number {
  return (((Math.floor(ts / DAY_MS) + 4) % 7) + 7) % 7;
}

/**
 * Convenience form: the vector of `reading` given the device's prior readings (deduplicated, ascending
 * ts, newest last). Windowed features need only the last `historyLength(spec)`; the crossing feature
 * counts from the first reading in `history`, so pass the full stream (or use `stepFeatures` with a
 * carried state) when it matters.
 */
export function computeFeatureVector(spec: FeatureSpec, reading: Reading, history: readonly Reading[]): number[] {
  let state = initialDeviceState();
  for (const prior of history) state = stepFeatures(spec, state, prior).state;
  return stepFeatures(spec, state, reading).vector;
}
