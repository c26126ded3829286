import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { csvField } from '../telemetry/csv';
import { ArtifactError } from './errors';
import { type LambdaHandler, onFirstInvoke, type Powertools, wrapHandler } from './lambda-handler';
import type { StreamingObjectStore } from './ports/object-store';
import { S3ObjectStore } from './ports/s3-object-store';
import { powertools } from './powertools';
import { openSplit, type SplitBatch } from './split-reader';

/**
 * PrepareScoringInput: the holdout as a batch transform scores it — CSV, no header, no target column, the
 * features in the split's column order, rows in the same order, so the transform's `.out` lines align with the
 * holdout labels row for row. The holdout (a Parquet prefix) is streamed row group by row group into a
 * multipart upload: memory is bounded by a row group and a part, whatever the holdout's size.
 */

export const ScoringInputSchema = z.object({
  holdoutUri: z.string().regex(/^s3:\/\/[^/]+\/.+/),
  scoringInputUri: z.string().regex(/^s3:\/\/[^/]+\/.+/),
  target: z.string().min(1).default('occupied'),
});
export type ScoringInput = z.infer<typeof ScoringInputSchema>;

export interface ScoringInputResult {
  readonly scoringInputUri: string;
  readonly rows: number;
  readonly featureNames: string[];
}

/** A cell as the CSV the model was trained on writes it: numbers as JS prints them (round-trip), null empty. */
function csvCell(cell: unknown): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'number') return Number.isNaN(cell) ? '' : String(cell);
  if (typeof cell === 'bigint') return cell.toString();
  if (typeof cell === 'boolean') return cell ? '1' : '0';
  if (cell instanceof Date) return cell.toISOString();
  return csvField(String(cell));
}

/** Lines of one batch, a few thousand rows a string (the upload buffers them into parts). */
function* batchCsv(batch: SplitBatch, features: readonly string[]): Generator<string> {
  const columns = features.map((name) => batch.columns.get(name) ?? []);
  const rowsPerChunk = 4096;
  for (let start = 0; start < batch.rows; start += rowsPerChunk) {
    let text = '';
    for (let r = start; r < Math.min(batch.rows, start + rowsPerChunk); r++) {
      let line = '';
      for (let c = 0; c < columns.length; c++) line += (c === 0 ? '' : ',') + csvCell(columns[c]?.[r]);
      text += `${line}\n`;
    }
    yield text;
  }
}

export async function prepareScoringInput(
  input: ScoringInput,
  deps: { store: StreamingObjectStore },
): Promise<ScoringInputResult> {
  const split = await openSplit(deps.store, input.holdoutUri, 'holdoutUri');
  if (!split.columnNames.includes(input.target)) {
    throw new ArtifactError(
      `holdoutUri: ${input.holdoutUri} has no "${input.target}" column (columns: ${split.columnNames.join(', ')})`,
      input.holdoutUri,
    );
  }
  const featureNames = split.columnNames.filter((name) => name !== input.target);
  let rows = 0;
  async function* body(): AsyncGenerator<string> {
    for await (const batch of split.batches(featureNames)) {
      rows += batch.rows;
      yield* batchCsv(batch, featureNames);
    }
    // Checked before the upload completes, so an empty holdout leaves no scoring input behind.
    if (rows === 0) throw new ArtifactError(`holdoutUri: ${input.holdoutUri} has no rows`, input.holdoutUri);
  }
  await deps.store.putStream(input.scoringInputUri, body(), 'text/csv');
  return { scoringInputUri: input.scoringInputUri, rows, featureNames };
}

export interface ScoringInputDeps extends Powertools {
  readonly store: StreamingObjectStore;
}

export function createHandler(deps: ScoringInputDeps): LambdaHandler<ScoringInputResult> {
  return wrapHandler(
    async (input: ScoringInput) => {
      const result = await prepareScoringInput(input, deps);
      deps.logger.info('scoring input written', { rows: result.rows, uri: result.scoringInputUri });
      return result;
    },
    { ...deps, schema: ScoringInputSchema, inputName: 'PrepareScoringInput input' },
  );
}

export function defaultDeps(): ScoringInputDeps {
  const tools = powertools('prepare-scoring-input');
  return { ...tools, store: new S3ObjectStore(tools.tracer.captureAWSv3Client(new S3Client({}))) };
}

export const handler = onFirstInvoke(() => createHandler(defaultDeps()));
