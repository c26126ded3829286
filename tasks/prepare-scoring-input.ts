import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { csvField, parseCsv } from '../telemetry/csv';
import { ArtifactError } from './errors';
import { type LambdaHandler, onFirstInvoke, type Powertools, wrapHandler } from './lambda-handler';
import type { ObjectStore } from './ports/object-store';
import { S3ObjectStore } from './ports/s3-object-store';
import { powertools } from './powertools';

/**
 * PrepareScoringInput: the holdout as a batch transform scores it — no header, no target column, rows
 * in the same order, so the transform's `.out` lines align with the holdout labels row for row.
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

export async function prepareScoringInput(
  input: ScoringInput,
  deps: { store: ObjectStore },
): Promise<ScoringInputResult> {
  const { header, rows } = parseCsv(await deps.store.getText(input.holdoutUri));
  const targetIndex = header.indexOf(input.target);
  if (targetIndex < 0) {
    throw new ArtifactError(`${input.holdoutUri} has no "${input.target}" column`, input.holdoutUri);
  }
  if (rows.length === 0) throw new ArtifactError(`${input.holdoutUri} has no rows`, input.holdoutUri);
  const keep = header.map((_, i) => i).filter((i) => i !== targetIndex);
  const body = rows.map((row) => `${keep.map((i) => csvField(row[i] ?? '')).join(',')}\n`).join('');
  await deps.store.putText(input.scoringInputUri, body, 'text/csv');
  return {
    scoringInputUri: input.scoringInputUri,
    rows: rows.length,
    featureNames: keep.map((i) => header[i] ?? ''),
  };
}

export interface ScoringInputDeps extends Powertools {
  readonly store: ObjectStore;
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
