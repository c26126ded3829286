import { Dimensions, MONITOR_SERVICE, PipelineMetrics } from '../../observability/metrics';
import { LIVE_WIDGET_IDS, type MonitorWidgetContext } from '../../observability/widgets';
import type { WidgetData } from './dashboard';

/**
 * The live monitor's widgets on the console: which variants and features to draw (what the metric store holds for
 * the endpoint, as a CloudWatch SEARCH would find them), and what an empty widget says is missing — the monitor not
 * having run, no labelled readings yet, too few of them, no training baseline. Pure.
 */

export interface ListedMetric {
  readonly MetricName?: string;
  readonly Dimensions?: readonly { readonly Name?: string; readonly Value?: string }[];
}

/** Variants and (variant, feature) pairs the monitor published for `endpointName`, sorted. */
export function monitorContextOf(metrics: readonly ListedMetric[], endpointName: string): MonitorWidgetContext {
  const variants = new Set<string>();
  const features = new Map<string, { variant: string; feature: string }>();
  for (const m of metrics) {
    const dims = new Map((m.Dimensions ?? []).map((d) => [d.Name ?? '', d.Value ?? '']));
    if (dims.get(Dimensions.EndpointName) !== endpointName || dims.get(Dimensions.Service) !== MONITOR_SERVICE)
      continue;
    const variant = dims.get(Dimensions.VariantName);
    if (variant === undefined || variant === '') continue;
    variants.add(variant);
    const feature = dims.get(Dimensions.Feature);
    if (m.MetricName === PipelineMetrics.FeatureDrift && feature) {
      features.set(`${variant}\0${feature}`, { variant, feature });
    }
  }
  const sorted = [...features.values()].sort(
    (a, b) => a.variant.localeCompare(b.variant) || a.feature.localeCompare(b.feature),
  );
  return { ...(variants.size > 0 ? { variants: [...variants].sort() } : {}), features: sorted };
}

/** The monitor's thresholds the explanations quote (pipeline.monitoring). */
export interface MonitorThresholds {
  readonly minLabelledReadings: number;
  readonly minReadings: number;
  /** The schedule expression, e.g. `rate(1 hour)`. */
  readonly schedule: string;
}

const hasPoints = (w: WidgetData | undefined): boolean => (w?.series ?? []).some((s) => s.points.length > 0);

/** The largest value of the series whose label starts with `prefix` (the readings widget's counts), null: none. */
function largest(w: WidgetData | undefined, prefix: string): number | null {
  const values = (w?.series ?? []).filter((s) => s.label.startsWith(prefix)).flatMap((s) => s.points.map((p) => p.v));
  return values.length === 0 ? null : Math.max(...values);
}

/** Why each empty live widget is empty, by widget id (widgets with data get nothing). */
export function liveEmptyStates(widgets: readonly WidgetData[], t: MonitorThresholds): Record<string, string> {
  const byId = new Map(widgets.map((w) => [w.id, w]));
  const readings = byId.get(LIVE_WIDGET_IDS.readings);
  const answered = largest(readings, 'answers');
  const labelled = largest(readings, 'labelled');
  const notRun = `The monitor published nothing in this window: it runs on its schedule (${t.schedule}) once the endpoint’s answers reach the lake.`;
  const fewAnswers = `Fewer than ${t.minReadings} answers in any monitoring window (most: ${answered ?? 0}): the monitor judges the fallback rate and drift from ${t.minReadings} on.`;
  const out: Record<string, string> = {};
  const explain = (id: string, why: () => string) => {
    const w = byId.get(id);
    if (w && !hasPoints(w)) out[id] = why();
  };
  explain(LIVE_WIDGET_IDS.readings, () => notRun);
  explain(LIVE_WIDGET_IDS.f1, () => {
    if (answered === null) return notRun;
    if (!labelled) return 'No labelled readings yet in the window: labels arrive after the readings they judge.';
    return `Fewer than ${t.minLabelledReadings} labelled readings in any monitoring window (most: ${labelled}): live F1 is published from ${t.minLabelledReadings} on.`;
  });
  explain(LIVE_WIDGET_IDS.fallback, () => {
    if (answered === null) return notRun;
    if (answered < t.minReadings) return fewAnswers;
    // The rate is the endpoint's (model and fallback answers); LiveReadings counts the model's only.
    return 'The monitor published model answers but no fallback rate for the endpoint in this window.';
  });
  explain(LIVE_WIDGET_IDS.drift, () => {
    if (answered === null) return notRun;
    if (answered < t.minReadings) return fewAnswers;
    return 'No drift measured: the serving model’s artifact carries no training baseline to compare with.';
  });
  return out;
}

/** The drift widget's features, most drifting first (largest newest PSI), so the one that moved leads the legend. */
export function mostDriftingFirst(widgets: readonly WidgetData[]): WidgetData[] {
  return widgets.map((w) =>
    w.id !== LIVE_WIDGET_IDS.drift
      ? w
      : {
          ...w,
          series: [...w.series].sort((a, b) => (b.latest ?? -1) - (a.latest ?? -1) || a.label.localeCompare(b.label)),
        },
  );
}
