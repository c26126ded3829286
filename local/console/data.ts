import type { DescribeEndpointCommandOutput } from '@aws-sdk/client-sagemaker';
import { applyThreshold, type GateComparison, type ThresholdModel } from '../../evaluation';
import type { SensorHealthReport } from '../../health/types';
import { METRICS_NAMESPACE } from '../../observability/metrics';
import { dashboardWidgets } from '../../observability/widgets';
import { type MonitoringConfig, MonitoringSchema } from '../../pipeline/config';
import type { ApprovalRecord } from '../../tasks/ports/approval-store';
import type { StreamingObjectStore } from '../../tasks/ports/object-store';
import { readLabelledColumns, readPredictionLines } from '../../tasks/split-columns';
import type { EndpointEvent, LocalHosting } from '../hosting';
import type { MetricStore } from '../metrics';
import type { ExecutionRecord, ExecutionStore } from '../runtime/executions';
import { type ClosedApproval, closedApproval } from './approval';
import {
  type DashboardWindow,
  evaluateDashboard,
  executionMetricPoints,
  isExecutionMetric,
  type WidgetData,
} from './dashboard';
import { buildEvaluationView, type EvaluationView, type ScoredModel } from './evaluation-view';
import { type StateGraph, stateGraph, summariseStates } from './graph';
import { liveEmptyStates, monitorContextOf, mostDriftingFirst } from './live-dashboard';
import { cooldownOf, type RunTrigger, runTriggerOf } from './live-trigger';
import {
  type AutoMLSource,
  autoMLJobNameOf,
  type DeploymentPlan,
  deploymentPlanOf,
  foldLoops,
  type Leaderboard,
  leaderboardOf,
  type PhaseRow,
} from './run-extras';
import { type ShadowProgress, type ShadowView, shadowProgressOf, shadowViewOf } from './shadow-view';

/** The console's JSON views, read from the local stores. The same views feed the static report. */

export interface RunListItem {
  readonly name: string;
  readonly status: string;
  /** `$.outcome` of a succeeded run, `failed` otherwise, `running` / `awaiting-approval` while it runs. */
  readonly outcome: string;
  readonly startDate: number;
  readonly stopDate: number | null;
  readonly durationSeconds: number;
  readonly currentState: string | null;
  readonly candidateF1: number | null;
  /** Why the run started (schedule, manual, or the monitor's alarm and reason), from its input. */
  readonly trigger?: RunTrigger;
}

export interface StateRow {
  readonly name: string;
  readonly type: string;
  readonly status: string;
  readonly enteredAt: number;
  readonly exitedAt: number | null;
  readonly durationMs: number;
  readonly input: unknown;
  readonly output: unknown;
  readonly error: string | null;
}

export interface ApprovalView {
  readonly status: string;
  readonly decidedBy: string | null;
  readonly createdAt: number;
  /** What happened, once the request can no longer be decided (decided, withdrawn, expired, run over). */
  readonly closed: ClosedApproval | null;
}

export interface RunView {
  readonly run: RunListItem & { readonly error: string | null; readonly cause: string | null };
  readonly graph: StateGraph;
  /** Per state name: latest status, visits and total time. */
  readonly stateSummary: Record<string, { status: string; visits: number; totalMs: number }>;
  readonly states: StateRow[];
  /** The states table: polling loops folded into one row per phase. */
  readonly phases: PhaseRow[];
  readonly approval: ApprovalView | null;
  /** The run's AutoML job, every candidate; null before the job started or when its work folder is gone. */
  readonly leaderboard: Leaderboard | null;
  /** What approving deploys (canary, bake time, rollback alarms), from the definition. */
  readonly deployment: DeploymentPlan | null;
  readonly evaluation: EvaluationView | null;
  readonly evaluationError: string | null;
  /** The shadow comparison (candidate vs serving on the bake's labelled readings), once it ran. */
  readonly shadow?: ShadowView | null;
  /** A running run's shadow phase before its comparison (starting, baking, comparing). */
  readonly shadowProgress?: ShadowProgress | null;
  /** A run the retraining cooldown stopped: what it counted from, when the next may start. */
  readonly cooldown?: string | null;
}

