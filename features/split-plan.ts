import { type SqlDialect, SqlGenerationError } from './dialect';

/**
 * The split plan: time cutoffs that leave every split (train, validation, holdout) enough of both classes, chosen
 * in SQL so that DuckDB (local) and Athena (AWS) choose the same ones from the same rows.
 *
 * Start from the fraction cutoffs (percent_rank of ts over the labelled rows, as the `fractions` split). If the
 * newest rows from the fraction holdout cutoff hold fewer than `minPositives` occupied or `minNegatives` empty
 * readings, the holdout cutoff moves back to the latest time whose suffix holds both; the validation cutoff then
 * does the same before the holdout. Cutoffs only ever move earlier, and the split stays strictly time-ordered:
 * ts < validationStart → train, ts < holdoutStart → validation, else holdout. Rows of equal ts fall on one side.
 *
 * Reads the CTE `labelled` (thing_name, ts, ..., occupied 0/1); defines `plan_cuts` (one row: the cutoffs) and
 * `split_plan` (one row: status, message, cutoffs, per-split counts and time ranges). Every column of
 * `split_plan` is non-null: Athena's GetQueryResults leaves VarCharValue out for a NULL, and the state machine
 * reads the columns by position.
 */
export interface PlannedSplit {
  readonly kind: 'planned';
  /** Fraction of the labelled readings before the validation cutoff, as `fractions`. */
  readonly train: number;
  readonly validation: number;
  /** Occupied readings each split must hold. */
  readonly minPositives: number;
  /** Empty readings each split must hold. */
  readonly minNegatives: number;
}

/** Columns of the split plan's one row, in order (the state machine reads them by index). */
export const SPLIT_PLAN_COLUMNS = [
  'status',
  'message',
  'validation_start',
  'holdout_start',
  'train_positives',
  'train_negatives',
  'validation_positives',
  'validation_negatives',
  'holdout_positives',
  'holdout_negatives',
] as const;

/**
 * Trailing columns of a plan built with the sensor health rule (features/sql.ts `health`): readings of the window
 * flagged stuck, out of range, and either (a reading both counts once), whether or not they were left out.
 */
export const FLAG_COUNT_COLUMNS = ['flagged_stuck', 'flagged_out_of_range', 'flagged_total'] as const;

/** `flag_counts`: one row of FLAG_COUNT_COLUMNS over the CTE `flagged` (health/flag-sql.ts), never NULL. */
export function flagCountsCte(): string {
  const count = (when: string): string => `CAST(COALESCE(sum(CASE WHEN ${when} THEN 1 ELSE 0 END), 0) AS BIGINT)`;
  return `flag_counts AS (
  SELECT
    ${count('"_stuck"')} AS "flagged_stuck",
    ${count('"_out_of_range"')} AS "flagged_out_of_range",
    ${count('"_stuck" OR "_out_of_range"')} AS "flagged_total"
  FROM flagged
)`;
}

/** `status` of a plan whose splits all hold enough of both classes; anything else is `insufficient-data`. */
export const SPLIT_PLAN_OK = 'ok';
export const SPLIT_PLAN_INSUFFICIENT = 'insufficient-data';

const DAY_MS = 86_400_000;

export function validatePlannedSplit(split: PlannedSplit): void {
  const { train, validation, minPositives, minNegatives } = split;
  if (!(Number.isFinite(train) && train > 0 && train < 1)) {
    throw new SqlGenerationError(`split.train must be a fraction in (0, 1), got ${train}`, 'split.train');
  }
  if (!(Number.isFinite(validation) && validation > 0 && train + validation < 1)) {
    throw new SqlGenerationError(
      `split.validation must be > 0 and leave a holdout (train + validation < 1), got ${validation}`,
      'split.validation',
    );
  }
  for (const [field, value] of [
    ['split.minPositives', minPositives],
    ['split.minNegatives', minNegatives],
  ] as const) {
    if (!(Number.isSafeInteger(value) && value >= 1)) {
      throw new SqlGenerationError(`${field} must be an integer ≥ 1, got ${value}`, field);
    }
  }
}

/** The split of a reading at `ts` given the plan's cutoffs in `cuts` (a row of `plan_cuts`). */
export function plannedSplitCase(ts: string, cuts: string): string {
  return (
    `CASE WHEN ${cuts}."_validation_start" IS NULL OR ${ts} < ${cuts}."_validation_start" THEN 'train' ` +
    `WHEN ${cuts}."_holdout_start" IS NULL OR ${ts} < ${cuts}."_holdout_start" THEN 'validation' ELSE 'holdout' END`
  );
}

/**
 * `plan_times`: one row per labelled time — its percent_rank among the labelled rows (what percent_rank() OVER
 * (ORDER BY ts) gives each row of that time, (rows before) / (rows - 1), 0 for a single row: the same division in
 * both engines) and its occupied and empty counts. Counted per time first, so only the distinct times are sorted,
 * not the fleet's rows with their features.
 */
