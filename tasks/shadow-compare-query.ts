/**
 * The shadow comparison's one lake query: every model answer of the serving variant answered in the bake period
 * whose label is now known, with its feature row (`f_<feature>` columns, in the served feature order). The label in
 * force is the device's latest label event at or before the reading, occupied winning a tie, known once the device
 * has a label event at or after it: the portable as-of form of monitoring/query.ts (one stream per device, labels
 * first on equal ts, the running max of ts*2 + occupied), written through features/dialect.ts for DuckDB and Athena.
 */
import { type SqlDialectName, SqlGenerationError, sqlDialect } from '../features/dialect';
import { predictionFeatureColumn } from './infer-occupancy/prediction-record';

export interface ShadowQueryOptions {
  readonly dialect: SqlDialectName;
  /** @default 'predictions' */
  readonly predictionsTable?: string;
  /** @default 'labels' */
  readonly labelsTable?: string;
  /** Answers made in [startMs, endMs) (the `predicted_at` column). */
  readonly startMs: number;
  readonly endMs: number;
  /** The production variant that answered (`variant`). */
  readonly variant: string;
  /** Served feature names, in the request's column order. */
  readonly features: readonly string[];
}

const FEATURE_NAME = /^[a-z][a-z0-9_]*$/;
/** Partitions either side: on AWS `dt` is Firehose's arrival time (monitoring/query.ts PARTITION_SLACK_MS). */
const SLACK_MS = 3_600_000;
/** A reading is older than its answer; a day back covers a device's delay (the ts range bounds nothing else). */
const READING_LAG_MS = 86_400_000;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Columns: decision, label, then `f_<feature>` of each feature. */
export function buildShadowReadingsQuery(o: ShadowQueryOptions): string {
  const d = sqlDialect(o.dialect);
  if (!(Number.isSafeInteger(o.startMs) && Number.isSafeInteger(o.endMs) && o.endMs > o.startMs && o.startMs > 0)) {
    throw new SqlGenerationError(`the bake period [${o.startMs}, ${o.endMs}) is not a span of epoch ms`, 'startMs');
  }
  for (const f of o.features) {
    if (!FEATURE_NAME.test(f)) throw new SqlGenerationError(`feature "${f}" must be lower-case snake_case`, 'features');
  }
  const predictions = d.tableReference(o.predictionsTable ?? 'predictions', 'predictionsTable');
  const labels = d.tableReference(o.labelsTable ?? 'labels', 'labelsTable');
  const firstDay = day(o.startMs - READING_LAG_MS - SLACK_MS);
  const lastDay = day(o.endMs - 1 + SLACK_MS);
  const featureColumns = o.features.map((f) => `a.${d.quoteIdentifier(predictionFeatureColumn(f))}`);
  return `WITH
answers AS (
  SELECT *
  FROM ${predictions}
  WHERE "dt" >= '${firstDay}' AND "dt" <= '${lastDay}'
    AND "predicted_at" >= ${d.bigintLiteral(o.startMs)} AND "predicted_at" < ${d.bigintLiteral(o.endMs)}
    AND "source" = 'model' AND "variant" = ${d.stringLiteral(o.variant)}
),
label_events AS (
  SELECT "thing_name", "ts", max(CASE WHEN "occupied" THEN 1 ELSE 0 END) AS "occupied"
  FROM ${labels}
  WHERE "thing_name" IS NOT NULL AND "ts" IS NOT NULL AND "occupied" IS NOT NULL AND "dt" >= '${firstDay}'
  GROUP BY "thing_name", "ts"
),
label_horizon AS (
  SELECT "thing_name", max("ts") AS "known_until" FROM label_events GROUP BY "thing_name"
),
label_stream AS (
  SELECT "thing_name", "ts", 0 AS "_row_kind", "ts" * 2 + "occupied" AS "_label_code" FROM label_events
  UNION ALL
  SELECT DISTINCT "thing_name", "ts", 1 AS "_row_kind", CAST(NULL AS BIGINT) AS "_label_code" FROM answers
),
label_in_force AS (
  SELECT "thing_name", "ts", "_row_kind",
    max("_label_code") OVER (PARTITION BY "thing_name" ORDER BY "ts", "_row_kind" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_label_code"
  FROM label_stream
)
SELECT CAST(a."decision" AS INTEGER) AS "decision",
  CAST(${d.mod('l."_label_code"', '2')} AS INTEGER) AS "label"${featureColumns.map((c) => `,\n  ${c}`).join('')}
FROM answers a
JOIN label_in_force l ON l."thing_name" = a."thing_name" AND l."ts" = a."ts" AND l."_row_kind" = 1
JOIN label_horizon h ON h."thing_name" = a."thing_name"
WHERE a."ts" <= h."known_until" AND l."_label_code" IS NOT NULL
ORDER BY a."thing_name", a."ts"
`;
}
