/**
 * Parquet training data (what Athena's UNLOAD writes, what an Autopilot channel of content type
 * `x-application/vnd.amazon+parquet` reads) → labelled table. Every file of a channel must carry the same columns;
 * rows follow the files in key order. Columns are read chunk by chunk into typed arrays (hyparquet: pure JS, so it
 * runs in the training worker thread). Numeric and boolean columns are features; string columns are ignored like
 * non-numeric CSV columns; a date/time column orders the rows as in ./data.ts.
 */
import { open } from 'node:fs/promises';
import { type AsyncBuffer, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet';
import type { LabelledTable } from '../telemetry/table';
import { finishTrainingData, orderRowsByTime, TIME_COLUMN, type TrainingData } from './data';
import { AutoMLInputError } from './errors';

/** One cell as a number: NaN for a missing value, undefined when the value is not numeric (a string). */
function numeric(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === null || value === undefined) return Number.NaN;
  if (value instanceof Date) return value.getTime();
  return undefined;
}

/** A time cell in milliseconds (or the number as stored), NaN when it is not a time. */
function time(value: unknown): number {
  const n = numeric(value);
  if (n !== undefined) return n;
  return typeof value === 'string' ? Date.parse(value.replace(' ', 'T')) : Number.NaN;
}

/** Range reads of a local file (hyparquet's own helper is in its Node entry, which this module resolution hides). */
async function asyncBufferFromFile(path: string): Promise<AsyncBuffer> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  await handle.close();
  return {
    byteLength: size,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const length = Math.max(0, (end ?? size) - start);
      const bytes = new Uint8Array(length);
      const file = await open(path, 'r');
      try {
        let done = 0;
        while (done < length) {
          const { bytesRead } = await file.read(bytes, done, length - done, start + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
      } finally {
        await file.close();
      }
      return bytes.buffer;
    },
  };
}

async function columnsOf(path: string): Promise<{ names: string[]; rows: number }> {
  const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
  const names = parquetSchema(metadata).children.map((c) => c.element.name);
  return { names, rows: Number(metadata.num_rows) };
}

export async function trainingDataFromParquet(
  files: readonly string[],
  target: string,
  source = 'Parquet',
): Promise<TrainingData> {
  if (files.length === 0) throw new AutoMLInputError(`${source}: no Parquet object to read`, 'channel');
  const shapes = [];
  for (const file of files) {
    try {
      shapes.push(await columnsOf(file));
    } catch (error) {
      throw new AutoMLInputError(`${source}: ${file} is not a Parquet file: ${(error as Error).message}`, 'channel', {
        cause: error,
      });
    }
  }
  const header = shapes[0]?.names ?? [];
  for (const [i, shape] of shapes.entries()) {
    if (shape.names.join('\u0000') !== header.join('\u0000')) {
      throw new AutoMLInputError(
        `${source}: ${files[i]} has columns [${shape.names.join(', ')}], the first file [${header.join(', ')}]`,
        'columns',
      );
    }
  }
  const targetIndex = header.indexOf(target);
  if (targetIndex < 0) {
    throw new AutoMLInputError(`${source}: target column "${target}" not in [${header.join(', ')}]`, target);
  }
  const rowCount = shapes.reduce((sum, s) => sum + s.rows, 0);
  const values = header.map(() => new Float64Array(rowCount));
  const numericColumn = header.map(() => true);
  const timeIndex = header.findIndex((h) => h !== target && TIME_COLUMN.test(h));
  const times = new Float64Array(timeIndex >= 0 ? rowCount : 0);
  const labels = new Uint8Array(rowCount);
  let base = 0;
  for (const [f, file] of files.entries()) {
    const buffer = await asyncBufferFromFile(file);
    let badLabel: string | undefined;
    await parquetRead({
      file: buffer,
      columns: header,
      onChunk: ({ columnName, columnData, rowStart }) => {
        const c = header.indexOf(columnName);
        const column = values[c] as Float64Array;
        for (let i = 0; i < columnData.length; i++) {
          const row = base + rowStart + i;
          const value: unknown = columnData[i];
          if (c === timeIndex) times[row] = time(value);
          if (c === targetIndex) {
            const label = numeric(value);
            if (label === 1 || label === 0) labels[row] = label;
            else badLabel ??= `row ${row + 1}: target "${target}" must be 0/1, got ${String(value)}`;
            continue;
          }
          if (!numericColumn[c]) continue;
          const n = numeric(value);
          if (n === undefined) numericColumn[c] = false;
          else column[row] = n;
        }
      },
    });
    if (badLabel) throw new AutoMLInputError(`${source}: ${badLabel}`, target);
    base += shapes[f]?.rows ?? 0;
  }
  const names: string[] = [];
  const columns: Float64Array[] = [];
  const ignored: string[] = [];
  header.forEach((name, c) => {
    if (c === targetIndex) return;
    if (numericColumn[c] && c !== timeIndex) {
      names.push(name);
      columns.push(values[c] as Float64Array);
    } else ignored.push(name);
  });
  let table: LabelledTable = { names, columns, rowCount, ignored, target: labels, targetName: target };
  const timeName = header[timeIndex];
  const ordered = timeName !== undefined && !times.some(Number.isNaN);
  if (timeName !== undefined) table = ordered ? orderRowsByTime(table, timeName, times) : table;
  return finishTrainingData(table, source, ordered ? timeName : undefined);
}
