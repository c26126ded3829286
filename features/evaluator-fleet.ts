import type { Reading } from '../telemetry/reading';
import { type FeatureSpec, historyLength } from './spec';

/**
 * The fast path of the TypeScript feature evaluator: one object for a whole fleet, every device's carry-over
 * state in flat typed arrays (a ring buffer of its last readings, its first/last/crossing times), vectors written
 * into a caller's Float64Array. A step allocates nothing. `stepFeatures` (evaluator.ts) runs on this kernel, so the
 * object API, the fleet API and the parity test all exercise one implementation; the arithmetic is the object
 * form's (two-pass variance over the window, oldest first), so it stays within 1e-9 of DuckDB's stddev_pop.
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

/** Carry-over state of one device in plain JSON (see evaluator.ts `DeviceFeatureState`). */
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

/**
 * Columns of a batch of readings, row r of each array belonging together. `numeric[i]` follows
 * spec.numericInputs, `enums[j]` spec.enumInputs and holds `enumCode(j, value)`.
 */
export interface FeatureBatch {
  readonly rows: number;
  /** Device slot of each row (`slotOf`). A device's rows must be in ascending ts, across batches too. */
  readonly slots: Int32Array;
  readonly ts: Float64Array;
  readonly numeric: readonly Float64Array[];
  readonly enums: readonly Int32Array[];
}

const DAY_MS = 86_400_000;
const OP_RAW = 0;
const OP_DELTA = 1;
const OP_MEAN = 2;
const OP_STD = 3;
const OP_CROSS = 4;
const OP_ONE_HOT = 5;
const OP_HOUR_SIN = 6;
const OP_HOUR_COS = 7;
const OP_WEEKDAY_SIN = 8;
const OP_WEEKDAY_COS = 9;
const OPS = {
  raw: OP_RAW,
  delta: OP_DELTA,
  rolling_mean: OP_MEAN,
  rolling_std: OP_STD,
  secs_since_cross: OP_CROSS,
  one_hot: OP_ONE_HOT,
  hour_sin: OP_HOUR_SIN,
  hour_cos: OP_HOUR_COS,
  weekday_sin: OP_WEEKDAY_SIN,
  weekday_cos: OP_WEEKDAY_COS,
} as const;

// sin/cos of 2π·weekday/7: seven values, computed by the same expression as a per-reading call would.
const WEEKDAY_SIN = Float64Array.from({ length: 7 }, (_, w) => Math.sin((2 * Math.PI * w) / 7));
const WEEKDAY_COS = Float64Array.from({ length: 7 }, (_, w) => Math.cos((2 * Math.PI * w) / 7));

export class FleetFeatureEvaluator {
  /** Features per vector (featureNames(spec) order). */
  readonly width: number;
  private readonly inputs: number;
  private readonly keep: number;
  private readonly numericNames: readonly string[];
  private readonly enumNames: readonly string[];
  /** Per enum input: value → code (index among the spec's one-hot values of that input). */
  private readonly enumCodes: readonly Map<string, number>[];
  private readonly ops: Int32Array;
  /** Numeric input, enum input or rolling-stat index of each feature. */
  private readonly args: Int32Array;
  /** Enum code of each one-hot feature. */
  private readonly codes: Int32Array;
  /** Rolling stats computed once per step: input and window of each. */
  private readonly statInput: Int32Array;
  private readonly statWindow: Int32Array;
  private readonly crossInputs: Int32Array;
  private readonly crossLevels: Float64Array;
  // Scratch of the step in progress.
  private readonly current: Float64Array;
  private readonly currentEnums: Int32Array;
  private readonly means: Float64Array;
  private readonly stds: Float64Array;
  // Per-slot state; NaN stands for "none".
  private capacity = 0;
  private slots = 0;
  private ring = new Float64Array(0);
  private held = new Int32Array(0);
  private head = new Int32Array(0);
  private firstTs = new Float64Array(0);
  private lastTs = new Float64Array(0);
  private crossTs = new Float64Array(0);
  private names: (string | null)[] = [];
  private readonly slotByName = new Map<string, number>();

