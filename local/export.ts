import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  buildExportQuery,
  buildFeatureSpec,
  buildSplitPlanQuery,
  type FeatureSpec,
  featureNames,
  SPLIT_PLAN_OK,
  type SplitOptions,
} from '../features';
import { DEFAULT_PIPELINE_CONFIG } from '../pipeline/config';
import { explainLakeReadError, LakeError, type LocalLake } from './lake';

/**
 * Export = the feature query joined to the ground truth in force, split by time, written as the CSVs
 * Autopilot reads: train/validation/holdout with a header and target `occupied`, plus the holdout
 * without header and target (what a batch transform job scores).
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
  /** Lake readings in no split: duplicates of a (device, time) already kept, or no label in force yet. */
  readonly readingsLeftOut: number;
  readonly files: Record<SplitName | 'holdoutInput', string>;
}

export interface ExportOptions {
  readonly outDir: string;
  /** @default the pipeline's: fractions 0.7/0.15, cutoffs moved so each split holds 50 occupied and 50 empty */
  readonly split?: SplitOptions;
  readonly spec?: FeatureSpec;
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

export async function exportDataset(lake: LocalLake, options: ExportOptions): Promise<ExportManifest> {
  try {
    return await exportFromLake(lake, options);
  } catch (error) {
    throw explainLakeReadError(error);
  }
}

async function exportFromLake(lake: LocalLake, options: ExportOptions): Promise<ExportManifest> {
  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const spec = options.spec ?? buildFeatureSpec(lake.signalSet);
  const names = featureNames(spec);
  const split = options.split ?? DEFAULT_SPLIT;
  const connection = await lake.connect();
  const readings = await lake.count('telemetry');
  if (readings === 0) throw new LakeError(`The lake in ${lake.root} has no telemetry: simulate or import first`);

  // Materialise the NDJSON views once: the export query reads telemetry twice (features and label join).
  await connection.run('CREATE OR REPLACE TEMP TABLE export_telemetry AS SELECT * FROM telemetry');
  await connection.run('CREATE OR REPLACE TEMP TABLE export_labels AS SELECT * FROM labels');
  const queryOptions = {
    dialect: 'duckdb' as const,
    telemetryTable: 'export_telemetry',
    labelsTable: 'export_labels',
    split,
  };
  let splitMessage: string | undefined;
  if (split.kind === 'planned') {
    // The same split plan the state machine reads before its export: refuse what cannot be judged.
    const plan = await connection.runAndReadAll(
      `SELECT "status", "message" FROM (${buildSplitPlanQuery(spec, queryOptions)})`,
    );
    const [status, message] = plan.getRows()[0] ?? [];
    splitMessage = String(message);
    if (status !== SPLIT_PLAN_OK) {
      for (const table of ['export_telemetry', 'export_labels']) await connection.run(`DROP TABLE ${table}`);
      throw new LakeError(`insufficient-data: ${splitMessage}`);
    }
  }
  const query = buildExportQuery(spec, queryOptions);
  await connection.run(`CREATE OR REPLACE TEMP TABLE export_rows AS ${query}`);
  const columns = [...names, TARGET_COLUMN].map((n) => `"${n}"`).join(', ');
  const files = {
    train: join(outDir, 'train.csv'),
    validation: join(outDir, 'validation.csv'),
    holdout: join(outDir, 'holdout.csv'),
    holdoutInput: join(outDir, 'holdout-input.csv'),
  };
  const rows = { train: 0, validation: 0, holdout: 0 } as Record<SplitName, number>;
  const timeRange = {} as ExportManifest['timeRange'];
  for (const name of SPLITS) {
    await connection.run(
      `COPY (SELECT ${columns} FROM export_rows WHERE split = '${name}' ORDER BY ts, thing_name) TO ${sqlPath(files[name])} (HEADER, DELIMITER ',')`,
    );
    const stats = await connection.runAndReadAll(
      `SELECT count(*)::BIGINT, min(ts)::BIGINT, max(ts)::BIGINT FROM export_rows WHERE split = '${name}'`,
    );
    const [n, from, to] = stats.getRows()[0] ?? [0, null, null];
    rows[name] = Number(n);
    timeRange[name] = { from: from === null ? null : Number(from), to: to === null ? null : Number(to) };
  }
  const featureColumns = names.map((n) => `"${n}"`).join(', ');
  await connection.run(
    `COPY (SELECT ${featureColumns} FROM export_rows WHERE split = 'holdout' ORDER BY ts, thing_name) TO ${sqlPath(files.holdoutInput)} (HEADER false, DELIMITER ',')`,
  );
  for (const table of ['export_rows', 'export_telemetry', 'export_labels']) await connection.run(`DROP TABLE ${table}`);
  const exported = rows.train + rows.validation + rows.holdout;
  const manifest: ExportManifest = {
    signalSet: lake.signalSet.id,
    featureNames: names,
    target: TARGET_COLUMN,
    rows,
    timeRange,
    ...(splitMessage === undefined ? {} : { split: splitMessage }),
    readingsLeftOut: Math.max(0, readings - exported),
    files,
  };
  if (rows.train === 0 || rows.holdout === 0) {
    throw new LakeError(
      `Export produced ${rows.train} train and ${rows.holdout} holdout rows: the lake needs labelled telemetry spanning time`,
    );
  }
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