function timeRankCtes(): string[] {
  return [
    `plan_counts AS (
  SELECT "ts", count(*) AS "_rows", CAST(sum("occupied") AS BIGINT) AS "_pos", CAST(count(*) - sum("occupied") AS BIGINT) AS "_neg"
  FROM labelled
  GROUP BY "ts"
)`,
    `plan_times AS (
  SELECT "ts", "_pos", "_neg",
    CASE WHEN "_total" > 1 THEN CAST("_before" AS DOUBLE) / CAST("_total" - 1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END AS "_time_rank"
  FROM (
    SELECT "ts", "_pos", "_neg",
      sum("_rows") OVER (ORDER BY "ts" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) - "_rows" AS "_before",
      sum("_rows") OVER () AS "_total"
    FROM plan_counts
  ) counted
)`,
  ];
}

/**
 * The CTEs of a `fractions` split, to follow `labelled`: `plan_cuts` (one row: the first times whose percent_rank
 * reaches `train` and `train + validation`). A row is train iff its percent_rank < train (percent_rank grows with
 * ts), so plannedSplitCase on these cutoffs splits as the fractions do, without sorting the fleet's rows.
 */
export function fractionSplitCtes(train: number, validation: number, d: SqlDialect): string[] {
  return [
    ...timeRankCtes(),
    `plan_cuts AS (
  SELECT
    min(CASE WHEN "_time_rank" >= ${d.doubleLiteral(train)} THEN "ts" END) AS "_validation_start",
    min(CASE WHEN "_time_rank" >= ${d.doubleLiteral(train + validation)} THEN "ts" END) AS "_holdout_start"
  FROM plan_times
)`,
  ];
}

/**
 * The CTEs of the plan, to follow `labelled`: up to `plan_cuts` (what an export needs), and with `report` also
 * the one-row `split_plan`; with `flagCounts` (the CTE `flagged` precedes) it ends with FLAG_COUNT_COLUMNS.
 */
