import { dashboardView } from '../../local/console/data';
import type { MetricStore } from '../../local/metrics';
import type { ExecutionStore } from '../../local/runtime/executions';
import {
  datumDimensions,
  featureDriftDimensions,
  METRICS_NAMESPACE,
  monitorEndpointDimensions,
  monitorMetricDimensions,
  OccupancyMetrics,
} from '../../observability/metrics';
import { MonitoringSchema } from '../../pipeline/config';

/** What one monitor run publishes (tasks/monitor.ts publishReport), written through the local metric store's API. */

export const LIVE_ENDPOINT = 'occ';

export interface MonitorWindow {
  readonly at: number;
  readonly answered: number;
  readonly labelled: number;
  readonly f1?: number;
  readonly ruleF1?: number;
  readonly fallbackRate?: number;
  readonly psi?: Readonly<Record<string, number>>;
  /** @default 'AllTraffic' */
  readonly variant?: string;
}

export function putMonitorWindow(store: MetricStore, w: MonitorWindow): void {
  const variant = w.variant ?? 'AllTraffic';
  const dims = monitorMetricDimensions(LIVE_ENDPOINT, variant);
  const datum = (def: { name: string; unit: string }, value: number, d: Record<string, string> = dims) => ({
    MetricName: def.name,
    Value: value,
    Unit: def.unit as 'None',
    Timestamp: new Date(w.at),
    Dimensions: datumDimensions(d),
  });
  const data = [datum(OccupancyMetrics.LiveReadings, w.answered), datum(OccupancyMetrics.LabelledReadings, w.labelled)];
  if (w.f1 !== undefined) data.push(datum(OccupancyMetrics.LiveF1, w.f1));
  if (w.ruleF1 !== undefined) data.push(datum(OccupancyMetrics.StaticRuleLiveF1, w.ruleF1));
  if (w.fallbackRate !== undefined)
    data.push(datum(OccupancyMetrics.LiveFallbackRate, w.fallbackRate, monitorEndpointDimensions(LIVE_ENDPOINT)));
  for (const [feature, psi] of Object.entries(w.psi ?? {}))
    data.push(datum(OccupancyMetrics.FeatureDrift, psi, featureDriftDimensions(LIVE_ENDPOINT, variant, feature)));
  store.putMetricData({ Namespace: METRICS_NAMESPACE, MetricData: data });
}

/** The console's dashboard view over the last 3 h, as /api/dashboard builds it. */
export function dashboardWithMonitor(
  store: MetricStore,
  executions: ExecutionStore,
  t: { minLabelledReadings: number; minReadings: number; schedule: string },
) {
  const end = Date.now() + 1000;
  const monitoring = MonitoringSchema.parse({
    minLabelledReadings: t.minLabelledReadings,
    minReadings: t.minReadings,
    schedule: { expression: t.schedule },
  });
  return dashboardView(
    store,
    executions,
    { endpointName: LIVE_ENDPOINT, stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:m', monitoring },
    { start: end - 3 * 3_600_000, end, periodSeconds: 120 },
  );
}
