import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { buildFeatureSpec, type FeatureDef, featureNames } from '../features';
import type { ExportManifest, SplitName } from '../local/export';
import { readLakeManifest } from '../local/lake-manifest';

/**
 * Child process of bench/features.ts: the peer, the same export written with nodejs-polars as a data scientist
 * would — de-duplicate (thing_name, ts) keeping the latest received, the spec's features (features/spec.ts, the
 * semantics of features/sql.ts), the label in force by an as-of join, the time split at the cutoffs the DuckDB
 * export chose (read from its manifest), each split sorted by (ts, thing_name) and written in the DuckDB export's
 * format (Parquet or CSV with header, by its files' extension), plus the headerless holdout input CSV.
 *   tsx bench/features-polars.ts <stateDir> <outDir> <duckdb export manifest.json>
 * Prints one JSON line: seconds, rows per split, files, max_rss_mb.
 */

type Expr = ReturnType<typeof pl.col>;
const DAY_MS = 86_400_000;
const BY_DEVICE = 'thing_name';

function featureExpression(feature: FeatureDef): Expr {
  const ts = pl.col('ts');
  switch (feature.kind) {
    case 'raw':
      return pl.col(feature.signal);
    case 'delta':
      return pl
        .col(feature.signal)
        .sub(pl.col(`_prev_${feature.signal}`))
        .fillNull(0);
    case 'rolling_mean':
      return pl.col(feature.signal).rollingMean({ windowSize: feature.window, minPeriods: 1 }).over(BY_DEVICE);
    case 'rolling_std': {
      // nodejs-polars 0.25.2's JS wrapper drops `ddof` from the rolling options (always the sample std, null for
      // one value), so the population std is the sample std scaled by sqrt((n - 1) / n), n = values in the window.
      const window = { windowSize: feature.window, minPeriods: 1 };
      const n = pl.col('_one').rollingSum(window).over(BY_DEVICE);
      const sample = pl.col(feature.signal).rollingStd(window).over(BY_DEVICE).fillNull(0);
      return sample.mul(n.sub(1).div(n).pow(0.5));
    }
    case 'secs_since_cross':
      return ts
        .sub(pl.col(`_cross_${feature.signal}`).forwardFill().over(BY_DEVICE).fillNull(pl.col('_first_ts')))
        .cast(pl.Float64)
        .div(1000);
    case 'one_hot':
      return pl.col(feature.signal).eq(pl.lit(feature.value)).cast(pl.Int32);
    case 'hour_sin':
    case 'hour_cos': {
      const angle = ts
        .modulo(DAY_MS)
        .cast(pl.Float64)
        .mul(2 * Math.PI)
        .div(DAY_MS);
      return feature.kind === 'hour_sin' ? angle.sin() : angle.cos();
    }
    case 'weekday_sin':
    case 'weekday_cos': {
      // floor(ts / day) as the SQL computes it (a double division, floored), then the double mod.
      const day = ts.cast(pl.Float64).div(DAY_MS).floor().cast(pl.Int64);
      const weekday = day.add(4).modulo(7).add(7).modulo(7);
      const angle = weekday
        .cast(pl.Float64)
        .mul(2 * Math.PI)
        .div(7);
      return feature.kind === 'weekday_sin' ? angle.sin() : angle.cos();
    }
  }
}

/** Cutoffs the DuckDB export chose, from its per-split time ranges (any value in (train.to, validation.from]). */
function cutoffs(manifest: ExportManifest): { validationStart: number; holdoutStart: number } {
  const { train, validation, holdout } = manifest.timeRange;
  const holdoutStart = holdout.from ?? Number.MAX_SAFE_INTEGER;
  const validationStart = validation.from ?? (train.to === null ? holdoutStart : train.to + 1);
  return { validationStart, holdoutStart };
}

