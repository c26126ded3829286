import type { Metrics } from '@aws-lambda-powertools/metrics';
import { AthenaClient } from '@aws-sdk/client-athena';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import * as z from 'zod';
import type { SqlDialectName } from '../features/dialect';
import { parseTrainingBaseline, type TrainingBaseline } from '../monitoring/baseline';
import { type MonitorPorts, type MonitorReport, runMonitor } from '../monitoring/run';
import {
  Dimensions,
  featureDriftDimensions,
  type MetricUnit,
  monitorEndpointDimensions,
  monitorMetricDimensions,
  OccupancyMetrics,
} from '../observability/metrics';
import type { PipelineConfig } from '../pipeline/config';
import {
  type LambdaHandler,
  onFirstInvoke,
  type Powertools,
  parseEnv,
  pipelineConfigFromEnv,
  wrapHandler,
} from './lambda-handler';
import { type SageMakerDescribe, servingBaselines } from './monitor-baselines';
import { AthenaEnvSchema, athenaLakeQueryOf, type LakeQuery } from './ports/lake-query';
import type { ObjectStore } from './ports/object-store';
import { S3ObjectStore } from './ports/s3-object-store';
import { powertools } from './powertools';

/**
 * The live monitor (issue 21 item 2), run on a schedule: live F1 vs the static rule's, the fallback rate and
 * per-feature drift per model/variant over the configured windows (monitoring/run.ts), published as the shared
 * metrics of the newest window, and returned with the verdicts (what would call for a retraining).
 */

const s3Uri = z.string().regex(/^s3:\/\/[^/]+\/.+/, 'an s3://bucket/key URI');

export const MonitorInputSchema = z
  .object({
    /** End of the newest window (ISO time or epoch ms). @default now, floored to the minute */
    windowEnd: z.union([z.iso.datetime({ offset: true }), z.number().int().positive()]).optional(),
    /**
     * Training baseline (a TrainingBaseline, or an artifact carrying one as `trainingBaseline`) of model versions, by
     * version, overriding what the monitor finds itself from the serving endpoint's models (tasks/monitor-baselines.ts).
     * @default none: every baseline comes from the endpoint's artifacts
     */
    baselineUris: z.record(z.string().min(1), s3Uri).optional(),
  })
  .passthrough();
export type MonitorInput = z.infer<typeof MonitorInputSchema>;

