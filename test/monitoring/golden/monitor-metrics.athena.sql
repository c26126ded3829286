WITH
answers AS (
  SELECT "thing_name", "ts", "model_version", "variant", "source",
    CAST("decision" AS INTEGER) AS "decision",
    CAST("probability" AS DOUBLE) AS "probability",
    CASE WHEN CAST("f_sound" AS DOUBLE) > CAST(10 AS DOUBLE) THEN 1 ELSE 0 END AS "rule_decision",
    CAST(floor(CAST(CAST(1704848399999 AS BIGINT) - "ts" AS DOUBLE) / CAST(3600000 AS DOUBLE)) AS INTEGER) AS "window_index"
  FROM "occupancy_lake"."predictions"
  WHERE "dt" >= '2024-01-09' AND "dt" <= '2024-01-10' AND "ts" >= CAST(1704837600000 AS BIGINT) AND "ts" < CAST(1704848400000 AS BIGINT)
),
label_events AS (
  SELECT "thing_name", "ts", max(CASE WHEN "occupied" THEN 1 ELSE 0 END) AS "occupied"
  FROM "occupancy_lake"."labels"
  WHERE "thing_name" IS NOT NULL AND "ts" IS NOT NULL AND "occupied" IS NOT NULL AND "dt" >= '2024-01-09'
  GROUP BY "thing_name", "ts"
),
label_horizon AS (
  SELECT "thing_name", max("ts") AS "known_until"
  FROM label_events
  GROUP BY "thing_name"
),
label_stream AS (
  SELECT "thing_name", "ts", 0 AS "_row_kind", "ts" * 2 + "occupied" AS "_label_code"
  FROM label_events
  UNION ALL
  SELECT DISTINCT "thing_name", "ts", 1 AS "_row_kind", CAST(NULL AS BIGINT) AS "_label_code"
  FROM answers
),
label_in_force AS (
  SELECT "thing_name", "ts", "_row_kind",
    max("_label_code") OVER (PARTITION BY "thing_name" ORDER BY "ts", "_row_kind" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_label_code"
  FROM label_stream
),
answers_labelled AS (
  SELECT a.*, CASE WHEN a."ts" <= h."known_until" THEN CAST(mod(l."_label_code", 2) AS INTEGER) END AS "label"
  FROM answers a
  JOIN label_in_force l ON l."thing_name" = a."thing_name" AND l."ts" = a."ts" AND l."_row_kind" = 1
  LEFT JOIN label_horizon h ON h."thing_name" = a."thing_name"
)
SELECT
  "window_index",
  "model_version",
  "variant",
  CAST(count(*) AS BIGINT) AS "answered",
  CAST(sum(CASE WHEN "source" = 'fallback' THEN 1 ELSE 0 END) AS BIGINT) AS "fallbacks",
  CAST(sum(CASE WHEN "source" = 'model' AND "label" IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS "labelled",
  CAST(sum(CASE WHEN "source" = 'model' AND "label" IS NOT NULL AND "label" = 1 AND "decision" = 1 THEN 1 ELSE 0 END) AS BIGINT) AS "tp",
  CAST(sum(CASE WHEN "source" = 'model' AND "label" IS NOT NULL AND "label" = 0 AND "decision" = 1 THEN 1 ELSE 0 END) AS BIGINT) AS "fp",
  CAST(sum(CASE WHEN "source" = 'model' AND "label" IS NOT NULL AND "label" = 1 AND "decision" = 0 THEN 1 ELSE 0 END) AS BIGINT) AS "fn",
  CAST(sum(CASE WHEN "source" = 'model' AND "label" IS NOT NULL AND "label" = 0 AND "decision" = 0 THEN 1 ELSE 0 END) AS BIGINT) AS "tn",
  CAST(sum(CASE WHEN "source" = 'model' AND "label" IS NOT NULL AND "label" = 1 AND "rule_decision" = 1 THEN 1 ELSE 0 END) AS BIGINT) AS "rule_tp",
  CAST(sum(CASE WHEN "source" = 'model' AND "label" IS NOT NULL AND "label" = 0 AND "rule_decision" = 1 THEN 1 ELSE 0 END) AS BIGINT) AS "rule_fp",
  CAST(sum(CASE WHEN "source" = 'model' AND "label" IS NOT NULL AND "label" = 1 AND "rule_decision" = 0 THEN 1 ELSE 0 END) AS BIGINT) AS "rule_fn",
  CAST(sum(CASE WHEN "source" = 'model' AND "label" IS NOT NULL AND "label" = 0 AND "rule_decision" = 0 THEN 1 ELSE 0 END) AS BIGINT) AS "rule_tn",
  sum(CASE WHEN "source" = 'model' AND "label" IS NOT NULL THEN ("probability" - "label") * ("probability" - "label") ELSE CAST(0 AS DOUBLE) END) AS "squared_error_sum"
FROM answers_labelled
GROUP BY "window_index", "model_version", "variant"
ORDER BY "window_index", "model_version", "variant"
