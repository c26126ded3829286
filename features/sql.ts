import type { FlagRule } from '../health/flag-sql';
import { type SqlDialect, type SqlDialectName, SqlGenerationError, sqlDialect } from './dialect';
import { inputColumns, readingCtes } from './readings';
import { type FeatureDef, type FeatureSpec, featureNames } from './spec';
import {
  FLAG_COUNT_COLUMNS,
  fractionSplitCtes,
  type PlannedSplit,
  plannedSplitCase,
  SPLIT_PLAN_COLUMNS,
  splitPlanCtes,
} from './split-plan';
import { type TrainingWindow, windowPredicate } from './window';

/**
 * The SQL interpreter of the feature spec: one query of window functions over the telemetry table,
 * run by DuckDB on the local lake and by Athena (Trino) on AWS. Input tables:
 *   telemetry(thing_name VARCHAR, ts BIGINT epoch ms, received_at BIGINT epoch ms, <signal columns>)
 *   labels(thing_name VARCHAR, ts BIGINT epoch ms, occupied BOOLEAN)
 * Duplicate (thing_name, ts) readings (MQTT redeliveries) keep the one received last; arrival order
 * does not matter, every window orders by ts. With a training window (`window`), nothing before its first day is
 * read: each device's history starts there (its first readings in the window have shorter rolling windows, count
 * crossings from there, and have no label until the device's first label event in the window).
 */

export type SplitName = 'train' | 'validation' | 'holdout';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'validation', 'holdout'];

/**
 * Time-ordered split over the whole fleet, never shuffled.
 * - fractions: by percent_rank() of ts over all labelled rows; rows with equal ts fall on the same side.
 *   Holdout gets the remaining 1 - train - validation.
 * - cutoffs: ts < validationStart → train, ts < holdoutStart → validation, else holdout (epoch ms).
 * - planned: the fraction cutoffs, moved earlier until every split holds enough of both classes (split-plan.ts).
 */
export type SplitOptions =
  | { readonly kind: 'fractions'; readonly train: number; readonly validation: number }
  | { readonly kind: 'cutoffs'; readonly validationStart: number; readonly holdoutStart: number }
  | PlannedSplit;

export interface FeatureQueryOptions {
  readonly dialect: SqlDialectName;
  /** @default 'telemetry' */
  readonly telemetryTable?: string;
  /** Read only the `dt` partitions from `window.startDay` on (features/window.ts). @default all history */
  readonly window?: TrainingWindow;
  /**
   * Sensor health (issue 22): readings the rule flags stuck or out of range (health/flag-sql.ts) are left out
   * before the features, which are computed over the remaining readings; the split plan counts them. Without it
   * the SQL is what it was before the rule existed. @default none: every reading
   */
  readonly health?: FlagRule;
  /** With `health`: false only counts the flagged readings (split plan), leaving every reading in. @default true */
  readonly excludeFlagged?: boolean;
  /** Refused readings the out-of-range rule reads (health/types.ts). @default 'sensor_faults' */
  readonly sensorFaultsTable?: string;
  /**
   * `telemetryTable` holds buildReadingsQuery's rows (of the same spec, window and rule): read as they are, so a
   * caller running several queries over one window de-duplicates once. @default false: the lake's telemetry
   */
  readonly deduplicated?: boolean;
}

export interface LabelledQueryOptions extends FeatureQueryOptions {
  /** @default 'labels' */
  readonly labelsTable?: string;
}

export interface ExportQueryOptions extends LabelledQueryOptions {
  readonly split: SplitOptions;
}

const DAY_MS = 86_400_000;
const DEVICE_WINDOW = 'PARTITION BY "thing_name" ORDER BY "ts"';
const RUNNING_FRAME = 'ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW';

/** Internal column names start with `_`; feature names cannot (spec enforces [a-z] first), so no clash. */
const crossTsColumn = (signal: string): string => `"_${signal}_cross_ts"`;

