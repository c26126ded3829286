import { buildFeatureSpec, DEFAULT_FEATURE_OPTIONS, type FeatureSpec } from '../../features';
import type { SignalSet } from '../../telemetry/signals';

/**
 * One answered reading as lake data (the `predictions` table, Glue on AWS, the local lake's view): what the
 * monitor joins with `labels` on (thing_name, ts) for live F1, and reads per feature for drift. Pure: no I/O.
 */

/** Glue/Athena names of the predictions table; the Firehose stream converts against this table. */
export const PREDICTIONS_TABLE = 'predictions';

/** `source` of a prediction: the model endpoint answered, or the static rule did when the endpoint could not. */
export type PredictionSource = 'model' | 'fallback';

/**
 * A feature's column in the predictions table: `f_<feature name>`. The prefix keeps features (raw ones are named as
 * their signal) from ever taking a prediction column's name (`source`, `variant`, …).
 */
export const predictionFeatureColumn = (feature: string): string => `f_${feature}`;

/** The fixed columns, in table order (the feature columns follow, in the feature spec's order). */
export const PREDICTION_FIXED_COLUMNS = [
  { name: 'thing_name', glue: 'string', duckdb: 'VARCHAR' },
  /** The reading's device time, epoch ms: the telemetry and labels tables' `ts`. */
  { name: 'ts', glue: 'bigint', duckdb: 'BIGINT' },
  /** When the Lambda answered, epoch ms. */
  { name: 'predicted_at', glue: 'bigint', duckdb: 'BIGINT' },
  /** The container's `model-version` custom attribute, else `<endpoint>/<variant>`; the rule's `threshold:<signal>><level>`. */
  { name: 'model_version', glue: 'string', duckdb: 'VARCHAR' },
  /** The endpoint variant that answered (InvokedProductionVariant); '' for the static rule. */
  { name: 'variant', glue: 'string', duckdb: 'VARCHAR' },
  /** P(occupied). The static rule is certain of itself: 1 when it says occupied, else 0. */
  { name: 'probability', glue: 'double', duckdb: 'DOUBLE' },
  /** 1 occupied, 0 not: what was written to the shadow's desired.roomOccupancy. */
  { name: 'decision', glue: 'int', duckdb: 'INTEGER' },
  { name: 'source', glue: 'string', duckdb: 'VARCHAR' },
] as const;

export interface PredictionColumn {
  readonly name: string;
  readonly glue: string;
  readonly duckdb: string;
}

/**
 * The feature spec the inference Lambda serves with by default (its FEATURE_ROLLING_WINDOW default is the feature
 * options' default), so the table's feature columns are the Lambda's features.
 */
export const servedFeatureSpec = (set: SignalSet, rollingWindow = DEFAULT_FEATURE_OPTIONS.rollingWindow): FeatureSpec =>
  buildFeatureSpec(set, { rollingWindow });

/** Every column of the predictions table (without the `dt` partition), in order: the Glue table and the lake view. */
export function predictionColumns(spec: FeatureSpec): readonly PredictionColumn[] {
  return [
    ...PREDICTION_FIXED_COLUMNS,
    ...spec.features.map((f) => ({ name: predictionFeatureColumn(f.name), glue: 'double', duckdb: 'DOUBLE' })),
  ];
}

/** What the handler knows of one answered reading. */
export interface PredictionInput {
  readonly thingName: string;
  readonly ts: number;
  readonly predictedAt: number;
  readonly modelVersion: string;
  readonly variant: string;
  readonly probability: number;
  readonly occupied: boolean;
  readonly source: PredictionSource;
  /** The feature row the answer was made from, in the spec's order. */
  readonly vector: readonly number[];
}

/** One record as Firehose's OpenX JSON deserializer reads it against the Glue table (keys = column names). */
export type PredictionRecord = Readonly<Record<string, string | number | null>>;

/** The record of one answer; a non-finite feature is null (Parquet has no NaN column value the monitor wants). */
export function predictionRecord(spec: FeatureSpec, input: PredictionInput): PredictionRecord {
  if (input.vector.length !== spec.features.length) {
    throw new RangeError(`vector: ${input.vector.length} values for ${spec.features.length} features`);
  }
  const record: Record<string, string | number | null> = {
    thing_name: input.thingName,
    ts: input.ts,
    predicted_at: input.predictedAt,
    model_version: input.modelVersion,
    variant: input.variant,
    probability: input.probability,
    decision: input.occupied ? 1 : 0,
    source: input.source,
  };
  spec.features.forEach((feature, i) => {
    const value = input.vector[i];
    record[predictionFeatureColumn(feature.name)] = value !== undefined && Number.isFinite(value) ? value : null;
  });
  return record;
}