export interface RunSources {
  readonly executions: ExecutionStore;
  readonly store: StreamingObjectStore;
  readonly approvals: { get(runId: string): Promise<ApprovalRecord | undefined> };
  readonly definition: unknown;
  /** The local AutoML jobs (the leaderboard); absent where only the run record is known. */
  readonly automl?: AutoMLSource;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function runListItem(record: ExecutionRecord, now = Date.now()): RunListItem {
  const current = record.status === 'RUNNING' ? (record.states.at(-1)?.name ?? null) : null;
  const output = isRecord(record.output) ? record.output : {};
  const outcome =
    record.status === 'SUCCEEDED'
      ? typeof output.outcome === 'string'
        ? output.outcome
        : 'succeeded'
      : record.status === 'RUNNING'
        ? current === 'AwaitApproval'
          ? 'awaiting-approval'
          : 'running'
        : 'failed';
  const evaluation = evaluationResultOf(record);
  const candidate = evaluation && isRecord(evaluation.candidate) ? evaluation.candidate.f1 : null;
  return {
    name: record.name,
    status: record.status,
    outcome,
    startDate: record.startDate,
    stopDate: record.stopDate ?? null,
    durationSeconds: Math.round(((record.stopDate ?? now) - record.startDate) / 100) / 10,
    currentState: current,
    candidateF1: typeof candidate === 'number' ? candidate : null,
    trigger: runTriggerOf(record.input, record.output),
  };
}

export function listRuns(records: readonly ExecutionRecord[], now = Date.now()): RunListItem[] {
  return records.map((r) => runListItem(r, now));
}

/** The Evaluate task's result (`$.evaluation` after the Evaluate state), if the run got that far. */
function evaluateStateOutput(record: ExecutionRecord): Record<string, unknown> | undefined {
  const state = [...record.states].reverse().find((s) => s.name === 'Evaluate' && s.status === 'succeeded');
  return state && isRecord(state.output) ? state.output : undefined;
}

function evaluationResultOf(record: ExecutionRecord): Record<string, unknown> | undefined {
  const output = evaluateStateOutput(record);
  return output && isRecord(output.evaluation) ? output.evaluation : undefined;
}

export class EvaluationUnavailableError extends Error {
  override readonly name = 'EvaluationUnavailableError';
  constructor(
    message: string,
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const stringAt = (object: unknown, key: string, field: string): string => {
  const value = isRecord(object) ? object[key] : undefined;
  if (typeof value !== 'string') throw new EvaluationUnavailableError(`${field} is missing`, field);
  return value;
};

/**
 * Recomputes the evaluation's charts from the holdout and prediction files the run wrote, read as Evaluate reads
 * them (the holdout's Parquet parts streamed, only the target and the baselines' signals kept).
 */
export async function loadEvaluationView(
  record: ExecutionRecord,
  store: StreamingObjectStore,
): Promise<EvaluationView | undefined> {
  const output = evaluateStateOutput(record);
  if (!output) return undefined;
  const result = output.evaluation;
  const holdoutUri = stringAt(output.run, 'holdoutUri', '$.run.holdoutUri');
  const candidateUri = stringAt(output.scoring, 'candidatePredictionsUri', '$.scoring.candidatePredictionsUri');
  const servingUri = isRecord(output.scoring) ? output.scoring.servingPredictionsUri : undefined;
  const evaluationUri = stringAt(result, 'evaluationUri', '$.evaluation.evaluationUri');
  const report = JSON.parse(await store.getText(evaluationUri)) as {
    summary?: string;
    baselines?: { name: string; description: string; rule: ThresholdModel | null }[];
    gate?: { promote?: boolean; reasons?: string[]; comparisons?: GateComparison[] };
  };
  const signals = (report.baselines ?? []).flatMap((b) => (b.rule ? [b.rule.signal] : []));
  const holdout = await readLabelledColumns(store, holdoutUri, { field: 'holdoutUri', target: 'occupied', signals });
  const candidate = await readPredictionLines(store, candidateUri, holdout.rowCount);
  const models: ScoredModel[] = [
    {
      name: 'candidate',
      role: 'candidate',
      description: 'The AutoML candidate of this run',
      predicted: candidate.predicted,
      probability: candidate.probability,
    },
  ];
  if (typeof servingUri === 'string') {
    const serving = await readPredictionLines(store, servingUri, holdout.rowCount);
    models.push({
      name: 'serving',
      role: 'serving',
      description: 'The model serving when the run started',
      predicted: serving.predicted,
      probability: serving.probability,
    });
  }
  for (const baseline of report.baselines ?? []) {
    if (!baseline.rule) continue;
    models.push({
      name: baseline.name,
      role: 'baseline',
      description: baseline.description,
      predicted: applyThreshold(baseline.rule, holdout),
    });
  }
  return buildEvaluationView({
    runId: record.name,
    y: holdout.target,
    models,
    decision: report.gate?.promote ? 'promote' : 'keep',
    summary: report.summary ?? '',
    reasons: report.gate?.reasons ?? [],
    comparisons: report.gate?.comparisons ?? [],
  });
}

/** Builds run views, caching evaluations (a run's evaluation never changes once written). */
export class RunViews {
  private readonly evaluations = new Map<string, Promise<EvaluationView | undefined>>();

  constructor(private readonly sources: RunSources) {}

  async get(name: string, now = Date.now()): Promise<RunView | undefined> {
    let record: ExecutionRecord | undefined;
    try {
      record = this.sources.executions.get(name);
    } catch {
      return undefined;
    }
    if (!record) return undefined;
    const states: StateRow[] = record.states.map((s) => ({
      name: s.name,
      type: s.type,
      status: s.status,
      enteredAt: s.enteredAt,
      exitedAt: s.exitedAt ?? null,
      durationMs: Math.max(0, (s.exitedAt ?? now) - s.enteredAt),
      input: s.input ?? null,
      output: s.output ?? null,
      error: s.error ?? null,
    }));
    const approvalRecord = await this.sources.approvals.get(name).catch(() => undefined);
    let evaluation: EvaluationView | null = null;
    let evaluationError: string | null = null;
    if (evaluateStateOutput(record)) {
      const key = record.name;
      const current = record;
      if (!this.evaluations.has(key)) this.evaluations.set(key, loadEvaluationView(current, this.sources.store));
      try {
        evaluation = (await this.evaluations.get(key)) ?? null;
      } catch (error) {
        evaluationError = error instanceof Error ? error.message : String(error);
      }
    }
    const jobName = autoMLJobNameOf(record.states);
    let leaderboard: Leaderboard | null = null;
    if (jobName && this.sources.automl) {
      try {
        leaderboard = leaderboardOf(jobName, this.sources.automl);
      } catch {
        leaderboard = null; // a job folder removed by hand: the run page still shows the rest
      }
    }
    const item = runListItem(record, now);
    return {
      run: { ...item, error: record.error ?? null, cause: record.cause ?? null },
      graph: stateGraph(this.sources.definition as { StartAt?: unknown; States?: unknown }),
      stateSummary: Object.fromEntries(summariseStates(record.states, now)),
      states,
      phases: foldLoops(states, now),
      leaderboard,
      deployment: deploymentPlanOf(this.sources.definition),
      approval: approvalRecord
        ? {
            status: approvalRecord.status,
            decidedBy: (approvalRecord as ApprovalRecord & { decidedBy?: string }).decidedBy ?? null,
            createdAt: approvalRecord.createdAt,
            closed: closedApproval(approvalRecord, now, record.status) ?? null,
          }
        : null,
      evaluation,
      evaluationError,
      shadow: shadowViewOf(record.states, item.outcome, this.sources.definition),
      shadowProgress: shadowProgressOf(record.states, record.status),
      cooldown: cooldownOf(record.output),
    };
  }
}

export interface EndpointView {
  readonly name: string;
  readonly description: Record<string, unknown>;
  readonly events: readonly EndpointEvent[];
}

export function endpointsView(hosting: LocalHosting): EndpointView[] {
  return hosting.listEndpoints().map(({ EndpointName }) => {
    const description: DescribeEndpointCommandOutput = hosting.describeEndpoint({ EndpointName });
    const { $metadata: _metadata, ...rest } = description;
    return {
      name: EndpointName,
      description: JSON.parse(JSON.stringify(rest)) as Record<string, unknown>,
      events: hosting.listEndpointEvents(EndpointName),
    };
  });
}

export function dashboardView(
  metrics: MetricStore,
  executions: ExecutionStore,
  context: {
    endpointName: string;
    stateMachineArn: string;
    /** The monitor's thresholds, quoted by empty live widgets. @default pipeline.monitoring's defaults */
    monitoring?: MonitoringConfig;
    /** The newest sensor health report (the device table's rows). @default none */
    healthReport?: () => SensorHealthReport | undefined;
    /** Minutes between sensor health checks (UnhealthyDevices' period). @default the widgets' (15) */
    sensorHealthEveryMinutes?: number;
  },
  window: DashboardWindow,
): WidgetData[] {
  const records = executions.list();
  // The variants and features the monitor published, as a CloudWatch SEARCH would find them.
  const monitor = monitorContextOf(metrics.listMetrics({ Namespace: METRICS_NAMESPACE }).Metrics, context.endpointName);
  const data = evaluateDashboard(
    dashboardWidgets({
      endpointName: context.endpointName,
      stateMachineArn: context.stateMachineArn,
      monitor,
      ...(context.sensorHealthEveryMinutes === undefined
        ? {}
        : { sensorHealthEveryMinutes: context.sensorHealthEveryMinutes }),
    }),
    {
      datapoints(metric, statistic, start, end, periodSeconds) {
        if (isExecutionMetric(metric)) {
          return executionMetricPoints(metric.name, records, start, end, periodSeconds);
        }
        const { Datapoints } = metrics.getMetricStatistics({
          Namespace: metric.namespace,
          MetricName: metric.name,
          Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
          StartTime: new Date(start),
          EndTime: new Date(end),
          Period: periodSeconds,
          Statistics: [statistic],
        });
        return Datapoints.map((d) => ({ t: d.Timestamp?.getTime() ?? 0, v: d[statistic] ?? 0 })).filter((p) =>
          Number.isFinite(p.v),
        );
      },
    },
    window,
    context.healthReport,
  );
  const monitoring = context.monitoring ?? MonitoringSchema.parse({});
  const empty = liveEmptyStates(data, { ...monitoring, schedule: monitoring.schedule.expression });
  return mostDriftingFirst(data).map((w) => (empty[w.id] ? { ...w, empty: empty[w.id] } : w));
}