const indent = (lines: string[], by = '    '): string => lines.map((l) => `${by}${l}`).join(',\n');

function featureExpression(feature: FeatureDef, d: SqlDialect): string {
  const q = d.quoteIdentifier;
  switch (feature.kind) {
    case 'raw':
      return q(feature.signal);
    case 'delta':
      return `COALESCE(${q(feature.signal)} - lag(${q(feature.signal)}) OVER (${DEVICE_WINDOW}), ${d.doubleLiteral(0)})`;
    case 'rolling_mean':
      return `avg(${q(feature.signal)}) OVER (${DEVICE_WINDOW} ROWS BETWEEN ${feature.window - 1} PRECEDING AND CURRENT ROW)`;
    case 'rolling_std':
      return `stddev_pop(${q(feature.signal)}) OVER (${DEVICE_WINDOW} ROWS BETWEEN ${feature.window - 1} PRECEDING AND CURRENT ROW)`;
    case 'secs_since_cross':
      return `${d.toDouble(`"ts" - COALESCE(max(${crossTsColumn(feature.signal)}) OVER (${DEVICE_WINDOW} ${RUNNING_FRAME}), "_first_ts")`)} / ${d.doubleLiteral(1000)}`;
    case 'one_hot':
      return `CASE WHEN ${q(feature.signal)} = ${d.stringLiteral(feature.value)} THEN 1 ELSE 0 END`;
    case 'hour_sin':
    case 'hour_cos': {
      // Angle = 2π · (ms into the UTC day) / ms per day: integer mod on epoch ms, so both interpreters agree.
      const fn = feature.kind === 'hour_sin' ? 'sin' : 'cos';
      return `${fn}(2 * pi() * ${d.toDouble(d.mod('"ts"', String(DAY_MS)))} / ${d.doubleLiteral(DAY_MS)})`;
    }
    case 'weekday_sin':
    case 'weekday_cos': {
      // Weekday 0 = Sunday: 1970-01-01 was a Thursday (4). The double mod keeps pre-1970 times in [0, 7).
      const fn = feature.kind === 'weekday_sin' ? 'sin' : 'cos';
      const day = `CAST(floor(${d.toDouble('"ts"')} / ${d.doubleLiteral(DAY_MS)}) AS BIGINT)`;
      const weekday = d.mod(`${d.mod(`${day} + 4`, '7')} + 7`, '7');
      return `${fn}(2 * pi() * ${d.toDouble(weekday)} / ${d.doubleLiteral(7)})`;
    }
  }
}

/**
 * The CTEs `stepped`, `featurised` (thing_name, ts, ...features) over the CTE `from`. With `carry`, `from` also
 * holds the column `occupied`, which featurised keeps.
 */
function featureSteps(spec: FeatureSpec, d: SqlDialect, from: string, carry: boolean): string[] {
  const q = d.quoteIdentifier;
  const inputs = inputColumns(spec).map(q);
  const crossings = spec.features.filter((f) => f.kind === 'secs_since_cross');

  const carried = carry ? ['"occupied"'] : [];
  const steppedColumns = [
    '"thing_name"',
    '"ts"',
    ...inputs,
    ...carried,
    `min("ts") OVER (PARTITION BY "thing_name") AS "_first_ts"`,
  ];
  for (const f of crossings) {
    const value = q(f.signal);
    const level = d.doubleLiteral(f.level);
    steppedColumns.push(
      `CASE WHEN (${value} > ${level}) <> (lag(${value}) OVER (${DEVICE_WINDOW}) > ${level}) THEN "ts" END AS ${crossTsColumn(f.signal)}`,
    );
  }
  const stepped = `stepped AS (
  SELECT
${indent(steppedColumns)}
  FROM ${from}
)`;

  const featureColumns = [
    '"thing_name"',
    '"ts"',
    ...spec.features.map((f) => `${featureExpression(f, d)} AS ${q(f.name)}`),
    ...carried,
  ];
  const featurised = `featurised AS (
  SELECT
${indent(featureColumns)}
  FROM stepped
)`;
  return [stepped, featurised];
}

