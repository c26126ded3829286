/**
 * Feature views: the features grouped by the sensor they come from, so that ensemble members built on different
 * views do not share a sensor and one sensor changing meaning (stuck, recalibrated, relit) cannot take the whole
 * ensemble with it. A feature's signal is its name's leading part (`sound_std_5`, `sound_mean_5` → sound;
 * `co2_slope_10` → co2; UCI's `Light`, `CO2` → light, co2). Time-of-day features come from no sensor and join
 * every view. Pure.
 */
import type { FeatureSubset, Plan } from './candidate';
import { DEFAULT_GBT_PARAMS } from './gbt';
import { DEFAULT_LOGISTIC_PARAMS } from './logistic';

/** Calendar and clock features: known without any sensor. */
const TIME_FEATURE = /^(hour|minute|weekday|dow|day_of_week|is_weekend|weekend|time_of_day)(_|$)/i;

export function isTimeFeature(name: string): boolean {
  return TIME_FEATURE.test(name);
}

/** The sensor a feature is computed from (lower case), or undefined for a time-of-day feature. */
export function signalOf(name: string): string | undefined {
  if (isTimeFeature(name)) return undefined;
  const lead = name.split(/[_\s.-]/)[0] ?? '';
  return (lead.length > 0 ? lead : name).toLowerCase();
}

/**
 * One `view-<signal>` subset per sensor, in the order each signal first appears, each with the time-of-day
 * features. None when the table has fewer than two sensors (the one view would be the `all` subset).
 */
export function featureViews(names: readonly string[]): FeatureSubset[] {
  const bySignal = new Map<string, number[]>();
  const time: number[] = [];
  names.forEach((name, i) => {
    const signal = signalOf(name);
    if (signal === undefined) {
      time.push(i);
      return;
    }
    const features = bySignal.get(signal) ?? [];
    features.push(i);
    bySignal.set(signal, features);
  });
  if (bySignal.size < 2) return [];
  return [...bySignal].map(([signal, features]) => ({
    name: `view-${signal}`,
    features: [...features, ...time].sort((a, b) => a - b),
  }));
}

/**
 * A logistic and a gbt plan per view, after the search's first plans: a view equal to a subset already planned
 * with that family (e.g. `top1` reading one sensor) adds nothing and is skipped.
 */
export function viewPlans(
  views: readonly FeatureSubset[],
  planned: readonly { subset: FeatureSubset; plan: Plan }[],
): { subset: FeatureSubset; plan: Plan }[] {
  const key = (features: readonly number[], family: string) =>
    `${family}:${[...features].sort((a, b) => a - b).join(',')}`;
  const seen = new Set(planned.map((p) => key(p.subset.features, p.plan.family)));
  const out: { subset: FeatureSubset; plan: Plan }[] = [];
  for (const subset of views) {
    for (const plan of [
      { family: 'logistic', params: DEFAULT_LOGISTIC_PARAMS },
      { family: 'gbt', params: DEFAULT_GBT_PARAMS },
    ] as const) {
      const k = key(subset.features, plan.family);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push({ subset, plan });
    }
  }
  return out;
}
