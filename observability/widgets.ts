import { inferenceMetricDimensions, METRICS_NAMESPACE, PipelineMetrics } from '../pipeline/state-names';

/**
 * The `occupancy` dashboard as pure data: the CloudWatch dashboard (infra/stacks/observability-stack.ts) and the
 * local console's dashboard page both draw these widgets, so the two cannot drift apart.
 */

export type WidgetStatistic = 'Sum' | 'Maximum' | 'Minimum' | 'Average' | 'SampleCount' | 'p50' | 'p99';

export interface WidgetMetric {
  readonly kind: 'metric';
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: WidgetStatistic;
  readonly periodSeconds: number;
  readonly label: string;
  readonly axis?: 'left' | 'right';
}

/** `IF(total > 0, part / total, 0)`: a rate from two counters of the same period. */
export interface WidgetRatio {
  readonly kind: 'ratio';
  readonly label: string;
  readonly numerator: WidgetMetric;
  readonly denominator: WidgetMetric;
  readonly periodSeconds: number;
  readonly axis?: 'left' | 'right';
}

export type WidgetSeries = WidgetMetric | WidgetRatio;

export interface DashboardWidget {
  /** Stable identifier (the console's element ids and tests use it). */
  readonly id: string;
  readonly title: string;
  readonly kind: 'timeseries';
  /** Width on CloudWatch's 24-column grid. */
  readonly width: number;
  readonly series: readonly WidgetSeries[];
  readonly leftYAxis?: { readonly min?: number; readonly max?: number };
}

export interface DashboardContext {
  readonly endpointName: string;
  /** The retraining state machine's ARN (a CDK token on AWS). */
  readonly stateMachineArn: string;
  /** Variant whose SageMaker metrics are shown. @default 'AllTraffic' */
  readonly variantName?: string;
}

/** Namespace of Step Functions' own execution metrics. */
export const STATES_NAMESPACE = 'AWS/States';
export const SAGEMAKER_NAMESPACE = 'AWS/SageMaker';

const DAY = 86_400;
const FIVE_MINUTES = 300;

/** Widgets in display order; rows of CloudWatch's grid fill left to right (24 columns). */
export function dashboardWidgets(context: DashboardContext): DashboardWidget[] {
  const endpoint = { EndpointName: context.endpointName };
  const own = (name: string, stat: WidgetStatistic, label: string = name): WidgetMetric => ({
    kind: 'metric',
    namespace: METRICS_NAMESPACE,
    name,
    dimensions: endpoint,
    stat,
    periodSeconds: DAY,
    label,
  });
  const runs = (name: string, label: string): WidgetMetric => ({
    kind: 'metric',
    namespace: STATES_NAMESPACE,
    name,
    dimensions: { StateMachineArn: context.stateMachineArn },
    stat: 'Sum',
    periodSeconds: DAY,
    label,
  });
  const sagemaker = (name: string, stat: WidgetStatistic, label: string, axis?: 'right'): WidgetMetric => ({
    kind: 'metric',
    namespace: SAGEMAKER_NAMESPACE,
    name,
    dimensions: { EndpointName: context.endpointName, VariantName: context.variantName ?? 'AllTraffic' },
    stat,
    periodSeconds: FIVE_MINUTES,
    label,
    ...(axis ? { axis } : {}),
  });
  const inference = (name: string): WidgetMetric => ({
    kind: 'metric',
    namespace: METRICS_NAMESPACE,
    name,
    dimensions: inferenceMetricDimensions(context.endpointName),
    stat: 'Sum',
    periodSeconds: FIVE_MINUTES,
    label: name,
  });
  return [
    {
      id: 'runs',
      title: 'Retraining runs',
      kind: 'timeseries',
      width: 8,
      series: [
        runs('ExecutionsStarted', 'started'),
        runs('ExecutionsSucceeded', 'succeeded'),
        runs('ExecutionsFailed', 'failed'),
      ],
    },
    {
      id: 'f1',
      title: 'F1 on holdout: candidate vs baseline vs serving',
      kind: 'timeseries',
      width: 8,
      series: [
        own(PipelineMetrics.CandidateF1, 'Maximum'),
        own(PipelineMetrics.BaselineF1, 'Maximum'),
        own(PipelineMetrics.ServingF1, 'Maximum'),
      ],
      leftYAxis: { min: 0, max: 1 },
    },
    {
      id: 'approval-wait',
      title: 'Approvals: wait (s)',
      kind: 'timeseries',
      width: 8,
      series: [
        {
          kind: 'metric',
          namespace: METRICS_NAMESPACE,
          name: PipelineMetrics.ApprovalWaitSeconds,
          dimensions: { service: 'approval-callback', Decision: 'approved', Via: 'link' },
          stat: 'Maximum',
          periodSeconds: DAY,
          label: 'approved via link',
        },
      ],
    },
    {
      id: 'deployments',
      title: 'Promotions, deployments, rollbacks',
      kind: 'timeseries',
      width: 8,
      series: [
        own(PipelineMetrics.Promoted, 'Sum'),
        own(PipelineMetrics.Deployed, 'Sum'),
        own(PipelineMetrics.RolledBack, 'Sum'),
      ],
    },
    {
      id: 'invocations',
      title: 'Endpoint invocations and 5xx',
      kind: 'timeseries',
      width: 8,
      series: [
        sagemaker('Invocations', 'Sum', 'invocations'),
        sagemaker('Invocation5XXErrors', 'Sum', '5xx errors', 'right'),
      ],
    },
    {
      id: 'latency',
      title: 'Model latency (µs)',
      kind: 'timeseries',
      width: 8,
      series: [sagemaker('ModelLatency', 'p50', 'p50'), sagemaker('ModelLatency', 'p99', 'p99')],
    },
    {
      id: 'fallback',
      title: 'Inference fallback rate',
      kind: 'timeseries',
      width: 12,
      series: [
        {
          kind: 'ratio',
          label: 'fallback rate',
          numerator: inference(PipelineMetrics.InferenceFallback),
          denominator: inference(PipelineMetrics.Inferences),
          periodSeconds: FIVE_MINUTES,
        },
      ],
      leftYAxis: { min: 0, max: 1 },
    },
  ];
}

/** The CloudWatch math expression of a ratio series (its metrics are bound as `part` and `total`). */
export const RATIO_EXPRESSION = 'IF(total > 0, part / total, 0)';