/** The CTEs up to `featurised` (thing_name, ts, ...features) of every kept reading. */
function featureCtes(spec: FeatureSpec, options: FeatureQueryOptions): string[] {
  const d = sqlDialect(options.dialect);
  const readings = readingCtes(spec, options, d, false);
  return [...readings.ctes, ...featureSteps(spec, d, readings.source, false)];
}

/** Features of every deduplicated reading: thing_name, ts, ...featureNames(spec), ordered by thing_name, ts. */
export function buildFeatureQuery(spec: FeatureSpec, options: FeatureQueryOptions): string {
  const q = sqlDialect(options.dialect).quoteIdentifier;
  const columns = ['"thing_name"', '"ts"', ...featureNames(spec).map(q)];
  return `WITH
${featureCtes(spec, options).join(',\n')}
SELECT
${indent(columns, '  ')}
FROM featurised
ORDER BY "thing_name", "ts"
`;
}

/** How a split assigns each labelled row: CTEs to follow `labelled` (one-row `plan_cuts`), and the CASE on `"ts"`. */
export function splitParts(
  split: SplitOptions,
  d: SqlDialect,
  planReport: boolean,
  flagCounts = false,
): { ctes: string[]; splitCase: string } {
  if (split.kind === 'fractions') {
    const { train, validation } = split;
    if (!(Number.isFinite(train) && train > 0 && train < 1)) {
      throw new SqlGenerationError(`split.train must be a fraction in (0, 1), got ${train}`, 'split.train');
    }
    if (!(Number.isFinite(validation) && validation >= 0 && train + validation < 1)) {
      throw new SqlGenerationError(
        `split.validation must be >= 0 and leave a holdout (train + validation < 1), got ${validation}`,
        'split.validation',
      );
    }
    return { ctes: fractionSplitCtes(train, validation, d), splitCase: plannedSplitCase('"ts"', 'plan_cuts') };
  }
  if (split.kind === 'cutoffs') {
    const { validationStart, holdoutStart } = split;
    if (!Number.isSafeInteger(validationStart)) {
      throw new SqlGenerationError(
        `split.validationStart must be epoch ms, got ${validationStart}`,
        'split.validationStart',
      );
    }
    if (!Number.isSafeInteger(holdoutStart) || holdoutStart < validationStart) {
      throw new SqlGenerationError(
        `split.holdoutStart must be epoch ms >= validationStart, got ${holdoutStart}`,
        'split.holdoutStart',
      );
    }
    return {
      ctes: [],
      splitCase: `CASE WHEN "ts" < ${d.bigintLiteral(validationStart)} THEN 'train' WHEN "ts" < ${d.bigintLiteral(holdoutStart)} THEN 'validation' ELSE 'holdout' END`,
    };
  }
  if (split.kind === 'planned') {
    return {
      ctes: splitPlanCtes(split, d, planReport, flagCounts),
      splitCase: plannedSplitCase('"ts"', 'plan_cuts'),
    };
  }
  throw new SqlGenerationError(`split.kind must be "fractions", "cutoffs" or "planned"`, 'split.kind');
}

/**
 * The CTEs up to `labelled`: the features of every reading with the label in force (latest label event of the
 * device at or before the reading; occupied wins a tie of events at one instant). Readings before the device's
 * first label are left out, but still count as history for the features of later ones.
 */
