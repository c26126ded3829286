/**
 * The monitor's two queries, one text per engine (DuckDB for the local lake, Athena engine v3 on AWS), written only
 * through features/dialect.ts: answered readings (`predictions`) joined with the label in force (`labels`: the
 * latest label event of the device at or before the reading, occupied winning a tie, as the export's as-of join),
 * over `windows` consecutive windows ending at `windowEndMs`; both read only the `dt` partitions of that span, give
 * or take an hour (PARTITION_SLACK_MS; as features/window.ts prunes the export), labels from its first day on.
 * - metrics query: per window, model version and variant, the sums of monitoring/live-metrics.ts `LiveCounts`;
 * - drift query (per model version with a baseline): per window and variant, the answers and, per feature, how many
 *   values are missing and how many are ≤ each baseline edge (cumulative counts: one scan, no per-feature pass).
 * A reading's label is "known" once the device has a label event at or after it: a later event could still change
 * the label in force of a reading after the device's last event.
 */
import { type SqlDialect, type SqlDialectName, SqlGenerationError, sqlDialect } from '../features/dialect';
import { predictionFeatureColumn } from '../tasks/infer-occupancy/prediction-record';
import type { TrainingBaseline } from './baseline';

/** How a feature of the answer is read from a `predictions` row; default: its `f_<feature>` column. */
export type FeatureColumn = (feature: string, d: SqlDialect) => string;

export interface MonitorQueryOptions {
  readonly dialect: SqlDialectName;
  /** @default 'predictions' */
  readonly predictionsTable?: string;
  /** @default 'labels' */
  readonly labelsTable?: string;
  /** End of the newest window, epoch ms (exclusive). */
  readonly windowEndMs: number;
  /** Length of one window, ms. */
  readonly windowMs: number;
  /** How many consecutive windows back from windowEndMs (window 0 the newest). */
  readonly windows: number;
  /** @default the `f_<feature>` column */
  readonly featureColumn?: FeatureColumn;
}

export interface MetricsQueryOptions extends MonitorQueryOptions {
  /** The fallback's rule `signal > level` (a missing value: not occupied); null: none (its F1 is 0). */
  readonly staticRule: { readonly signal: string; readonly level: number } | null;
}

const FEATURE_NAME = /^[a-z][a-z0-9_]*$/;
const RUNNING_FRAME = 'ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW';
const DAY_MS = 86_400_000;
/**
 * Partitions read on either side of the span. On AWS `dt` is Firehose's, the approximate arrival time of the oldest
 * record in the delivered object (https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html, "timestamp
 * namespace"), not the reading's day: a reading near midnight can sit in the day before or after its own. Records
 * of one object arrive within the buffering interval (at most 900 s); an hour covers it and the device's delay.
 */
const PARTITION_SLACK_MS = 3_600_000;

/** The predictions table's feature column: `f_<feature>` (tasks/infer-occupancy/prediction-record.ts). */
export const defaultFeatureColumn: FeatureColumn = (feature, d) => {
  if (!FEATURE_NAME.test(feature)) {
    throw new SqlGenerationError(`feature "${feature}" must be lower-case snake_case`, `features.${feature}`);
  }
  return d.quoteIdentifier(predictionFeatureColumn(feature));
};

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

interface Span {
  readonly d: SqlDialect;
  readonly start: number;
  readonly end: number;
  readonly startDay: string;
  readonly endDay: string;
  readonly windowIndex: string;
  readonly column: (feature: string) => string;
}

