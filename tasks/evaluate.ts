import { S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import {
  applyThreshold,
  type BaselineResult,
  classificationMetrics,
  evaluateBaselines,
  type GateDecision,
  gateDecision,
  type Metrics,
} from '../evaluation';
import { PipelineMetrics } from '../pipeline/state-names';
import { signalSetSchema } from '../telemetry/signal-set-schema';
import { numericSignals, signalSetById } from '../telemetry/signals';
import { TaskInputError } from './errors';
import { type LambdaHandler, onFirstInvoke, type Powertools, wrapHandler } from './lambda-handler';
import type { StreamingObjectStore } from './ports/object-store';
import { S3ObjectStore } from './ports/s3-object-store';
import { firstIssue, powertools } from './powertools';
import { readLabelledColumns, readPredictionLines, readTrainingCounts } from './split-columns';
import { trainingBaselineUri, writeTrainingBaseline } from './training-baseline-writer';

/**
 * Evaluate: candidate vs threshold baselines vs the serving model on the same holdout, then the gate.
 * Splits are Parquet prefixes (or, before Parquet, one CSV object), streamed: of the holdout only the target
 * and the raw signals are kept, as typed arrays; of the train split, per-value counts of the raw signals (see
 * split-columns.ts); prediction files are read line by line.
 */

const s3Uri = z.string().regex(/^s3:\/\/[^/]+\/.+/, 'an s3://bucket/key URI');

export const EvaluateInputSchema = z.object({
  runId: z.string().min(1),
  signalSetId: z.string().min(1),
  /** A user's signal set document; absent for a built-in set (looked up by `signalSetId`). */
  signalSet: signalSetSchema.optional(),
  /** The rule in force today; absent or null: none, and the fitted single-signal thresholds are the bar. */
  staticRule: z
    .object({ signal: z.string().min(1), level: z.number().finite() })
    .nullish()
    .transform((rule) => rule ?? null),
  gate: z.object({
    margin: z.number().min(0).max(1),
    resamples: z.number().int().min(100),
    seed: z.number().int(),
  }),
  trainUri: s3Uri,
  holdoutUri: s3Uri,
  candidatePredictionsUri: s3Uri,
  servingPredictionsUri: s3Uri.nullable(),
  serving: z
    .object({ exists: z.boolean(), modelName: z.string().optional(), endpointConfigName: z.string().optional() })
    .passthrough()
    .optional(),
  evaluationPrefix: z.string().regex(/^s3:\/\/[^/]+\/.+[^/]$/, 'an s3://bucket/prefix URI without trailing slash'),
  endpointName: z.string().min(1),
});
export type EvaluateInput = z.infer<typeof EvaluateInputSchema>;

export interface CloudWatchDatum {
  MetricName: string;
  Value: number;
  Unit: 'None' | 'Count';
  Dimensions: { Name: string; Value: string }[];
}

export interface EvaluateResult {
  readonly promote: boolean;
  readonly decision: 'promote' | 'keep';
  readonly reasons: string[];
  readonly candidate: Metrics;
  readonly baselines: { name: string; description: string; metrics: Metrics }[];
  readonly bestBaseline: { name: string; f1: number };
  /** null on the first run (nothing serving). */
  readonly serving: Metrics | null;
  readonly summary: string;
  readonly evaluationUri: string;
  readonly modelQualityUri: string;
  /** The candidate's training baseline (tasks/training-baseline-writer.ts), what its model's tag points to. */
  readonly trainingBaselineUri: string;
  /** PutMetricData payload (CandidateF1, BaselineF1 and, when a model serves, ServingF1). */
  readonly metricData: CloudWatchDatum[];
  /** Model registry metadata: strings only (SageMaker's CustomerMetadataProperties). */
  readonly customerMetadata: Record<string, string>;
}

export function parseEvaluateInput(input: unknown): EvaluateInput {
  const result = EvaluateInputSchema.safeParse(input);
  if (!result.success) {
    const { field, message } = firstIssue(result.error.issues);
    throw new TaskInputError(`Invalid Evaluate input: ${message}`, field, { cause: result.error });
  }
  return result.data;
}

const f3 = (x: number): string => x.toFixed(3);

/** SageMaker model-quality statistics format (what Studio shows under the package's metrics). */
function modelQualityReport(metrics: Metrics) {
  const value = (v: number | undefined) => ({ value: v ?? null, standard_deviation: 'NaN' });
  return {
    binary_classification_metrics: {
      confusion_matrix: {
        '0': { '0': metrics.tn, '1': metrics.fp },
        '1': { '0': metrics.fn, '1': metrics.tp },
      },
      accuracy: value(metrics.accuracy),
      precision: value(metrics.precision),
      recall: value(metrics.recall),
      f1: value(metrics.f1),
      auc: value(metrics.rocAuc),
    },
  };
}

export async function evaluateRun(
  input: EvaluateInput,
  deps: { store: StreamingObjectStore },
): Promise<EvaluateResult> {
  const { store } = deps;
  const signalSet = input.signalSet ?? signalSetById(input.signalSetId);
  const rawSignals = numericSignals(signalSet).map((s) => s.name);
  // The baselines threshold raw signals only (and the static rule's): derived feature columns are not read.
  const signals = input.staticRule ? [...rawSignals, input.staticRule.signal] : rawSignals;
  // One split after the other, so the peak holds one row group, not two. The train split only fits the
  // threshold baselines, so only its per-value counts are kept.
  const holdout = await readLabelledColumns(store, input.holdoutUri, {
    field: 'holdoutUri',
    target: 'occupied',
    signals,
  });
  const train = await readTrainingCounts(store, input.trainUri, { field: 'trainUri', target: 'occupied', signals });
  const candidatePredictions = await readPredictionLines(store, input.candidatePredictionsUri, holdout.rowCount);
  const servingPredictions = input.servingPredictionsUri
    ? await readPredictionLines(store, input.servingPredictionsUri, holdout.rowCount)
    : undefined;

  const baselines: BaselineResult[] = evaluateBaselines({
    train,
    holdout,
    staticRule: input.staticRule,
    soundSignal: rawSignals.includes('sound') ? 'sound' : undefined,
    signals: rawSignals,
  });
  const candidate = classificationMetrics(
    holdout.target,
    candidatePredictions.predicted,
    candidatePredictions.probability,
  );
  const serving = servingPredictions
    ? classificationMetrics(holdout.target, servingPredictions.predicted, servingPredictions.probability)
    : null;
  // A holdout of one class and inverted scores are refused by the gate, which says why (decision.refusals).
  const decision: GateDecision = gateDecision({
    y: holdout.target,
    candidate: { name: 'candidate', ...candidatePredictions },
    baselines: baselines.map((b) => ({ name: b.name, predicted: applyThreshold(b.rule, holdout) })),
    serving: servingPredictions ? { name: 'serving', ...servingPredictions } : undefined,
    margin: input.gate.margin,
    resamples: input.gate.resamples,
    seed: input.gate.seed,
  });

  const best = baselines.reduce<BaselineResult | undefined>(
    (acc, b) => (acc === undefined || b.metrics.f1 > acc.metrics.f1 ? b : acc),
    undefined,
  );
  const bestBaseline = { name: best?.name ?? 'none', f1: best?.metrics.f1 ?? 0 };
  // An undefined F1 (no occupied holdout row) is reported as undefined, never as 0.
  const f1Text = (m: Metrics): string => (m.undefinedMetrics?.includes('f1') ? 'undefined' : f3(m.f1));
  const bestBaselineF1 = best ? f1Text(best.metrics) : f3(0);
  const summary =
    (decision.refusals.length > 0 ? `Cannot judge: ${decision.refusals.join('; ')}. ` : '') +
    `Candidate F1 ${f1Text(candidate)} vs best baseline ${bestBaseline.name} ${bestBaselineF1}` +
    (serving ? ` vs serving ${f1Text(serving)}` : ' (no model serving)') +
    ` on ${holdout.rowCount} holdout rows: ${decision.promote ? 'promote' : 'keep what serves'}.`;

  const evaluationUri = `${input.evaluationPrefix}/evaluation.json`;
  const modelQualityUri = `${input.evaluationPrefix}/model-quality.json`;
  const report = {
    runId: input.runId,
    signalSet: signalSet.id,
    rows: { train: train.rowCount, holdout: holdout.rowCount },
    candidate,
    serving,
    baselines: baselines.map((b) => ({ name: b.name, description: b.description, rule: b.rule, metrics: b.metrics })),
    gate: { margin: input.gate.margin, ...decision },
    summary,
  };
  await store.putText(evaluationUri, `${JSON.stringify(report, null, 2)}\n`, 'application/json');
  await store.putText(
    modelQualityUri,
    `${JSON.stringify(modelQualityReport(candidate), null, 2)}\n`,
    'application/json',
  );
  // The monitor's drift reference for this candidate once it serves (Autopilot's artifact carries none).
  const baselineUri = trainingBaselineUri(input.evaluationPrefix);
  await writeTrainingBaseline(store, input.trainUri, baselineUri, { target: 'occupied' });

  const dimensions = [{ Name: 'EndpointName', Value: input.endpointName }];
  const datum = (MetricName: string, Value: number): CloudWatchDatum => ({
    MetricName,
    Value,
    Unit: 'None',
    Dimensions: dimensions,
  });
  const metricData = [
    datum(PipelineMetrics.CandidateF1, candidate.f1),
    datum(PipelineMetrics.BaselineF1, bestBaseline.f1),
  ];
  if (serving) metricData.push(datum(PipelineMetrics.ServingF1, serving.f1));

  const customerMetadata: Record<string, string> = {
    runId: input.runId,
    candidateF1: f3(candidate.f1),
    bestBaseline: bestBaseline.name,
    baselineF1: f3(bestBaseline.f1),
    servingF1: serving ? f3(serving.f1) : 'none',
    holdoutRows: String(holdout.rowCount),
    decision: decision.promote ? 'promote' : 'keep',
  };

  return {
    promote: decision.promote,
    decision: decision.promote ? 'promote' : 'keep',
    reasons: decision.reasons,
    candidate,
    baselines: report.baselines.map(({ name, description, metrics }) => ({ name, description, metrics })),
    bestBaseline,
    serving,
    summary,
    evaluationUri,
    modelQualityUri,
    trainingBaselineUri: baselineUri,
    metricData,
    customerMetadata,
  };
}

// ---- Lambda wiring: deps built once per instance, injectable for tests and the local runtime ----

export interface EvaluateDeps extends Powertools {
  readonly store: StreamingObjectStore;
}

export function createHandler(deps: EvaluateDeps): LambdaHandler<EvaluateResult> {
  const { logger, metrics } = deps;
  return wrapHandler(
    async (input: EvaluateInput) => {
      logger.appendKeys({ runId: input.runId });
      const result = await evaluateRun(input, deps);
      logger.info('evaluated', { summary: result.summary, reasons: result.reasons });
      metrics.addMetric('Evaluations', 'Count', 1);
      return result;
    },
    { ...deps, schema: EvaluateInputSchema, inputName: 'Evaluate input' },
  );
}

export function defaultDeps(): EvaluateDeps {
  const tools = powertools('evaluate');
  return { ...tools, store: new S3ObjectStore(tools.tracer.captureAWSv3Client(new S3Client({}))) };
}

export const handler = onFirstInvoke(() => createHandler(defaultDeps()));
