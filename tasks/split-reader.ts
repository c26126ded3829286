import { type AsyncBuffer, type FileMetaData, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import { csvFields } from '../evaluation/p-occupied';
import { ArtifactError } from './errors';
import type { ObjectSummary, StreamingObjectStore } from './ports/object-store';

/**
 * Reads a pipeline split in bounded memory. A split is what Athena UNLOAD writes: Parquet part files under a
 * prefix ending in '/', read in key order, row group by row group, only the columns asked for, through ranged
 * GetObjects (hyparquet, pure JS, with Snappy built in). UNLOAD writes its manifest and metadata files to the
 * query result location, not under the target prefix, and its data files carry no extension, so every non-empty
 * object under the prefix is a part: https://docs.aws.amazon.com/athena/latest/ug/unload.html
 *
 * A URI not ending in '/' is a single CSV object with a header (the splits before Parquet), streamed by lines.
 */

/** Rows of some columns: one row group of one part file (or a run of CSV lines). */
export interface SplitBatch {
  readonly uri: string;
  readonly rows: number;
  /** Cells by column name: numbers, bigints, booleans, strings, or null for a missing value. */
  readonly columns: ReadonlyMap<string, ArrayLike<unknown>>;
}

export interface SplitReader {
  /** The split's columns, in file order (the first part's; every part must have the same). */
  readonly columnNames: readonly string[];
  /** The rows in order, in batches; `columns` must be columns of the split. */
  batches(columns: readonly string[]): AsyncGenerator<SplitBatch>;
}

const CSV_BATCH_ROWS = 4096;

/** The bytes of one object as hyparquet reads them: ranged GetObjects. */
function asyncBufferOf(store: StreamingObjectStore, object: ObjectSummary): AsyncBuffer {
  return {
    byteLength: object.size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const bytes = await store.getRange(object.uri, start, end ?? object.size);
      // A view may share a larger buffer (Node's pool): copy exactly the range out.
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

/** The text lines of a stream of UTF-8 chunks (a trailing '\r' is dropped; a last line without '\n' counts). */
export async function* textLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  for await (const chunk of chunks) {
    rest += decoder.decode(chunk, { stream: true });
    let newline = rest.indexOf('\n');
    let from = 0;
    while (newline !== -1) {
      const line = rest.slice(from, newline);
      yield line.endsWith('\r') ? line.slice(0, -1) : line;
      from = newline + 1;
      newline = rest.indexOf('\n', from);
    }
    rest = rest.slice(from);
  }
  rest += decoder.decode();
  if (rest.length > 0) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

async function openParquet(store: StreamingObjectStore, prefixUri: string, field: string): Promise<SplitReader> {
  const listed = await store.listObjects(prefixUri);
  // Zero-byte objects are folder markers (a console's "create folder"), never Parquet.
  const parts = listed.filter((o) => o.size > 0 && !o.uri.endsWith('/'));
  if (parts.length === 0) {
    throw new ArtifactError(`${field}: no Parquet part files under ${prefixUri}`, prefixUri);
  }
  const metadataOf = async (part: ObjectSummary): Promise<{ file: AsyncBuffer; metadata: FileMetaData }> => {
    const file = asyncBufferOf(store, part);
    try {
      return { file, metadata: await parquetMetadataAsync(file) };
    } catch (error) {
      throw new ArtifactError(`${field}: ${part.uri} is not a Parquet file`, part.uri, { cause: error });
    }
  };
  const namesOf = (metadata: FileMetaData): string[] => parquetSchema(metadata).children.map((c) => c.element.name);
  const first = parts[0] as ObjectSummary;
  const firstOpened = await metadataOf(first);
  const columnNames = namesOf(firstOpened.metadata);

  async function* batches(columns: readonly string[]): AsyncGenerator<SplitBatch> {
    for (const part of parts) {
      const { file, metadata } = part === first ? firstOpened : await metadataOf(part);
      const names = namesOf(metadata);
      if (names.join('\u0000') !== columnNames.join('\u0000')) {
        throw new ArtifactError(
          `${field}: ${part.uri} has columns [${names.join(', ')}], ${first.uri} has [${columnNames.join(', ')}]`,
          part.uri,
        );
      }
      let groupStart = 0;
      for (const group of metadata.row_groups) {
        const rows = Number(group.num_rows);
        const rowStart = groupStart;
        groupStart += rows;
        if (rows === 0) continue;
        const read = new Map<string, ArrayLike<unknown>[]>();
        try {
          // One row group at a time: hyparquet fetches only its chunks of the requested columns.
          await parquetRead({
            file,
            metadata,
            columns: [...columns],
            rowStart,
            rowEnd: rowStart + rows,
            onChunk: (chunk) => {
              if (chunk.rowEnd <= rowStart || chunk.rowStart >= rowStart + rows) return;
              const from = Math.max(0, rowStart - chunk.rowStart);
              const to = Math.min(chunk.columnData.length, rowStart + rows - chunk.rowStart);
              const data = chunk.columnData;
              const cells = from === 0 && to === data.length ? data : data.slice(from, to);
              read.set(chunk.columnName, [...(read.get(chunk.columnName) ?? []), cells]);
            },
          });
        } catch (error) {
          throw new ArtifactError(`${field}: reading ${part.uri} failed`, part.uri, { cause: error });
        }
        const out = new Map<string, ArrayLike<unknown>>();
        for (const name of columns) {
          const pieces = read.get(name) ?? [];
          const cells = pieces.length === 1 ? (pieces[0] as ArrayLike<unknown>) : pieces.flatMap((p) => Array.from(p));
          if (cells.length !== rows) {
            throw new ArtifactError(
              `${field}: ${part.uri} column ${name} has ${cells.length} of ${rows} rows`,
              part.uri,
            );
          }
          out.set(name, cells);
        }
        yield { uri: part.uri, rows, columns: out };
      }
    }
  }
  return { columnNames, batches };
}

async function openCsv(store: StreamingObjectStore, uri: string, field: string): Promise<SplitReader> {
  const headerLine = await (async () => {
    for await (const line of textLines(store.getStream(uri))) return line;
    return undefined;
  })();
  const columnNames = headerLine === undefined ? [] : (csvFields(headerLine) ?? []);
  if (columnNames.length === 0) throw new ArtifactError(`${field}: ${uri} is empty: no header row`, uri);

  async function* batches(columns: readonly string[]): AsyncGenerator<SplitBatch> {
    const indices = columns.map((name) => columnNames.indexOf(name));
    let cells = columns.map((): string[] => []);
    let rows = 0;
    let lineNumber = 0;
    for await (const line of textLines(store.getStream(uri))) {
      lineNumber++;
      if (lineNumber === 1 || line.length === 0) continue;
      const record = csvFields(line);
      if (record === undefined) throw new ArtifactError(`${field}: ${uri} line ${lineNumber} is not CSV`, uri);
      indices.forEach((index, c) => {
        cells[c]?.push(record[index] ?? '');
      });
      if (++rows === CSV_BATCH_ROWS) {
        yield { uri, rows, columns: new Map(columns.map((name, c) => [name, cells[c] ?? []])) };
        cells = columns.map((): string[] => []);
        rows = 0;
      }
    }
    if (rows > 0) yield { uri, rows, columns: new Map(columns.map((name, c) => [name, cells[c] ?? []])) };
  }
  return { columnNames, batches };
}

/** Opens the split at `uri` (a Parquet prefix ending in '/', or one CSV object); `field` names it in errors. */
export async function openSplit(store: StreamingObjectStore, uri: string, field: string): Promise<SplitReader> {
  return uri.endsWith('/') ? openParquet(store, uri, field) : openCsv(store, uri, field);
}
