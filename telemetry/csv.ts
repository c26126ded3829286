/** Minimal RFC 4180 CSV reader/writer (quoted fields, embedded commas/quotes/newlines, CRLF). Pure. */

export interface CsvTable {
  readonly header: string[];
  readonly rows: string[][];
}

/** Parses one CSV record that may hold quoted fields (no embedded newlines: those go through parseCsvRows). */
function splitQuotedLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) {
          value += line.slice(j);
          j = line.length;
          break;
        }
        value += line.slice(j, q);
        if (line[q + 1] === '"') {
          value += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      fields.push(value);
      const comma = line.indexOf(',', j);
      if (comma < 0) break;
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        fields.push(line.slice(i));
        break;
      }
      fields.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
  return fields;
}

/** Quote characters balanced? An odd count means a quoted field runs on to the next line. */
const quotesBalanced = (s: string): boolean => {
  let count = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) count++;
  return count % 2 === 0;
};

/**
 * Splits CSV text into records. Fast path: lines without quotes split on commas; quoted fields (even
 * with embedded commas, quotes or newlines) are handled per RFC 4180. Blank lines are skipped.
 */
export function* csvRecords(text: string): Generator<string[]> {
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = n;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    if (line.includes('"')) {
      while (!quotesBalanced(line) && pos <= n) {
        let next = text.indexOf('\n', pos);
        if (next < 0) next = n;
        line += `\n${text.slice(pos, next)}`;
        pos = next + 1;
      }
      if (line.endsWith('\r')) line = line.slice(0, -1);
      yield splitQuotedLine(line);
      continue;
    }
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') continue;
    yield line.split(',');
  }
}

export function parseCsvRows(text: string): string[][] {
  return [...csvRecords(text)];
}

export function parseCsv(text: string): CsvTable {
  const [header = [], ...rows] = parseCsvRows(text);
  return { header, rows };
}

const needsQuoting = /[",\r\n]/;

export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  return needsQuoting.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(
  header: readonly string[],
  rows: Iterable<readonly (string | number | boolean | null)[]>,
): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  return `${lines.join('\n')}\n`;
}
