/**
 * Generic CSV importer (`occupancy import FILE --format csv --timestamp COL --target COL [--device COL]`): any
 * tabular sensor CSV with a header row. Pure: text in, readings, label events and rejections out.
 *
 * - Timestamp: ISO-8601 with a zone (`2015-02-04T17:51:00Z`, `…+01:00`), `YYYY-MM-DD HH:MM:SS[.fff]` or
 *   `YYYY-MM-DDTHH:MM:SS` without a zone (UTC wall clock), or an integer epoch: 13+ digits = ms, 9–10 digits = s.
 * - Target: `0/1`, `true/false`, `occupied/empty` (case-insensitive); anything else rejects the row, naming it.
 * - Device: the `--device` column's value per row, else one device named after the file.
 * - An unnamed first header cell (R's `write.table` row id), or rows with one field more than the header (the
 *   row id R writes without a header name), are ignored.
 * Without a signal set, one is inferred (`CsvInference`) from every row: `occupancy import` reads the file twice
 * (pass 1 accumulates per-column statistics in bounded memory, pass 2 imports), so the inferred ranges cover the
 * whole file, not a sample that later rows would fall outside of. With a set, columns map to signals by name or
 * reportedKey (case-insensitive) and rows are validated as live readings are (ranges, enum values).
 */
import { basename, extname } from 'node:path';
import { parseCsvRows } from './csv';
import { clip, ImportFormatError, RowError } from './errors';
import { HeldValues } from './held-values';
import { type SourceLine, textLines } from './import-lines';
import { headerText, type ImportResult, parseInto, type RowParser } from './importers';
import type { EnumSignal, NumericSignal, Signal, SignalSet } from './signals';
import { isValidThingName, parseReading, wireKey } from './validate';

export interface GenericCsvOptions {
  readonly timestamp: string;
  readonly target: string;
  readonly device?: string;
  /** Used for the default device name and the inferred set's id. */
  readonly fileName: string;
  readonly signalSet?: SignalSet;
  readonly now?: number;
}

export interface SkippedColumn {
  readonly column: string;
  readonly reason: string;
}

export interface GenericCsvResult extends ImportResult {
  /** True when the signal set was inferred from the columns (the caller writes it out for review). */
  readonly inferred: boolean;
  /** Columns that became no signal, with why. */
  readonly skippedColumns: SkippedColumn[];
}

/** Distinct text values up to which a non-numeric column becomes an enum signal. */
export const MAX_ENUM_VALUES = 20;
/** Inferred numeric ranges: the data's [min, max] widened by this fraction of the span on each side, rounded outward. */
export const RANGE_MARGIN = 0.5;

/** Cells that count as missing when inferring (a numeric column with gaps stays numeric; those rows are rejected). */
const MISSING = new Set(['', 'na', 'nan', 'null', 'none']);
const NUMBER_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;
const ISO_ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const TRUE_TARGETS = new Set(['1', '1.0', 'true', 'occupied']);
const FALSE_TARGETS = new Set(['0', '0.0', 'false', 'empty']);

/** Parses one timestamp cell (formats in the module comment); throws naming `field`. */
export function parseTimestampCell(raw: string, field: string): number {
  const text = raw.trim();
  if (text === '') throw new RowError(field, `${field}: missing value`);
  if (/^\d+$/.test(text)) {
    if (text.length >= 13) return Number(text);
    if (text.length >= 9 && text.length <= 10) return Number(text) * 1000;
  }
  const wall = WALL_CLOCK.exec(text);
  if (wall) {
    const [y, mo, d, h, mi, s] = wall.slice(1, 7).map(Number) as [number, number, number, number, number, number];
    const ms = wall[7] ? Math.round(Number(`0${wall[7]}`) * 1000) : 0;
    const ts = Date.UTC(y, mo - 1, d, h, mi, s, ms);
    const back = new Date(ts);
    if (back.getUTCDate() === d && back.getUTCMonth() === mo - 1 && back.getUTCHours() === h) return ts;
    throw new RowError(field, `${field}: not a real date-time, got ${clip(text)}`);
  }
  if (ISO_ZONED.test(text)) {
    const ts = Date.parse(text);
    if (Number.isFinite(ts)) return ts;
  }
  throw new RowError(
    field,
    `${field}: expected ISO-8601, "YYYY-MM-DD HH:MM:SS" (UTC) or epoch ms/s, got ${clip(text)}`,
  );
}

