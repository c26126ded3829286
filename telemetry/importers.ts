/**
 * Importers for real telemetry: lines in, validated readings and label events out (pure, no I/O).
 *
 * Each format is a `RowParser` built from its header line (CSV formats) that turns one data line into a reading
 * (plus its label event) or throws a row-level error; `occupancy import` feeds it a file's lines as a stream
 * (local/commands/import-stream.ts), the text-taking functions below feed it a string (tests, small inputs).
 *
 * Every data row either becomes a reading (plus its label event) or a rejection with the line number and a
 * reason naming the field, so `readings.length + rejected.length` equals the number of non-blank data rows.
 * The CSV importers emit one label event per row (the dataset's ground truth at that reading), which is simple
 * and exactly right for the lake's "label in force at the reading's time" join.
 */
import { parseCsvRows } from './csv';
import { clip, ImportFormatError, QUOTE_CHARS, RowError, shorten, TelemetryValidationError } from './errors';
import { type SourceLine, textLines, tooLongReason } from './import-lines';
import type { LabelEvent, Reading } from './reading';
import { type SignalSet, THERMOSTAT, UCI_OCCUPANCY, UCI_ROOM_OCCUPANCY } from './signals';
import { DEFAULT_MAX_PAYLOAD_BYTES, isValidThingName, parseJsonPayload, parseReading, wireKey } from './validate';

export interface RejectedRow {
  /** 1-based line number in the input text. */
  readonly line: number;
  readonly reason: string;
  readonly field?: string;
}

export interface ImportResult {
  readonly signalSet: SignalSet;
  readonly readings: Reading[];
  readonly labels: LabelEvent[];
  readonly rejected: RejectedRow[];
}

export interface CsvImportOptions {
  /** Device name given to the dataset's room. */
  readonly thingName?: string;
  /** Reference "now" for the timestamp window check. @default Date.now() */
  readonly now?: number;
}

export interface NdjsonImportOptions {
  readonly now?: number;
  /** Largest accepted line in bytes. @default 8192 */
  readonly maxLineBytes?: number;
}

/** One data line's outcome. */
export interface ParsedRow {
  readonly reading: Reading;
  readonly label?: LabelEvent;
}

/** A format's parser for data lines (these formats have no quoted newlines: one line, one row). */
export interface RowParser {
  readonly signalSet: SignalSet;
  /** Parses one non-blank data line; throws `RowError`/`TelemetryValidationError` for a row-level problem. */
  parse(content: string): ParsedRow;
}

/** The header line of a CSV format: refused whole when it is over the line limit (its start is quoted). */
export function headerText(first: SourceLine | undefined, format: string): string {
  if (!first) throw new ImportFormatError(`Not a ${format} file: it is empty`);
  if (first.truncated) {
    throw new ImportFormatError(
      `Not a ${format} file: its first line is ${first.bytes} bytes long, not a header (starts ${clip(first.text, QUOTE_CHARS, first.bytes)})`,
    );
  }
  return first.text;
}

const parseCsvLine = (content: string): string[] => parseCsvRows(content)[0] ?? [];

const NUMBER_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function numberCell(cell: string | undefined, field: string): number {
  const text = (cell ?? '').trim();
  if (text === '') throw new RowError(field, `${field}: missing value`);
  if (!NUMBER_PATTERN.test(text)) throw new RowError(field, `${field}: not a number, got ${clip(text)}`);
  return Number(text);
}

/** A calendar date-time taken as UTC wall clock; rejects impossible dates (2015-02-30) rather than rolling over. */
function utcWallClock(
  field: string,
  raw: string,
  parts: readonly [string, string, string, string, string, string, string | undefined],
): number {
  const [y, mo, d, h, mi, s] = parts.slice(0, 6).map(Number) as [number, number, number, number, number, number];
  const fraction = parts[6];
  const ms = fraction === undefined ? 0 : Math.round(Number(`0.${fraction}`) * 1000);
  const ts = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const back = new Date(ts);
  if (
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    back.getUTCHours() !== h ||
    back.getUTCMinutes() !== mi ||
    back.getUTCSeconds() !== s
  ) {
    throw new RowError(field, `${field}: not a real date-time, got ${clip(raw)}`);
  }
  return ts;
}

const UCI_DATE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/;