async function main(): Promise<void> {
  const [stateDir, outDir, duckManifestPath] = process.argv.slice(2);
  if (!stateDir || !outDir || !duckManifestPath) {
    throw new Error('usage: features-polars.ts <stateDir> <outDir> <duckdb manifest.json>');
  }
  const duck = JSON.parse(readFileSync(duckManifestPath, 'utf8')) as ExportManifest;
  const set = readLakeManifest(join(stateDir, 'lake', 'manifest.json'));
  if (!set) throw new Error(`no lake in ${stateDir}`);
  const spec = buildFeatureSpec(set);
  const names = featureNames(spec);
  const inputs = [...spec.numericInputs, ...spec.enumInputs].map((s) => s.name);
  const { validationStart, holdoutStart } = cutoffs(duck);
  const parquet = duck.files.train.endsWith('.parquet');
  mkdirSync(outDir, { recursive: true });

  const begin = process.hrtime.bigint();
  const telemetry = pl
    .scanParquet(join(stateDir, 'lake', 'telemetry', '*', '*.parquet'))
    .select('thing_name', 'ts', 'received_at', ...inputs)
    .filter(pl.col('thing_name').isNotNull().and(pl.col('ts').isNotNull()))
    // Latest received copy of a (device, time) wins; ties broken by the values, as the SQL's ORDER BY does.
    .sort(['thing_name', 'ts', 'received_at', ...inputs])
    .filter(
      pl
        .col('thing_name')
        .neq(pl.col('thing_name').shift(-1))
        .or(pl.col('ts').neq(pl.col('ts').shift(-1)))
        .fillNull(true),
    )
    .select('thing_name', 'ts', ...inputs);
  const crossings = spec.features.filter((f) => f.kind === 'secs_since_cross');
  const stepped = telemetry.withColumns(
    pl.col('ts').min().over(BY_DEVICE).alias('_first_ts'),
    pl.lit(1).cast(pl.Float64).alias('_one'),
    ...spec.numericInputs.map((s) => pl.col(s.name).shift(1).over(BY_DEVICE).alias(`_prev_${s.name}`)),
  );
  const crossed = stepped.withColumns(
    ...crossings.map((f) =>
      pl
        .when(
          pl
            .col(f.signal)
            .gt(f.level)
            .neq(pl.col(`_prev_${f.signal}`).gt(f.level)),
        )
        .then(pl.col('ts'))
        .otherwise(pl.lit(null))
        .alias(`_cross_${f.signal}`),
    ),
  );
  const featurised = crossed.select(
    'thing_name',
    'ts',
    ...spec.features.map((f) => featureExpression(f).alias(f.name)),
  );
  // Label in force: the device's latest label at or before the reading (several at one ts: occupied wins).
  const labels = pl
    .scanParquet(join(stateDir, 'lake', 'labels', '*', '*.parquet'))
    .filter(pl.col('thing_name').isNotNull().and(pl.col('ts').isNotNull()).and(pl.col('occupied').isNotNull()))
    .groupBy(['thing_name', 'ts'])
    .agg(pl.col('occupied').cast(pl.Int32).max().alias('occupied'))
    .sort('ts');
  const labelled = featurised
    .sort(['ts', 'thing_name'])
    .joinAsof(labels, { on: 'ts', by: 'thing_name', strategy: 'backward', checkSortedness: false })
    .filter(pl.col('occupied').isNotNull())
    .withColumns(
      pl
        .when(pl.col('ts').lt(validationStart))
        .then(pl.lit('train'))
        .when(pl.col('ts').lt(holdoutStart))
        .then(pl.lit('validation'))
        .otherwise(pl.lit('holdout'))
        .alias('split'),
    );
  const rowsOut = await labelled.collect();

  const rows = {} as Record<SplitName, number>;
  const files = {} as Record<SplitName | 'holdoutInput', string>;
  for (const split of ['train', 'validation', 'holdout'] as const) {
    const part = rowsOut.filter(pl.col('split').eq(pl.lit(split))).select(...names, 'occupied');
    rows[split] = part.height;
    files[split] = join(outDir, `${split}.${parquet ? 'parquet' : 'csv'}`);
    if (parquet) part.writeParquet(files[split], { compression: 'snappy' });
    else part.writeCSV(files[split], { includeHeader: true });
    if (split === 'holdout') {
      files.holdoutInput = join(outDir, 'holdout-input.csv');
      part.select(...names).writeCSV(files.holdoutInput, { includeHeader: false });
    }
  }
  const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
  if (!Object.values(files).every((f) => existsSync(f))) throw new Error('polars wrote no output');
  process.stdout.write(
    `${JSON.stringify({ seconds, rows, files, max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
