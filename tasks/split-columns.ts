import { EMPTY_COUNTS, type TrainingCounts, type ValueCounts, ValueCountsBuilder } from '../evaluation';
import { readOccupancyScore } from '../evaluation/p-occupied';
import type { LabelledTable } from '../telemetry/table';
import { ArtifactError } from './errors';
import type { StreamingObjectStore } from './ports/object-store';
import type { Predictions } from './predictions';
import { openSplit, textLines } from './split-reader';

/**
 * The compact forms Evaluate keeps of its inputs, read in a stream (one row group, or one CSV batch, of cells
 * held at a time), never as parsed row objects:
 * - the holdout, which is scored row by row (the paired bootstrap resamples rows): only the columns it scores,
 *   as typed arrays grown by doubling (1 byte a label, 8 bytes a signal value);
 * - a prediction file: 9 bytes a row;
 * - the train split, which only fits threshold rules: per signal, rows and positives per distinct value, so
 *   its size follows the signals' resolution, not the number of training rows.
 */

const TRUE_LABELS = new Set(['1', 'true', 'True', 'TRUE', '1.0']);
const FALSE_LABELS = new Set(['0', 'false', 'False', 'FALSE', '0.0']);

/** A Parquet cell (number, bigint, boolean, null) or a CSV one (string; '' is missing) as a number. */
export function cellNumber(cell: unknown): number {
  if (typeof cell === 'number') return cell;
  if (typeof cell === 'bigint') return Number(cell);
  if (typeof cell === 'boolean') return cell ? 1 : 0;
  if (typeof cell === 'string' && cell.trim() !== '') return Number(cell);
  return Number.NaN;
}

function cellLabel(cell: unknown): 0 | 1 | undefined {
  if (cell === 1 || cell === 1n || cell === true) return 1;
  if (cell === 0 || cell === 0n || cell === false) return 0;
  if (typeof cell === 'string') return TRUE_LABELS.has(cell) ? 1 : FALSE_LABELS.has(cell) ? 0 : undefined;
  return undefined;
}

/** Decodes the target cells of a batch, refusing any that is not 0/1; `seen` is the rows before the batch. */
function labelsOf(
  cells: ArrayLike<unknown>,
  rows: number,
  where: { field: string; uri: string; target: string; seen: number },
) {
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const label = cellLabel(cells[r]);
    if (label === undefined) {
      throw new ArtifactError(
        `${where.field}: ${where.uri} row ${where.seen + r + 1}: "${where.target}" must be 0/1, got ${String(cells[r])}`,
        where.uri,
      );
    }
    labels[r] = label;
  }
  return labels;
}

/** A typed array that grows by doubling; `view()` is the filled part (no copy). */
class Growable<T extends Float64Array | Uint8Array> {
  length = 0;
  constructor(
    private data: T,
    private readonly make: (n: number) => T,
  ) {}

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = this.make(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

const floats = () => new Growable(new Float64Array(1024), (n) => new Float64Array(n));
const bytes = () => new Growable(new Uint8Array(1024), (n) => new Uint8Array(n));

/**
 * The split at `uri` as a labelled numeric table of the `signals` it has (others are not read), streamed.
 * Refuses a split without the target column, a target cell that is not 0/1, and a split without rows.
 */
export async function readLabelledColumns(
  store: StreamingObjectStore,
  uri: string,
  options: { readonly field: string; readonly target: string; readonly signals: readonly string[] },
): Promise<LabelledTable> {
  const { field, target } = options;
  const { split, names, ignored } = await openLabelled(store, uri, field, target, options.signals);
  const columns = names.map(floats);
  const labels = bytes();
  for await (const batch of split.batches([...names, target])) {
    const batchLabels = labelsOf(batch.columns.get(target) ?? [], batch.rows, {
      field,
      uri: batch.uri,
      target,
      seen: labels.length,
    });
    for (const label of batchLabels) labels.push(label);
    names.forEach((name, c) => {
      const cells = batch.columns.get(name) ?? [];
      const column = columns[c];
      for (let r = 0; r < batch.rows; r++) column?.push(cellNumber(cells[r]));
    });
  }
  if (labels.length === 0) throw new ArtifactError(`${field}: ${uri} has no rows`, uri);
  return {
    names,
    columns: columns.map((c) => c.view()),
    rowCount: labels.length,
    ignored,
    target: labels.view(),
    targetName: target,
  };
}

/** Opens the split and checks its target: the columns to read of `signals`, and the ones left out. */
async function openLabelled(
  store: StreamingObjectStore,
  uri: string,
  field: string,
  target: string,
  signals: readonly string[],
) {
  const split = await openSplit(store, uri, field);
  if (!split.columnNames.includes(target)) {
    throw new ArtifactError(
      `${field}: ${uri} has no "${target}" column (columns: ${split.columnNames.join(', ')})`,
      uri,
    );
  }
  const wanted = new Set(signals);
  const names = split.columnNames.filter((name) => name !== target && wanted.has(name));
  const ignored = split.columnNames.filter((name) => name !== target && !wanted.has(name));
  return { split, names, ignored };
}

/**
 * The train split as a threshold fit needs it (see evaluation/threshold.ts: the same rules as from the rows),
 * streamed: memory follows the signals' distinct values, whatever the number of rows.
 */
export async function readTrainingCounts(
  store: StreamingObjectStore,
  uri: string,
  options: { readonly field: string; readonly target: string; readonly signals: readonly string[] },
): Promise<TrainingCounts> {
  const { field, target } = options;
  const { split, names } = await openLabelled(store, uri, field, target, options.signals);
  const builders = names.map(() => new ValueCountsBuilder());
  let rowCount = 0;
  let positives = 0;
  for await (const batch of split.batches([...names, target])) {
    const labels = labelsOf(batch.columns.get(target) ?? [], batch.rows, {
      field,
      uri: batch.uri,
      target,
      seen: rowCount,
    });
    for (const label of labels) positives += label;
    names.forEach((name, c) => {
      const cells = batch.columns.get(name) ?? [];
      const builder = builders[c];
      for (let r = 0; r < batch.rows; r++) builder?.add(cellNumber(cells[r]), labels[r] ?? 0);
    });
    rowCount += batch.rows;
  }
  if (rowCount === 0) throw new ArtifactError(`${field}: ${uri} has no rows`, uri);
  const counts = new Map<string, ValueCounts>(names.map((name, c) => [name, builders[c]?.counts() ?? EMPTY_COUNTS]));
  return { names, rowCount, positives, counts };
}

/**
 * A batch transform's `.out` file read line by line: one answer per input row, in order (blank lines skipped).
 * Refuses an unreadable line and a count other than `rows`, naming the file.
 */
export async function readPredictionLines(
  store: StreamingObjectStore,
  uri: string,
  rows: number,
): Promise<Predictions> {
  const predicted = bytes();
  const probability = floats();
  let lineNumber = 0;
  for await (const line of textLines(store.getStream(uri))) {
    lineNumber++;
    if (line.trim().length === 0) continue;
    const read = readOccupancyScore(line);
    if (!read.ok) throw new ArtifactError(`${uri} line ${lineNumber}: ${read.reason}`, uri);
    predicted.push(read.score.predicted);
    probability.push(read.score.pOccupied);
  }
  if (predicted.length !== rows) {
    throw new ArtifactError(`${uri} has ${predicted.length} predictions for ${rows} holdout rows`, uri);
  }
  return { predicted: predicted.view(), probability: probability.view() };
}