function parseUciDate(cell: string | undefined, field: string): number {
  const raw = (cell ?? '').trim();
  if (raw === '') throw new RowError(field, `${field}: missing value`);
  const m = UCI_DATE.exec(raw);
  if (!m) throw new RowError(field, `${field}: expected "YYYY-MM-DD hh:mm:ss", got ${clip(raw)}`);
  return utcWallClock(field, raw, [m[1] ?? '', m[2] ?? '', m[3] ?? '', m[4] ?? '', m[5] ?? '', m[6] ?? '', m[7]]);
}

/** Validates the assembled values through the same path as live reports, so ranges and messages match. */
function validatedReading(
  thingName: string,
  ts: number,
  values: Record<string, number>,
  set: SignalSet,
  now: number | undefined,
): Reading {
  const wire: Record<string, unknown> = { thingName, timestamp: ts };
  for (const signal of set.signals) wire[wireKey(signal)] = values[signal.name];
  return parseReading(wire, set, { now });
}

function checkThingName(thingName: string): void {
  if (!isValidThingName(thingName)) {
    throw new ImportFormatError(
      `thingName: must be 1–128 characters of [a-zA-Z0-9:_-], got ${clip(thingName)}`,
      'thingName',
    );
  }
}

/** A row-level error as a rejection (reason shortened: validators may quote a long value); others rethrown. */
export function toRejection(line: number, error: unknown): RejectedRow {
  if (error instanceof RowError || error instanceof TelemetryValidationError) {
    return { line, reason: shorten(error.message), field: error.field };
  }
  throw error;
}

/**
 * Parses one source line: its row, or its rejection (a line over the limit is rejected unread), with the validator's
 * error when the validator refused it (`refused`: a refused reading's sensor_faults row is made from it).
 */
export function parseLine(
  parser: RowParser,
  l: SourceLine,
): ParsedRow | { readonly rejected: RejectedRow; readonly refused?: TelemetryValidationError } {
  try {
    if (l.truncated) throw new RowError('$', tooLongReason(l));
    return parser.parse(l.text);
  } catch (error) {
    const rejected = toRejection(l.line, error);
    return error instanceof TelemetryValidationError ? { rejected, refused: error } : { rejected };
  }
}

/** Parses one source line into `result`. */
export function parseInto(parser: RowParser, l: SourceLine, result: ImportResult): void {
  const outcome = parseLine(parser, l);
  if ('rejected' in outcome) {
    result.rejected.push(outcome.rejected);
    return;
  }
  result.readings.push(outcome.reading);
  if (outcome.label) result.labels.push(outcome.label);
}

/** Runs a parser over text (the pure API): `makeParser` gets the header line (CSV) or is called with none (NDJSON). */
function importText(text: string, makeParser: (first: SourceLine | undefined) => RowParser, header: boolean) {
  const lines = [...textLines(text)].filter((l) => l.text.trim() !== '');
  const parser = makeParser(header ? lines.shift() : undefined);
  const result: ImportResult = { signalSet: parser.signalSet, readings: [], labels: [], rejected: [] };
  for (const l of lines) parseInto(parser, l, result);
  return result;
}

/** Maps header names (case-insensitive) to column indexes; a missing required column fails the whole file. */
function headerIndex(header: readonly string[], required: readonly string[], format: string): Map<string, number> {
  const index = new Map<string, number>();
  header.forEach((name, i) => {
    index.set(name.trim().toLowerCase(), i);
  });
  const missing = required.filter((name) => !index.has(name.toLowerCase()));
  if (missing.length > 0) {
    throw new ImportFormatError(
      `Not a ${format} file: header lacks ${missing.join(', ')} (header: ${clip(header.join(','))})`,
      missing[0],
    );
  }
  return index;
}

function occupancyLabel(cell: string | undefined, field: string, allowCounts: boolean): boolean {
  const value = numberCell(cell, field);
  if (allowCounts ? !Number.isInteger(value) || value < 0 : value !== 0 && value !== 1) {
    throw new RowError(
      field,
      `${field}: expected ${allowCounts ? 'a non-negative integer count' : '0 or 1'}, got ${clip(cell?.trim() ?? '')}`,
    );
  }
  return value > 0;
}

const UCI_OCCUPANCY_COLUMNS: readonly (readonly [string, string])[] = [
  ['Temperature', 'temperature'],
  ['Humidity', 'humidity'],
  ['Light', 'light'],
  ['CO2', 'co2'],
  ['HumidityRatio', 'humidity_ratio'],
];

/**
 * UCI Occupancy Detection (datatraining.txt, datatest.txt, datatest2.txt). R `write.table` output: the header
 * has 7 names but rows carry a leading row id (8 fields); rows without the id are accepted too. Dates, quoted
 * or not, are wall-clock times taken as UTC.
 */
