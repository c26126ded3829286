/**
 * Which `--format` a file's first line suggests, for the message when the given format does not fit (the user
 * picked the wrong one far more often than the file is broken). Pure.
 */
import { parseCsvRows } from './csv';

export function suggestFormat(firstLine: string): string | undefined {
  const text = firstLine.replace(/^\uFEFF/, '').trim();
  if (text.startsWith('{')) return 'ndjson';
  const header = (parseCsvRows(text)[0] ?? []).map((h) => h.trim().toLowerCase());
  const has = (...names: string[]): boolean => names.every((n) => header.includes(n));
  if (has('date', 'temperature', 'humidity', 'light', 'co2', 'humidityratio', 'occupancy')) return 'uci-occupancy';
  if (has('date', 'time', 'room_occupancy_count')) return 'uci-room-occupancy';
  if ((has('ts') || has('timestamp')) && (has('thing_name') || has('thingname'))) return 'iot-analytics-csv';
  if (header.length >= 2) return 'csv';
  return undefined;
}

/** The sentence pointing at a better format, or '' when none is apparent or it is the one given. */
export function formatHint(firstLine: string, given: string): string {
  const format = suggestFormat(firstLine);
  if (!format || format === given) return '';
  if (format === 'csv') {
    return ' It looks like a CSV file with a header row: try --format csv --timestamp COL --target COL (its time and occupancy columns).';
  }
  return ` It looks like --format ${format}.`;
}
