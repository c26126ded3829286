import { csvRecords } from './csv';

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
  const records = csvRecords(text);
  const first = records.next();
  const header = first.done ? [] : first.value;
  if (header.length === 0) throw new TableError('CSV is empty: no header row');
  const targetIndex = target === undefined ? -1 : header.indexOf(target);
  if (target !== undefined && targetIndex < 0) {
    throw new TableError(`Target column "${target}" not in header [${header.join(', ')}]`, target);
  }
  // Grow typed arrays by doubling while streaming, so a large export never exists as string[][].
  let capacity = 1024;
  let values = header.map(() => new Float64Array(capacity));
  let labels = new Uint8Array(capacity);
  const numeric = header.map(() => true);
  let rowCount = 0;
  for (const record of records) {
    if (rowCount === capacity) {
      capacity *= 2;
      values = values.map((col) => {
        const grown = new Float64Array(capacity);
        grown.set(col);
        return grown;
      });
      const grownLabels = new Uint8Array(capacity);
      grownLabels.set(labels);
      labels = grownLabels;
    }
    for (let c = 0; c < header.length; c++) {
      const cell = record[c] ?? '';
      if (c === targetIndex) {
        if (TRUE_LABELS.has(cell)) labels[rowCount] = 1;
        else if (!FALSE_LABELS.has(cell)) {
          throw new TableError(`Row ${rowCount + 2}: target "${target}" must be 0/1, got "${cell}"`, target);
        }
        continue;
      }
      if (!numeric[c]) continue;
      const col = values[c] as Float64Array;
      if (cell === '') {
        col[rowCount] = Number.NaN;
        continue;
      }
      const v = Number(cell);
      if (Number.isNaN(v)) numeric[c] = false;
      else col[rowCount] = v;
    }
    rowCount++;
  }
  const names: string[] = [];
  const columns: Float64Array[] = [];
  const ignored: string[] = [];
  header.forEach((name, c) => {
    if (c === targetIndex) return;
    if (numeric[c]) {
      names.push(name);
      columns.push((values[c] as Float64Array).slice(0, rowCount));
    } else ignored.push(name);
  });
  if (target === undefined) return { names, columns, rowCount, ignored };
  return { names, columns, rowCount, ignored, target: labels.slice(0, rowCount), targetName: target };
}

export function column(table: NumericTable, name: string): Float64Array {
  const i = table.names.indexOf(name);
  const col = i >= 0 ? table.columns[i] : undefined;
  if (!col) throw new TableError(`Column "${name}" not in table [${table.names.join(', ')}]`, name);
  return col;
}
