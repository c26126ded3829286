import { HEALTH_KINDS } from '../health/types';
import {
  approvalWaitDimensions,
  endpointMetricDimensions,
  featureDriftDimensions,
  inferenceMetricDimensions,
  type MetricDefinition,
  monitorEndpointDimensions,
  monitorMetricDimensions,
  OccupancyMetrics,
  SageMakerEndpointMetrics,
  StepFunctionsMetrics,
  selectMetric,
  stateMachineMetricDimensions,
  unhealthyDevicesDimensions,
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

/**
 * `timeseries`: a graph of its series. `device-table`: the unhealthy devices now, one row per device and kind
 * (its `table`; no series): CloudWatch draws it as a Logs Insights table of the check's 'Unhealthy device' log
 * lines, the console from the newest report (health/latest.json).
 */
export type WidgetKind = 'timeseries' | 'device-table';

/** Columns of a device table: fields of health/types.ts UnhealthyDevice, as the check logs them. */
export const DEVICE_TABLE_COLUMNS = ['thingName', 'kind', 'since', 'lastGoodReading', 'detail'] as const;
export type DeviceTableColumn = (typeof DEVICE_TABLE_COLUMNS)[number];

export interface DeviceTable {
  /** The message of the check's log line per unhealthy device (tasks/sensor-health.ts). */
  readonly message: 'Unhealthy device';
  readonly columns: readonly DeviceTableColumn[];
}

export interface DashboardWidget {
  /** Stable identifier (the console's element ids and tests use it). */
  readonly id: string;
  readonly title: string;
  readonly kind: WidgetKind;
  /** Width on CloudWatch's 24-column grid. */
  readonly width: number;
  /** A `device-table` has none. */
  readonly series: readonly WidgetSeries[];
  readonly leftYAxis?: { readonly min?: number; readonly max?: number };
  /** Only on a `device-table`. */
  readonly table?: DeviceTable;
}

export interface DashboardContext {
  readonly endpointName: string;
  /** The retraining state machine's ARN (a CDK token on AWS). */
  readonly stateMachineArn: string;
  /** Variant whose SageMaker metrics are shown. @default 'AllTraffic' */
  readonly variantName?: string;
  /**
   * What the live monitor's widgets draw (its metrics are per variant and per feature, and a dashboard selects
   * fixed dimension values). The console passes what its metric store holds.
   * @default variants [variantName], no features: the drift widget is left out (a graph needs a metric)
   */
  readonly monitor?: MonitorWidgetContext;
  /** Minutes between sensor health checks: the period of UnhealthyDevices. @default 15 (sensorHealth.everyMinutes) */
  readonly sensorHealthEveryMinutes?: number;
}

export interface MonitorWidgetContext {
  /** Variants whose live F1, static rule F1 and readings are drawn. @default [variantName] */
  readonly variants?: readonly string[];
  /** Features whose drift (PSI) is drawn, per variant; given (even empty), the drift widget is kept. */
  readonly features?: readonly { readonly variant: string; readonly feature: string }[];
}

export { SAGEMAKER_NAMESPACE, STATES_NAMESPACE } from './metrics';

const DAY = 86_400;
const FIVE_MINUTES = 300;
/** The monitor runs hourly by default (pipeline.monitoring.schedule): one datapoint per run. */
const HOUR = 3_600;

/** Ids of the live monitor's widgets (the console explains their empty states). */
export const LIVE_WIDGET_IDS = {
  f1: 'live-f1',
  readings: 'live-readings',
  drift: 'drift',
  fallback: 'live-fallback',
} as const;

/** Ids of the sensor health widgets (issue 22): devices unhealthy per kind, and the devices themselves. */
export const SENSOR_WIDGET_IDS = { unhealthy: 'unhealthy-devices', devices: 'unhealthy-device-list' } as const;

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
  const variants = context.monitor?.variants ?? [context.variantName ?? 'AllTraffic'];
  const many = variants.length > 1;
  const live = (metric: MetricDefinition, variant: string, label: string, stat: WidgetStatistic = 'Average') =>
    series(
      metric,
      monitorMetricDimensions(context.endpointName, variant),
      stat,
      HOUR,
      many ? `${label} · ${variant}` : label,
    );
  const drifts = context.monitor?.features;
  const driftVariants = new Set(drifts?.map((d) => d.variant));
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
    {
      id: LIVE_WIDGET_IDS.f1,
      title: 'Live F1 vs the static rule (same labelled readings)',
      kind: 'timeseries',
      width: 12,
      series: variants.flatMap((v) => [
        live(OccupancyMetrics.LiveF1, v, 'live F1'),
        live(OccupancyMetrics.StaticRuleLiveF1, v, 'static rule'),
      ]),
      leftYAxis: { min: 0, max: 1 },
    },
    {
      id: LIVE_WIDGET_IDS.readings,
      title: 'Monitor window: answers and labelled answers',
      kind: 'timeseries',
      width: 12,
      // Each datapoint is one window's count (windows overlap between runs): the largest, never summed.
      series: variants.flatMap((v) => [
        live(OccupancyMetrics.LiveReadings, v, 'answers', 'Maximum'),
        live(OccupancyMetrics.LabelledReadings, v, 'labelled', 'Maximum'),
      ]),
    },
    ...(drifts
      ? [
          {
            id: LIVE_WIDGET_IDS.drift,
            title: 'Drift per feature (PSI; ≥ 0.25 shifted)',
            kind: 'timeseries' as const,
            width: 12,
            series: drifts.map((d) =>
              series(
                OccupancyMetrics.FeatureDrift,
                featureDriftDimensions(context.endpointName, d.variant, d.feature),
                'Maximum',
                HOUR,
                driftVariants.size > 1 ? `${d.feature} · ${d.variant}` : d.feature,
              ),
            ),
          },
        ]
      : []),
    {
      id: LIVE_WIDGET_IDS.fallback,
      title: 'Live fallback rate (monitor window)',
      kind: 'timeseries',
      width: 12,
      series: [
        series(
          OccupancyMetrics.LiveFallbackRate,
          monitorEndpointDimensions(context.endpointName),
          'Average',
          HOUR,
          'fallback rate',
        ),
      ],
      leftYAxis: { min: 0, max: 1 },
    },
    {
      id: SENSOR_WIDGET_IDS.unhealthy,
      title: 'Unhealthy devices by kind',
      kind: 'timeseries',
      width: 12,
      // One datapoint per check, the count of that check: the largest, never summed.
      series: HEALTH_KINDS.map((kind) =>
        series(
          OccupancyMetrics.UnhealthyDevices,
          unhealthyDevicesDimensions(kind),
          'Maximum',
          (context.sensorHealthEveryMinutes ?? 15) * 60,
          kind,
        ),
      ),
      leftYAxis: { min: 0 },
    },
    {
      id: SENSOR_WIDGET_IDS.devices,
      title: 'Unhealthy devices now',
      kind: 'device-table',
      width: 12,
      series: [],
      table: { message: 'Unhealthy device', columns: DEVICE_TABLE_COLUMNS },
    },
  ];
}

/** The CloudWatch math expression of a ratio series (its metrics are bound as `part` and `total`). */
export const RATIO_EXPRESSION = 'IF(total > 0, part / total, 0)';
