SELECT
  "temperature",
  "temperature_delta",
  "temperature_mean_5",
  "temperature_std_5",
  "humidity",
  "humidity_delta",
  "humidity_mean_5",
  "humidity_std_5",
  "light",
  "light_delta",
  "light_mean_5",
  "light_std_5",
  "light_secs_since_cross",
  "co2",
  "co2_delta",
  "co2_mean_5",
  "co2_std_5",
  "humidity_ratio",
  "humidity_ratio_delta",
  "humidity_ratio_mean_5",
  "humidity_ratio_std_5",
  "hour_sin",
  "hour_cos",
  "weekday_sin",
  "weekday_cos",
  "occupied"
FROM (
WITH
deduped AS (
  SELECT "thing_name", "ts", "temperature", "humidity", "light", "co2", "humidity_ratio"
  FROM (
    SELECT "thing_name", "ts", "temperature", "humidity", "light", "co2", "humidity_ratio",
      row_number() OVER (PARTITION BY "thing_name", "ts" ORDER BY "received_at" DESC, "temperature" DESC, "humidity" DESC, "light" DESC, "co2" DESC, "humidity_ratio" DESC) AS "_dup_rank"
    FROM "telemetry"
    WHERE "thing_name" IS NOT NULL AND "ts" IS NOT NULL
  ) ranked
  WHERE "_dup_rank" = 1
),
stepped AS (
  SELECT
    "thing_name",
    "ts",
    "temperature",
    "humidity",
    "light",
    "co2",
    "humidity_ratio",
    min("ts") OVER (PARTITION BY "thing_name") AS "_first_ts",
    CASE WHEN ("light" > CAST(365 AS DOUBLE)) <> (lag("light") OVER (PARTITION BY "thing_name" ORDER BY "ts") > CAST(365 AS DOUBLE)) THEN "ts" END AS "_light_cross_ts"
  FROM deduped
),
featurised AS (
  SELECT
    "thing_name",
    "ts",
    "temperature" AS "temperature",
    COALESCE("temperature" - lag("temperature") OVER (PARTITION BY "thing_name" ORDER BY "ts"), CAST(0 AS DOUBLE)) AS "temperature_delta",
    avg("temperature") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS "temperature_mean_5",
    stddev_pop("temperature") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS "temperature_std_5",
    "humidity" AS "humidity",
    COALESCE("humidity" - lag("humidity") OVER (PARTITION BY "thing_name" ORDER BY "ts"), CAST(0 AS DOUBLE)) AS "humidity_delta",
    avg("humidity") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS "humidity_mean_5",
    stddev_pop("humidity") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS "humidity_std_5",
    "light" AS "light",
    COALESCE("light" - lag("light") OVER (PARTITION BY "thing_name" ORDER BY "ts"), CAST(0 AS DOUBLE)) AS "light_delta",
    avg("light") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS "light_mean_5",
    stddev_pop("light") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS "light_std_5",
    CAST("ts" - COALESCE(max("_light_cross_ts") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), "_first_ts") AS DOUBLE) / CAST(1000 AS DOUBLE) AS "light_secs_since_cross",
    "co2" AS "co2",
    COALESCE("co2" - lag("co2") OVER (PARTITION BY "thing_name" ORDER BY "ts"), CAST(0 AS DOUBLE)) AS "co2_delta",
    avg("co2") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS "co2_mean_5",
    stddev_pop("co2") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS "co2_std_5",
    "humidity_ratio" AS "humidity_ratio",
    COALESCE("humidity_ratio" - lag("humidity_ratio") OVER (PARTITION BY "thing_name" ORDER BY "ts"), CAST(0 AS DOUBLE)) AS "humidity_ratio_delta",
    avg("humidity_ratio") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS "humidity_ratio_mean_5",
    stddev_pop("humidity_ratio") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS "humidity_ratio_std_5",
    sin(2 * pi() * CAST(mod("ts", 86400000) AS DOUBLE) / CAST(86400000 AS DOUBLE)) AS "hour_sin",
    cos(2 * pi() * CAST(mod("ts", 86400000) AS DOUBLE) / CAST(86400000 AS DOUBLE)) AS "hour_cos",
    sin(2 * pi() * CAST(mod(mod(CAST(floor(CAST("ts" AS DOUBLE) / CAST(86400000 AS DOUBLE)) AS BIGINT) + 4, 7) + 7, 7) AS DOUBLE) / CAST(7 AS DOUBLE)) AS "weekday_sin",
    cos(2 * pi() * CAST(mod(mod(CAST(floor(CAST("ts" AS DOUBLE) / CAST(86400000 AS DOUBLE)) AS BIGINT) + 4, 7) + 7, 7) AS DOUBLE) / CAST(7 AS DOUBLE)) AS "weekday_cos"
  FROM stepped
),
label_stream AS (
  SELECT "thing_name", "ts", 0 AS "_row_kind", "ts" * 2 + CASE WHEN "occupied" THEN 1 ELSE 0 END AS "_label_code"
  FROM "labels"
  WHERE "thing_name" IS NOT NULL AND "ts" IS NOT NULL AND "occupied" IS NOT NULL
  UNION ALL
  SELECT "thing_name", "ts", 1 AS "_row_kind", CAST(NULL AS BIGINT) AS "_label_code"
  FROM deduped
),
label_in_force AS (
  SELECT "thing_name", "ts", "_row_kind",
    max("_label_code") OVER (PARTITION BY "thing_name" ORDER BY "ts", "_row_kind" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_label_code"
  FROM label_stream
),
labelled AS (
  SELECT
    f."thing_name",
    f."ts",
    f."temperature",
    f."temperature_delta",
    f."temperature_mean_5",
    f."temperature_std_5",
    f."humidity",
    f."humidity_delta",
    f."humidity_mean_5",
    f."humidity_std_5",
    f."light",
    f."light_delta",
    f."light_mean_5",
    f."light_std_5",
    f."light_secs_since_cross",
    f."co2",
    f."co2_delta",
    f."co2_mean_5",
    f."co2_std_5",
    f."humidity_ratio",
    f."humidity_ratio_delta",
    f."humidity_ratio_mean_5",
    f."humidity_ratio_std_5",
    f."hour_sin",
    f."hour_cos",
    f."weekday_sin",
    f."weekday_cos",
    CAST(mod(l."_label_code", 2) AS INTEGER) AS "occupied"
  FROM featurised f
  JOIN label_in_force l ON l."thing_name" = f."thing_name" AND l."ts" = f."ts" AND l."_row_kind" = 1
  WHERE l."_label_code" IS NOT NULL
),
split_rows AS (
  SELECT
    "thing_name",
    "ts",
    CASE WHEN "ts" < CAST(1704672000000 AS BIGINT) THEN 'train' WHEN "ts" < CAST(1704931200000 AS BIGINT) THEN 'validation' ELSE 'holdout' END AS "split",
    "temperature",
    "temperature_delta",
    "temperature_mean_5",
    "temperature_std_5",
    "humidity",
    "humidity_delta",
    "humidity_mean_5",
    "humidity_std_5",
    "light",
    "light_delta",
    "light_mean_5",
    "light_std_5",
    "light_secs_since_cross",
    "co2",
    "co2_delta",
    "co2_mean_5",
    "co2_std_5",
    "humidity_ratio",
    "humidity_ratio_delta",
    "humidity_ratio_mean_5",
    "humidity_ratio_std_5",
    "hour_sin",
    "hour_cos",
    "weekday_sin",
    "weekday_cos",
    "occupied"
  FROM labelled
)
SELECT
  "temperature",
  "temperature_delta",
  "temperature_mean_5",
  "temperature_std_5",
  "humidity",
  "humidity_delta",
  "humidity_mean_5",
  "humidity_std_5",
  "light",
  "light_delta",
  "light_mean_5",
  "light_std_5",
  "light_secs_since_cross",
  "co2",
  "co2_delta",
  "co2_mean_5",
  "co2_std_5",
  "humidity_ratio",
  "humidity_ratio_delta",
  "humidity_ratio_mean_5",
  "humidity_ratio_std_5",
  "hour_sin",
  "hour_cos",
  "weekday_sin",
  "weekday_cos",
  "occupied",
  "ts",
  "thing_name"
FROM split_rows
WHERE "split" = 'holdout'
) split_query
ORDER BY "ts", "thing_name"
