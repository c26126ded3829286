import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import type { SqlDialectName } from '../features/dialect';
import { type LambdaHandler, onFirstInvoke, type Powertools, parseEnv, wrapHandler } from './lambda-handler';
import { athenaLakeQueryOf, type LakeQuery } from './ports/lake-query';
import type { StreamingObjectStore } from './ports/object-store';
import { S3ObjectStore } from './ports/s3-object-store';
import { powertools } from './powertools';
import { captureHourPrefixes, parseCaptureFile } from './shadow-compare-capture';
import {
  compareShadow,
  type ServedReading,
  type ShadowComparison,
  shadowAnswersByRow,
} from './shadow-compare-decision';
import { buildShadowReadingsQuery } from './shadow-compare-query';

/**
 * ShadowCompare (issue 21 item 4): after the bake, the candidate (shadow variant, answers from data capture) vs the
 * serving model (answers and labels from the lake) on the same labelled readings of the bake period
 * (./shadow-compare-decision.ts). Returns the comparison; the state machine continues to the canary or ends
 * `shadow-rejected`.
 */

const s3Uri = z.string().regex(/^s3:\/\/[^/]+\/.*/, 'an s3://bucket/prefix URI');
const time = z.union([z.iso.datetime({ offset: true }), z.number().int().positive()]);

export const ShadowCompareInputSchema = z
  .object({
    runId: z.string().min(1),
    endpointName: z.string().min(1),
    servingVariant: z.string().min(1),
    shadowVariant: z.string().min(1),
    /** The endpoint config's DataCaptureConfig.DestinationS3Uri. */
    captureUri: s3Uri,
    /**
     * No answer of the bake is older (the execution's start): the bake starts at the shadow's first captured answer,
     * since capture is on only while the shadow config serves.
     */
    startedAt: time,
    /** @default now: the comparison runs when the bake ends */
    endedAt: time.optional(),
    /** Served feature names in the request's column order. */
    features: z.array(z.string().min(1)).min(1),
    settings: z
      .object({
        maxF1Loss: z.number().min(0).lt(1),
        minPairedReadings: z.number().int().min(1),
        resamples: z.number().int().min(100),
        seed: z.number().int(),
      })
      .strict(),
  })
  .strict();
export type ShadowCompareInput = z.infer<typeof ShadowCompareInputSchema>;

export interface ShadowCompareDeps extends Powertools {
  readonly lake: LakeQuery;
  readonly store: Pick<StreamingObjectStore, 'getText' | 'listObjects'>;
  readonly dialect: SqlDialectName;
  readonly predictionsTable: string;
  readonly labelsTable: string;
  /** @default Date.now */
  readonly now?: () => number;
}

const ms = (t: string | number): number => (typeof t === 'number' ? t : Date.parse(t));

const cell = (row: Record<string, string | null>, column: string): number | null => {
  const v = row[column];
  return v === null || v === undefined || v.trim() === '' ? null : Number(v);
};

export function createHandler(deps: ShadowCompareDeps): LambdaHandler<ShadowComparison> {
  return wrapHandler(
    async (input: ShadowCompareInput) => {
      const notBefore = ms(input.startedAt);
      const endMs = input.endedAt === undefined ? (deps.now ?? Date.now)() : ms(input.endedAt);
      // Capture files of the shadow variant, hour folders from `notBefore` on (one more hour: delivery lags).
      const captured = [];
      for (const prefix of captureHourPrefixes(
        input.captureUri,
        input.endpointName,
        input.shadowVariant,
        notBefore,
        endMs + 3_600_000,
      )) {
        for (const object of await deps.store.listObjects(prefix)) {
          if (!object.uri.endsWith('.jsonl')) continue;
          const inferences = parseCaptureFile(await deps.store.getText(object.uri), object.uri);
          captured.push(...inferences.filter((c) => c.inferenceTimeMs >= notBefore - 1000));
        }
      }
      // The bake's answers only (capture times are whole seconds: a second of slack).
      const first = captured.reduce((m, c) => Math.min(m, c.inferenceTimeMs), Number.POSITIVE_INFINITY);
      const startMs = Number.isFinite(first) ? Math.max(notBefore, first - 1000) : notBefore;
      const rows = await deps.lake.select(
        buildShadowReadingsQuery({
          dialect: deps.dialect,
          predictionsTable: deps.predictionsTable,
          labelsTable: deps.labelsTable,
          startMs,
          endMs: Math.max(endMs, startMs + 1),
          variant: input.servingVariant,
          features: input.features,
        }),
      );
      const readings: ServedReading[] = rows.map((r) => ({
        vector: input.features.map((f) => cell(r, `f_${f}`)),
        label: cell(r, 'label') === 1 ? 1 : 0,
        servingDecision: cell(r, 'decision') === 1 ? 1 : 0,
      }));
      const comparison = compareShadow(readings, shadowAnswersByRow(captured), input.settings);
      deps.logger.info('shadow compared', {
        runId: input.runId,
        bakeStart: new Date(startMs).toISOString(),
        readings: readings.length,
        captured: captured.length,
        passed: comparison.passed,
        summary: comparison.summary,
      });
      return comparison;
    },
    { ...deps, schema: ShadowCompareInputSchema, inputName: 'ShadowCompare input' },
  );
}

/** Set by infra/stacks/pipeline-stack.ts; AWS_REGION by Lambda itself. */
export const ShadowCompareEnvSchema = z.object({
  ATHENA_DATABASE: z.string().min(1),
  ATHENA_WORKGROUP: z.string().min(1),
  /** @default the workgroup's result location */
  ATHENA_OUTPUT_LOCATION: s3Uri.optional(),
  PREDICTIONS_TABLE: z.string().min(1).default('predictions'),
  LABELS_TABLE: z.string().min(1).default('labels'),
});

export function defaultDeps(env: NodeJS.ProcessEnv = process.env): ShadowCompareDeps {
  const e = parseEnv(ShadowCompareEnvSchema, env);
  const tools = powertools('shadow-compare');
  return {
    ...tools,
    dialect: 'athena',
    predictionsTable: e.PREDICTIONS_TABLE,
    labelsTable: e.LABELS_TABLE,
    store: new S3ObjectStore(tools.tracer.captureAWSv3Client(new S3Client({}))),
    lake: athenaLakeQueryOf(tools.tracer.captureAWSv3Client(new AthenaClient({})), e),
  };
}

export const handler = onFirstInvoke(() => createHandler(defaultDeps()));
