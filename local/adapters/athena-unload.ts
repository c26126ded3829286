/**
 * Athena's UNLOAD statement, parsed the way Athena reads it: `UNLOAD (<query>) TO '<s3 location>' WITH (<property> =
 * <value>, ...)`. Pure: no I/O. The rules (required `format`, the compressions each format takes and their defaults)
 * are the documented ones (https://docs.aws.amazon.com/athena/latest/ug/unload.html, "Parameters"); what Athena
 * accepts but the local runtime does not write (formats other than Parquet, partitioned output) is refused as such.
 */

export class UnloadStatementError extends Error {
  constructor(
    message: string,
    /** The part of the statement at fault, e.g. `format`, `compression`, `TO`. */
    readonly field: string,
  ) {
    super(message);
    this.name = 'UnloadStatementError';
  }
}

export interface UnloadStatement {
  /** The enclosed SELECT, as written. */
  readonly query: string;
  /** The `TO` location, ending with '/'. */
  readonly target: string;
  readonly format: 'PARQUET';
  /** Lower case, as DuckDB's COPY takes it. */
  readonly compression: 'gzip' | 'snappy';
}

/** Formats Athena's UNLOAD accepts ("Possible values for file_format"). */
const ATHENA_FORMATS = ['ORC', 'PARQUET', 'AVRO', 'JSON', 'TEXTFILE'] as const;
/** Compressions per format ("For Parquet, possible values are gzip or snappy"; default gzip). */
const PARQUET_COMPRESSIONS = ['gzip', 'snappy'] as const;
const PROPERTIES = ['format', 'compression', 'field_delimiter', 'partitioned_by'] as const;

/** Index just past the `)` closing the `(` at `open`, skipping string literals, quoted names and comments. */
function closingParen(sql: string, open: number): number {
  let depth = 0;
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      // '' (or "") inside a literal is an escaped quote: the scan resumes after the pair.
      let j = i + 1;
      while (j < sql.length && !(sql[j] === c && sql[j + 1] !== c)) j += sql[j] === c ? 2 : 1;
      i = j;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  throw new UnloadStatementError('UNLOAD: the query in parentheses is not closed', 'query');
}

/** `name = 'value'` or `name = ARRAY[...]` items of the WITH list, split on top-level commas. */
function properties(list: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of list.split(/,(?![^[]*\])/)) {
    const match = /^\s*([A-Za-z_]+)\s*=\s*('(?:[^']|'')*'|ARRAY\s*\[[^\]]*\])\s*$/i.exec(item);
    if (!match) throw new UnloadStatementError(`UNLOAD: cannot read the property "${item.trim()}"`, 'WITH');
    const name = (match[1] ?? '').toLowerCase();
    if (!(PROPERTIES as readonly string[]).includes(name)) {
      throw new UnloadStatementError(
        `UNLOAD: unknown property "${name}"; one of ${PROPERTIES.join(', ')}`,
        name || 'WITH',
      );
    }
    if (out.has(name)) throw new UnloadStatementError(`UNLOAD: property "${name}" is given twice`, name);
    const value = match[2] ?? '';
    out.set(name, value.startsWith("'") ? value.slice(1, -1).replace(/''/g, "'") : value);
  }
  return out;
}

/** The statement when `sql` is an UNLOAD, undefined for any other statement. Refuses a malformed UNLOAD. */
export function parseUnload(sql: string): UnloadStatement | undefined {
  const text = sql.trim().replace(/;\s*$/, '');
  const head = /^UNLOAD\s*\(/i.exec(text);
  if (!head) return undefined;
  const end = closingParen(text, head[0].length - 1);
  const query = text.slice(head[0].length, end - 1).trim();
  // Only the documented shape, `UNLOAD (SELECT col_name[, ...] FROM old_table)`: whether Athena takes a WITH right
  // inside the parentheses is not documented, so a WITH must sit in a FROM subquery (features/sql.ts buildSplitQuery).
  if (!/^SELECT\b/i.test(query)) {
    throw new UnloadStatementError(
      'UNLOAD: the statement in parentheses must be a SELECT query (Athena documents UNLOAD (SELECT … FROM …); put a WITH inside a FROM subquery)',
      'query',
    );
  }
  const tail = /^\s*TO\s+'([^']*)'\s+WITH\s*\(([\s\S]*)\)\s*$/i.exec(text.slice(end));
  if (!tail) {
    throw new UnloadStatementError("UNLOAD: expected TO 's3://…/' WITH (format = '…') after the query", 'TO');
  }
  const location = tail[1] ?? '';
  if (!/^s3:\/\/[^/]+\/.*/.test(location)) {
    throw new UnloadStatementError(`UNLOAD: TO must be an s3:// location, got "${location}"`, 'TO');
  }
  const props = properties(tail[2] ?? '');
  const format = props.get('format');
  if (format === undefined) throw new UnloadStatementError("UNLOAD: the property 'format' is required", 'format');
  const upper = format.toUpperCase();
  if (!(ATHENA_FORMATS as readonly string[]).includes(upper)) {
    throw new UnloadStatementError(
      `UNLOAD: format '${format}' is not supported; one of ${ATHENA_FORMATS.join(', ')}`,
      'format',
    );
  }
  if (upper !== 'PARQUET') {
    throw new UnloadStatementError(
      `UNLOAD: format '${upper}' is valid on Athena but the local runtime writes only PARQUET`,
      'format',
    );
  }
  for (const name of ['partitioned_by', 'field_delimiter'] as const) {
    if (props.has(name)) {
      throw new UnloadStatementError(`UNLOAD: the local runtime does not implement '${name}'`, name);
    }
  }
  const compression = (props.get('compression') ?? 'gzip').toLowerCase();
  if (!(PARQUET_COMPRESSIONS as readonly string[]).includes(compression)) {
    throw new UnloadStatementError(
      `UNLOAD: compression '${props.get('compression')}' is not supported for PARQUET; one of ${PARQUET_COMPRESSIONS.join(', ')}`,
      'compression',
    );
  }
  return {
    query,
    target: location.endsWith('/') ? location : `${location}/`,
    format: 'PARQUET',
    compression: compression as UnloadStatement['compression'],
  };
}
