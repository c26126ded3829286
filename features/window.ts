import { type SqlDialectName, SqlGenerationError, sqlDialect } from './dialect';

/**
 * The training window: an export reads only the `dt` partitions (UTC day of the reading, a VARCHAR
 * 'YYYY-MM-DD' in the lake and in Glue) from `startDay` on, the same predicate in DuckDB and Athena, so a run's
 * cost is bounded by the window, not by the fleet's history.
 */
export interface TrainingWindow {
  /** 'YYYY-MM-DD', or exactly WINDOW_START_PLACEHOLDER (filled in by the state machine's States.Format). */
  readonly startDay: string;
}

/** The Step Functions `States.Format` placeholder the Athena form carries instead of a day. */
export const WINDOW_START_PLACEHOLDER = '{}';

/** Returned by the window query when the window holds all history (days 0) or there is no label yet. */
export const ALL_HISTORY_START_DAY = '0000-01-01';

/** Largest window accepted, as the config (pipeline/config.ts `trainingWindowDays`). */
export const MAX_TRAINING_WINDOW_DAYS = 3650;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDay(value: string): boolean {
  const match = DAY.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year === 0 && month === 1 && day === 1) return true; // ALL_HISTORY_START_DAY, before any date
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * The partition predicate of a window, to AND into every scan of the telemetry and labels tables; '' without
 * one. `dt` is compared as text: 'YYYY-MM-DD' sorts as the day does, and Athena prunes partition projection on it.
 */
export function windowPredicate(window: TrainingWindow | undefined, column = '"dt"'): string {
  if (window === undefined) return '';
  const { startDay } = window;
  if (startDay !== WINDOW_START_PLACEHOLDER && !isCalendarDay(String(startDay))) {
    throw new SqlGenerationError(
      `window.startDay must be a day 'YYYY-MM-DD' or the placeholder '${WINDOW_START_PLACEHOLDER}', got "${String(startDay)}"`,
      'window.startDay',
    );
  }
  return ` AND ${column} >= '${startDay}'`;
}

export interface TrainingWindowQueryOptions {
  readonly dialect: SqlDialectName;
  /** @default 'labels' */
  readonly labelsTable?: string;
  /** The window's length in days, the newest labelled day included; 0 = all history. */
  readonly days: number;
}

/**
 * One row, one VARCHAR column `window_start` (never NULL): the day `days - 1` days before the newest labelled day
 * (`dt` of the labels), so the window is the `days` newest days of the fleet's data, anchored on its labels so an
 * imported history that ended long ago still trains. ALL_HISTORY_START_DAY for days 0 or a lake without labels.
 * The same text runs on Athena (Trino) and DuckDB: date minus a day interval is standard SQL in both
 * (https://trino.io/docs/current/functions/datetime.html, "Date and time operators": date '2012-08-08' - interval
 * '2' day); DuckDB's result is a TIMESTAMP, Trino's a DATE, so it is cast to DATE before VARCHAR ('YYYY-MM-DD').
 */
export function buildTrainingWindowQuery(options: TrainingWindowQueryOptions): string {
  const d = sqlDialect(options.dialect);
  const labels = d.tableReference(options.labelsTable ?? 'labels', 'labelsTable');
  const { days } = options;
  if (!(Number.isSafeInteger(days) && days >= 0 && days <= MAX_TRAINING_WINDOW_DAYS)) {
    throw new SqlGenerationError(
      `days must be an integer in [0, ${MAX_TRAINING_WINDOW_DAYS}] (0 = all history), got ${days}`,
      'days',
    );
  }
  if (days === 0) return `SELECT '${ALL_HISTORY_START_DAY}' AS "window_start"\n`;
  return `SELECT COALESCE(
  CAST(CAST(CAST(max("dt") AS DATE) - INTERVAL '${days - 1}' DAY AS DATE) AS VARCHAR),
  '${ALL_HISTORY_START_DAY}'
) AS "window_start"
FROM ${labels}
WHERE "thing_name" IS NOT NULL AND "ts" IS NOT NULL AND "occupied" IS NOT NULL
`;
}
