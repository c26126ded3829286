/**
 * Lines of an import file, read as a stream with bounded memory whatever the file size.
 *
 * - The file is read in chunks and split on `\n` (a trailing `\r` is dropped) without ever holding more than one
 *   chunk plus one line: a line longer than `maxLineBytes` is not accumulated, only its first bytes are kept and it
 *   comes out `truncated`, with its real length (a 200 MB header line costs 200 MB of reading, not of memory).
 * - A UTF-8 byte order mark at the start is dropped (spreadsheet tools write one).
 * - The first KB is sniffed: NUL bytes or bytes that are not UTF-8 mean a binary file (gzip, parquet, xlsx…), refused
 *   before any row is parsed with one error instead of a rejection per garbage "line".
 * Pure except for reading the file; the text-taking importers use `textLines` for the same line shapes.
 */
import { createReadStream } from 'node:fs';
import { clip, ImportFormatError } from './errors';

export interface SourceLine {
  /** 1-based line number in the file. */
  readonly line: number;
  /** The line without its line ending; only a prefix when `truncated`. */
  readonly text: string;
  /** The line's real length in bytes. */
  readonly bytes: number;
  readonly truncated: boolean;
}

/** Longest line taken whole: far above any sane CSV/NDJSON row, small enough to keep memory flat. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** Bytes kept of a line that is longer than the limit (enough for a message's short prefix). */
const TRUNCATED_PREFIX_BYTES = 256;
/** How much of the file start is checked for binary content. */
export const SNIFF_BYTES = 1024;
const CHUNK_BYTES = 1024 * 1024;

/** `ImportFormatError.field` of a refusal about the file's encoding (binary, UTF-16, CR-only): no format hint fits. */
export const BINARY_FIELD = '$file';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Throws `ImportFormatError` when the file start looks binary. `what` names the expected format for the message.
 * A UTF-16 byte order mark is named as such (Excel's "Unicode text"): it is text, but not UTF-8.
 */
export function checkNotBinary(head: Uint8Array, what: string): void {
  const start = head.subarray(0, SNIFF_BYTES);
  if ((start[0] === 0xff && start[1] === 0xfe) || (start[0] === 0xfe && start[1] === 0xff)) {
    throw new ImportFormatError(`is UTF-16 text, not ${what}: save it as UTF-8 and import it again`, BINARY_FIELD);
  }
  let binary = start.includes(0);
  if (!binary) {
    try {
      // stream: a multi-byte character cut by the SNIFF_BYTES boundary is not an error.
      new TextDecoder('utf-8', { fatal: true }).decode(start, { stream: true });
    } catch {
      binary = true;
    }
  }
  if (binary) {
    throw new ImportFormatError(
      `looks like a binary file (NUL bytes or bytes that are not UTF-8 text in its first ${SNIFF_BYTES} bytes), not ${what}`,
      BINARY_FIELD,
    );
  }
}

export interface ReadProgress {
  /** Bytes of the file read so far. */
  readonly bytesRead: number;
}

export interface LineReaderOptions {
  /** Expected format, for the binary-file message. */
  readonly what: string;
  readonly maxLineBytes?: number;
  /** Called after each chunk with the bytes read so far (progress reporting). */
  readonly onChunk?: (progress: ReadProgress) => void;
}

/**
 * Streams the lines of `file` in batches (one array per chunk read: one await per MB, not per line). Blank
 * lines are included; callers skip them so line numbers stay the file's.
 */
export async function* fileLines(file: string, opts: LineReaderOptions): AsyncGenerator<SourceLine[]> {
  const maxLine = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const stream = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  let lineNo = 0;
  let bytesRead = 0;
  let first = true;
  // The current unfinished line: whole pieces while short, a prefix plus a byte count once too long.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const finish = (tail: Buffer): SourceLine => {
    const bytes = pendingBytes + tail.length;
    const truncated = bytes > maxLine;
    let buf = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    if (truncated) buf = buf.subarray(0, TRUNCATED_PREFIX_BYTES);
    else if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
    pending = [];
    pendingBytes = 0;
    lineNo++;
    return { line: lineNo, text: buf.toString('utf8'), bytes, truncated };
  };
  const keep = (piece: Buffer): void => {
    const room = TRUNCATED_PREFIX_BYTES - Math.min(pendingBytes, TRUNCATED_PREFIX_BYTES);
    // Once past the limit only the prefix is kept; copies, so the chunk itself can be collected.
    if (pendingBytes + piece.length <= maxLine) pending.push(Buffer.from(piece));
    else if (room > 0)
      pending = [Buffer.concat([...pending, piece.subarray(0, room)]).subarray(0, TRUNCATED_PREFIX_BYTES)];
    pendingBytes += piece.length;
  };
  for await (const raw of stream) {
    let chunk = raw as Buffer;
    bytesRead += chunk.length;
    if (first) {
      first = false;
      checkNotBinary(chunk, opts.what);
      if (chunk.subarray(0, 3).equals(BOM)) chunk = chunk.subarray(3);
      // Classic Mac line endings (CR only) would make the whole file one line: said plainly instead.
      if (!chunk.includes(0x0a) && chunk.includes(0x0d)) {
        throw new ImportFormatError(
          `has CR-only (classic Mac) line endings, not ${opts.what}: convert them to LF or CRLF and import it again`,
          BINARY_FIELD,
        );
      }
    }
    const batch: SourceLine[] = [];
    let pos = 0;
    for (let nl = chunk.indexOf(0x0a, pos); nl >= 0; nl = chunk.indexOf(0x0a, pos)) {
      batch.push(finish(chunk.subarray(pos, nl)));
      pos = nl + 1;
    }
    if (pos < chunk.length) keep(chunk.subarray(pos));
    opts.onChunk?.({ bytesRead });
    if (batch.length > 0) yield batch;
  }
  if (pendingBytes > 0) yield [finish(Buffer.alloc(0))];
}

/** The same line shapes for text already in memory (the pure, text-taking importers). */
export function* textLines(text: string, maxLineBytes = Number.POSITIVE_INFINITY): Generator<SourceLine> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split(/\r?\n|\r/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const content = lines[i] ?? '';
    const bytes = Buffer.byteLength(content, 'utf8');
    const truncated = bytes > maxLineBytes;
    yield { line: i + 1, text: truncated ? content.slice(0, TRUNCATED_PREFIX_BYTES) : content, bytes, truncated };
  }
}

/** The rejection reason for a line over the limit (its content is not parsed). */
export function tooLongReason(l: SourceLine, maxLineBytes = MAX_LINE_BYTES): string {
  return `row: line is ${l.bytes} bytes, longer than the ${maxLineBytes}-byte limit (starts ${clip(l.text, 40, l.bytes)})`;
}
