import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  ALL_HISTORY_START_DAY,
  buildFeatureSpec,
  buildFlagCountsQuery,
  buildLabelledQuery,
  buildReadingsQuery,
  buildSplitCutoffsQuery,
  buildTrainingWindowQuery,
  type FeatureSpec,
  featureNames,
  SPLIT_PLAN_OK,
  type SplitOptions,
  type TrainingWindow,
  windowPredicate,
} from '../features';
import { flagRuleOf } from '../health/flag-sql';
import { DEFAULT_PIPELINE_CONFIG, type SensorHealthConfig } from '../pipeline/config';
import type { LabelledTable } from '../telemetry/table';
import { explainLakeReadError, LakeError, type LocalLake } from './lake';

/**
 * Export = the feature query joined to the ground truth in force, over the training window, split by time and
 * written as Autopilot reads it: train/validation/holdout as Parquet (the features then the target `occupied`,
 * rows in time order), plus the holdout as CSV without header and target (what a batch transform job scores).
 * The features are computed once into a temporary table; each split is then one sorted range of it.
 */

export type SplitName = 'train' | 'validation' | 'holdout';
export const SPLITS: readonly SplitName[] = ['train', 'validation', 'holdout'];
export const TARGET_COLUMN = 'occupied';

export interface ExportManifest {
  readonly signalSet: string;
  readonly featureNames: string[];
  readonly target: typeof TARGET_COLUMN;
  readonly rows: Record<SplitName, number>;
  /** First and last reading time (epoch ms) per split: the holdout is the future. */
  readonly timeRange: Record<SplitName, { from: number | null; to: number | null }>;
  /** The split plan's message (planned split only): the cutoffs chosen (features/split-plan.ts). */
  readonly split?: string;
  /**
   * The training window: its length in days (0 = all history) and the first day (`dt`) read, the newest labelled
   * day included (null: all history).
   */
  readonly window: { readonly days: number; readonly startDay: string | null };
  /**
   * Readings of the window in no split: duplicates of a (device, time) already kept, no label in force yet, or
   * flagged (below) when flagged readings are excluded.
   */
  readonly readingsLeftOut: number;
  /**
   * Readings of the window (one per device and time) the sensor health rule flags (health/flag-sql.ts): stuck, out
   * of range, either (a reading both counts once in `total`); `excluded`: left out of every split
   * (sensorHealth.excludeFromTraining), else only counted.
   */
  readonly readingsFlagged: {
    readonly stuck: number;
    readonly outOfRange: number;
    readonly total: number;
    readonly excluded: boolean;
  };
  /** train/validation/holdout: Parquet files; holdoutInput: CSV, no header, no target, the holdout's rows in order. */
  readonly files: Record<SplitName | 'holdoutInput', string>;
}

export interface ExportOptions {
  readonly outDir: string;
  /** @default the pipeline's: fractions 0.7/0.15, cutoffs moved so each split holds 50 occupied and 50 empty */
  readonly split?: SplitOptions;
  readonly spec?: FeatureSpec;
  /** Days of data read, up to the newest labelled day; 0 = all history. @default the pipeline config's (30) */
  readonly trainingWindowDays?: number;
  /** The flag rule's settings and whether flagged readings are left out. @default the pipeline config's */
  readonly sensorHealth?: Pick<SensorHealthConfig, 'stuckMinutes' | 'outOfRangeClearMinutes' | 'excludeFromTraining'>;
}

/** The split the pipeline runs with by default (the same planned split: features/split-plan.ts). */
export const DEFAULT_SPLIT: SplitOptions = {
  kind: 'planned',
  train: DEFAULT_PIPELINE_CONFIG.split.train,
  validation: DEFAULT_PIPELINE_CONFIG.split.validation,
  minPositives: DEFAULT_PIPELINE_CONFIG.split.minPositives,
  minNegatives: DEFAULT_PIPELINE_CONFIG.split.minNegatives,
};

const sqlPath = (p: string): string => `'${p.replace(/'/g, "''")}'`;
const LABELLED_TABLE = 'export_labelled';
const READINGS_TABLE = 'export_readings';