export function uciOccupancyParser(first: SourceLine | undefined, opts: CsvImportOptions = {}): RowParser {
  const thingName = opts.thingName ?? 'uci-office';
  checkThingName(thingName);
  const header = parseCsvLine(headerText(first, 'uci-occupancy'));
  const columns = headerIndex(header, ['date', ...UCI_OCCUPANCY_COLUMNS.map(([c]) => c), 'Occupancy'], 'uci-occupancy');
  const col = (name: string): number => columns.get(name.toLowerCase()) ?? -1;
  return {
    signalSet: UCI_OCCUPANCY,
    parse(content) {
      const cells = parseCsvLine(content);
      // The row id R writes before the data shifts every column by one.
      const shift = cells.length === header.length + 1 ? 1 : cells.length === header.length ? 0 : -1;
      if (shift < 0) {
        throw new RowError('$', `row: expected ${header.length} or ${header.length + 1} fields, got ${cells.length}`);
      }
      const cell = (name: string): string | undefined => cells[col(name) + shift];
      const ts = parseUciDate(cell('date'), 'date');
      const values: Record<string, number> = {};
      for (const [column, signal] of UCI_OCCUPANCY_COLUMNS) values[signal] = numberCell(cell(column), signal);
      const occupied = occupancyLabel(cell('Occupancy'), 'occupancy', false);
      const reading = validatedReading(thingName, ts, values, UCI_OCCUPANCY, opts.now);
      return { reading, label: { thingName, ts: reading.ts, occupied } };
    },
  };
}

export function importUciOccupancy(text: string, opts: CsvImportOptions = {}): ImportResult {
  return importText(text, (first) => uciOccupancyParser(first, opts), true);
}

const ROOM_DATE = /^(\d{4})[/-](\d{2})[/-](\d{2})$/;
const ROOM_TIME = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/;
const ROOM_SIGNAL_COLUMNS = UCI_ROOM_OCCUPANCY.signals.map((s) => s.name);

/**
 * UCI Room Occupancy Estimation: `Date,Time,S1_Temp,…,S7_PIR,Room_Occupancy_Count` with dates `2017/12/22` and
 * times `10:49:41` (UTC wall clock). Header names map to signal names by lower-casing; occupied = count > 0.
 */
export function uciRoomOccupancyParser(first: SourceLine | undefined, opts: CsvImportOptions = {}): RowParser {
  const thingName = opts.thingName ?? 'uci-room';
  checkThingName(thingName);
  const header = parseCsvLine(headerText(first, 'uci-room-occupancy'));
  const columns = headerIndex(
    header,
    ['Date', 'Time', ...ROOM_SIGNAL_COLUMNS, 'Room_Occupancy_Count'],
    'uci-room-occupancy',
  );
  const col = (name: string): number => columns.get(name.toLowerCase()) ?? -1;
  return {
    signalSet: UCI_ROOM_OCCUPANCY,
    parse(content) {
      const cells = parseCsvLine(content);
      if (cells.length !== header.length) {
        throw new RowError('$', `row: expected ${header.length} fields, got ${cells.length}`);
      }
      const cell = (name: string): string | undefined => cells[col(name)];
      const date = (cell('Date') ?? '').trim();
      const time = (cell('Time') ?? '').trim();
      const d = ROOM_DATE.exec(date);
      if (!d) throw new RowError('date', `date: expected "YYYY/MM/DD", got ${clip(date)}`);
      const t = ROOM_TIME.exec(time);
      if (!t) throw new RowError('time', `time: expected "hh:mm:ss", got ${clip(time)}`);
      const ts = utcWallClock('date', `${date} ${time}`, [
        d[1] ?? '',
        d[2] ?? '',
        d[3] ?? '',
        t[1] ?? '',
        t[2] ?? '',
        t[3] ?? '',
        t[4],
      ]);
      const values: Record<string, number> = {};
      for (const signal of ROOM_SIGNAL_COLUMNS) values[signal] = numberCell(cell(signal), signal);
      const occupied = occupancyLabel(cell('Room_Occupancy_Count'), 'room_occupancy_count', true);
      const reading = validatedReading(thingName, ts, values, UCI_ROOM_OCCUPANCY, opts.now);
      return { reading, label: { thingName, ts: reading.ts, occupied } };
    },
  };
}

export function importUciRoomOccupancy(text: string, opts: CsvImportOptions = {}): ImportResult {
  return importText(text, (first) => uciRoomOccupancyParser(first, opts), true);
}