export function splitPlanCtes(split: PlannedSplit, d: SqlDialect, report: boolean, flagCounts = false): string[] {
  validatePlannedSplit(split);
  const minP = d.bigintLiteral(split.minPositives);
  const minN = d.bigintLiteral(split.minNegatives);
  const floorDiv = (a: string, b: number): string => `CAST(floor(${d.toDouble(a)} / ${d.doubleLiteral(b)}) AS BIGINT)`;
  const frame = 'ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW';
  const pad = (expr: string, width: number): string => `lpad(CAST(${expr} AS VARCHAR), ${width}, '0')`;
  const meets = (pos: string, neg: string): string => `${pos} >= ${minP} AND ${neg} >= ${minN}`;
  // The earlier of two nullable cutoffs (least() treats NULL differently in DuckDB and Trino).
  const earlier = (fit: string, frac: string): string =>
    `CASE WHEN ${fit} IS NULL THEN ${frac} WHEN ${frac} IS NULL OR ${fit} < ${frac} THEN ${fit} ELSE ${frac} END`;

  const ctes = [
    ...timeRankCtes(),
    `plan_prefix AS (
  SELECT "ts", "_time_rank", "_pos", "_neg",
    CAST(sum("_pos") OVER (ORDER BY "ts" ${frame}) - "_pos" AS BIGINT) AS "_pos_before",
    CAST(sum("_neg") OVER (ORDER BY "ts" ${frame}) - "_neg" AS BIGINT) AS "_neg_before",
    CAST(sum("_pos") OVER () AS BIGINT) AS "_pos_total",
    CAST(sum("_neg") OVER () AS BIGINT) AS "_neg_total"
  FROM plan_times
)`,
    `plan_holdout AS (
  SELECT
    min(CASE WHEN "_time_rank" >= ${d.doubleLiteral(split.train)} THEN "ts" END) AS "_frac_validation_start",
    min(CASE WHEN "_time_rank" >= ${d.doubleLiteral(split.train + split.validation)} THEN "ts" END) AS "_frac_holdout_start",
    max(CASE WHEN ${meets('"_pos_total" - "_pos_before"', '"_neg_total" - "_neg_before"')} THEN "ts" END) AS "_fit_holdout_start"
  FROM plan_prefix
)`,
    `plan_validation AS (
  SELECT
    max(h."_frac_validation_start") AS "_frac_validation_start",
    max(h."_frac_holdout_start") AS "_frac_holdout_start",
    max(h."_fit_holdout_start") AS "_fit_holdout_start",
    max(${earlier('h."_fit_holdout_start"', 'h."_frac_holdout_start"')}) AS "_holdout_start",
    max(CASE WHEN p."ts" < b."ts" AND ${meets('b."_pos_before" - p."_pos_before"', 'b."_neg_before" - p."_neg_before"')} THEN p."ts" END) AS "_fit_validation_start"
  FROM plan_holdout h
  LEFT JOIN plan_prefix b ON b."ts" = (${earlier('h."_fit_holdout_start"', 'h."_frac_holdout_start"')})
  CROSS JOIN plan_prefix p
)`,
    `plan_adjusted AS (
  SELECT "_frac_validation_start", "_frac_holdout_start", "_fit_holdout_start", "_fit_validation_start", "_holdout_start",
    CASE WHEN "_v" IS NULL THEN "_holdout_start" WHEN "_holdout_start" IS NOT NULL AND "_v" > "_holdout_start" THEN "_holdout_start" ELSE "_v" END AS "_validation_start"
  FROM (
    SELECT "_frac_validation_start", "_frac_holdout_start", "_fit_holdout_start", "_fit_validation_start", "_holdout_start",
      ${earlier('"_fit_validation_start"', '"_frac_validation_start"')} AS "_v"
    FROM plan_validation
  ) chosen
)`,
    // Moved cutoffs only when they give every split enough; otherwise the fraction cutoffs, whose shortfalls the
    // message names (what the user's data lacks, not what a failed search tried last).
    `plan_cuts AS (
  SELECT a."_frac_validation_start", a."_frac_holdout_start",
    CASE WHEN "_feasible" THEN a."_validation_start" ELSE a."_frac_validation_start" END AS "_validation_start",
    CASE WHEN "_feasible" THEN a."_holdout_start" ELSE a."_frac_holdout_start" END AS "_holdout_start"
  FROM (
    SELECT a.*, COALESCE(a."_fit_holdout_start" IS NOT NULL AND a."_fit_validation_start" IS NOT NULL
      AND ${meets('v."_pos_before"', 'v."_neg_before"')}, false) AS "_feasible"
    FROM plan_adjusted a
    LEFT JOIN plan_prefix v ON v."ts" = a."_validation_start"
  ) a
)`,
  ];
  if (!report) return ctes;
  ctes.push(
    // 'YYYY-MM-DD HH:MM' (UTC) of each labelled time, by integer arithmetic (no date function is shared by
    // DuckDB and Trino): days since 1970-01-01 → civil date (H. Hinnant, "chrono-compatible low-level date
    // algorithms", civil_from_days). The text sorts as the time does, so min/max of it are the range ends.
    `plan_days AS (
  SELECT "ts", "_day", "ts" - "_day" * ${DAY_MS} AS "_ms", ${floorDiv('"_day" + 719468', 146097)} AS "_era",
    "_day" + 719468 - ${floorDiv('"_day" + 719468', 146097)} * 146097 AS "_doe"
  FROM (SELECT "ts", ${floorDiv('"ts"', DAY_MS)} AS "_day" FROM plan_prefix) days
)`,
    `plan_years AS (
  SELECT "ts", "_ms", "_era", "_doe",
    ${floorDiv(`"_doe" - ${floorDiv('"_doe"', 1460)} + ${floorDiv('"_doe"', 36524)} - ${floorDiv('"_doe"', 146096)}`, 365)} AS "_yoe"
  FROM plan_days
)`,
    `plan_months AS (
  SELECT "ts", "_ms", "_era", "_yoe", "_doy", ${floorDiv('5 * "_doy" + 2', 153)} AS "_mp"
  FROM (
    SELECT "ts", "_ms", "_era", "_yoe",
      "_doe" - (365 * "_yoe" + ${floorDiv('"_yoe"', 4)} - ${floorDiv('"_yoe"', 100)}) AS "_doy"
    FROM plan_years
  ) years
)`,
    `plan_text AS (
  SELECT p."ts", p."_pos", p."_neg", ${plannedSplitCase('p."ts"', 'c')} AS "split",
    ${pad('m."_yoe" + m."_era" * 400 + CASE WHEN m."_mp" >= 10 THEN 1 ELSE 0 END', 4)} || '-' ||
    ${pad('CASE WHEN m."_mp" < 10 THEN m."_mp" + 3 ELSE m."_mp" - 9 END', 2)} || '-' ||
    ${pad(`m."_doy" - ${floorDiv('153 * m."_mp" + 2', 5)} + 1`, 2)} || ' ' ||
    ${pad(floorDiv('m."_ms"', 3_600_000), 2)} || ':' ||
    ${pad(`${floorDiv('m."_ms"', 60_000)} - ${floorDiv('m."_ms"', 3_600_000)} * 60`, 2)} AS "_text"
  FROM plan_prefix p
  JOIN plan_months m ON m."ts" = p."ts"
  CROSS JOIN plan_cuts c
)`,
  );

  const splits = ['train', 'validation', 'holdout'] as const;
  const summaryColumns = splits.flatMap((s) => [
    `CAST(COALESCE(sum(CASE WHEN t."split" = '${s}' THEN t."_pos" ELSE 0 END), 0) AS BIGINT) AS "_${s}_pos"`,
    `CAST(COALESCE(sum(CASE WHEN t."split" = '${s}' THEN t."_neg" ELSE 0 END), 0) AS BIGINT) AS "_${s}_neg"`,
    `COALESCE(min(CASE WHEN t."split" = '${s}' THEN t."_text" END), '-') AS "_${s}_from"`,
    `COALESCE(max(CASE WHEN t."split" = '${s}' THEN t."_text" END), '-') AS "_${s}_to"`,
  ]);
  for (const cut of ['validation_start', 'holdout_start', 'frac_validation_start', 'frac_holdout_start']) {
    summaryColumns.push(`COALESCE(max(CASE WHEN t."ts" = c."_${cut}" THEN t."_text" END), '-') AS "_${cut}_text"`);
  }
  ctes.push(`plan_summary AS (
  SELECT
${summaryColumns.map((c) => `    ${c}`).join(',\n')}
  FROM plan_text t
  CROSS JOIN plan_cuts c
)`);

  const n = (expr: string): string => `CAST(${expr} AS VARCHAR)`;
  const need = `${split.minPositives} occupied and ${split.minNegatives} empty`;
  const shortfall = (s: (typeof splits)[number]): string => {
    const range = `'; ${s} ' || s."_${s}_from" || '..' || s."_${s}_to" || ' has '`;
    return `CASE WHEN s."_${s}_pos" + s."_${s}_neg" = 0 THEN '; ${s} is empty; need ≥ ${need} readings'
      WHEN s."_${s}_pos" < ${minP} AND s."_${s}_neg" < ${minN} THEN ${range} || ${n(`s."_${s}_pos"`)} || ' occupied and ' || ${n(`s."_${s}_neg"`)} || ' empty readings; need ≥ ${need}'
      WHEN s."_${s}_pos" < ${minP} THEN ${range} || ${n(`s."_${s}_pos"`)} || ' occupied readings; need ≥ ${split.minPositives}'
      WHEN s."_${s}_neg" < ${minN} THEN ${range} || ${n(`s."_${s}_neg"`)} || ' empty readings; need ≥ ${split.minNegatives}'
      ELSE '' END`;
  };
  const ok = splits.map((s) => meets(`s."_${s}_pos"`, `s."_${s}_neg"`)).join(' AND ');
  const describe = splits
    .map(
      (s) =>
        `'${s} ' || s."_${s}_from" || '..' || s."_${s}_to" || ': ' || ${n(`s."_${s}_pos"`)} || ' occupied, ' || ${n(`s."_${s}_neg"`)} || ' empty'`,
    )
    .join(` || '; ' || `);
  const moved = `(c."_validation_start" <> c."_frac_validation_start" OR c."_holdout_start" <> c."_frac_holdout_start")`;
  const message = `CASE
      WHEN NOT (${ok}) THEN substr(${splits.map(shortfall).join(' ||\n      ')}, 3) || '. No time-ordered cutoffs give every split ≥ ${need} readings.'
      WHEN ${moved} THEN 'cutoffs moved from the fractions (validation ' || s."_frac_validation_start_text" || ', holdout ' || s."_frac_holdout_start_text" || ') to validation from ' || s."_validation_start_text" || ', holdout from ' || s."_holdout_start_text" || ' (UTC) so every split holds ≥ ${need} readings: ' || ${describe}
      ELSE 'split by fractions ${split.train}/${split.validation}: validation from ' || s."_validation_start_text" || ', holdout from ' || s."_holdout_start_text" || ' (UTC): ' || ${describe}
    END`;
  if (flagCounts) ctes.push(flagCountsCte());
  ctes.push(`split_plan AS (
  SELECT
    CASE WHEN ${ok} THEN '${SPLIT_PLAN_OK}' ELSE '${SPLIT_PLAN_INSUFFICIENT}' END AS "status",
    ${message} AS "message",
    COALESCE(c."_validation_start", CAST(-1 AS BIGINT)) AS "validation_start",
    COALESCE(c."_holdout_start", CAST(-1 AS BIGINT)) AS "holdout_start",
${splits.map((s) => `    s."_${s}_pos" AS "${s}_positives",\n    s."_${s}_neg" AS "${s}_negatives"`).join(',\n')}${flagCounts ? FLAG_COUNT_COLUMNS.map((c) => `,\n    f."${c}"`).join('') : ''}
  FROM plan_summary s
  CROSS JOIN plan_cuts c${flagCounts ? '\n  CROSS JOIN flag_counts f' : ''}
)`);
  return ctes;
}
