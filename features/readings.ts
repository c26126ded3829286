import { type FlagRule, flagCtes } from '../health/flag-sql';
import { type SqlDialect, sqlDialect } from './dialect';
import type { FeatureSpec } from './spec';
import { FLAG_COUNT_COLUMNS, flagCountsCte } from './split-plan';
import type { FeatureQueryOptions } from './sql';
import { windowPredicate } from './window';

/**
 * The readings a feature query reads, before any feature: de-duplicated (MQTT redeliveries: the copy received last
 * wins) and, with the sensor health rule (issue 22), flagged and filtered (health/flag-sql.ts). Also the queries of
 * those readings alone: the window's de-duplicated readings, and how many the rule flags.
 */

const indent = (lines: string[], by = '  '): string => lines.map((l) => `${by}${l}`).join(',\n');

/** The signal columns the features read, in the spec's input order. */
export function inputColumns(spec: FeatureSpec): string[] {
  const used = new Set(spec.features.flatMap((f) => ('signal' in f ? [f.signal] : [])));
  return [...spec.numericInputs, ...spec.enumInputs].map((s) => s.name).filter((name) => used.has(name));
}

/**
 * `deduped`: one reading per (thing_name, ts) of `table` (MQTT redeliveries: the copy received last wins, ties to the
 * larger values), thing_name, ts and `columns`; `where` is appended to the row filter (partitions, a time range).
 * The features' readings and the sensor health check's (health/query.ts) are de-duplicated by it.
 */
export function dedupedCte(table: string, columns: readonly string[], where: string): string {
  const carried = ['"thing_name"', '"ts"', ...columns].join(', ');
  const order = ['"received_at" DESC', ...columns.map((c) => `${c} DESC`)].join(', ');
  return `deduped AS (
  SELECT ${carried}
  FROM (
    SELECT ${carried},
      row_number() OVER (PARTITION BY "thing_name", "ts" ORDER BY ${order}) AS "_dup_rank"
    FROM ${table}
    WHERE "thing_name" IS NOT NULL AND "ts" IS NOT NULL${where}
  ) ranked
  WHERE "_dup_rank" = 1
)`;
}

/** The readings the features are computed over: CTEs ending in the one named `source`. */
export interface ReadingCtes {
  readonly ctes: string[];
  readonly source: string;
}

/**
 * `deduped` (one reading per (thing_name, ts)); with `options.health`, when the readings are to be left out or
 * `counts` asks for the flags, also every stuck signal's column, the flag CTEs over it (`flagged`) and, when
 * excluding, `unflagged`: the readings neither stuck nor out of range, which the features then read.
 */
export function readingCtes(
  spec: FeatureSpec,
  options: FeatureQueryOptions,
  d: SqlDialect,
  counts: boolean,
): ReadingCtes {
  const q = d.quoteIdentifier;
  const telemetry = d.tableReference(options.telemetryTable ?? 'telemetry', 'telemetryTable');
  const inputs = inputColumns(spec).map(q);
  const exclude = options.health !== undefined && options.excludeFlagged !== false;
  const rule = options.health !== undefined && (exclude || counts) ? options.health : undefined;
  // The flag rule needs every stuck signal, used by a feature or not.
  const read = rule ? [...inputs, ...rule.stuck.map((s) => q(s.signal)).filter((c) => !inputs.includes(c))] : inputs;

  // A table of buildReadingsQuery's rows: already one reading per (thing_name, ts), of the window.
  const deduped = options.deduplicated
    ? `deduped AS (
  SELECT "thing_name", "ts"${read.map((c) => `, ${c}`).join('')}
  FROM ${telemetry}
)`
    : dedupedCte(telemetry, read, windowPredicate(options.window));
  if (!rule) return { ctes: [deduped], source: 'deduped' };
  const carried = ['"thing_name"', '"ts"', ...inputs];
  const faultsTable = options.sensorFaultsTable ?? rule.faultsTable;
  const flags = flagCtes(
    'deduped',
    carried,
    faultsTable === undefined ? rule : { ...rule, faultsTable },
    d,
    options.window,
  );
  if (!exclude) return { ctes: [deduped, ...flags], source: 'deduped' };
  const unflagged = `unflagged AS (
  SELECT ${carried.join(', ')}
  FROM flagged
  WHERE NOT "_stuck" AND NOT "_out_of_range"
)`;
  return { ctes: [deduped, ...flags, unflagged], source: 'unflagged' };
}

/**
 * The readings of the window, one per (thing_name, ts) (the latest received): thing_name, ts and the columns the
 * features and, with `options.health`, the flag rule read. For a table the other queries read with `deduplicated`.
 */
export function buildReadingsQuery(spec: FeatureSpec, options: FeatureQueryOptions): string {
  const d = sqlDialect(options.dialect);
  const plain = { ...options, deduplicated: false, excludeFlagged: false };
  const [deduped = ''] = readingCtes(spec, plain, d, options.health !== undefined).ctes;
  return `WITH
${deduped}
SELECT * FROM deduped
`;
}

/**
 * One row of FLAG_COUNT_COLUMNS (BIGINT, never NULL): the deduplicated readings of the window the rule flags
 * stuck, out of range, and either (a reading both stuck and out of range counts once in the total).
 */
export function buildFlagCountsQuery(
  spec: FeatureSpec,
  options: FeatureQueryOptions & { readonly health: FlagRule },
): string {
  const d = sqlDialect(options.dialect);
  const readings = readingCtes(spec, { ...options, excludeFlagged: false }, d, true);
  return `WITH
${[...readings.ctes, flagCountsCte()].join(',\n')}
SELECT
${indent(FLAG_COUNT_COLUMNS.map((c) => `"${c}"`))}
FROM flag_counts
`;
}
