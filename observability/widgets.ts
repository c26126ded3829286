import {
  approvalWaitDimensions,
  endpointMetricDimensions,
  inferenceMetricDimensions,
  type MetricDefinition,
  OccupancyMetrics,
  SageMakerEndpointMetrics,
  StepFunctionsMetrics,
  selectMetric,
  stateMachineMetricDimensions,
  variantMetricDimensions,
} from './metrics';

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

export { SAGEMAKER_NAMESPACE, STATES_NAMESPACE } from './metrics';

const DAY = 86_400;
const FIVE_MINUTES = 300;

/** Widgets in display order; rows of CloudWatch's grid fill left to right (24 columns). */
export function dashboardWidgets(context: DashboardContext): DashboardWidget[] {
  // Every series selects a metric of observability/metrics.ts with exactly the dimensions it is published with.
  const series = (
    metric: MetricDefinition,
    dimensions: Readonly<Record<string, string>>,
    stat: WidgetStatistic,
    periodSeconds: number,
    label: string,
    axis?: 'right',
  ): WidgetMetric => ({
    kind: 'metric',
    ...selectMetric(metric, dimensions),
    stat,
    periodSeconds,
    label,
    ...(axis ? { axis } : {}),
  });
  const own = (metric: MetricDefinition, stat: WidgetStatistic, label: string = metric.name): WidgetMetric =>
    series(metric, endpointMetricDimensions(context.endpointName), stat, DAY, label);
  const runs = (metric: MetricDefinition, label: string): WidgetMetric =>
    series(metric, stateMachineMetricDimensions(context.stateMachineArn), 'Sum', DAY, label);
  const variant = variantMetricDimensions(context.endpointName, context.variantName ?? 'AllTraffic');
  const sagemaker = (metric: MetricDefinition, stat: WidgetStatistic, label: string, axis?: 'right'): WidgetMetric =>
    series(metric, variant, stat, FIVE_MINUTES, label, axis);
  const inference = (metric: MetricDefinition): WidgetMetric =>
    series(metric, inferenceMetricDimensions(context.endpointName), 'Sum', FIVE_MINUTES, metric.name);
  return [
    {
      id: 'runs',
      title: 'Retraining runs',
      kind: 'timeseries',
      width: 8,
      series: [
        runs(StepFunctionsMetrics.ExecutionsStarted, 'started'),
        runs(StepFunctionsMetrics.ExecutionsSucceeded, 'succeeded'),
        runs(StepFunctionsMetrics.ExecutionsFailed, 'failed'),
      ],
    },
    {
      id: 'f1',
      title: 'F1 on holdout: candidate vs baseline vs serving',
      kind: 'timeseries',
      width: 8,
      series: [
        own(OccupancyMetrics.CandidateF1, 'Maximum'),
        own(OccupancyMetrics.BaselineF1, 'Maximum'),
        own(OccupancyMetrics.ServingF1, 'Maximum'),
      ],
      leftYAxis: { min: 0, max: 1 },
    },
    {
      id: 'approval-wait',
      title: 'Approvals: wait (s)',
      kind: 'timeseries',
      width: 8,
      series: [
        series(
          OccupancyMetrics.ApprovalWaitSeconds,
          approvalWaitDimensions('approved', 'link'),
          'Maximum',
          DAY,
          'approved via link',
        ),
      ],
    },
    {
      id: 'deployments',
      title: 'Promotions, deployments, rollbacks',
      kind: 'timeseries',
      width: 8,
      series: [
        own(OccupancyMetrics.Promoted, 'Sum'),
        own(OccupancyMetrics.Deployed, 'Sum'),
        own(OccupancyMetrics.RolledBack, 'Sum'),
      ],
    },
    {
      id: 'invocations',
      title: 'Endpoint invocations and 5xx',
      kind: 'timeseries',
      width: 8,
      series: [
        sagemaker(SageMakerEndpointMetrics.Invocations, 'Sum', 'invocations'),
        sagemaker(SageMakerEndpointMetrics.Invocation5XXErrors, 'Sum', '5xx errors', 'right'),
      ],
    },
    {
      id: 'latency',
      title: 'Model latency (µs)',
      kind: 'timeseries',
      width: 8,
      series: [
        sagemaker(SageMakerEndpointMetrics.ModelLatency, 'p50', 'p50'),
        sagemaker(SageMakerEndpointMetrics.ModelLatency, 'p99', 'p99'),
      ],
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
          numerator: inference(OccupancyMetrics.InferenceFallback),
          denominator: inference(OccupancyMetrics.Inferences),
          periodSeconds: FIVE_MINUTES,
        },
      ],
      leftYAxis: { min: 0, max: 1 },
    },
  ];
}

/** The CloudWatch math expression of a ratio series (its metrics are bound as `part` and `total`). */
export const RATIO_EXPRESSION = 'IF(total > 0, part / total, 0)';
