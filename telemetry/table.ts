import { parseCsv } from './csv';

/**
 * A column-major numeric table: the in-memory form of an exported train/validation/holdout CSV.
 * Missing cells (empty strings) become NaN. Columns that are not numeric are listed in `ignored`.
 */
export interface NumericTable {
  readonly names: string[];
  readonly columns: Float64Array[];
  readonly rowCount: number;
  /** Non-numeric columns left out (e.g. thing_name, an ISO timestamp). */
  readonly ignored: string[];
}

export interface LabelledTable extends NumericTable {
  /** 0/1 target, one per row. */
  readonly target: Uint8Array;
  readonly targetName: string;
}

export class TableError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'TableError';
  }
}

const TRUE_LABELS = new Set(['1', 'true', 'True', 'TRUE', '1.0']);
const FALSE_LABELS = new Set(['0', 'false', 'False', 'FALSE', '0.0']);

/** Parses a CSV with header into numeric columns; `target`, when given, must be a 0/1 column. */
export function numericTableFromCsv(text: string, target: string): LabelledTable;
export function numericTableFromCsv(text: string): NumericTable;
export function numericTableFromCsv(text: string, target?: string): NumericTable | LabelledTable {
  const { header, rows } = parseCsv(text);
  if (header.length === 0) throw new TableError('CSV is empty: no header row');
  const targetIndex = target === undefined ? -1 : header.indexOf(target);
  if (target !== undefined && targetIndex < 0) {
    throw new TableError(`Target column "${target}" not in header [${header.join(', ')}]`, target);
  }
  const names: string[] = [];
  const columns: Float64Array[] = [];
  const ignored: string[] = [];
  header.forEach((name, c) => {
    if (c === targetIndex) return;
    const col = new Float64Array(rows.length);
    let numeric = true;
    for (let r = 0; r < rows.length; r++) {
      const cell = rows[r]?.[c] ?? '';
      if (cell === '') {
        col[r] = Number.NaN;
        continue;
      }
      const v = Number(cell);
      if (Number.isNaN(v)) {
        numeric = false;
        break;
      }
      col[r] = v;
    }
    if (numeric) {
      names.push(name);
      columns.push(col);
    } else {
      ignored.push(name);
    }
  });
  if (target === undefined) return { names, columns, rowCount: rows.length, ignored };
  const labels = new Uint8Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const cell = rows[r]?.[targetIndex] ?? '';
    if (TRUE_LABELS.has(cell)) labels[r] = 1;
    else if (FALSE_LABELS.has(cell)) labels[r] = 0;
    else throw new TableError(`Row ${r + 2}: target "${target}" must be 0/1, got "${cell}"`, target);
  }
  return { names, columns, rowCount: rows.length, ignored, target: labels, targetName: target ?? '' };
}

export function column(table: NumericTable, name: string): Float64Array {
  const i = table.names.indexOf(name);
  const col = i >= 0 ? table.columns[i] : undefined;
  if (!col) throw new TableError(`Column "${name}" not in table [${table.names.join(', ')}]`, name);
  return col;
}
