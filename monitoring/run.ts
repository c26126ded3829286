/**
 * One monitoring pass: the metrics query, then a drift query per model version that has a baseline, read into
 * per-window figures and judged (verdicts.ts). The lake and the baselines are ports (Athena + S3 on AWS, DuckDB +
 * files locally); nothing here does I/O itself.
 */
import type { SqlDialectName } from '../features/dialect';
import type { TrainingBaseline } from './baseline';
import { type DriftThresholds, type FeatureDrift, featureDrift } from './drift';
import { type LiveCounts, liveMetrics } from './live-metrics';
import { buildDriftQuery, buildMetricsQuery, type FeatureColumn, type MonitorQueryOptions } from './query';
import { driftCountsOf, liveCountsOf, type ResultRow } from './results';
import {
  type EndpointWindow,
  judge,
  judgeFallback,
  type Verdict,
  type VerdictThresholds,
  type WindowFigures,
} from './verdicts';

export interface MonitorPorts {
  readonly lake: { select(sql: string): Promise<readonly ResultRow[]> };
  /** The training baseline of a model version, or undefined when it has none (its drift is then not measured). */
  readonly baselineOf: (modelVersion: string) => Promise<TrainingBaseline | undefined>;
}

export interface MonitorSettings extends DriftThresholds, VerdictThresholds {
  readonly windowMinutes: number;
}

export interface MonitorOptions {
  readonly dialect: SqlDialectName;
  readonly predictionsTable?: string;
  readonly labelsTable?: string;
  readonly featureColumn?: FeatureColumn;
  /** End of the newest window, epoch ms (exclusive). */
  readonly windowEndMs: number;
  readonly settings: MonitorSettings;
  readonly staticRule: { readonly signal: string; readonly level: number } | null;
}

export interface VariantReport {
  readonly modelVersion: string;
  readonly variant: string;
  readonly hasBaseline: boolean;
  /** Newest first; a window without answers is absent. */
  readonly windows: readonly WindowFigures[];
  readonly verdicts: readonly Verdict[];
}

export interface MonitorReport {
  readonly windowEndMs: number;
  readonly windowMs: number;
  readonly windows: number;
  /** The endpoint's answers and fallback rate per window, newest first (windows without answers absent). */
  readonly endpoint: readonly EndpointWindow[];
  /** Each model version and variant that answered (the fallback's rows are counted in `endpoint` only). */
  readonly variants: readonly VariantReport[];
  /** Every variant's verdicts: empty when nothing calls for a retraining. */
  readonly verdicts: readonly Verdict[];
}

const key = (modelVersion: string, variant: string, windowIndex: number): string =>
  JSON.stringify([modelVersion, variant, windowIndex]);

export async function runMonitor(ports: MonitorPorts, o: MonitorOptions): Promise<MonitorReport> {
  const s = o.settings;
  const query: MonitorQueryOptions = {
    dialect: o.dialect,
    windowEndMs: o.windowEndMs,
    windowMs: s.windowMinutes * 60_000,
    windows: s.consecutiveWindows,
    ...(o.predictionsTable === undefined ? {} : { predictionsTable: o.predictionsTable }),
    ...(o.labelsTable === undefined ? {} : { labelsTable: o.labelsTable }),
    ...(o.featureColumn === undefined ? {} : { featureColumn: o.featureColumn }),
  };
  const counts = liveCountsOf(
    await ports.lake.select(buildMetricsQuery({ ...query, staticRule: o.staticRule })),
  ).filter((c) => c.windowIndex >= 0 && c.windowIndex < s.consecutiveWindows);
  const endpoint = endpointWindows(counts);
  // Groups with model answers; the fallback's own rows (model_version 'threshold:…', variant '') only count above.
  const metrics = counts.filter((c) => c.answered > c.fallbacks).map(liveMetrics);
  const versions = [...new Set(metrics.map((m) => m.modelVersion))].sort();
  const drift = new Map<string, FeatureDrift[]>();
  const withBaseline = new Set<string>();
  for (const version of versions) {
    const baseline = await ports.baselineOf(version);
    if (!baseline) continue;
    withBaseline.add(version);
    const rows = await ports.lake.select(buildDriftQuery(query, version, baseline));
    for (const w of driftCountsOf(rows, baseline)) {
      const figures = Object.entries(w.counts).flatMap(([feature, counts]) => {
        const fb = baseline.features[feature];
        return fb ? [featureDrift(feature, fb, counts, s)] : [];
      });
      drift.set(key(version, w.variant, w.windowIndex), figures);
    }
  }
  const groups = new Map<string, WindowFigures[]>();
  for (const m of metrics) {
    const group = JSON.stringify([m.modelVersion, m.variant]);
    const list = groups.get(group) ?? [];
    list.push({ metrics: m, drift: drift.get(key(m.modelVersion, m.variant, m.windowIndex)) ?? [] });
    groups.set(group, list);
  }
  const variants: VariantReport[] = [...groups.values()].map((windows) => {
    const sorted = [...windows].sort((a, b) => a.metrics.windowIndex - b.metrics.windowIndex);
    const first = sorted[0]?.metrics;
    return {
      modelVersion: first?.modelVersion ?? '',
      variant: first?.variant ?? '',
      hasBaseline: withBaseline.has(first?.modelVersion ?? ''),
      windows: sorted,
      verdicts: judge(sorted, s),
    };
  });
  variants.sort((a, b) => a.modelVersion.localeCompare(b.modelVersion) || a.variant.localeCompare(b.variant));
  return {
    windowEndMs: o.windowEndMs,
    windowMs: query.windowMs,
    windows: s.consecutiveWindows,
    endpoint,
    variants,
    verdicts: [
      ...judgeFallback(
        endpoint.find((w) => w.windowIndex === 0),
        s,
      ),
      ...variants.flatMap((v) => v.verdicts),
    ],
  };
}

/** The endpoint's totals per window, newest first. */
function endpointWindows(counts: readonly LiveCounts[]): EndpointWindow[] {
  const byWindow = new Map<number, { answered: number; fallbacks: number }>();
  for (const c of counts) {
    const w = byWindow.get(c.windowIndex) ?? { answered: 0, fallbacks: 0 };
    byWindow.set(c.windowIndex, { answered: w.answered + c.answered, fallbacks: w.fallbacks + c.fallbacks });
  }
  return [...byWindow.entries()]
    .sort(([a], [b]) => a - b)
    .map(([windowIndex, w]) => ({
      windowIndex,
      ...w,
      fallbackRate: w.answered === 0 ? 0 : w.fallbacks / w.answered,
    }));
}