function labelledCtes(spec: FeatureSpec, options: LabelledQueryOptions, d: SqlDialect, counts = false): string[] {
  const q = d.quoteIdentifier;
  const readings = readingCtes(spec, options, d, counts);
  const labels = d.tableReference(options.labelsTable ?? 'labels', 'labelsTable');
  const labelFilter = `"thing_name" IS NOT NULL AND "ts" IS NOT NULL AND "occupied" IS NOT NULL${windowPredicate(options.window)}`;
  const featureColumns = featureNames(spec).map(q);
  if (d.asofLeftJoin) {
    // The label joins the deduplicated readings (few columns) before the feature windows, which carry it along.
    const featureRest = featureSteps(spec, d, 'deduped_labelled', true);
    const events = `label_events AS (
  SELECT "thing_name", "ts", max(CASE WHEN "occupied" THEN 1 ELSE 0 END) AS "occupied"
  FROM ${labels}
  WHERE ${labelFilter}
  GROUP BY "thing_name", "ts"
)`;
    const inputs = inputColumns(spec).map((c) => `r.${q(c)}`);
    const join = d.asofLeftJoin(
      `${readings.source} r`,
      'label_events l',
      'l."thing_name" = r."thing_name"',
      'r."ts" >= l."ts"',
    );
    const dedupedLabelled = `deduped_labelled AS (
  SELECT ${['r."thing_name"', 'r."ts"', ...inputs, 'CAST(l."occupied" AS INTEGER) AS "occupied"'].join(', ')}
  FROM ${join}
)`;
    const labelled = `labelled AS (
  SELECT
${indent(['"thing_name"', '"ts"', ...featureColumns, '"occupied"'])}
  FROM featurised
  WHERE "occupied" IS NOT NULL
)`;
    return [...readings.ctes, events, dedupedLabelled, ...featureRest, labelled];
  }
  // Portable form: one stream of label events and readings per device (labels first on equal ts), and a running
  // max of ts*2 + occupied, which is the latest label's ts and value in one BIGINT (occupied wins a tie).
  const labelStream = `label_stream AS (
  SELECT "thing_name", "ts", 0 AS "_row_kind", "ts" * 2 + CASE WHEN "occupied" THEN 1 ELSE 0 END AS "_label_code"
  FROM ${labels}
  WHERE ${labelFilter}
  UNION ALL
  SELECT "thing_name", "ts", 1 AS "_row_kind", CAST(NULL AS BIGINT) AS "_label_code"
  FROM ${readings.source}
)`;
  const labelInForce = `label_in_force AS (
  SELECT "thing_name", "ts", "_row_kind",
    max("_label_code") OVER (PARTITION BY "thing_name" ORDER BY "ts", "_row_kind" ${RUNNING_FRAME}) AS "_label_code"
  FROM label_stream
)`;
  const labelled = `labelled AS (
  SELECT
${indent(['f."thing_name"', 'f."ts"', ...featureColumns.map((c) => `f.${c}`), `CAST(${d.mod('l."_label_code"', '2')} AS INTEGER) AS "occupied"`])}
  FROM featurised f
  JOIN label_in_force l ON l."thing_name" = f."thing_name" AND l."ts" = f."ts" AND l."_row_kind" = 1
  WHERE l."_label_code" IS NOT NULL
)`;
  return [...readings.ctes, ...featureSteps(spec, d, readings.source, false), labelStream, labelInForce, labelled];
}

/**
 * CTEs of the export: features, the label in force at each reading, and its split (`split_rows`). The split is
 * chosen from cutoff times (one row, `plan_cuts`), never by ranking the fleet's rows themselves.
 */
function exportCtes(spec: FeatureSpec, options: ExportQueryOptions, planReport = false): string {
  const d = sqlDialect(options.dialect);
  const features = featureNames(spec).map(d.quoteIdentifier);
  // The plan counts the flagged readings of the window (its trailing FLAG_COUNT_COLUMNS).
  const counts = planReport && options.health !== undefined;
  const split = splitParts(options.split, d, planReport, counts);
  const splitRows = `split_rows AS (
  SELECT
${indent(['"thing_name"', '"ts"', `${split.splitCase} AS "split"`, ...features, '"occupied"'])}
  FROM labelled${split.ctes.length > 0 ? '\n  CROSS JOIN plan_cuts' : ''}
)`;
  return [...labelledCtes(spec, options, d, counts), ...split.ctes, splitRows].join(',\n');
}

