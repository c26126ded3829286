/**
 * The sensor health check's query (issue 22): one row per device known in the lookback (a reading or a refused
 * reading), with what health/classify.ts needs to name it stuck, silent, out of range or malformed. The same text
 * runs on Athena (Trino) and on DuckDB (the local lake and the local Athena stand-in): window functions with ROWS
 * frames, row_number, lag, count/avg/min/max, UNION, CASE, CAST — syntax both share
 * (https://trino.io/docs/current/functions/window.html, https://trino.io/docs/current/functions/aggregate.html,
 * https://trino.io/docs/current/sql/select.html#union-intersect-except). The median gap is computed exactly with
 * row_number/count instead of Trino's approx_percentile or DuckDB's median, which the other engine lacks.
 * Stuck and out-of-range come from health/flag-sql.ts, the rule the export applies too. Pure text generation, no I/O.
 */
import { type SqlDialectName, SqlGenerationError, sqlDialect } from '../features/dialect';
import { dedupedCte } from '../features/readings';
import type { SensorHealthConfig } from '../pipeline/config';
import { numericSignals, type SignalSet } from '../telemetry/signals';
import { flagCtes, flagRuleOf, stuckSinceColumn, stuckSpanColumn } from './flag-sql';
import { SENSOR_FAULTS_TABLE } from './types';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface HealthQueryOptions {
  readonly dialect: SqlDialectName;
  /** The check's "now" (epoch ms): nothing after it is read. */
  readonly at: number;
  readonly config: SensorHealthConfig;
  readonly signalSet: SignalSet;
  /** @default 'telemetry' */
  readonly telemetryTable?: string;
  /** @default 'sensor_faults' */
  readonly faultsTable?: string;
}

/**
 * Readings are scanned from `lookbackHours` plus the longest stuck time before `at`: a device whose newest reading
 * (in the lookback) ends a run of one value that reached its stuck time is seen stuck even when the run began before
 * the lookback. A run longer than that shows the scan's start as its since (at least that long).
 */
export function healthScanStart(o: Pick<HealthQueryOptions, 'at' | 'config' | 'signalSet'>): number {
  const rule = flagRuleOf(o.config, o.signalSet);
  const longestStuck = Math.max(0, ...rule.stuck.map((s) => s.minutes));
  return o.at - o.config.lookbackHours * HOUR_MS - longestStuck * MINUTE_MS;
}

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Result columns of one numeric signal's state at the device's newest reading. */
export const stuckColumns = (signal: string) => ({
  since: `stuck_since_${signal}`,
  span: `stuck_span_${signal}`,
  value: `value_${signal}`,
});

