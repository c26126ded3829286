/**
 * Which readings are flagged, in SQL both engines run (DuckDB locally, Athena/Trino on AWS): the one rule the sensor
 * health check (which devices are stuck or out of range now) and the training export (which readings to leave out)
 * share. Pure text generation, no I/O.
 *
 * - stuck: the reading belongs to a run of one value of a numeric signal (consecutive readings of the device, by
 *   ts) lasting at least that signal's stuck time (its `stuckAfterMinutes`, else `sensorHealth.stuckMinutes`). The
 *   whole run is flagged: its first readings were as stuck as its last.
 * - out of range: the device had a reading refused as out of range (`sensor_faults`, kind `out-of-range`) at or
 *   before this reading, less than `outOfRangeClearMinutes` earlier.
 */
import { type SqlDialect, SqlGenerationError } from '../features/dialect';
import { type TrainingWindow, windowPredicate } from '../features/window';
import type { SensorHealthConfig } from '../pipeline/config';
import { numericSignals, type SignalSet } from '../telemetry/signals';
import { SENSOR_FAULTS_TABLE } from './types';

const MINUTE_MS = 60_000;

export interface StuckRule {
  readonly signal: string;
  readonly minutes: number;
}

export interface FlagRule {
  /** One per numeric signal of the set. */
  readonly stuck: readonly StuckRule[];
  readonly outOfRangeClearMinutes: number;
  /** @default 'sensor_faults' */
  readonly faultsTable?: string;
}

/** The rule of a config and signal set. */
export function flagRuleOf(
  config: Pick<SensorHealthConfig, 'stuckMinutes' | 'outOfRangeClearMinutes'>,
  set: SignalSet,
): FlagRule {
  return {
    stuck: numericSignals(set).map((s) => ({ signal: s.name, minutes: s.stuckAfterMinutes ?? config.stuckMinutes })),
    outOfRangeClearMinutes: config.outOfRangeClearMinutes,
  };
}

/** Per-signal helper columns of `flagged` (the signal's name is snake_case: telemetry/signal-set-schema.ts). */
export const stuckSinceColumn = (signal: string): string => `"_since_${signal}"`;
export const stuckSpanColumn = (signal: string): string => `"_span_${signal}"`;

const DEVICE_WINDOW = 'PARTITION BY "thing_name" ORDER BY "ts"';
const RUNNING = 'ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW';

/**
 * CTEs after `source` (a CTE or table with one row per (thing_name, ts) and at least the rule's signal columns) that
 * define `flagged`: every column of `columns` plus
 *   "_stuck" / "_out_of_range" (BOOLEAN, never NULL),
 *   "_since_<signal>" (first ts of the signal's current run) and "_span_<signal>" (its length in ms) per stuck rule,
 *   "_last_out_of_range" (ts of the device's latest out-of-range refusal at or before the reading; NULL: none).
 * `columns` are the quoted column names of `source` to carry (they must include "thing_name" and "ts").
 */
