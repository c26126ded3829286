/**
 * Every difference between the two SQL engines the feature query runs on lives here: DuckDB (local
 * lake) and Athena engine v3 (Trino). The generator in `sql.ts` only writes SQL through these helpers,
 * restricted to syntax both engines share (window functions with ROWS frames, CASE, CAST, mod, floor,
 * sin/cos, pi(), stddev_pop, percent_rank, row_number).
 *
 * Known differences that the helpers avoid or encode:
 * - integer `/`: DuckDB divides to DOUBLE, Trino truncates. We always divide DOUBLEs (`toDouble`).
 * - `::` casts, `//`, QUALIFY, ASOF JOIN, SELECT * EXCLUDE, `IGNORE NULLS` placement: DuckDB-only or
 *   placed differently; never emitted for Athena (`DUCKDB_ONLY_SYNTAX` lists them for the Athena syntax test).
 * - as-of join: the DuckDB dialect joins the label in force with `ASOF LEFT JOIN` (`asofLeftJoin`); Athena has
 *   none, so the generator falls back to the portable running-max form.
 * - identifiers: both accept double-quoted identifiers; Athena folds them to lower case, so the spec
 *   only allows lower-case snake_case names.
 */

export type SqlDialectName = 'duckdb' | 'athena';

export class SqlGenerationError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'SqlGenerationError';
  }
}

export interface SqlDialect {
  readonly name: SqlDialectName;
  /** Quotes one identifier part. */
  quoteIdentifier(name: string): string;
  /** A validated, quoted table reference: `table`, `schema.table` or `catalog.schema.table`. */
  tableReference(name: string, field: string): string;
  /** A DOUBLE-typed expression of `expr`. */
  toDouble(expr: string): string;
  /** A DOUBLE literal of a finite number, exact (round-trips to the same IEEE value). */
  doubleLiteral(value: number): string;
  /** A BIGINT literal of a safe integer. */
  bigintLiteral(value: number): string;
  stringLiteral(value: string): string;
  /** Remainder with the sign of the dividend (both engines truncate). */
  mod(dividend: string, divisor: string): string;
  /**
   * `left ASOF LEFT JOIN right ON <equal> AND <left ts> >= <right ts>`: each left row with the right row of the same
   * key at the latest time at or before its own (NULLs when there is none), or undefined where the engine has no
   * as-of join. DuckDB: https://duckdb.org/docs/stable/sql/query_syntax/from#as-of-joins
   */
  readonly asofLeftJoin?: (left: string, right: string, equal: string, inequality: string) => string;
}

const TABLE_PART = /^[A-Za-z_][A-Za-z0-9_]*$/;

function makeDialect(name: SqlDialectName): SqlDialect {
  const quoteIdentifier = (id: string): string => `"${id.replace(/"/g, '""')}"`;
  return {
    name,
    quoteIdentifier,
    tableReference(table: string, field: string): string {
      const parts = table.split('.');
      if (parts.length > 3 || !parts.every((p) => TABLE_PART.test(p))) {
        throw new SqlGenerationError(
          `${field} "${table}" must be 1 to 3 dot-separated identifiers of letters, digits and underscores`,
          field,
        );
      }
      return parts.map(quoteIdentifier).join('.');
    },
    toDouble: (expr: string): string => `CAST(${expr} AS DOUBLE)`,
    doubleLiteral(value: number): string {
      if (!Number.isFinite(value)) throw new SqlGenerationError(`not a finite number: ${value}`, 'literal');
      // String(value) is the shortest round-trip form; both engines parse it (decimal or exponent) exactly.
      return `CAST(${String(value)} AS DOUBLE)`;
    },
    bigintLiteral(value: number): string {
      if (!Number.isSafeInteger(value)) throw new SqlGenerationError(`not a safe integer: ${value}`, 'literal');
      return `CAST(${String(value)} AS BIGINT)`;
    },
    stringLiteral: (value: string): string => `'${value.replace(/'/g, "''")}'`,
    mod: (dividend: string, divisor: string): string => `mod(${dividend}, ${divisor})`,
  };
}

const DIALECTS: Record<SqlDialectName, SqlDialect> = {
  duckdb: {
    ...makeDialect('duckdb'),
    asofLeftJoin: (left, right, equal, inequality) => `${left} ASOF LEFT JOIN ${right} ON ${equal} AND ${inequality}`,
  },
  athena: makeDialect('athena'),
};

export function sqlDialect(name: SqlDialectName): SqlDialect {
  const dialect = DIALECTS[name];
  if (!dialect) throw new SqlGenerationError(`unknown SQL dialect "${String(name)}"; use duckdb or athena`, 'dialect');
  return dialect;
}

/** Syntax DuckDB accepts and Trino rejects; generated Athena SQL must contain none of it. */
export const DUCKDB_ONLY_SYNTAX: readonly { readonly label: string; readonly pattern: RegExp }[] = [
  { label: ':: cast', pattern: /::/ },
  { label: '// integer division', pattern: /\/\// },
  { label: 'ASOF JOIN', pattern: /\basof\b/i },
  { label: 'QUALIFY', pattern: /\bqualify\b/i },
  { label: 'SELECT * EXCLUDE', pattern: /\bexclude\b/i },
  { label: 'SELECT * REPLACE', pattern: /\*\s*replace\b/i },
  { label: 'IGNORE NULLS inside the call', pattern: /\bignore nulls\s*\)/i },
  { label: 'list literal', pattern: /\[\s*[^\]]*\]/ },
  { label: 'struct literal', pattern: /\{\s*'/ },
  { label: 'USING SAMPLE', pattern: /\busing sample\b/i },
  { label: 'positional GROUP BY ALL', pattern: /\bgroup by all\b/i },
  { label: 'DuckDB file-reading table functions', pattern: /read_(csv|json|parquet)/i },
];
