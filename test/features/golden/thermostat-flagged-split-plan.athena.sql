WITH
deduped AS (
  SELECT "thing_name", "ts", "temperature", "humidity", "sound", "hvac_status"
  FROM (
    SELECT "thing_name", "ts", "temperature", "humidity", "sound", "hvac_status",
      row_number() OVER (PARTITION BY "thing_name", "ts" ORDER BY "received_at" DESC, "temperature" DESC, "humidity" DESC, "sound" DESC, "hvac_status" DESC) AS "_dup_rank"
    FROM "occupancy_lake"."telemetry"
    WHERE "thing_name" IS NOT NULL AND "ts" IS NOT NULL AND "dt" >= '{}'
  ) ranked
  WHERE "_dup_rank" = 1
),
flag_changes AS (
  SELECT "thing_name", "ts", "temperature", "humidity", "sound", "hvac_status", CASE WHEN "temperature" = lag("temperature") OVER (PARTITION BY "thing_name" ORDER BY "ts") THEN NULL ELSE "ts" END AS "_start_temperature", CASE WHEN "temperature" = lead("temperature") OVER (PARTITION BY "thing_name" ORDER BY "ts") THEN NULL ELSE "ts" END AS "_end_temperature", CASE WHEN "humidity" = lag("humidity") OVER (PARTITION BY "thing_name" ORDER BY "ts") THEN NULL ELSE "ts" END AS "_start_humidity", CASE WHEN "humidity" = lead("humidity") OVER (PARTITION BY "thing_name" ORDER BY "ts") THEN NULL ELSE "ts" END AS "_end_humidity", CASE WHEN "sound" = lag("sound") OVER (PARTITION BY "thing_name" ORDER BY "ts") THEN NULL ELSE "ts" END AS "_start_sound", CASE WHEN "sound" = lead("sound") OVER (PARTITION BY "thing_name" ORDER BY "ts") THEN NULL ELSE "ts" END AS "_end_sound"
  FROM deduped
),
flag_runs AS (
  SELECT "thing_name", "ts", max("_start_temperature") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_since_temperature", min("_end_temperature") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS "_until_temperature", max("_start_humidity") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_since_humidity", min("_end_humidity") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS "_until_humidity", max("_start_sound") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_since_sound", min("_end_sound") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS "_until_sound"
  FROM flag_changes
  WHERE "_start_temperature" IS NULL OR "_end_temperature" IS NULL OR "_start_humidity" IS NULL OR "_end_humidity" IS NULL OR "_start_sound" IS NULL OR "_end_sound" IS NULL
),
flag_spans AS (
  SELECT c."thing_name", c."ts", c."temperature", c."humidity", c."sound", c."hvac_status", COALESCE(r."_since_temperature", c."ts") AS "_since_temperature", COALESCE(r."_until_temperature" - r."_since_temperature", CAST(0 AS BIGINT)) AS "_span_temperature", COALESCE(r."_since_humidity", c."ts") AS "_since_humidity", COALESCE(r."_until_humidity" - r."_since_humidity", CAST(0 AS BIGINT)) AS "_span_humidity", COALESCE(r."_since_sound", c."ts") AS "_since_sound", COALESCE(r."_until_sound" - r."_since_sound", CAST(0 AS BIGINT)) AS "_span_sound"
  FROM flag_changes c
  LEFT JOIN flag_runs r ON r."thing_name" = c."thing_name" AND r."ts" = c."ts"
),
flag_faults AS (
  SELECT "thing_name", "ts"
  FROM "occupancy_lake"."sensor_faults"
  WHERE "kind" = 'out-of-range' AND "thing_name" IS NOT NULL AND "ts" IS NOT NULL AND "dt" >= '{}'
),
flag_fault_stream AS (
  SELECT "thing_name", "ts", 0 AS "_row_kind", "ts" AS "_fault_ts"
  FROM flag_faults
  UNION ALL
  SELECT "thing_name", "ts", 1 AS "_row_kind", CAST(NULL AS BIGINT) AS "_fault_ts"
  FROM deduped
  WHERE "thing_name" IN (SELECT "thing_name" FROM flag_faults)
),
flag_last_fault AS (
  SELECT "thing_name", "ts", "_row_kind",
    max("_fault_ts") OVER (PARTITION BY "thing_name" ORDER BY "ts", "_row_kind" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_last_out_of_range"
  FROM flag_fault_stream
),
flagged AS (
  SELECT s."thing_name", s."ts", s."temperature", s."humidity", s."sound", s."hvac_status", s."_since_temperature", s."_span_temperature", s."_since_humidity", s."_span_humidity", s."_since_sound", s."_span_sound",
    COALESCE("_span_temperature" >= CAST(10800000 AS BIGINT) OR "_span_humidity" >= CAST(10800000 AS BIGINT) OR "_span_sound" >= CAST(10800000 AS BIGINT), false) AS "_stuck",
    COALESCE(f."_last_out_of_range" IS NOT NULL AND s."ts" - f."_last_out_of_range" < CAST(3600000 AS BIGINT), false) AS "_out_of_range",
    f."_last_out_of_range"
  FROM flag_spans s
  LEFT JOIN flag_last_fault f ON f."thing_name" = s."thing_name" AND f."ts" = s."ts" AND f."_row_kind" = 1
),
unflagged AS (
  SELECT "thing_name", "ts", "temperature", "humidity", "sound", "hvac_status"
  FROM flagged
  WHERE NOT "_stuck" AND NOT "_out_of_range"
),
stepped AS (
  SELECT
    "thing_name",
    "ts",
    "temperature",
    "humidity",
    "sound",
    "hvac_status",
    min("ts") OVER (PARTITION BY "thing_name") AS "_first_ts",
    CASE WHEN ("sound" > CAST(10 AS DOUBLE)) <> (lag("sound") OVER (PARTITION BY "thing_name" ORDER BY "ts") > CAST(10 AS DOUBLE)) THEN "ts" END AS "_sound_cross_ts"
  FROM unflagged
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
    "sound" AS "sound",
    COALESCE("sound" - lag("sound") OVER (PARTITION BY "thing_name" ORDER BY "ts"), CAST(0 AS DOUBLE)) AS "sound_delta",
    avg("sound") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS "sound_mean_5",
    stddev_pop("sound") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS "sound_std_5",
    CAST("ts" - COALESCE(max("_sound_cross_ts") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), "_first_ts") AS DOUBLE) / CAST(1000 AS DOUBLE) AS "sound_secs_since_cross",
    CASE WHEN "hvac_status" = 'OFF' THEN 1 ELSE 0 END AS "hvac_status_is_off",
    CASE WHEN "hvac_status" = 'HEATING' THEN 1 ELSE 0 END AS "hvac_status_is_heating",
    CASE WHEN "hvac_status" = 'COOLING' THEN 1 ELSE 0 END AS "hvac_status_is_cooling",
    CASE WHEN "hvac_status" = 'FAN' THEN 1 ELSE 0 END AS "hvac_status_is_fan",
    sin(2 * pi() * CAST(mod("ts", 86400000) AS DOUBLE) / CAST(86400000 AS DOUBLE)) AS "hour_sin",
    cos(2 * pi() * CAST(mod("ts", 86400000) AS DOUBLE) / CAST(86400000 AS DOUBLE)) AS "hour_cos",
    sin(2 * pi() * CAST(mod(mod(CAST(floor(CAST("ts" AS DOUBLE) / CAST(86400000 AS DOUBLE)) AS BIGINT) + 4, 7) + 7, 7) AS DOUBLE) / CAST(7 AS DOUBLE)) AS "weekday_sin",
    cos(2 * pi() * CAST(mod(mod(CAST(floor(CAST("ts" AS DOUBLE) / CAST(86400000 AS DOUBLE)) AS BIGINT) + 4, 7) + 7, 7) AS DOUBLE) / CAST(7 AS DOUBLE)) AS "weekday_cos"
  FROM stepped
),
label_stream AS (
  SELECT "thing_name", "ts", 0 AS "_row_kind", "ts" * 2 + CASE WHEN "occupied" THEN 1 ELSE 0 END AS "_label_code"
  FROM "occupancy_lake"."labels"
  WHERE "thing_name" IS NOT NULL AND "ts" IS NOT NULL AND "occupied" IS NOT NULL AND "dt" >= '{}'
  UNION ALL
  SELECT "thing_name", "ts", 1 AS "_row_kind", CAST(NULL AS BIGINT) AS "_label_code"
  FROM unflagged
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
    f."sound",
    f."sound_delta",
    f."sound_mean_5",
    f."sound_std_5",
    f."sound_secs_since_cross",
    f."hvac_status_is_off",
    f."hvac_status_is_heating",
    f."hvac_status_is_cooling",
    f."hvac_status_is_fan",
    f."hour_sin",
    f."hour_cos",
    f."weekday_sin",
    f."weekday_cos",
    CAST(mod(l."_label_code", 2) AS INTEGER) AS "occupied"
  FROM featurised f
  JOIN label_in_force l ON l."thing_name" = f."thing_name" AND l."ts" = f."ts" AND l."_row_kind" = 1
  WHERE l."_label_code" IS NOT NULL
),
plan_counts AS (
  SELECT "ts", count(*) AS "_rows", CAST(sum("occupied") AS BIGINT) AS "_pos", CAST(count(*) - sum("occupied") AS BIGINT) AS "_neg"
  FROM labelled
  GROUP BY "ts"
),
plan_times AS (
  SELECT "ts", "_pos", "_neg",
    CASE WHEN "_total" > 1 THEN CAST("_before" AS DOUBLE) / CAST("_total" - 1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END AS "_time_rank"
  FROM (
    SELECT "ts", "_pos", "_neg",
      sum("_rows") OVER (ORDER BY "ts" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - "_rows" AS "_before",
      sum("_rows") OVER () AS "_total"
    FROM plan_counts
  ) counted
),
plan_prefix AS (
  SELECT "ts", "_time_rank", "_pos", "_neg",
    CAST(sum("_pos") OVER (ORDER BY "ts" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - "_pos" AS BIGINT) AS "_pos_before",
    CAST(sum("_neg") OVER (ORDER BY "ts" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - "_neg" AS BIGINT) AS "_neg_before",
    CAST(sum("_pos") OVER () AS BIGINT) AS "_pos_total",
    CAST(sum("_neg") OVER () AS BIGINT) AS "_neg_total"
  FROM plan_times
),
plan_holdout AS (
  SELECT
    min(CASE WHEN "_time_rank" >= CAST(0.7 AS DOUBLE) THEN "ts" END) AS "_frac_validation_start",
    min(CASE WHEN "_time_rank" >= CAST(0.85 AS DOUBLE) THEN "ts" END) AS "_frac_holdout_start",
    max(CASE WHEN "_pos_total" - "_pos_before" >= CAST(50 AS BIGINT) AND "_neg_total" - "_neg_before" >= CAST(50 AS BIGINT) THEN "ts" END) AS "_fit_holdout_start"
  FROM plan_prefix
),
plan_validation AS (
  SELECT
    max(h."_frac_validation_start") AS "_frac_validation_start",
    max(h."_frac_holdout_start") AS "_frac_holdout_start",
    max(h."_fit_holdout_start") AS "_fit_holdout_start",
    max(CASE WHEN h."_fit_holdout_start" IS NULL THEN h."_frac_holdout_start" WHEN h."_frac_holdout_start" IS NULL OR h."_fit_holdout_start" < h."_frac_holdout_start" THEN h."_fit_holdout_start" ELSE h."_frac_holdout_start" END) AS "_holdout_start",
    max(CASE WHEN p."ts" < b."ts" AND b."_pos_before" - p."_pos_before" >= CAST(50 AS BIGINT) AND b."_neg_before" - p."_neg_before" >= CAST(50 AS BIGINT) THEN p."ts" END) AS "_fit_validation_start"
  FROM plan_holdout h
  LEFT JOIN plan_prefix b ON b."ts" = (CASE WHEN h."_fit_holdout_start" IS NULL THEN h."_frac_holdout_start" WHEN h."_frac_holdout_start" IS NULL OR h."_fit_holdout_start" < h."_frac_holdout_start" THEN h."_fit_holdout_start" ELSE h."_frac_holdout_start" END)
  CROSS JOIN plan_prefix p
),
plan_adjusted AS (
  SELECT "_frac_validation_start", "_frac_holdout_start", "_fit_holdout_start", "_fit_validation_start", "_holdout_start",
    CASE WHEN "_v" IS NULL THEN "_holdout_start" WHEN "_holdout_start" IS NOT NULL AND "_v" > "_holdout_start" THEN "_holdout_start" ELSE "_v" END AS "_validation_start"
  FROM (
    SELECT "_frac_validation_start", "_frac_holdout_start", "_fit_holdout_start", "_fit_validation_start", "_holdout_start",
      CASE WHEN "_fit_validation_start" IS NULL THEN "_frac_validation_start" WHEN "_frac_validation_start" IS NULL OR "_fit_validation_start" < "_frac_validation_start" THEN "_fit_validation_start" ELSE "_frac_validation_start" END AS "_v"
    FROM plan_validation
  ) chosen
),
plan_cuts AS (
  SELECT a."_frac_validation_start", a."_frac_holdout_start",
    CASE WHEN "_feasible" THEN a."_validation_start" ELSE a."_frac_validation_start" END AS "_validation_start",
    CASE WHEN "_feasible" THEN a."_holdout_start" ELSE a."_frac_holdout_start" END AS "_holdout_start"
  FROM (
    SELECT a.*, COALESCE(a."_fit_holdout_start" IS NOT NULL AND a."_fit_validation_start" IS NOT NULL
      AND v."_pos_before" >= CAST(50 AS BIGINT) AND v."_neg_before" >= CAST(50 AS BIGINT), false) AS "_feasible"
    FROM plan_adjusted a
    LEFT JOIN plan_prefix v ON v."ts" = a."_validation_start"
  ) a
),
plan_days AS (
  SELECT "ts", "_day", "ts" - "_day" * 86400000 AS "_ms", CAST(floor(CAST("_day" + 719468 AS DOUBLE) / CAST(146097 AS DOUBLE)) AS BIGINT) AS "_era",
    "_day" + 719468 - CAST(floor(CAST("_day" + 719468 AS DOUBLE) / CAST(146097 AS DOUBLE)) AS BIGINT) * 146097 AS "_doe"
  FROM (SELECT "ts", CAST(floor(CAST("ts" AS DOUBLE) / CAST(86400000 AS DOUBLE)) AS BIGINT) AS "_day" FROM plan_prefix) days
),
plan_years AS (
  SELECT "ts", "_ms", "_era", "_doe",
    CAST(floor(CAST("_doe" - CAST(floor(CAST("_doe" AS DOUBLE) / CAST(1460 AS DOUBLE)) AS BIGINT) + CAST(floor(CAST("_doe" AS DOUBLE) / CAST(36524 AS DOUBLE)) AS BIGINT) - CAST(floor(CAST("_doe" AS DOUBLE) / CAST(146096 AS DOUBLE)) AS BIGINT) AS DOUBLE) / CAST(365 AS DOUBLE)) AS BIGINT) AS "_yoe"
  FROM plan_days
),
plan_months AS (
  SELECT "ts", "_ms", "_era", "_yoe", "_doy", CAST(floor(CAST(5 * "_doy" + 2 AS DOUBLE) / CAST(153 AS DOUBLE)) AS BIGINT) AS "_mp"
  FROM (
    SELECT "ts", "_ms", "_era", "_yoe",
      "_doe" - (365 * "_yoe" + CAST(floor(CAST("_yoe" AS DOUBLE) / CAST(4 AS DOUBLE)) AS BIGINT) - CAST(floor(CAST("_yoe" AS DOUBLE) / CAST(100 AS DOUBLE)) AS BIGINT)) AS "_doy"
    FROM plan_years
  ) years
),
plan_text AS (
  SELECT p."ts", p."_pos", p."_neg", CASE WHEN c."_validation_start" IS NULL OR p."ts" < c."_validation_start" THEN 'train' WHEN c."_holdout_start" IS NULL OR p."ts" < c."_holdout_start" THEN 'validation' ELSE 'holdout' END AS "split",
    lpad(CAST(m."_yoe" + m."_era" * 400 + CASE WHEN m."_mp" >= 10 THEN 1 ELSE 0 END AS VARCHAR), 4, '0') || '-' ||
    lpad(CAST(CASE WHEN m."_mp" < 10 THEN m."_mp" + 3 ELSE m."_mp" - 9 END AS VARCHAR), 2, '0') || '-' ||
    lpad(CAST(m."_doy" - CAST(floor(CAST(153 * m."_mp" + 2 AS DOUBLE) / CAST(5 AS DOUBLE)) AS BIGINT) + 1 AS VARCHAR), 2, '0') || ' ' ||
    lpad(CAST(CAST(floor(CAST(m."_ms" AS DOUBLE) / CAST(3600000 AS DOUBLE)) AS BIGINT) AS VARCHAR), 2, '0') || ':' ||
    lpad(CAST(CAST(floor(CAST(m."_ms" AS DOUBLE) / CAST(60000 AS DOUBLE)) AS BIGINT) - CAST(floor(CAST(m."_ms" AS DOUBLE) / CAST(3600000 AS DOUBLE)) AS BIGINT) * 60 AS VARCHAR), 2, '0') AS "_text"
  FROM plan_prefix p
  JOIN plan_months m ON m."ts" = p."ts"
  CROSS JOIN plan_cuts c
),
plan_summary AS (
  SELECT
    CAST(COALESCE(sum(CASE WHEN t."split" = 'train' THEN t."_pos" ELSE 0 END), 0) AS BIGINT) AS "_train_pos",
    CAST(COALESCE(sum(CASE WHEN t."split" = 'train' THEN t."_neg" ELSE 0 END), 0) AS BIGINT) AS "_train_neg",
    COALESCE(min(CASE WHEN t."split" = 'train' THEN t."_text" END), '-') AS "_train_from",
    COALESCE(max(CASE WHEN t."split" = 'train' THEN t."_text" END), '-') AS "_train_to",
    CAST(COALESCE(sum(CASE WHEN t."split" = 'validation' THEN t."_pos" ELSE 0 END), 0) AS BIGINT) AS "_validation_pos",
    CAST(COALESCE(sum(CASE WHEN t."split" = 'validation' THEN t."_neg" ELSE 0 END), 0) AS BIGINT) AS "_validation_neg",
    COALESCE(min(CASE WHEN t."split" = 'validation' THEN t."_text" END), '-') AS "_validation_from",
    COALESCE(max(CASE WHEN t."split" = 'validation' THEN t."_text" END), '-') AS "_validation_to",
    CAST(COALESCE(sum(CASE WHEN t."split" = 'holdout' THEN t."_pos" ELSE 0 END), 0) AS BIGINT) AS "_holdout_pos",
    CAST(COALESCE(sum(CASE WHEN t."split" = 'holdout' THEN t."_neg" ELSE 0 END), 0) AS BIGINT) AS "_holdout_neg",
    COALESCE(min(CASE WHEN t."split" = 'holdout' THEN t."_text" END), '-') AS "_holdout_from",
    COALESCE(max(CASE WHEN t."split" = 'holdout' THEN t."_text" END), '-') AS "_holdout_to",
    COALESCE(max(CASE WHEN t."ts" = c."_validation_start" THEN t."_text" END), '-') AS "_validation_start_text",
    COALESCE(max(CASE WHEN t."ts" = c."_holdout_start" THEN t."_text" END), '-') AS "_holdout_start_text",
    COALESCE(max(CASE WHEN t."ts" = c."_frac_validation_start" THEN t."_text" END), '-') AS "_frac_validation_start_text",
    COALESCE(max(CASE WHEN t."ts" = c."_frac_holdout_start" THEN t."_text" END), '-') AS "_frac_holdout_start_text"
  FROM plan_text t
  CROSS JOIN plan_cuts c
),
flag_counts AS (
  SELECT
    CAST(COALESCE(sum(CASE WHEN "_stuck" THEN 1 ELSE 0 END), 0) AS BIGINT) AS "flagged_stuck",
    CAST(COALESCE(sum(CASE WHEN "_out_of_range" THEN 1 ELSE 0 END), 0) AS BIGINT) AS "flagged_out_of_range",
    CAST(COALESCE(sum(CASE WHEN "_stuck" OR "_out_of_range" THEN 1 ELSE 0 END), 0) AS BIGINT) AS "flagged_total"
  FROM flagged
),
split_plan AS (
  SELECT
    CASE WHEN s."_train_pos" >= CAST(50 AS BIGINT) AND s."_train_neg" >= CAST(50 AS BIGINT) AND s."_validation_pos" >= CAST(50 AS BIGINT) AND s."_validation_neg" >= CAST(50 AS BIGINT) AND s."_holdout_pos" >= CAST(50 AS BIGINT) AND s."_holdout_neg" >= CAST(50 AS BIGINT) THEN 'ok' ELSE 'insufficient-data' END AS "status",
    CASE
      WHEN NOT (s."_train_pos" >= CAST(50 AS BIGINT) AND s."_train_neg" >= CAST(50 AS BIGINT) AND s."_validation_pos" >= CAST(50 AS BIGINT) AND s."_validation_neg" >= CAST(50 AS BIGINT) AND s."_holdout_pos" >= CAST(50 AS BIGINT) AND s."_holdout_neg" >= CAST(50 AS BIGINT)) THEN substr(CASE WHEN s."_train_pos" + s."_train_neg" = 0 THEN '; train is empty; need ≥ 50 occupied and 50 empty readings'
      WHEN s."_train_pos" < CAST(50 AS BIGINT) AND s."_train_neg" < CAST(50 AS BIGINT) THEN '; train ' || s."_train_from" || '..' || s."_train_to" || ' has ' || CAST(s."_train_pos" AS VARCHAR) || ' occupied and ' || CAST(s."_train_neg" AS VARCHAR) || ' empty readings; need ≥ 50 occupied and 50 empty'
      WHEN s."_train_pos" < CAST(50 AS BIGINT) THEN '; train ' || s."_train_from" || '..' || s."_train_to" || ' has ' || CAST(s."_train_pos" AS VARCHAR) || ' occupied readings; need ≥ 50'
      WHEN s."_train_neg" < CAST(50 AS BIGINT) THEN '; train ' || s."_train_from" || '..' || s."_train_to" || ' has ' || CAST(s."_train_neg" AS VARCHAR) || ' empty readings; need ≥ 50'
      ELSE '' END ||
      CASE WHEN s."_validation_pos" + s."_validation_neg" = 0 THEN '; validation is empty; need ≥ 50 occupied and 50 empty readings'
      WHEN s."_validation_pos" < CAST(50 AS BIGINT) AND s."_validation_neg" < CAST(50 AS BIGINT) THEN '; validation ' || s."_validation_from" || '..' || s."_validation_to" || ' has ' || CAST(s."_validation_pos" AS VARCHAR) || ' occupied and ' || CAST(s."_validation_neg" AS VARCHAR) || ' empty readings; need ≥ 50 occupied and 50 empty'
      WHEN s."_validation_pos" < CAST(50 AS BIGINT) THEN '; validation ' || s."_validation_from" || '..' || s."_validation_to" || ' has ' || CAST(s."_validation_pos" AS VARCHAR) || ' occupied readings; need ≥ 50'
      WHEN s."_validation_neg" < CAST(50 AS BIGINT) THEN '; validation ' || s."_validation_from" || '..' || s."_validation_to" || ' has ' || CAST(s."_validation_neg" AS VARCHAR) || ' empty readings; need ≥ 50'
      ELSE '' END ||
      CASE WHEN s."_holdout_pos" + s."_holdout_neg" = 0 THEN '; holdout is empty; need ≥ 50 occupied and 50 empty readings'
      WHEN s."_holdout_pos" < CAST(50 AS BIGINT) AND s."_holdout_neg" < CAST(50 AS BIGINT) THEN '; holdout ' || s."_holdout_from" || '..' || s."_holdout_to" || ' has ' || CAST(s."_holdout_pos" AS VARCHAR) || ' occupied and ' || CAST(s."_holdout_neg" AS VARCHAR) || ' empty readings; need ≥ 50 occupied and 50 empty'
      WHEN s."_holdout_pos" < CAST(50 AS BIGINT) THEN '; holdout ' || s."_holdout_from" || '..' || s."_holdout_to" || ' has ' || CAST(s."_holdout_pos" AS VARCHAR) || ' occupied readings; need ≥ 50'
      WHEN s."_holdout_neg" < CAST(50 AS BIGINT) THEN '; holdout ' || s."_holdout_from" || '..' || s."_holdout_to" || ' has ' || CAST(s."_holdout_neg" AS VARCHAR) || ' empty readings; need ≥ 50'
      ELSE '' END, 3) || '. No time-ordered cutoffs give every split ≥ 50 occupied and 50 empty readings.'
      WHEN (c."_validation_start" <> c."_frac_validation_start" OR c."_holdout_start" <> c."_frac_holdout_start") THEN 'cutoffs moved from the fractions (validation ' || s."_frac_validation_start_text" || ', holdout ' || s."_frac_holdout_start_text" || ') to validation from ' || s."_validation_start_text" || ', holdout from ' || s."_holdout_start_text" || ' (UTC) so every split holds ≥ 50 occupied and 50 empty readings: ' || 'train ' || s."_train_from" || '..' || s."_train_to" || ': ' || CAST(s."_train_pos" AS VARCHAR) || ' occupied, ' || CAST(s."_train_neg" AS VARCHAR) || ' empty' || '; ' || 'validation ' || s."_validation_from" || '..' || s."_validation_to" || ': ' || CAST(s."_validation_pos" AS VARCHAR) || ' occupied, ' || CAST(s."_validation_neg" AS VARCHAR) || ' empty' || '; ' || 'holdout ' || s."_holdout_from" || '..' || s."_holdout_to" || ': ' || CAST(s."_holdout_pos" AS VARCHAR) || ' occupied, ' || CAST(s."_holdout_neg" AS VARCHAR) || ' empty'
      ELSE 'split by fractions 0.7/0.15: validation from ' || s."_validation_start_text" || ', holdout from ' || s."_holdout_start_text" || ' (UTC): ' || 'train ' || s."_train_from" || '..' || s."_train_to" || ': ' || CAST(s."_train_pos" AS VARCHAR) || ' occupied, ' || CAST(s."_train_neg" AS VARCHAR) || ' empty' || '; ' || 'validation ' || s."_validation_from" || '..' || s."_validation_to" || ': ' || CAST(s."_validation_pos" AS VARCHAR) || ' occupied, ' || CAST(s."_validation_neg" AS VARCHAR) || ' empty' || '; ' || 'holdout ' || s."_holdout_from" || '..' || s."_holdout_to" || ': ' || CAST(s."_holdout_pos" AS VARCHAR) || ' occupied, ' || CAST(s."_holdout_neg" AS VARCHAR) || ' empty'
    END AS "message",
    COALESCE(c."_validation_start", CAST(-1 AS BIGINT)) AS "validation_start",
    COALESCE(c."_holdout_start", CAST(-1 AS BIGINT)) AS "holdout_start",
    s."_train_pos" AS "train_positives",
    s."_train_neg" AS "train_negatives",
    s."_validation_pos" AS "validation_positives",
    s."_validation_neg" AS "validation_negatives",
    s."_holdout_pos" AS "holdout_positives",
    s."_holdout_neg" AS "holdout_negatives",
    f."flagged_stuck",
    f."flagged_out_of_range",
    f."flagged_total"
  FROM plan_summary s
  CROSS JOIN plan_cuts c
  CROSS JOIN flag_counts f
),
split_rows AS (
  SELECT
    "thing_name",
    "ts",
    CASE WHEN plan_cuts."_validation_start" IS NULL OR "ts" < plan_cuts."_validation_start" THEN 'train' WHEN plan_cuts."_holdout_start" IS NULL OR "ts" < plan_cuts."_holdout_start" THEN 'validation' ELSE 'holdout' END AS "split",
    "temperature",
    "temperature_delta",
    "temperature_mean_5",
    "temperature_std_5",
    "humidity",
    "humidity_delta",
    "humidity_mean_5",
    "humidity_std_5",
    "sound",
    "sound_delta",
    "sound_mean_5",
    "sound_std_5",
    "sound_secs_since_cross",
    "hvac_status_is_off",
    "hvac_status_is_heating",
    "hvac_status_is_cooling",
    "hvac_status_is_fan",
    "hour_sin",
    "hour_cos",
    "weekday_sin",
    "weekday_cos",
    "occupied"
  FROM labelled
  CROSS JOIN plan_cuts
)
SELECT
  "status",
  "message",
  "validation_start",
  "holdout_start",
  "train_positives",
  "train_negatives",
  "validation_positives",
  "validation_negatives",
  "holdout_positives",
  "holdout_negatives",
  "flagged_stuck",
  "flagged_out_of_range",
  "flagged_total"
FROM split_plan