export function parseTargetCell(raw: string, field: string): boolean {
  const text = raw.trim().toLowerCase();
  if (TRUE_TARGETS.has(text)) return true;
  if (FALSE_TARGETS.has(text)) return false;
  throw new RowError(field, `${field}: expected 0/1, true/false or occupied/empty, got ${clip(raw.trim())}`);
}

/** `HumidityRatio` → `humidity_ratio`, `CO2 (ppm)` → `co2_ppm`. */
export function snakeCase(name: string): string {
  const s = name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
  return /^[a-z]/.test(s) ? s : `c_${s}`;
}

const slug = (name: string): string =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'csv';

/** Distinct values tracked per column while inferring (enough to report how far over MAX_ENUM_VALUES a column is). */
const DISTINCT_CAP = 1000;
/** A value longer than this makes a text column no enum (and keeps the inference's memory small). */
const MAX_ENUM_VALUE_CHARS = 200;

/** What inference needs of one column, accumulated row by row in bounded memory. */
interface ColumnStats {
  present: number;
  numeric: boolean;
  min: number;
  max: number;
  distinct: Set<string>;
  longValue: boolean;
}

/** The layout of a generic CSV file, from its header line and the column flags. */
export interface CsvLayout {
  readonly header: string[];
  readonly timeColumn: number;
  readonly targetColumn: number;
  readonly deviceColumn: number;
  readonly dataColumns: number[];
  readonly defaultDevice: string;
}

export function csvLayout(first: SourceLine | undefined, opts: GenericCsvOptions): CsvLayout {
  let header = (parseCsvRows(headerText(first, 'CSV'))[0] ?? []).map((h) => h.trim());
  // An unnamed first header cell is R's `write.table` row id.
  if (header[0] === '') header = header.slice(1);
  const timeColumn = columnIndex(header, opts.timestamp, 'timestamp');
  const targetColumn = columnIndex(header, opts.target, 'target');
  const deviceColumn = opts.device === undefined ? -1 : columnIndex(header, opts.device, 'device');
  const defaultDevice = basename(opts.fileName, extname(opts.fileName)).replace(/[^a-zA-Z0-9:_-]/g, '-') || 'device';
  if (!isValidThingName(defaultDevice)) throw new ImportFormatError(`device name ${clip(defaultDevice)} is invalid`);
  const dataColumns = header
    .map((_, i) => i)
    .filter((i) => i !== timeColumn && i !== targetColumn && i !== deviceColumn);
  return { header, timeColumn, targetColumn, deviceColumn, dataColumns, defaultDevice };
}

/** A data line's cells aligned with the header (a leading row id dropped); throws naming the field count. */
export function rowCells(header: readonly string[], content: string): string[] {
  const cells = parseCsvRows(content)[0] ?? [];
  if (cells.length === header.length + 1) return cells.slice(1);
  if (cells.length === header.length) return cells;
  throw new RowError('$', `row: expected ${header.length} fields, got ${cells.length}`);
}

function columnIndex(header: readonly string[], column: string, flag: string): number {
  const i = header.findIndex((h) => h.toLowerCase() === column.trim().toLowerCase());
  if (i < 0) {
    throw new ImportFormatError(
      `--${flag}: no column ${clip(column)} in the header (columns: ${header.join(', ').slice(0, 400)})`,
      flag,
    );
  }
  return i;
}

/**
 * Signal set inference over a stream of rows (pass 1): per data column, the count of present values, whether all
 * are numbers, their range, and up to DISTINCT_CAP distinct values. Memory does not grow with the row count.
 */
export class CsvInference {
  private readonly stats = new Map<number, ColumnStats>();

  constructor(
    private readonly header: readonly string[],
    private readonly dataColumns: readonly number[],
    /** How long each column held one value per device (pass 1 of a file with a time column). @default not measured */
    private readonly held?: HeldValues,
  ) {
    for (const i of dataColumns) {
      this.stats.set(i, {
        present: 0,
        numeric: true,
        min: Infinity,
        max: -Infinity,
        distinct: new Set(),
        longValue: false,
      });
    }
  }