function span(o: MonitorQueryOptions): Span {
  const d = sqlDialect(o.dialect);
  if (!(Number.isSafeInteger(o.windowEndMs) && o.windowEndMs > 0)) {
    throw new SqlGenerationError(`windowEndMs must be epoch ms, got ${o.windowEndMs}`, 'windowEndMs');
  }
  if (!(Number.isSafeInteger(o.windowMs) && o.windowMs >= 60_000 && o.windowMs <= 366 * DAY_MS)) {
    throw new SqlGenerationError(`windowMs must be whole ms from a minute to a year, got ${o.windowMs}`, 'windowMs');
  }
  if (!(Number.isSafeInteger(o.windows) && o.windows >= 1 && o.windows <= 100)) {
    throw new SqlGenerationError(`windows must be an integer in [1, 100], got ${o.windows}`, 'windows');
  }
  const start = o.windowEndMs - o.windows * o.windowMs;
  const end = o.windowEndMs;
  const featureColumn = o.featureColumn ?? defaultFeatureColumn;
  // Window i holds [end - (i+1)·W, end - i·W): i = floor((end - 1 - ts) / W) on whole ms, divided as DOUBLEs (Trino
  // truncates integer division).
  const windowIndex = `CAST(floor(${d.toDouble(`${d.bigintLiteral(end - 1)} - "ts"`)} / ${d.doubleLiteral(o.windowMs)}) AS INTEGER)`;
  return {
    d,
    start,
    end,
    startDay: utcDay(start - PARTITION_SLACK_MS),
    endDay: utcDay(end - 1 + PARTITION_SLACK_MS),
    windowIndex,
    column: (feature) => featureColumn(feature, d),
  };
}

/** The span's partitions and rows of the predictions table. */
function spanPredicate(s: Span): string {
  return `"dt" >= '${s.startDay}' AND "dt" <= '${s.endDay}' AND "ts" >= ${s.d.bigintLiteral(s.start)} AND "ts" < ${s.d.bigintLiteral(s.end)}`;
}

const count = (condition: string): string => `CAST(sum(CASE WHEN ${condition} THEN 1 ELSE 0 END) AS BIGINT)`;

/**
 * One row per window, model version and variant: window_index, model_version, variant, answered, fallbacks,
 * labelled, tp, fp, fn, tn, rule_tp, rule_fp, rule_fn, rule_tn, squared_error_sum.
 */
export function buildMetricsQuery(o: MetricsQueryOptions): string {
  const s = span(o);
  const { d } = s;
  const predictions = d.tableReference(o.predictionsTable ?? 'predictions', 'predictionsTable');
  const labels = d.tableReference(o.labelsTable ?? 'labels', 'labelsTable');
  const rule = o.staticRule;
  const ruleDecision = rule
    ? `CASE WHEN ${d.toDouble(s.column(rule.signal))} > ${d.doubleLiteral(rule.level)} THEN 1 ELSE 0 END`
    : '0';
  const answers = `answers AS (
  SELECT "thing_name", "ts", "model_version", "variant", "source",
    CAST("decision" AS INTEGER) AS "decision",
    ${d.toDouble('"probability"')} AS "probability",
    ${ruleDecision} AS "rule_decision",
    ${s.windowIndex} AS "window_index"
  FROM ${predictions}
  WHERE ${spanPredicate(s)}
)`;
  const events = `label_events AS (
  SELECT "thing_name", "ts", max(CASE WHEN "occupied" THEN 1 ELSE 0 END) AS "occupied"
  FROM ${labels}
  WHERE "thing_name" IS NOT NULL AND "ts" IS NOT NULL AND "occupied" IS NOT NULL AND "dt" >= '${s.startDay}'
  GROUP BY "thing_name", "ts"
)`;
  const horizon = `label_horizon AS (
  SELECT "thing_name", max("ts") AS "known_until"
  FROM label_events
  GROUP BY "thing_name"
)`;
  const known = 'a."ts" <= h."known_until"';
  let labelled: string[];
  if (d.asofLeftJoin) {
    const join = d.asofLeftJoin('answers a', 'label_events l', 'l."thing_name" = a."thing_name"', 'a."ts" >= l."ts"');
    labelled = [
      `answers_labelled AS (
  SELECT a.*, CASE WHEN ${known} THEN l."occupied" END AS "label"
  FROM ${join}
  LEFT JOIN label_horizon h ON h."thing_name" = a."thing_name"
)`,
    ];
  } else {
    // Portable form (features/sql.ts): label events and the distinct answered readings in one stream per device,
    // labels first on equal ts; the running max of ts*2 + occupied is the latest label's ts and value in one BIGINT.
    labelled = [
      `label_stream AS (
  SELECT "thing_name", "ts", 0 AS "_row_kind", "ts" * 2 + "occupied" AS "_label_code"
  FROM label_events
  UNION ALL
  SELECT DISTINCT "thing_name", "ts", 1 AS "_row_kind", CAST(NULL AS BIGINT) AS "_label_code"
  FROM answers
)`,
      `label_in_force AS (
  SELECT "thing_name", "ts", "_row_kind",
    max("_label_code") OVER (PARTITION BY "thing_name" ORDER BY "ts", "_row_kind" ${RUNNING_FRAME}) AS "_label_code"
  FROM label_stream
)`,
      `answers_labelled AS (
  SELECT a.*, CASE WHEN ${known} THEN CAST(${d.mod('l."_label_code"', '2')} AS INTEGER) END AS "label"
  FROM answers a
  JOIN label_in_force l ON l."thing_name" = a."thing_name" AND l."ts" = a."ts" AND l."_row_kind" = 1
  LEFT JOIN label_horizon h ON h."thing_name" = a."thing_name"
)`,
    ];
  }
  const m = `"source" = 'model' AND "label" IS NOT NULL`;
  const columns = [
    '"window_index"',
    '"model_version"',
    '"variant"',
    'CAST(count(*) AS BIGINT) AS "answered"',
    `${count(`"source" = 'fallback'`)} AS "fallbacks"`,
    `${count(m)} AS "labelled"`,
    `${count(`${m} AND "label" = 1 AND "decision" = 1`)} AS "tp"`,
    `${count(`${m} AND "label" = 0 AND "decision" = 1`)} AS "fp"`,
    `${count(`${m} AND "label" = 1 AND "decision" = 0`)} AS "fn"`,
    `${count(`${m} AND "label" = 0 AND "decision" = 0`)} AS "tn"`,
    `${count(`${m} AND "label" = 1 AND "rule_decision" = 1`)} AS "rule_tp"`,
    `${count(`${m} AND "label" = 0 AND "rule_decision" = 1`)} AS "rule_fp"`,
    `${count(`${m} AND "label" = 1 AND "rule_decision" = 0`)} AS "rule_fn"`,
    `${count(`${m} AND "label" = 0 AND "rule_decision" = 0`)} AS "rule_tn"`,
    `sum(CASE WHEN ${m} THEN ("probability" - "label") * ("probability" - "label") ELSE ${d.doubleLiteral(0)} END) AS "squared_error_sum"`,
  ];
  return `WITH
${[answers, events, horizon, ...labelled].join(',\n')}
SELECT
  ${columns.join(',\n  ')}
FROM answers_labelled
GROUP BY "window_index", "model_version", "variant"
ORDER BY "window_index", "model_version", "variant"
`;
}