  constructor(spec: FeatureSpec, capacity = 64) {
    this.numericNames = spec.numericInputs.map((s) => s.name);
    this.enumNames = spec.enumInputs.map((s) => s.name);
    this.inputs = this.numericNames.length;
    this.keep = historyLength(spec);
    this.width = spec.features.length;
    this.enumCodes = this.enumNames.map(() => new Map<string, number>());
    this.ops = new Int32Array(this.width);
    this.args = new Int32Array(this.width);
    this.codes = new Int32Array(this.width).fill(-1);
    const stats: [number, number][] = [];
    const crossings: [number, number][] = [];
    spec.features.forEach((feature, f) => {
      this.ops[f] = OPS[feature.kind];
      if (feature.kind === 'one_hot') {
        const e = this.enumNames.indexOf(feature.signal);
        const codes = this.enumCodes[e] as Map<string, number>;
        if (!codes.has(feature.value)) codes.set(feature.value, codes.size);
        this.args[f] = e;
        this.codes[f] = codes.get(feature.value) as number;
      } else if (feature.kind === 'rolling_mean' || feature.kind === 'rolling_std') {
        const input = this.numericNames.indexOf(feature.signal);
        let s = stats.findIndex(([i, w]) => i === input && w === feature.window);
        if (s < 0) s = stats.push([input, feature.window]) - 1;
        this.args[f] = s;
      } else if ('signal' in feature) {
        this.args[f] = this.numericNames.indexOf(feature.signal);
        if (feature.kind === 'secs_since_cross') crossings.push([this.args[f] as number, feature.level]);
      }
    });
    this.statInput = Int32Array.from(stats, ([i]) => i);
    this.statWindow = Int32Array.from(stats, ([, w]) => w);
    this.crossInputs = Int32Array.from(crossings, ([i]) => i);
    this.crossLevels = Float64Array.from(crossings, ([, level]) => level);
    this.current = new Float64Array(this.inputs);
    this.currentEnums = new Int32Array(this.enumNames.length);
    this.means = new Float64Array(stats.length);
    this.stds = new Float64Array(stats.length);
    this.grow(Math.max(1, capacity));
  }

  /** Number of device slots in use. */
  get size(): number {
    return this.slots;
  }

  /** The slot of `thingName`, a fresh one (initial state) the first time the device is seen. */
  slotOf(thingName: string): number {
    const known = this.slotByName.get(thingName);
    if (known !== undefined) return known;
    const slot = this.addSlot();
    this.names[slot] = thingName;
    this.slotByName.set(thingName, slot);
    return slot;
  }

  /** A fresh slot bound to no device name yet (the first reading's name binds it). */
  addSlot(): number {
    if (this.slots === this.capacity) this.grow(this.capacity * 2);
    const slot = this.slots++;
    this.reset(slot);
    return slot;
  }

  /** Code of an enum value for `FeatureBatch.enums[enumIndex]`; -1 for a value no feature names. */
  enumCode(enumIndex: number, value: string): number {
    return this.enumCodes[enumIndex]?.get(value) ?? -1;
  }