export function flagCtes(
  source: string,
  columns: readonly string[],
  rule: FlagRule,
  d: SqlDialect,
  window?: TrainingWindow,
): string[] {
  for (const s of rule.stuck) {
    if (!/^[a-z][a-z0-9_]*$/.test(s.signal)) {
      throw new SqlGenerationError(`stuck signal "${s.signal}" must be snake_case`, 'sensorHealth.stuck');
    }
    if (!(Number.isSafeInteger(s.minutes) && s.minutes > 0)) {
      throw new SqlGenerationError(`stuck minutes of ${s.signal} must be a positive integer`, 'sensorHealth.stuck');
    }
  }
  const faults = d.tableReference(rule.faultsTable ?? SENSOR_FAULTS_TABLE, 'sensorHealth.faultsTable');
  const carried = columns.join(', ');
  const q = d.quoteIdentifier;
  // A run of a signal starts where its value differs from the previous reading's and ends where it differs from the
  // next one's (a NULL value is a run of its own). Only a reading equal to a neighbour can be in a run longer than
  // one reading, and such readings are few in a healthy fleet: the windows that find each run's first and last ts
  // read only them (`flag_runs`; every reading of such a run is one), in one window spec for all signals.
  const start = (signal: string): string => `"_start_${signal}"`;
  const end = (signal: string): string => `"_end_${signal}"`;
  const bounds = rule.stuck.flatMap((s) => [
    `CASE WHEN ${q(s.signal)} = lag(${q(s.signal)}) OVER (${DEVICE_WINDOW}) THEN NULL ELSE "ts" END AS ${start(s.signal)}`,
    `CASE WHEN ${q(s.signal)} = lead(${q(s.signal)}) OVER (${DEVICE_WINDOW}) THEN NULL ELSE "ts" END AS ${end(s.signal)}`,
  ]);
  const runBounds = rule.stuck.flatMap((s) => [
    `max(${start(s.signal)}) OVER (${DEVICE_WINDOW} ${RUNNING}) AS ${stuckSinceColumn(s.signal)}`,
    `min(${end(s.signal)}) OVER (${DEVICE_WINDOW} ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS "_until_${s.signal}"`,
  ]);
  const inRun = rule.stuck.map((s) => `${start(s.signal)} IS NULL OR ${end(s.signal)} IS NULL`).join(' OR ') || 'false';
  // A reading in no run longer than itself: since = its own ts, span 0.
  const spans = rule.stuck.flatMap((s) => [
    `COALESCE(r.${stuckSinceColumn(s.signal)}, c."ts") AS ${stuckSinceColumn(s.signal)}`,
    `COALESCE(r."_until_${s.signal}" - r.${stuckSinceColumn(s.signal)}, ${d.bigintLiteral(0)}) AS ${stuckSpanColumn(s.signal)}`,
  ]);
  const stuck =
    rule.stuck.length === 0
      ? 'false'
      : rule.stuck.map((s) => `${stuckSpanColumn(s.signal)} >= ${d.bigintLiteral(s.minutes * MINUTE_MS)}`).join(' OR ');
  const perSignal = rule.stuck.flatMap((s) => [`s.${stuckSinceColumn(s.signal)}`, `s.${stuckSpanColumn(s.signal)}`]);
  const clearMs = d.bigintLiteral(rule.outOfRangeClearMinutes * MINUTE_MS);
  return [
    `flag_changes AS (
  SELECT ${[carried, ...bounds].join(', ')}
  FROM ${source}
)`,
    `flag_runs AS (
  SELECT ${['"thing_name"', '"ts"', ...runBounds].join(', ')}
  FROM flag_changes
  WHERE ${inRun}
)`,
    `flag_spans AS (
  SELECT ${[...columns.map((c) => `c.${c}`), ...spans].join(', ')}
  FROM flag_changes c
  LEFT JOIN flag_runs r ON r."thing_name" = c."thing_name" AND r."ts" = c."ts"
)`,
    `flag_faults AS (
  SELECT "thing_name", "ts"
  FROM ${faults}
  WHERE "kind" = 'out-of-range' AND "thing_name" IS NOT NULL AND "ts" IS NOT NULL${windowPredicate(window)}
)`,
    // Refusals and the readings of the devices refused (few) in one stream per device, refusals first at one
    // instant: the running max of the refusals' ts is the latest at or before each reading (a portable as-of join).
    `flag_fault_stream AS (
  SELECT "thing_name", "ts", 0 AS "_row_kind", "ts" AS "_fault_ts"
  FROM flag_faults
  UNION ALL
  SELECT "thing_name", "ts", 1 AS "_row_kind", CAST(NULL AS BIGINT) AS "_fault_ts"
  FROM ${source}
  WHERE "thing_name" IN (SELECT "thing_name" FROM flag_faults)
)`,
    `flag_last_fault AS (
  SELECT "thing_name", "ts", "_row_kind",
    max("_fault_ts") OVER (PARTITION BY "thing_name" ORDER BY "ts", "_row_kind" ${RUNNING}) AS "_last_out_of_range"
  FROM flag_fault_stream
)`,
    `flagged AS (
  SELECT ${[...columns.map((c) => `s.${c}`), ...perSignal].join(', ')},
    COALESCE(${stuck}, false) AS "_stuck",
    COALESCE(f."_last_out_of_range" IS NOT NULL AND s."ts" - f."_last_out_of_range" < ${clearMs}, false) AS "_out_of_range",
    f."_last_out_of_range"
  FROM flag_spans s
  LEFT JOIN flag_last_fault f ON f."thing_name" = s."thing_name" AND f."ts" = s."ts" AND f."_row_kind" = 1
)`,
  ];
}
