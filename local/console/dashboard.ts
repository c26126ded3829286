import type { SensorHealthReport, UnhealthyDevice } from '../../health/types';
import { StepFunctionsMetrics } from '../../observability/metrics';
import type {
  DashboardWidget,
  DeviceTableColumn,
  WidgetMetric,
  WidgetSeries,
  WidgetStatistic,
} from '../../observability/widgets';
import { STATES_NAMESPACE } from '../../observability/widgets';

/**
 * The shared dashboard widgets evaluated against local data: the local metric store, and the execution
 * store standing in for Step Functions' own AWS/States metrics. Pure: data comes in through {@link MetricSource}.
 */

export interface Point {
  readonly t: number;
  readonly v: number;
}

export interface SeriesData {
  readonly label: string;
  readonly axis: 'left' | 'right';
  /** Counts (sums of events) draw as bars, levels and rates as lines. */
  readonly draw: 'line' | 'bars';
  readonly points: Point[];
  /** Value of the newest point, null without data. */
  readonly latest: number | null;
  /** How the local value differs from CloudWatch's, when it does. */
  readonly note?: string;
}

export interface WidgetData {
  readonly id: string;
  readonly title: string;
  readonly leftYAxis?: { readonly min?: number; readonly max?: number };
  readonly series: SeriesData[];
  /** What an empty widget lacks, in words (the live monitor's widgets); absent: the generic "no data". */
  readonly empty?: string;
  /** A `device-table` widget's rows: the devices of the newest sensor health report (none: no check yet). */
  readonly table?: DeviceTableData;
}

export interface DeviceTableData {
  readonly columns: readonly DeviceTableColumn[];
  readonly devices: readonly UnhealthyDevice[];
  /** When the report's check ran; null: no check has run yet. */
  readonly checkedAt: number | null;
}

export type LocalStatistic = 'Sum' | 'Maximum' | 'Minimum' | 'Average' | 'SampleCount';

export interface MetricSource {
  /** Datapoints of one series over [start, end) in buckets of `periodSeconds`, oldest first. */
  datapoints(
    metric: WidgetMetric,
    statistic: LocalStatistic,
    start: number,
    end: number,
    periodSeconds: number,
  ): Point[];
}

/**
 * The local store keeps aggregates (sum, count, min, max), not every sample, so percentiles are approximated:
 * p50 by the average, p99 by the maximum (an upper bound).
 */
export function localStatistic(stat: WidgetStatistic): { statistic: LocalStatistic; note?: string } {
  if (stat === 'p50') return { statistic: 'Average', note: 'p50 ≈ average locally' };
  if (stat === 'p99') return { statistic: 'Maximum', note: 'p99 ≤ maximum locally' };
  return { statistic: stat };
}

/** The windows the dashboard offers, as CloudWatch's time picker does. */
export const DASHBOARD_WINDOWS = { '1h': 60, '3h': 180, '1d': 1440, '1w': 10080 } as const;
export type DashboardWindowName = keyof typeof DASHBOARD_WINDOWS;

/** What /api/dashboard answers: the window (the charts' x-axis, exactly) and each widget's data. */
export interface DashboardResponse {
  readonly window: DashboardWindowName;
  readonly start: number;
  readonly end: number;
  readonly widgets: WidgetData[];
}

export function parseWindowName(value: string | null): DashboardWindowName {
  return value !== null && Object.hasOwn(DASHBOARD_WINDOWS, value) ? (value as DashboardWindowName) : '3h';
}

export interface DashboardWindow {
  readonly start: number;
  readonly end: number;
  /** Bucket size locally: runs happen minutes apart here, not days. */
  readonly periodSeconds: number;
}

function seriesData(series: WidgetSeries, source: MetricSource, window: DashboardWindow): SeriesData {
  const axis = series.axis ?? 'left';
  const period = Math.min(series.periodSeconds, window.periodSeconds);
  let points: Point[];
  let note: string | undefined;
  const draw = series.kind === 'metric' && (series.stat === 'Sum' || series.stat === 'SampleCount') ? 'bars' : 'line';
  if (series.kind === 'metric') {
    const local = localStatistic(series.stat);
    note = local.note;
    points = source.datapoints(series, local.statistic, window.start, window.end, period);
  } else {
    const part = new Map(
      source.datapoints(series.numerator, 'Sum', window.start, window.end, period).map((p) => [p.t, p.v]),
    );
    points = source
      .datapoints(series.denominator, 'Sum', window.start, window.end, period)
      .map((total) => ({ t: total.t, v: total.v > 0 ? (part.get(total.t) ?? 0) / total.v : 0 }));
  }
  return { label: series.label, axis, draw, points, latest: points.at(-1)?.v ?? null, ...(note ? { note } : {}) };
}

/**
 * `healthReport`: the newest sensor health report, what a `device-table` widget lists (CloudWatch reads the check's
 * log lines instead). @default none: the table says no check has run
 */
export function evaluateDashboard(
  widgets: readonly DashboardWidget[],
  source: MetricSource,
  window: DashboardWindow,
  healthReport?: () => SensorHealthReport | undefined,
): WidgetData[] {
  return widgets.map((widget) => {
    const base = { id: widget.id, title: widget.title, ...(widget.leftYAxis ? { leftYAxis: widget.leftYAxis } : {}) };
    if (widget.kind === 'device-table') {
      const report = healthReport?.();
      const columns = widget.table?.columns ?? [];
      return {
        ...base,
        series: [],
        table: { columns, devices: report?.unhealthy ?? [], checkedAt: report?.checkedAt ?? null },
      };
    }
    return { ...base, series: widget.series.map((s) => seriesData(s, source, window)) };
  });
}

export interface ExecutionTimes {
  readonly status: string;
  readonly startDate: number;
  readonly stopDate?: number;
}

/** Step Functions' ExecutionsStarted / Succeeded / Failed / TimedOut / Aborted, counted from local executions. */
export function executionMetricPoints(
  name: string,
  executions: readonly ExecutionTimes[],
  start: number,
  end: number,
  periodSeconds: number,
): Point[] {
  const wanted: Record<string, (e: ExecutionTimes) => number | undefined> = {
    [StepFunctionsMetrics.ExecutionsStarted.name]: (e) => e.startDate,
    [StepFunctionsMetrics.ExecutionsSucceeded.name]: (e) => (e.status === 'SUCCEEDED' ? e.stopDate : undefined),
    [StepFunctionsMetrics.ExecutionsFailed.name]: (e) => (e.status === 'FAILED' ? e.stopDate : undefined),
    [StepFunctionsMetrics.ExecutionsTimedOut.name]: (e) => (e.status === 'TIMED_OUT' ? e.stopDate : undefined),
    [StepFunctionsMetrics.ExecutionsAborted.name]: (e) => (e.status === 'ABORTED' ? e.stopDate : undefined),
  };
  const timeOf = wanted[name];
  if (!timeOf) return [];
  const periodMs = periodSeconds * 1000;
  const buckets = new Map<number, number>();
  for (const e of executions) {
    const t = timeOf(e);
    if (t === undefined || t < start || t >= end) continue;
    const bucket = start + Math.floor((t - start) / periodMs) * periodMs;
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
  }
  return [...buckets.entries()].sort(([a], [b]) => a - b).map(([t, v]) => ({ t, v }));
}

export const isExecutionMetric = (metric: WidgetMetric): boolean => metric.namespace === STATES_NAMESPACE;