  /** Adds one well-formed row (cells aligned with the header). */
  add(cells: readonly string[]): void {
    for (const [i, st] of this.stats) {
      const v = (cells[i] ?? '').trim();
      if (MISSING.has(v.toLowerCase())) continue;
      st.present++;
      if (st.numeric) {
        if (NUMBER_PATTERN.test(v)) {
          const n = Number(v);
          if (n < st.min) st.min = n;
          if (n > st.max) st.max = n;
        } else st.numeric = false;
      }
      if (v.length > MAX_ENUM_VALUE_CHARS) st.longValue = true;
      else if (st.distinct.size < DISTINCT_CAP) st.distinct.add(v);
    }
  }

  result(fileName: string): { set: SignalSet; columns: Map<number, Signal>; skipped: SkippedColumn[] } {
    const columns = new Map<number, Signal>();
    const skipped: SkippedColumn[] = [];
    const used = new Set<string>();
    for (const i of this.dataColumns) {
      const column = this.header[i] ?? '';
      const st = this.stats.get(i);
      const name = snakeCase(column);
      if (!st || st.present === 0) {
        skipped.push({ column, reason: 'no values' });
        continue;
      }
      if (used.has(name)) {
        skipped.push({ column, reason: `its signal name "${name}" is taken by another column` });
        continue;
      }
      const reportedKey =
        /^[A-Za-z_][A-Za-z0-9_]*$/.test(column) && column.toLowerCase() !== name ? { reportedKey: column } : {};
      if (st.numeric) {
        const { min: lo, max: hi } = st;
        const margin = hi > lo ? (hi - lo) * RANGE_MARGIN : Math.max(1, Math.abs(hi) * RANGE_MARGIN);
        // Rounded outward to a power-of-ten step no larger than the margin, so the file reads well.
        const step = 10 ** Math.floor(Math.log10(margin));
        const round = (x: number): number => Number(x.toPrecision(12));
        const min = round(Math.floor((lo - margin) / step) * step);
        const max = round(Math.ceil((hi + margin) / step) * step);
        const stuckAfterMinutes = this.held?.stuckAfterMinutes(i);
        const signal: NumericSignal = {
          name,
          kind: 'numeric',
          unit: 'unknown',
          min,
          max,
          ...(stuckAfterMinutes === undefined ? {} : { stuckAfterMinutes }),
        };
        columns.set(i, { ...signal, ...reportedKey });
      } else {
        if (st.longValue) {
          skipped.push({ column, reason: `not numeric and has values over ${MAX_ENUM_VALUE_CHARS} characters` });
          continue;
        }
        if (st.distinct.size > MAX_ENUM_VALUES) {
          const n = st.distinct.size >= DISTINCT_CAP ? `${DISTINCT_CAP} or more` : String(st.distinct.size);
          skipped.push({
            column,
            reason: `not numeric and ${n} distinct values (more than ${MAX_ENUM_VALUES} for an enum)`,
          });
          continue;
        }
        const signal: EnumSignal = { name, kind: 'enum', values: [...st.distinct].sort() };
        columns.set(i, { ...signal, ...reportedKey });
      }
      used.add(name);
    }
    if (columns.size === 0) {
      throw new ImportFormatError(
        `No signal could be inferred: ${skipped.map((s) => `${s.column}: ${s.reason}`).join('; ') || 'no data columns'}`,
      );
    }
    const set: SignalSet = {
      id: slug(basename(fileName, extname(fileName))),
      description: `Inferred by occupancy import --format csv from ${basename(fileName)}`,
      signals: [...columns.values()],
    };
    return { set, columns, skipped };
  }
}

/** Infers a signal set from the data columns (see RANGE_MARGIN, MAX_ENUM_VALUES); `columns` get their signal. */
export function inferSignalSet(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  dataColumns: readonly number[],
  fileName: string,
): { set: SignalSet; columns: Map<number, Signal>; skipped: SkippedColumn[] } {
  const inference = new CsvInference(header, dataColumns);
  for (const row of rows) inference.add(row);
  return inference.result(fileName);
}