/**
 * thing_name, ts, ...featureNames(spec), occupied (0/1) for every labelled reading, in no order: the export before
 * its split, for a caller that keeps these rows (a table) and splits them by the cutoffs of buildSplitCutoffsQuery.
 */
export function buildLabelledQuery(spec: FeatureSpec, options: LabelledQueryOptions): string {
  const d = sqlDialect(options.dialect);
  const columns = ['"thing_name"', '"ts"', ...featureNames(spec).map(d.quoteIdentifier), '"occupied"'];
  return `WITH
${labelledCtes(spec, options, d).join(',\n')}
SELECT
${indent(columns, '  ')}
FROM labelled
`;
}

/** thing_name, ts, split, ...featureNames(spec), occupied (0/1) for every labelled reading, ordered by thing_name, ts. */
export function buildExportQuery(spec: FeatureSpec, options: ExportQueryOptions): string {
  const q = sqlDialect(options.dialect).quoteIdentifier;
  const columns = ['"thing_name"', '"ts"', '"split"', ...featureNames(spec).map(q), '"occupied"'];
  return `WITH
${exportCtes(spec, options)}
SELECT
${indent(columns, '  ')}
FROM split_rows
ORDER BY "thing_name", "ts"
`;
}

/**
 * One split as Autopilot reads it: ...featureNames(spec), occupied, ordered by ts, thing_name.
 *
 * A plain SELECT over a subquery holding the WITH: Athena documents UNLOAD as `UNLOAD (SELECT col_name[, ...] FROM
 * old_table)` (https://docs.aws.amazon.com/athena/latest/ug/unload.html), and Trino's grammar lets a FROM subquery
 * carry a WITH (`relationPrimary: '(' query ')'`, `query: with? queryNoWith`, trino-parser SqlBase.g4), so the state
 * machine can enclose this text in UNLOAD without relying on a WITH directly inside UNLOAD's parentheses.
 */
export function buildSplitQuery(spec: FeatureSpec, options: ExportQueryOptions, split: SplitName): string {
  if (!SPLIT_NAMES.includes(split)) {
    throw new SqlGenerationError(`split must be one of ${SPLIT_NAMES.join(', ')}, got "${String(split)}"`, 'split');
  }
  const q = sqlDialect(options.dialect).quoteIdentifier;
  const columns = [...featureNames(spec).map(q), '"occupied"'];
  return `SELECT
${indent(columns, '  ')}
FROM (
WITH
${exportCtes(spec, options)}
SELECT
${indent([...columns, '"ts"', '"thing_name"'], '  ')}
FROM split_rows
WHERE "split" = '${split}'
) split_query
ORDER BY "ts", "thing_name"
`;
}

/**
 * The split plan of a `planned` split: one row of SPLIT_PLAN_COLUMNS (status `ok` or `insufficient-data`, a
 * message naming the cutoffs or what is missing, the cutoffs in epoch ms, per-split occupied/empty counts), and
 * with `options.health` then FLAG_COUNT_COLUMNS (readings of the window flagged, left out or not).
 */
export function buildSplitPlanQuery(spec: FeatureSpec, options: ExportQueryOptions): string {
  if (options.split.kind !== 'planned') {
    throw new SqlGenerationError(
      `split.kind must be "planned" for a split plan, got "${options.split.kind}"`,
      'split.kind',
    );
  }
  return `WITH
${exportCtes(spec, options, true)}
SELECT
${indent(
  [...SPLIT_PLAN_COLUMNS, ...(options.health === undefined ? [] : FLAG_COUNT_COLUMNS)].map((c) => `"${c}"`),
  '  ',
)}
FROM split_plan
`;
}
