import { type EnumSignal, enumSignals, type NumericSignal, numericSignals, type SignalSet } from '../telemetry/signals';

/**
 * The one feature definition (DESIGN.md §2): a declarative spec generated from a signal set. Two
 * interpreters read it — the SQL generator (`sql.ts`, training data in DuckDB/Athena) and the
 * TypeScript evaluator (`evaluator.ts`, real-time inference) — so training and serving cannot drift.
 */

export class FeatureSpecError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'FeatureSpecError';
  }
}

export type FeatureKind = 'raw' | 'delta' | 'rolling' | 'crossing' | 'oneHot' | 'time';

export interface FeatureOptions {
  /**
   * Rolling window k: mean/std over the last k readings of the device, the current one included
   * (fewer at the start of a device's stream).
   * @default 5
   */
  readonly rollingWindow: number;
  /**
   * Which feature kinds to emit.
   * @default all: raw, delta, rolling, crossing, oneHot, time
   */
  readonly include: Readonly<Record<FeatureKind, boolean>>;
}

export const DEFAULT_FEATURE_OPTIONS: FeatureOptions = {
  rollingWindow: 5,
  include: { raw: true, delta: true, rolling: true, crossing: true, oneHot: true, time: true },
};

/** Largest rolling window accepted: the evaluator keeps k-1 readings per device in memory. */
export const MAX_ROLLING_WINDOW = 1000;

export type TimeFeatureKind = 'hour_sin' | 'hour_cos' | 'weekday_sin' | 'weekday_cos';

export type FeatureDef =
  /** The signal's value as reported. Named exactly as the signal (baselines rely on it). */
  | { readonly kind: 'raw'; readonly name: string; readonly signal: string }
  /** Value minus the device's previous reading's value; 0 for a device's first reading. */
  | { readonly kind: 'delta'; readonly name: string; readonly signal: string }
  /** Mean over the last `window` readings of the device, current included. */
  | { readonly kind: 'rolling_mean'; readonly name: string; readonly signal: string; readonly window: number }
  /** Population standard deviation over the last `window` readings of the device, current included. */
  | { readonly kind: 'rolling_std'; readonly name: string; readonly signal: string; readonly window: number }
  /**
   * Seconds since the most recent reading at which `value > level` flipped vs the previous reading;
   * before the device's first flip, seconds since its first reading.
   */
  | { readonly kind: 'secs_since_cross'; readonly name: string; readonly signal: string; readonly level: number }
  /** 1 when the enum signal equals `value`, else 0. */
  | { readonly kind: 'one_hot'; readonly name: string; readonly signal: string; readonly value: string }
  /** Cyclic encoding of the UTC hour of day (fractional) or weekday (0 = Sunday) of the reading's ts. */
  | { readonly kind: TimeFeatureKind; readonly name: TimeFeatureKind };

export interface FeatureSpec {
  readonly signalSetId: string;
  readonly options: FeatureOptions;
  /** The numeric input columns read (lake columns), in signal-set order. */
  readonly numericInputs: readonly NumericSignal[];
  /** The enum input columns read (lake columns), in signal-set order. */
  readonly enumInputs: readonly EnumSignal[];
  /** Output features in their stable order. */
  readonly features: readonly FeatureDef[];
}

/** Column names the export adds around the features; a feature may not take one of them. */
export const RESERVED_COLUMNS: readonly string[] = ['thing_name', 'ts', 'received_at', 'split', 'occupied'];

const IDENTIFIER = /^[a-z][a-z0-9_]*$/;

function checkIdentifier(name: string, field: string): void {
  if (!IDENTIFIER.test(name)) {
    throw new FeatureSpecError(
      `${field} "${name}" is not a snake_case identifier ([a-z][a-z0-9_]*) usable as a column name`,
      field,
    );
  }
}

function resolveOptions(options: Partial<FeatureOptions>): FeatureOptions {
  const rollingWindow = options.rollingWindow ?? DEFAULT_FEATURE_OPTIONS.rollingWindow;
  if (!Number.isInteger(rollingWindow) || rollingWindow < 1 || rollingWindow > MAX_ROLLING_WINDOW) {
    throw new FeatureSpecError(
      `rollingWindow must be an integer in [1, ${MAX_ROLLING_WINDOW}], got ${rollingWindow}`,
      'rollingWindow',
    );
  }
  return { rollingWindow, include: { ...DEFAULT_FEATURE_OPTIONS.include, ...options.include } };
}

/** Builds the feature spec of a signal set. Throws FeatureSpecError on unusable names or options. */
export function buildFeatureSpec(set: SignalSet, options: Partial<FeatureOptions> = {}): FeatureSpec {
  const resolved = resolveOptions(options);
  const { include, rollingWindow: k } = resolved;
  const numericInputs = numericSignals(set);
  const enumInputs = enumSignals(set);
  const features: FeatureDef[] = [];

  for (const signal of numericInputs) {
    checkIdentifier(signal.name, 'signal name');
    const s = signal.name;
    if (include.raw) features.push({ kind: 'raw', name: s, signal: s });
    if (include.delta) features.push({ kind: 'delta', name: `${s}_delta`, signal: s });
    if (include.rolling) {
      features.push({ kind: 'rolling_mean', name: `${s}_mean_${k}`, signal: s, window: k });
      features.push({ kind: 'rolling_std', name: `${s}_std_${k}`, signal: s, window: k });
    }
    if (include.crossing && signal.crossingLevel !== undefined) {
      if (!Number.isFinite(signal.crossingLevel)) {
        throw new FeatureSpecError(`crossingLevel of "${s}" must be finite`, `${s}.crossingLevel`);
      }
      features.push({
        kind: 'secs_since_cross',
        name: `${s}_secs_since_cross`,
        signal: s,
        level: signal.crossingLevel,
      });
    }
  }
  for (const signal of enumInputs) {
    checkIdentifier(signal.name, 'signal name');
    if (!include.oneHot) continue;
    for (const value of signal.values) {
      const name = `${signal.name}_is_${value.toLowerCase()}`;
      checkIdentifier(name, `one-hot feature of ${signal.name}`);
      features.push({ kind: 'one_hot', name, signal: signal.name, value });
    }
  }
  if (include.time) {
    for (const kind of ['hour_sin', 'hour_cos', 'weekday_sin', 'weekday_cos'] as const) {
      features.push({ kind, name: kind });
    }
  }

  const seen = new Set<string>();
  for (const feature of features) {
    if (RESERVED_COLUMNS.includes(feature.name)) {
      throw new FeatureSpecError(`feature "${feature.name}" collides with a reserved column`, feature.name);
    }
    if (seen.has(feature.name)) {
      throw new FeatureSpecError(`feature name "${feature.name}" is produced twice`, feature.name);
    }
    seen.add(feature.name);
  }
  if (features.length === 0) throw new FeatureSpecError('the spec produces no features', 'include');
  return { signalSetId: set.id, options: resolved, numericInputs, enumInputs, features };
}

export function featureNames(spec: FeatureSpec): string[] {
  return spec.features.map((f) => f.name);
}

/**
 * Prior readings of the device the evaluator needs for the windowed features (delta, rolling):
 * max(1, k-1). The crossing feature depends on unbounded history; the streaming evaluator carries it
 * in `DeviceFeatureState` instead.
 */
export function historyLength(spec: FeatureSpec): number {
  return Math.max(1, spec.options.rollingWindow - 1);
}
