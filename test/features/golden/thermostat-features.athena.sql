WITH
deduped AS (
  SELECT "thing_name", "ts", "temperature", "humidity", "sound", "hvac_status"
  FROM (
    SELECT "thing_name", "ts", "temperature", "humidity", "sound", "hvac_status",
      row_number() OVER (PARTITION BY "thing_name", "ts" ORDER BY "received_at" DESC, "temperature" DESC, "humidity" DESC, "sound" DESC, "hvac_status" DESC) AS "_dup_rank"
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
    "sound",
    "hvac_status",
    min("ts") OVER (PARTITION BY "thing_name") AS "_first_ts",
    CASE WHEN ("sound" > CAST(10 AS DOUBLE)) <> (lag("sound") OVER (PARTITION BY "thing_name" ORDER BY "ts") > CAST(10 AS DOUBLE)) THEN "ts" END AS "_sound_cross_ts"
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
)
SELECT
  "thing_name",
  "ts",
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
  "weekday_cos"
FROM featurised
ORDER BY "thing_name", "ts"