/** Maps the data columns to a given set's signals (by name or reportedKey); the other columns are skipped. */
export function mapColumns(
  layout: CsvLayout,
  set: SignalSet,
): { columns: Map<number, Signal>; skipped: SkippedColumn[] } {
  const { header, dataColumns } = layout;
  const columns = new Map<number, Signal>();
  for (const signal of set.signals) {
    const names = [signal.name, wireKey(signal)].map((n) => n.toLowerCase());
    const i = dataColumns.find((c) => names.includes((header[c] ?? '').toLowerCase()));
    if (i === undefined) {
      throw new ImportFormatError(
        `--signal-set: no column for signal "${signal.name}" (by name or reportedKey; columns: ${header.join(', ').slice(0, 400)})`,
        signal.name,
      );
    }
    columns.set(i, signal);
  }
  const skipped = dataColumns
    .filter((i) => !columns.has(i))
    .map((i) => ({ column: header[i] ?? '', reason: 'not in the signal set' }));
  return { columns, skipped };
}

/** The row parser of pass 2: one data line to a reading and its label, validated against `set`. */
export function genericCsvParser(
  layout: CsvLayout,
  set: SignalSet,
  columns: ReadonlyMap<number, Signal>,
  now?: number,
): RowParser {
  const { header, timeColumn, targetColumn, deviceColumn, defaultDevice } = layout;
  return {
    signalSet: set,
    parse(content) {
      const cells = rowCells(header, content);
      const thingName = deviceColumn < 0 ? defaultDevice : (cells[deviceColumn] ?? '').trim();
      const wire: Record<string, unknown> = {
        thingName,
        timestamp: parseTimestampCell(cells[timeColumn] ?? '', header[timeColumn] ?? 'timestamp'),
      };
      for (const [i, signal] of columns) {
        const cell = (cells[i] ?? '').trim();
        const key = wireKey(signal);
        if (signal.kind === 'enum') wire[key] = cell || undefined;
        else if (cell === '') throw new RowError(signal.name, `${signal.name}: missing value`);
        else if (!NUMBER_PATTERN.test(cell))
          throw new RowError(signal.name, `${signal.name}: not a number, got ${clip(cell)}`);
        else wire[key] = Number(cell);
      }
      const occupied = parseTargetCell(cells[targetColumn] ?? '', header[targetColumn] ?? 'target');
      const reading = parseReading(wire, set, { now });
      return { reading, label: { thingName: reading.thingName, ts: reading.ts, occupied } };
    },
  };
}

/** Pass 1 over lines (the header excluded): the inferred set, from the rows with the right field count. */
export function inferFromLines(
  layout: CsvLayout,
  fileName: string,
): {
  add: (l: SourceLine) => void;
  result: () => ReturnType<CsvInference['result']>;
} {
  const held = new HeldValues();
  const inference = new CsvInference(layout.header, layout.dataColumns, held);
  const { header, timeColumn, deviceColumn, defaultDevice, dataColumns } = layout;
  return {
    add(l) {
      if (l.truncated || l.text.trim() === '') return;
      let cells: string[];
      let ts: number;
      try {
        cells = rowCells(header, l.text);
        ts = parseTimestampCell(cells[timeColumn] ?? '', header[timeColumn] ?? 'timestamp');
      } catch {
        return;
      }
      inference.add(cells);
      const device = deviceColumn < 0 ? defaultDevice : (cells[deviceColumn] ?? '').trim();
      held.add(device, ts, new Map(dataColumns.map((c) => [c, (cells[c] ?? '').trim()])));
    },
    result: () => inference.result(fileName),
  };
}

/** The pure API: text in, both passes over it. */
export function importGenericCsv(text: string, opts: GenericCsvOptions): GenericCsvResult {
  const lines = [...textLines(text)].filter((l) => l.text.trim() !== '');
  const layout = csvLayout(lines.shift(), opts);
  let set: SignalSet;
  let columns: Map<number, Signal>;
  let skipped: SkippedColumn[];
  if (opts.signalSet) {
    set = opts.signalSet;
    ({ columns, skipped } = mapColumns(layout, set));
  } else {
    const inference = inferFromLines(layout, opts.fileName);
    for (const l of lines) inference.add(l);
    ({ set, columns, skipped } = inference.result());
  }
  const parser = genericCsvParser(layout, set, columns, opts.now);
  const result: GenericCsvResult = {
    signalSet: set,
    readings: [],
    labels: [],
    rejected: [],
    inferred: !opts.signalSet,
    skippedColumns: skipped,
  };
  for (const l of lines) parseInto(parser, l, result);
  return result;
}