  /**
   * One reading of the device in `slot` → its vector in `out[offset .. offset + width)`; the slot's state
   * advances. Validates the reading like `stepFeatures` (FeatureInputError naming the field).
   */
  stepReading(slot: number, reading: Reading, out: Float64Array, offset = 0): void {
    this.checkSlot(slot);
    const thingName: unknown = reading.thingName;
    if (typeof thingName !== 'string' || thingName === '') {
      throw new FeatureInputError('thingName must be a non-empty string', 'thingName');
    }
    const bound = this.names[slot] ?? null;
    if (bound !== null && bound !== thingName) {
      throw new FeatureInputError(`thingName "${thingName}" does not match the state's device "${bound}"`, 'thingName');
    }
    if (!Number.isSafeInteger(reading.ts)) throw new FeatureInputError(`ts must be epoch ms, got ${reading.ts}`, 'ts');
    this.checkOrder(slot, reading.ts);
    for (let e = 0; e < this.enumNames.length; e++) {
      const name = this.enumNames[e] as string;
      const value = reading.values[name];
      if (typeof value !== 'string') throw new FeatureInputError(`values.${name} must be a string`, `values.${name}`);
      this.currentEnums[e] = this.enumCodes[e]?.get(value) ?? -1;
    }
    for (let i = 0; i < this.inputs; i++) {
      const name = this.numericNames[i] as string;
      const value = reading.values[name];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new FeatureInputError(
          `values.${name} must be a finite number, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`,
          `values.${name}`,
        );
      }
      this.current[i] = value;
    }
    this.names[slot] = thingName;
    this.advance(slot, reading.ts, out, offset);
  }

  /**
   * Every row of `batch` in order → `out[r * width ..]` (out holds at least rows × width). A bad row throws
   * FeatureInputError with the rows before it already stepped.
   */
  stepBatch(batch: FeatureBatch, out: Float64Array): void {
    const { rows, slots, ts, numeric, enums } = batch;
    if (out.length < rows * this.width) {
      throw new FeatureInputError(`out holds ${out.length} values, the batch needs ${rows * this.width}`, 'out');
    }
    if (numeric.length !== this.inputs || enums.length !== this.enumNames.length) {
      throw new FeatureInputError(
        `the batch has ${numeric.length} numeric and ${enums.length} enum columns, the spec ${this.inputs} and ${this.enumNames.length}`,
        'batch',
      );
    }
    for (let r = 0; r < rows; r++) {
      const slot = slots[r] as number;
      this.checkSlot(slot);
      const time = ts[r] as number;
      this.checkOrder(slot, time);
      for (let i = 0; i < this.inputs; i++) {
        const value = (numeric[i] as Float64Array)[r] as number;
        // value - value is 0 exactly for finite numbers (NaN for NaN and ±Infinity).
        if (value - value !== 0) {
          const name = this.numericNames[i] as string;
          throw new FeatureInputError(`values.${name} must be a finite number, got ${value}`, `values.${name}`);
        }
        this.current[i] = value;
      }
      for (let e = 0; e < this.currentEnums.length; e++) this.currentEnums[e] = (enums[e] as Int32Array)[r] as number;
      this.advance(slot, time, out, r * this.width);
    }
  }

  /** The slot's carry-over state as plain JSON (what `stepFeatures` returns). */
  state(slot: number): DeviceFeatureState {
    this.checkSlot(slot);
    const held = this.held[slot] as number;
    const recent: number[][] = new Array(held);
    for (let r = 0; r < held; r++) recent[r] = this.row(this.rowAt(slot, held, r));
    return this.stateWith(slot, recent);
  }

  /**
   * The state after one step from `previous` (just `restore`d into `slot`): the same as `state(slot)`, sharing
   * `previous`'s rows (they are never mutated), so a step allocates one new row instead of `historyLength`.
   */
  stateAfter(slot: number, previous: DeviceFeatureState): DeviceFeatureState {
    this.checkSlot(slot);
    const kept = Math.min(previous.recent.length, this.keep - 1);
    const recent: (readonly number[])[] = new Array(kept + 1);
    for (let r = 0; r < kept; r++) {
      recent[r] = previous.recent[previous.recent.length - kept + r] as readonly number[];
    }
    const held = this.held[slot] as number;
    recent[kept] = this.row(this.rowAt(slot, held, held - 1));
    return this.stateWith(slot, recent);
  }

  /**
   * Loads a state (from `state` or `stepFeatures`) into `slot`; the newest `historyLength` readings are kept. The
   * slot is bound to the state's device for validation (`slotOf` keeps answering only for the slots it created).
   */
  restore(slot: number, state: DeviceFeatureState): void {
    this.checkSlot(slot);
    const inputs = this.inputs;
    this.names[slot] = state.thingName;
    this.firstTs[slot] = state.firstTs ?? Number.NaN;
    this.lastTs[slot] = state.lastTs ?? Number.NaN;
    const from = Math.max(0, state.recent.length - this.keep);
    const base = slot * this.keep * inputs;
    for (let r = from; r < state.recent.length; r++) {
      const row = state.recent[r] as readonly number[];
      const at = base + (r - from) * inputs;
      for (let i = 0; i < inputs; i++) this.ring[at + i] = row[i] ?? Number.NaN;
    }
    const held = state.recent.length - from;
    this.held[slot] = held;
    this.head[slot] = held % this.keep;
    for (let i = 0; i < inputs; i++) this.crossTs[slot * inputs + i] = state.lastCrossTs[i] ?? Number.NaN;
  }

  private stateWith(slot: number, recent: readonly (readonly number[])[]): DeviceFeatureState {
    const lastCrossTs: (number | null)[] = new Array(this.inputs);
    for (let i = 0; i < this.inputs; i++) lastCrossTs[i] = orNull(this.crossTs[slot * this.inputs + i] as number);
    return {
      thingName: this.names[slot] ?? null,
      firstTs: orNull(this.firstTs[slot] as number),
      lastTs: orNull(this.lastTs[slot] as number),
      recent,
      lastCrossTs,
    };
  }

  /** A copy of the ring row at `at` as a plain array. */
  private row(at: number): number[] {
    const row: number[] = new Array(this.inputs);
    for (let i = 0; i < this.inputs; i++) row[i] = this.ring[at + i] as number;
    return row;
  }

  /** The step proper, from `current`/`currentEnums`: features into out, then the reading joins the ring. */
  private advance(slot: number, ts: number, out: Float64Array, offset: number): void {
    const inputs = this.inputs;
    const keep = this.keep;
    const ring = this.ring;
    const current = this.current;
    const base = slot * keep * inputs;
    const held = this.held[slot] as number;
    const head = this.head[slot] as number;
    const previous = held > 0 ? base + ((head + keep - 1) % keep) * inputs : -1;
    if (Number.isNaN(this.firstTs[slot] as number)) this.firstTs[slot] = ts;
    const firstTs = this.firstTs[slot] as number;

    for (let c = 0; c < this.crossInputs.length; c++) {
      if (previous < 0) continue;
      const i = this.crossInputs[c] as number;
      const level = this.crossLevels[c] as number;
      if ((current[i] as number) > level !== (ring[previous + i] as number) > level) {
        this.crossTs[slot * inputs + i] = ts;
      }
    }
    for (let s = 0; s < this.statInput.length; s++) {
      const i = this.statInput[s] as number;
      const from = Math.max(0, held - ((this.statWindow[s] as number) - 1));
      const n = held - from + 1;
      // Oldest first, then the current value: the order of the object form, so results are bit-identical.
      let sum = 0;
      for (let r = from; r < held; r++) sum += ring[base + ((head + keep - held + r) % keep) * inputs + i] as number;
      sum += current[i] as number;
      const mean = sum / n;
      // Two-pass variance: exact 0 for constant windows, where a sum-of-squares form would leave noise.
      let squares = 0;
      for (let r = from; r < held; r++) {
        const dev = (ring[base + ((head + keep - held + r) % keep) * inputs + i] as number) - mean;
        squares += dev * dev;
      }
      const devCurrent = (current[i] as number) - mean;
      squares += devCurrent * devCurrent;
      this.means[s] = mean;
      this.stds[s] = Math.sqrt(squares / n);
    }

    const dayMs = ts % DAY_MS;
    const weekday = (((Math.floor(ts / DAY_MS) + 4) % 7) + 7) % 7;
    const ops = this.ops;
    const args = this.args;
    for (let f = 0; f < this.width; f++) {
      const arg = args[f] as number;
      let value: number;
      switch (ops[f]) {
        case OP_RAW:
          value = current[arg] as number;
          break;
        case OP_DELTA:
          value = previous < 0 ? 0 : (current[arg] as number) - (ring[previous + arg] as number);
          break;
        case OP_MEAN:
          value = this.means[arg] as number;
          break;
        case OP_STD:
          value = this.stds[arg] as number;
          break;
        case OP_CROSS: {
          const crossed = this.crossTs[slot * inputs + arg] as number;
          value = (ts - (Number.isNaN(crossed) ? firstTs : crossed)) / 1000;
          break;
        }
        case OP_ONE_HOT:
          value = this.currentEnums[arg] === this.codes[f] ? 1 : 0;
          break;
        case OP_HOUR_SIN:
          value = Math.sin((2 * Math.PI * dayMs) / DAY_MS);
          break;
        case OP_HOUR_COS:
          value = Math.cos((2 * Math.PI * dayMs) / DAY_MS);
          break;
        case OP_WEEKDAY_SIN:
          value = WEEKDAY_SIN[weekday] as number;
          break;
        default:
          value = WEEKDAY_COS[weekday] as number;
      }
      out[offset + f] = value;
    }

    ring.set(current, base + head * inputs);
    this.head[slot] = (head + 1) % keep;
    this.held[slot] = held < keep ? held + 1 : keep;
    this.lastTs[slot] = ts;
  }

  private checkOrder(slot: number, ts: number): void {
    const last = this.lastTs[slot] as number;
    if (ts <= last) {
      throw new FeatureInputError(
        `ts ${ts} is not after the device's previous reading (${last}): history must be deduplicated and ascending`,
        'ts',
      );
    }
  }

  private checkSlot(slot: number): void {
    if (!(Number.isInteger(slot) && slot >= 0 && slot < this.slots)) {
      throw new FeatureInputError(`slot ${slot} is not one of this evaluator's ${this.slots} slots`, 'slot');
    }
  }

  /** Ring offset of the r-th held reading of `slot`, oldest first. */
  private rowAt(slot: number, held: number, r: number): number {
    const head = this.head[slot] as number;
    return (slot * this.keep + ((head + this.keep - held + r) % this.keep)) * this.inputs;
  }

  private reset(slot: number): void {
    this.held[slot] = 0;
    this.head[slot] = 0;
    this.firstTs[slot] = Number.NaN;
    this.lastTs[slot] = Number.NaN;
    this.crossTs.fill(Number.NaN, slot * this.inputs, (slot + 1) * this.inputs);
  }

  private grow(capacity: number): void {
    const widen = <T extends Float64Array | Int32Array>(old: T, make: (n: number) => T, per: number): T => {
      const next = make(capacity * per);
      next.set(old);
      return next;
    };
    this.ring = widen(this.ring, (n) => new Float64Array(n), this.keep * this.inputs);
    this.held = widen(this.held, (n) => new Int32Array(n), 1);
    this.head = widen(this.head, (n) => new Int32Array(n), 1);
    this.firstTs = widen(this.firstTs, (n) => new Float64Array(n), 1);
    this.lastTs = widen(this.lastTs, (n) => new Float64Array(n), 1);
    this.crossTs = widen(this.crossTs, (n) => new Float64Array(n), this.inputs);
    this.names.length = capacity;
    this.capacity = capacity;
  }
}

const orNull = (value: number): number | null => (Number.isNaN(value) ? null : value);
