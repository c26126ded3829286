SELECT COALESCE(
  CAST(CAST(CAST(max("dt") AS DATE) - INTERVAL '29' DAY AS DATE) AS VARCHAR),
  '0000-01-01'
) AS "window_start"
FROM "occupancy_lake"."labels"
WHERE "thing_name" IS NOT NULL AND "ts" IS NOT NULL AND "occupied" IS NOT NULL