/**
 * NDJSON: one report per line in the wire format of `parseReading`, optionally with `"occupied": true|false`
 * on the same line, which adds a label event at the reading's time. A line with a bad `occupied` is rejected
 * whole, so a reading never loses its label silently.
 */
export function ndjsonParser(set: SignalSet, opts: NdjsonImportOptions = {}): RowParser {
  const maxBytes = opts.maxLineBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  return {
    signalSet: set,
    parse(content) {
      const report = parseJsonPayload(content, maxBytes);
      const reading = parseReading(report, set, { now: opts.now });
      const occupied = (report as Record<string, unknown>).occupied;
      if (occupied !== undefined && typeof occupied !== 'boolean') {
        throw new RowError('occupied', `occupied: expected a boolean, got ${clip(JSON.stringify(occupied) ?? '')}`);
      }
      return occupied === undefined
        ? { reading }
        : { reading, label: { thingName: reading.thingName, ts: reading.ts, occupied } };
    },
  };
}

export function importNdjson(text: string, set: SignalSet, opts: NdjsonImportOptions = {}): ImportResult {
  return importText(text, () => ndjsonParser(set, opts), false);
}

export interface IotAnalyticsCsvOptions extends CsvImportOptions {
  /** Signal set of the exported columns. @default thermostat (the caller passes the lake's) */
  readonly signalSet?: SignalSet;
}

/** Names a column may have in an export: the lake column (what the old dataset query selected) or the shadow key. */
const columnNames = (...names: string[]): string[] => [...new Set(names.map((n) => n.toLowerCase()))];

/**
 * AWS IoT Analytics dataset content (CSV with a header line; columns are the attributes the dataset query selected,
 * often quoted, plus IoT Analytics' own `__dt`). Migration path for data exported before its end of support
 * (docs/migrate-from-iot-analytics.md): `thing_name` (or `--thing-name` when the export has none), the time as
 * `ts` or `timestamp` (integer epoch ms, the wire format's), one column per signal named as the signal or its shadow
 * key (case-insensitive: IoT Analytics may lower-case attribute names); other columns are ignored. Rows are
 * validated as live readings are; datasets hold no ground truth, so no label events.
 */
export function iotAnalyticsCsvParser(first: SourceLine | undefined, opts: IotAnalyticsCsvOptions = {}): RowParser {
  const set = opts.signalSet ?? THERMOSTAT;
  const header = parseCsvLine(headerText(first, 'iot-analytics-csv')).map((h) => h.trim().toLowerCase());
  const find = (names: string[]): number => header.findIndex((h) => names.includes(h));
  const required = (field: string, names: string[]): number => {
    const index = find(names);
    if (index < 0) {
      throw new ImportFormatError(
        `Not an iot-analytics-csv export of signal set "${set.id}": no ${names.join(' or ')} column (header: ${clip(header.join(','))})`,
        field,
      );
    }
    return index;
  };
  const thingColumn = find(columnNames('thing_name', 'thingName'));
  if (thingColumn < 0 && opts.thingName === undefined) required('thing_name', columnNames('thing_name', 'thingName'));
  if (opts.thingName !== undefined) checkThingName(opts.thingName);
  const timeColumn = required('ts', columnNames('ts', 'timestamp'));
  const signalColumns = set.signals.map((s) => [s, required(s.name, columnNames(s.name, wireKey(s)))] as const);
  return {
    signalSet: set,
    parse(content) {
      const cells = parseCsvLine(content);
      if (cells.length !== header.length) {
        throw new RowError('$', `row: expected ${header.length} fields, got ${cells.length}`);
      }
      const thingName = thingColumn < 0 ? opts.thingName : (cells[thingColumn] ?? '').trim();
      const wire: Record<string, unknown> = { thingName, timestamp: numberCell(cells[timeColumn], 'timestamp') };
      for (const [signal, column] of signalColumns) {
        const cell = cells[column];
        const key = wireKey(signal);
        // An empty enum cell is a missing value (the validator names it), not the value "".
        wire[key] = signal.kind === 'numeric' ? numberCell(cell, key) : (cell ?? '').trim() || undefined;
      }
      return { reading: parseReading(wire, set, { now: opts.now }) };
    },
  };
}

export function importIotAnalyticsCsv(text: string, opts: IotAnalyticsCsvOptions = {}): ImportResult {
  return importText(text, (first) => iotAnalyticsCsvParser(first, opts), true);
}