/** The detection query: one row per known device, ordered by thing name (columns: see HealthRowColumns). */
export function buildHealthQuery(o: HealthQueryOptions): string {
  const d = sqlDialect(o.dialect);
  const q = d.quoteIdentifier;
  if (!Number.isSafeInteger(o.at) || o.at <= 0) throw new SqlGenerationError(`at must be epoch ms, got ${o.at}`, 'at');
  const telemetry = d.tableReference(o.telemetryTable ?? 'telemetry', 'telemetryTable');
  const faultsTable = o.faultsTable ?? SENSOR_FAULTS_TABLE;
  const faults = d.tableReference(faultsTable, 'faultsTable');
  const rule = { ...flagRuleOf(o.config, o.signalSet), faultsTable };
  const signals = numericSignals(o.signalSet).map((s) => s.name);
  const at = d.bigintLiteral(o.at);
  const scanStart = healthScanStart(o);
  const lookbackStart = d.bigintLiteral(o.at - o.config.lookbackHours * HOUR_MS);
  const clearMs = d.bigintLiteral(o.config.outOfRangeClearMinutes * MINUTE_MS);
  const malformedStart = d.bigintLiteral(o.at - o.config.malformedWindowMinutes * MINUTE_MS);
  // `dt` is the partition (UTC day); a day either side covers a reading filed under its arrival's day.
  const firstDay = dayOf(scanStart - DAY_MS);
  const lastDay = dayOf(o.at + DAY_MS);
  const days = `"dt" >= '${firstDay}' AND "dt" <= '${lastDay}'`;
  const sigCols = signals.map(q);
  const carried = ['"thing_name"', '"ts"', ...sigCols];
  const ctes = [
    // Duplicate (thing_name, ts) readings (MQTT redeliveries) keep the one received last, as the features' do.
    dedupedCte(telemetry, sigCols, ` AND ${days}\n      AND "ts" > ${d.bigintLiteral(scanStart)} AND "ts" <= ${at}`),
    ...flagCtes('deduped', carried, rule, d, { startDay: firstDay }),
    `latest AS (
  SELECT * FROM (
    SELECT ${[
      '"thing_name"',
      ...sigCols,
      ...signals.flatMap((s) => [stuckSinceColumn(s), stuckSpanColumn(s)]),
      'row_number() OVER (PARTITION BY "thing_name" ORDER BY "ts" DESC) AS "_recency"',
    ].join(', ')}
    FROM flagged
  ) newest
  WHERE "_recency" = 1
)`,
    `readings AS (
  SELECT "thing_name", max("ts") AS "last_ts",
    max(CASE WHEN NOT "_stuck" AND NOT "_out_of_range" THEN "ts" END) AS "last_good_ts"
  FROM flagged
  GROUP BY "thing_name"
)`,
    `gaps AS (
  SELECT "thing_name", "ts" - lag("ts") OVER (PARTITION BY "thing_name" ORDER BY "ts") AS "gap"
  FROM deduped
)`,
    `ranked_gaps AS (
  SELECT "thing_name", "gap",
    row_number() OVER (PARTITION BY "thing_name" ORDER BY "gap") AS "_rank",
    count(*) OVER (PARTITION BY "thing_name") AS "_n"
  FROM gaps
  WHERE "gap" IS NOT NULL
)`,
    // The middle gap (odd count) or the mean of the two middle ones (even): 2·rank in [n, n + 2], integers only.
    `median_gaps AS (
  SELECT "thing_name", avg(CAST("gap" AS DOUBLE)) AS "median_gap_ms"
  FROM ranked_gaps
  WHERE 2 * "_rank" >= "_n" AND 2 * "_rank" <= "_n" + 2
  GROUP BY "thing_name"
)`,
    // A refusal's device time (ts) places it among the readings (out of range, as the flag rule does); the time it
    // was refused (received_at) counts a burst, whatever the device's clock says.
    `faults AS (
  SELECT "thing_name", "ts", COALESCE("received_at", "ts") AS "refused_at", "kind", "field", "code"
  FROM ${faults}
  WHERE "thing_name" IS NOT NULL AND "ts" IS NOT NULL AND ${days}
)`,
    // A streak of out-of-range refusals: each less than outOfRangeClearMinutes after the one before.
    `oor_streaks AS (
  SELECT "thing_name", "ts", "field",
    CASE WHEN "ts" - lag("ts") OVER (PARTITION BY "thing_name" ORDER BY "ts") < ${clearMs} THEN 0 ELSE 1 END AS "_new"
  FROM faults
  WHERE "kind" = 'out-of-range' AND "ts" <= ${at}
)`,
    `oor_numbered AS (
  SELECT "thing_name", "ts", "field",
    sum("_new") OVER (PARTITION BY "thing_name" ORDER BY "ts" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_streak",
    row_number() OVER (PARTITION BY "thing_name" ORDER BY "ts" DESC, "field") AS "_recency"
  FROM oor_streaks
)`,
    `out_of_range AS (
  SELECT l."thing_name", l."ts" AS "oor_last_ts", l."field" AS "oor_field",
    min(n."ts") AS "oor_since", count(*) AS "oor_count"
  FROM oor_numbered l
  JOIN oor_numbered n ON n."thing_name" = l."thing_name" AND n."_streak" = l."_streak"
  WHERE l."_recency" = 1
  GROUP BY l."thing_name", l."ts", l."field"
)`,
    `malformed_recent AS (
  SELECT "thing_name", "refused_at", "field", "code"
  FROM faults
  WHERE "kind" = 'malformed' AND "refused_at" > ${malformedStart} AND "refused_at" <= ${at}
)`,
    `malformed AS (
  SELECT "thing_name", count(*) AS "malformed_count", min("refused_at") AS "malformed_since",
    max("refused_at") AS "malformed_last"
  FROM malformed_recent
  GROUP BY "thing_name"
)`,
    // The most frequent cause of the recent malformed refusals (ties: the newest).
    `malformed_causes AS (
  SELECT "thing_name", "field", "code",
    row_number() OVER (PARTITION BY "thing_name" ORDER BY "n" DESC, "newest" DESC, "field", "code") AS "_rank"
  FROM (
    SELECT "thing_name", "field", "code", count(*) AS "n", max("refused_at") AS "newest"
    FROM malformed_recent
    GROUP BY "thing_name", "field", "code"
  ) causes
)`,
    `known AS (
  SELECT "thing_name" FROM deduped WHERE "ts" > ${lookbackStart}
  UNION
  SELECT "thing_name" FROM faults WHERE "refused_at" > ${lookbackStart} AND "refused_at" <= ${at}
)`,
  ];
  const perSignal = signals.flatMap((s) => {
    const c = stuckColumns(s);
    return [
      `l.${stuckSinceColumn(s)} AS ${q(c.since)}`,
      `l.${stuckSpanColumn(s)} AS ${q(c.span)}`,
      `l.${q(s)} AS ${q(c.value)}`,
    ];
  });
  const columns = [
    'k."thing_name"',
    'r."last_ts"',
    'r."last_good_ts"',
    'g."median_gap_ms"',
    ...perSignal,
    'o."oor_last_ts"',
    'o."oor_since"',
    'o."oor_count"',
    'o."oor_field"',
    'm."malformed_count"',
    'm."malformed_since"',
    'm."malformed_last"',
    'c."field" AS "malformed_field"',
    'c."code" AS "malformed_code"',
  ];
  return `WITH
${ctes.join(',\n')}
SELECT ${columns.join(',\n  ')}
FROM known k
LEFT JOIN readings r ON r."thing_name" = k."thing_name"
LEFT JOIN median_gaps g ON g."thing_name" = k."thing_name"
LEFT JOIN latest l ON l."thing_name" = k."thing_name"
LEFT JOIN out_of_range o ON o."thing_name" = k."thing_name"
LEFT JOIN malformed m ON m."thing_name" = k."thing_name"
LEFT JOIN malformed_causes c ON c."thing_name" = k."thing_name" AND c."_rank" = 1
ORDER BY k."thing_name"
`;
}