export async function exportDataset(lake: LocalLake, options: ExportOptions): Promise<ExportManifest> {
  const connection = await lake.connect().catch((error: unknown) => {
    throw explainLakeReadError(error);
  });
  try {
    return await exportFromLake(lake, connection, options);
  } catch (error) {
    throw explainLakeReadError(error);
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${LABELLED_TABLE}`);
    await connection.run(`DROP TABLE IF EXISTS ${READINGS_TABLE}`);
  }
}

async function firstRow(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjects()[0] ?? {};
}

/** The window's first day, by the query the state machine runs on Athena (features/window.ts). */
async function trainingWindow(connection: DuckDBConnection, days: number): Promise<TrainingWindow | undefined> {
  if (days === 0) return undefined;
  const { window_start: startDay } = await firstRow(connection, buildTrainingWindowQuery({ dialect: 'duckdb', days }));
  return startDay === ALL_HISTORY_START_DAY ? undefined : { startDay: String(startDay) };
}

/** `ts` range predicates of each split, from its cutoffs (NULL: no row reaches the later splits). */
function splitPredicates(validationStart: number | null, holdoutStart: number | null): Record<SplitName, string> {
  const beforeValidation = validationStart === null ? 'true' : `"ts" < ${validationStart}`;
  const beforeHoldout = holdoutStart === null ? 'true' : `"ts" < ${holdoutStart}`;
  return {
    train: beforeValidation,
    validation: `NOT (${beforeValidation}) AND ${beforeHoldout}`,
    holdout: `NOT (${beforeValidation}) AND NOT (${beforeHoldout})`,
  };
}

const cutoff = (value: unknown): number | null => {
  if (value === null || value === undefined) return null;
  const n = Number(value);
  return n < 0 ? null : n;
};

async function exportFromLake(
  lake: LocalLake,
  connection: DuckDBConnection,
  options: ExportOptions,
): Promise<ExportManifest> {
  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const spec = options.spec ?? buildFeatureSpec(lake.signalSet);
  const names = featureNames(spec);
  const split = options.split ?? DEFAULT_SPLIT;
  const days = options.trainingWindowDays ?? DEFAULT_PIPELINE_CONFIG.trainingWindowDays;
  const window = await trainingWindow(connection, days);
  const inWindow = windowPredicate(window);
  const { n } = await firstRow(connection, `SELECT count(*)::BIGINT AS n FROM telemetry WHERE true${inWindow}`);
  const readings = Number(n ?? 0);
  if (readings === 0) {
    const where = window ? ` from ${window.startDay} on` : '';
    throw new LakeError(`The lake in ${lake.root} has no telemetry${where}: simulate or import first`);
  }

  // The rule the state machine's export runs (pipeline/retraining-state-machine.ts exportQueriesFor).
  const health = options.sensorHealth ?? DEFAULT_PIPELINE_CONFIG.sensorHealth;
  const rule = flagRuleOf(health, lake.signalSet);
  const excluded = health.excludeFromTraining;
  const windowed = window ? { window } : {};
  // The window's readings de-duplicated once, for both the flag counts and the features.
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${READINGS_TABLE} AS ${buildReadingsQuery(spec, { dialect: 'duckdb', ...windowed, health: rule })}`,
  );
  const readingsTable = { telemetryTable: READINGS_TABLE, deduplicated: true };
  const flagCounts = await firstRow(
    connection,
    buildFlagCountsQuery(spec, { dialect: 'duckdb', ...windowed, ...readingsTable, health: rule }),
  );
  const readingsFlagged = {
    stuck: Number(flagCounts.flagged_stuck ?? 0),
    outOfRange: Number(flagCounts.flagged_out_of_range ?? 0),
    total: Number(flagCounts.flagged_total ?? 0),
    excluded,
  };
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${LABELLED_TABLE} AS ${buildLabelledQuery(spec, { dialect: 'duckdb', ...windowed, ...readingsTable, health: rule, excludeFlagged: excluded })}`,
  );
  const cuts = await firstRow(
    connection,
    buildSplitCutoffsQuery(split, { dialect: 'duckdb', labelledTable: LABELLED_TABLE }),
  );
  let splitMessage: string | undefined;
  if (split.kind === 'planned') {
    // The same split plan the state machine reads before its export: refuse what cannot be judged.
    splitMessage = String(cuts.message);
    if (cuts.status !== SPLIT_PLAN_OK) throw new LakeError(`insufficient-data: ${splitMessage}`);
  }
  const where = splitPredicates(cutoff(cuts.validation_start), cutoff(cuts.holdout_start));

  const rows = { train: 0, validation: 0, holdout: 0 } as Record<SplitName, number>;
  const timeRange = {} as ExportManifest['timeRange'];
  const stats = await connection.runAndReadAll(
    `SELECT ${SPLITS.map((s) => `count(*) FILTER (WHERE ${where[s]})::BIGINT, min("ts") FILTER (WHERE ${where[s]})::BIGINT, max("ts") FILTER (WHERE ${where[s]})::BIGINT`).join(', ')} FROM ${LABELLED_TABLE}`,
  );
  const values = stats.getRows()[0] ?? [];
  SPLITS.forEach((s, i) => {
    const [count, from, to] = values.slice(i * 3, i * 3 + 3);
    rows[s] = Number(count ?? 0);
    timeRange[s] = { from: from == null ? null : Number(from), to: to == null ? null : Number(to) };
  });
  if (rows.train === 0 || rows.holdout === 0) {
    throw new LakeError(
      `Export produced ${rows.train} train and ${rows.holdout} holdout rows: the lake needs labelled telemetry spanning time`,
    );
  }

  const files = {
    train: join(outDir, 'train.parquet'),
    validation: join(outDir, 'validation.parquet'),
    holdout: join(outDir, 'holdout.parquet'),
    holdoutInput: join(outDir, 'holdout-input.csv'),
  };
  const quoted = names.map((c) => `"${c}"`).join(', ');
  // Each file is written under a temporary name and renamed: a reader never opens a half-written split.
  const write = async (select: string, file: string, format: string): Promise<void> => {
    const partial = `${file}.partial`;
    rmSync(partial, { force: true });
    await connection.run(`COPY (${select}) TO ${sqlPath(partial)} (${format})`);
    renameSync(partial, file);
  };
  for (const s of SPLITS) {
    await write(
      `SELECT ${quoted}, "${TARGET_COLUMN}" FROM ${LABELLED_TABLE} WHERE ${where[s]} ORDER BY "ts", "thing_name"`,
      files[s],
      // No dictionary: feature values barely repeat, and trying cost ~40% of the write (plain encoding, Snappy).
      // Options: https://duckdb.org/docs/current/data/parquet/overview (DICTIONARY_SIZE_LIMIT)
      'FORMAT PARQUET, COMPRESSION SNAPPY, DICTIONARY_SIZE_LIMIT 0',
    );
  }
  // The batch transform input: the holdout file's rows in its order, features only.
  await write(
    `SELECT ${quoted} FROM read_parquet(${sqlPath(files.holdout)})`,
    files.holdoutInput,
    'FORMAT CSV, HEADER false',
  );

  const exported = rows.train + rows.validation + rows.holdout;
  const manifest: ExportManifest = {
    signalSet: lake.signalSet.id,
    featureNames: names,
    target: TARGET_COLUMN,
    rows,
    timeRange,
    ...(splitMessage === undefined ? {} : { split: splitMessage }),
    window: { days, startDay: window?.startDay ?? null },
    readingsLeftOut: Math.max(0, readings - exported),
    readingsFlagged,
    files,
  };
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/**
 * One exported split (Parquet) as a labelled table: every column but the target as a feature, in file order.
 * Read with the lake's DuckDB connection (what wrote it).
 */
export async function readExportSplit(lake: LocalLake, file: string): Promise<LabelledTable> {
  const connection = await lake.connect();
  const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet(${sqlPath(file)})`);
  const names: string[] = [];
  const columns: Float64Array[] = [];
  let target: Uint8Array | undefined;
  reader.getColumnsJS().forEach((values, c) => {
    const name = reader.columnName(c);
    if (name === TARGET_COLUMN) target = Uint8Array.from(values, (v) => (Number(v) === 1 ? 1 : 0));
    else {
      names.push(name);
      columns.push(Float64Array.from(values, (v) => (v === null ? Number.NaN : Number(v))));
    }
  });
  if (!target) throw new LakeError(`${file} has no target column "${TARGET_COLUMN}"`);
  return { names, columns, rowCount: reader.currentRowCount, ignored: [], target, targetName: TARGET_COLUMN };
}
