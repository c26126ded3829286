/**
 * Training CSV → labelled table (Parquet: ./parquet.ts). Non-numeric columns are dropped with a warning naming them; a
 * date/time column orders the rows (time order matters to every split) and is never a feature. Pure.
 */
import { parseCsv } from '../telemetry/csv';
import { type LabelledTable, numericTableFromCsv, TableError } from '../telemetry/table';
import { AutoMLInputError } from './errors';

export interface TrainingData {
  readonly table: LabelledTable;
  readonly warnings: string[];
  /** The column the rows were ordered by, when there was one. */
  readonly orderedBy: string | undefined;
}

/** Names a column of date/time values: it orders the rows and is never a feature. */
export const TIME_COLUMN = /^(ts|timestamp|time|date|datetime|date_time|epoch|epoch_ms|event_time)$/i;

function timeValues(cells: readonly string[]): Float64Array | undefined {
  const out = new Float64Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i] ?? '';
    const asNumber = Number(cell);
    const t = cell !== '' && !Number.isNaN(asNumber) ? asNumber : Date.parse(cell.replace(' ', 'T'));
    if (Number.isNaN(t)) return undefined;
    out[i] = t;
  }
  return out;
}

/** The table's rows in time order (stable), without the time column. */
export function orderRowsByTime(table: LabelledTable, timeColumn: string, times: Float64Array): LabelledTable {
  const order = Uint32Array.from({ length: times.length }, (_, i) => i).sort(
    (a, b) => (times[a] ?? 0) - (times[b] ?? 0) || a - b,
  );
  const keep = table.names.map((n, i) => ({ n, i })).filter(({ n }) => n !== timeColumn);
  return {
    ...table,
    names: keep.map(({ n }) => n),
    columns: keep.map(({ i }) => Float64Array.from(order, (r) => table.columns[i]?.[r] ?? Number.NaN)),
    target: Uint8Array.from(order, (r) => table.target[r] ?? 0),
    ignored: table.ignored.filter((n) => n !== timeColumn),
  };
}

/** Warnings for ignored columns; refuses a table with no feature column. */
export function finishTrainingData(table: LabelledTable, source: string, orderedBy: string | undefined): TrainingData {
  const warnings: string[] = [];
  if (table.ignored.length > 0) {
    warnings.push(`${source}: non-numeric column(s) ignored: ${table.ignored.join(', ')}`);
  }
  if (table.names.length === 0) {
    throw new AutoMLInputError(
      `${source}: no numeric feature columns besides the target "${table.targetName}"`,
      'features',
    );
  }
  return { table, warnings, orderedBy };
}

export function trainingDataFromCsv(text: string, target: string, source = 'CSV'): TrainingData {
  let table: LabelledTable;
  try {
    table = numericTableFromCsv(text, target);
  } catch (error) {
    if (error instanceof TableError) {
      throw new AutoMLInputError(`${source}: ${error.message}`, error.field ?? 'csv', { cause: error });
    }
    throw error;
  }
  // The second, full parse is only needed when a column could be a time column (big exports have none).
  const headerLine = text.slice(0, Math.max(0, text.indexOf('\n')) || text.length);
  const maybeTime =
    table.ignored.length > 0 || parseCsv(headerLine).header.some((h) => h !== target && TIME_COLUMN.test(h));
  const { header, rows } = maybeTime ? parseCsv(text) : { header: [], rows: [] };
  const timeColumn =
    header.find((h) => h !== target && TIME_COLUMN.test(h)) ??
    table.ignored.find((h) => rows.length > 0 && timeValues(rows.map((r) => r[header.indexOf(h)] ?? '')) !== undefined);
  let orderedBy: string | undefined;
  if (timeColumn !== undefined) {
    const times = timeValues(rows.map((r) => r[header.indexOf(timeColumn)] ?? ''));
    if (times) {
      orderedBy = timeColumn;
      table = orderRowsByTime(table, timeColumn, times);
    }
  }
  return finishTrainingData(table, source, orderedBy);
}
