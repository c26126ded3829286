/**
 * What the monitor concludes for each model/variant, from its figures over the newest `consecutiveWindows` windows
 * (index 0 the newest). Three verdicts, each a reason to retrain:
 * - `live-f1-below-static-rule`: in the newest window, with at least `minLabelledReadings` labelled model answers,
 *   the model's live F1 is below the static rule's F1 on the same readings;
 * - `sustained-drift`: some feature drifts (PSI and chi-square, see drift.ts) in every one of the newest
 *   `consecutiveWindows` windows, each holding at least `minReadings` answers (one noisy window is not evidence);
 * - `fallback-rate` (per endpoint, `judgeFallback`): in the newest window, with at least `minReadings` answers, the
 *   share answered by the fallback is above `fallbackRateLimit`. Per endpoint because a fallback answer belongs to
 *   no variant: the endpoint did not answer (the predictions table records it as the rule's, variant '').
 * Pure: figures in, verdicts out.
 */
import type { FeatureDrift } from './drift';
import type { LiveMetrics } from './live-metrics';

export type VerdictReason = 'live-f1-below-static-rule' | 'sustained-drift' | 'fallback-rate';

export interface Verdict {
  readonly reason: VerdictReason;
  /** One sentence with the figures, for the retraining input and its notification. */
  readonly detail: string;
  /** The drifting features (sustained-drift only). */
  readonly features?: readonly string[];
}

export interface VerdictThresholds {
  readonly minLabelledReadings: number;
  readonly minReadings: number;
  readonly fallbackRateLimit: number;
  readonly consecutiveWindows: number;
}

/** Figures of one model/variant in one window. */
export interface WindowFigures {
  readonly metrics: LiveMetrics;
  /** Per feature of the model's baseline; empty when the model has no baseline. */
  readonly drift: readonly FeatureDrift[];
}

const fmt = (x: number): string => x.toFixed(3);

/** Answers of the whole endpoint in one window (every model version and variant, and the fallback's). */
export interface EndpointWindow {
  readonly windowIndex: number;
  readonly answered: number;
  readonly fallbacks: number;
  /** fallbacks / answered; 0 without answers. */
  readonly fallbackRate: number;
}

/** The endpoint's fallback verdict, from its newest window (undefined: no answers at all). */
export function judgeFallback(newest: EndpointWindow | undefined, t: VerdictThresholds): Verdict[] {
  if (!newest || newest.answered < t.minReadings || newest.fallbackRate <= t.fallbackRateLimit) return [];
  return [
    {
      reason: 'fallback-rate',
      detail: `${fmt(newest.fallbackRate)} of ${newest.answered} answers came from the fallback (limit ${fmt(t.fallbackRateLimit)})`,
    },
  ];
}

/** The verdicts of one model/variant, from its windows (any order; missing windows are simply absent). */
export function judge(windows: readonly WindowFigures[], t: VerdictThresholds): Verdict[] {
  const byIndex = new Map(windows.map((w) => [w.metrics.windowIndex, w]));
  const latest = byIndex.get(0);
  const verdicts: Verdict[] = [];
  if (!latest) return verdicts;
  const m = latest.metrics;
  if (m.labelledReadings >= t.minLabelledReadings && m.f1 < m.staticRuleF1) {
    verdicts.push({
      reason: 'live-f1-below-static-rule',
      detail: `${m.modelVersion}/${m.variant}: live F1 ${fmt(m.f1)} below the static rule's ${fmt(m.staticRuleF1)} on the same ${m.labelledReadings} labelled readings`,
    });
  }
  const recent: WindowFigures[] = [];
  for (let i = 0; i < t.consecutiveWindows; i++) {
    const w = byIndex.get(i);
    if (!w || w.metrics.answered < t.minReadings) break;
    recent.push(w);
  }
  if (recent.length === t.consecutiveWindows) {
    const drifting = latest.drift
      .map((d) => d.feature)
      .filter((feature) => recent.every((w) => w.drift.some((d) => d.feature === feature && d.drifting)));
    if (drifting.length > 0) {
      const psi = latest.drift.filter((d) => drifting.includes(d.feature)).map((d) => `${d.feature} ${fmt(d.psi)}`);
      verdicts.push({
        reason: 'sustained-drift',
        detail: `${m.modelVersion}/${m.variant}: ${drifting.length} feature(s) drifting for ${t.consecutiveWindows} consecutive window(s) (newest PSI: ${psi.join(', ')})`,
        features: drifting,
      });
    }
  }
  return verdicts;
}
