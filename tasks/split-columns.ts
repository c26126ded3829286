import { readOccupancyScore } from '../evaluation/p-occupied';
import type { LabelledTable } from '../telemetry/table';
import { ArtifactError } from './errors';
import type { StreamingObjectStore } from './ports/object-store';
import type { Predictions } from './predictions';
import { openSplit, textLines } from './split-reader';

/**
 * The compact, column-major form Evaluate keeps of a split and of a prediction file: only the columns it
 * scores, as typed arrays grown by doubling (1 byte a label, 8 bytes a signal value, 9 bytes a prediction),
 * never a parsed row object. Reading holds one row group (or one CSV batch) of cells on top of that.
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
  const split = await openSplit(store, uri, field);
  if (!split.columnNames.includes(target)) {
    throw new ArtifactError(
      `${field}: ${uri} has no "${target}" column (columns: ${split.columnNames.join(', ')})`,
      uri,
    );
  }
  const wanted = new Set(options.signals);
  const names = split.columnNames.filter((name) => name !== target && wanted.has(name));
  const columns = names.map(floats);
  const labels = bytes();
  for await (const batch of split.batches([...names, target])) {
    const targetCells = batch.columns.get(target) ?? [];
    for (let r = 0; r < batch.rows; r++) {
      const label = cellLabel(targetCells[r]);
      if (label === undefined) {
        throw new ArtifactError(
          `${field}: ${batch.uri} row ${labels.length + 1}: "${target}" must be 0/1, got ${String(targetCells[r])}`,
          batch.uri,
        );
      }
      labels.push(label);
    }
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
    ignored: split.columnNames.filter((name) => name !== target && !wanted.has(name)),
    target: labels.view(),
    targetName: target,
  };
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