/** Column of the cumulative count of feature #i at edge #j, and of its missing values. */
export const edgeColumn = (i: number, j: number): string => `f${i}_le${j}`;
export const missingColumn = (i: number): string => `f${i}_missing`;

/** The baseline's features in the order the drift query numbers them. */
export const driftFeatures = (baseline: TrainingBaseline): string[] => Object.keys(baseline.features).sort();

/**
 * One row per window and variant of `modelVersion`: window_index, variant, answered, then per feature #i (in
 * `driftFeatures` order) f<i>_missing and f<i>_le<j> for each baseline edge j.
 */
export function buildDriftQuery(o: MonitorQueryOptions, modelVersion: string, baseline: TrainingBaseline): string {
  const s = span(o);
  const { d } = s;
  const predictions = d.tableReference(o.predictionsTable ?? 'predictions', 'predictionsTable');
  const columns = ['"window_index"', '"variant"', 'CAST(count(*) AS BIGINT) AS "answered"'];
  driftFeatures(baseline).forEach((feature, i) => {
    const value = d.toDouble(s.column(feature));
    columns.push(`${count(`${value} IS NULL`)} AS ${d.quoteIdentifier(missingColumn(i))}`);
    baseline.features[feature]?.edges.forEach((edge, j) => {
      columns.push(`${count(`${value} <= ${d.doubleLiteral(edge)}`)} AS ${d.quoteIdentifier(edgeColumn(i, j))}`);
    });
  });
  return `SELECT
  ${columns.join(',\n  ')}
FROM (
  SELECT *, ${s.windowIndex} AS "window_index"
  FROM ${predictions}
  WHERE ${spanPredicate(s)} AND "model_version" = ${d.stringLiteral(modelVersion)}
) answers
GROUP BY "window_index", "variant"
ORDER BY "window_index", "variant"
`;
}