export interface MonitorDeps extends Powertools {
  readonly lake: LakeQuery;
  readonly store: ObjectStore;
  /**
   * DescribeEndpoint/EndpointConfig/Model of the serving endpoint, to find its models' baselines.
   * @default none: only `baselineUris` give baselines
   */
  readonly sagemaker?: SageMakerDescribe;
  readonly config: PipelineConfig;
  readonly dialect: SqlDialectName;
  readonly predictionsTable: string;
  readonly labelsTable: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Reads a baseline document: the summary itself or an artifact whose `trainingBaseline` field holds it. */
export async function readBaseline(store: ObjectStore, uri: string): Promise<TrainingBaseline> {
  const doc = JSON.parse(await store.getText(uri)) as unknown;
  const inner =
    typeof doc === 'object' && doc !== null && 'trainingBaseline' in doc
      ? (doc as { trainingBaseline: unknown }).trainingBaseline
      : doc;
  return parseTrainingBaseline(inner);
}

/** One metric in its own EMF document (a single metric keeps the default `service` dimension; it adds the rest). */
function emit(
  metrics: Metrics,
  def: { readonly name: string; readonly unit: MetricUnit },
  value: number,
  dims: Readonly<Record<string, string>>,
  modelVersion?: string,
) {
  const single = metrics.singleMetric();
  for (const [k, v] of Object.entries(dims)) if (k !== Dimensions.Service) single.addDimension(k, v);
  if (modelVersion !== undefined) single.addMetadata('modelVersion', modelVersion);
  single.addMetric(def.name, def.unit, value);
}

/**
 * The newest window's figures of each variant. F1s only from `minLabelledReadings` labelled answers on, the
 * fallback rate and drift only from `minReadings` answers on: what an alarm sees is what the verdicts judge
 * (fewer readings: no datapoint, the alarm's missing data).
 */
export function publishReport(metrics: Metrics, endpointName: string, report: MonitorReport, config: PipelineConfig) {
  const m = config.monitoring;
  const newestEndpoint = report.endpoint.find((w) => w.windowIndex === 0);
  if (newestEndpoint && newestEndpoint.answered >= m.minReadings) {
    emit(
      metrics,
      OccupancyMetrics.LiveFallbackRate,
      newestEndpoint.fallbackRate,
      monitorEndpointDimensions(endpointName),
    );
  }
  for (const variant of report.variants) {
    const newest = variant.windows.find((w) => w.metrics.windowIndex === 0);
    if (!newest) continue;
    const f = newest.metrics;
    const dims = monitorMetricDimensions(endpointName, variant.variant);
    const put = (def: { name: string; unit: MetricUnit }, value: number, d: Record<string, string> = dims) =>
      emit(metrics, def, value, d, variant.modelVersion);
    put(OccupancyMetrics.LiveReadings, f.answered);
    put(OccupancyMetrics.LabelledReadings, f.labelledReadings);
    if (f.labelledReadings >= m.minLabelledReadings) {
      put(OccupancyMetrics.LiveF1, f.f1);
      put(OccupancyMetrics.LivePrecision, f.precision);
      put(OccupancyMetrics.LiveRecall, f.recall);
      put(OccupancyMetrics.StaticRuleLiveF1, f.staticRuleF1);
    }
    if (f.answered >= m.minReadings) {
      for (const d of newest.drift) {
        put(OccupancyMetrics.FeatureDrift, d.psi, featureDriftDimensions(endpointName, variant.variant, d.feature));
      }
    }
  }
}

export function createHandler(deps: MonitorDeps): LambdaHandler<MonitorReport> {
  const { logger, metrics, config } = deps;
  const now = deps.now ?? Date.now;
  return wrapHandler(
    async (input: MonitorInput) => {
      const end = input.windowEnd ?? Math.floor(now() / 60_000) * 60_000;
      const windowEndMs = typeof end === 'number' ? end : Date.parse(end);
      const uris = input.baselineUris ?? {};
      // Looked up once per invocation, on the first version that needs one.
      let serving: Promise<Map<string, TrainingBaseline>> | undefined;
      const fromEndpoint = (version: string) => {
        const sagemaker = deps.sagemaker;
        if (!sagemaker) return undefined;
        serving ??= servingBaselines({ sagemaker, store: deps.store, logger }, config.endpointName);
        return serving.then((found) => found.get(version));
      };
      const ports: MonitorPorts = {
        lake: deps.lake,
        baselineOf: async (version) => {
          const uri = uris[version];
          return uri === undefined ? fromEndpoint(version) : readBaseline(deps.store, uri);
        },
      };
      const report = await runMonitor(ports, {
        dialect: deps.dialect,
        predictionsTable: deps.predictionsTable,
        labelsTable: deps.labelsTable,
        windowEndMs,
        settings: config.monitoring,
        staticRule: config.staticRule,
      });
      publishReport(metrics, config.endpointName, report, config);
      logger.info('monitored', {
        windowEndMs,
        variants: report.variants.length,
        verdicts: report.verdicts.map((v) => v.detail),
      });
      return report;
    },
    { ...deps, schema: MonitorInputSchema, inputName: 'Monitor input' },
  );
}

/** Set by the stack that deploys the monitor; AWS_REGION by Lambda itself. */
export const MonitorEnvSchema = AthenaEnvSchema.extend({
  /** The pipeline config (JSON of PipelineConfigInput): monitoring thresholds, static rule, endpoint name. */
  PIPELINE_CONFIG: z.string().min(1),
  PREDICTIONS_TABLE: z.string().min(1).default('predictions'),
  LABELS_TABLE: z.string().min(1).default('labels'),
});

export function defaultDeps(env: NodeJS.ProcessEnv = process.env): MonitorDeps {
  const e = parseEnv(MonitorEnvSchema, env);
  const config = pipelineConfigFromEnv(e.PIPELINE_CONFIG);
  const tools = powertools('monitor');
  const athena = tools.tracer.captureAWSv3Client(new AthenaClient({}));
  return {
    ...tools,
    config,
    dialect: 'athena',
    predictionsTable: e.PREDICTIONS_TABLE,
    labelsTable: e.LABELS_TABLE,
    store: new S3ObjectStore(tools.tracer.captureAWSv3Client(new S3Client({}))),
    sagemaker: tools.tracer.captureAWSv3Client(new SageMakerClient({})),
    lake: athenaLakeQueryOf(athena, e),
  };
}

export const handler = onFirstInvoke(() => createHandler(defaultDeps()));
