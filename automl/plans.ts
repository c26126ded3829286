/**
 * What the search tries: feature subsets (all, the strongest on their weakest fold, the stable ones, the relative
 * ones, per-sensor views) and candidate plans over them, in order of value per second so a short budget still ranks
 * the cheap strong ones. Pure: the seeded stream decides the random plans.
 */
import type { LabelledTable } from '../telemetry/table';
import type { CandidatePlan, FeatureSubset, Fold, Plan } from './candidate';
import { featureViews, viewPlans } from './feature-views';
import { DRIFT_LIMIT, isRelativeFeature, univariateStrength } from './folds';
import { DEFAULT_FOREST_PARAMS } from './forest';
import { DEFAULT_GBT_PARAMS, type GbtParams } from './gbt';
import { DEFAULT_LOGISTIC_PARAMS } from './logistic';
import type { Objective } from './objective';
import type { Rng } from './random';

export function featureSubsets(table: LabelledTable, folds: Fold[], drift: readonly number[]): FeatureSubset[] {
  const all = table.names.map((_, i) => i);
  const subsets: FeatureSubset[] = [{ name: 'all', features: all }];
  const add = (name: string, features: number[]) => {
    if (features.length === 0) return;
    const key = [...features].sort((a, b) => a - b).join(',');
    if (subsets.some((s) => [...s.features].sort((a, b) => a - b).join(',') === key)) return;
    subsets.push({ name, features });
  };
  const column = (i: number) => table.columns[i] ?? new Float64Array(0);
  const stable = all.filter((i) => (drift[i] ?? 0) <= DRIFT_LIMIT);
  // Ranked by the weakest fold: a signal that separates the classes in every block, not just on average.
  const strength = all.map((i) => Math.min(...folds.map((f) => univariateStrength(column(i), table.target, f.valid))));
  const ranked = [...all].sort((a, b) => (strength[b] ?? 0) - (strength[a] ?? 0));
  const rankedStable = ranked.filter((i) => stable.includes(i));
  for (const k of [1, 2, 3]) add(`top${k}`, (rankedStable.length >= k ? rankedStable : ranked).slice(0, k));
  add('stable', stable);
  add(
    'relative',
    all.filter((i) => isRelativeFeature(table.names[i] ?? '')),
  );
  add('top-half', ranked.slice(0, Math.ceil(all.length / 2)));
  // Per-sensor views are kept even when equal to a subset above: the ensemble draws its members from them.
  return [...subsets, ...featureViews(table.names)];
}

const pick = <T>(rng: Rng, values: readonly T[]): T => values[Math.floor(rng() * values.length)] as T;
const logUniform = (rng: Rng, lo: number, hi: number): number =>
  Math.exp(Math.log(lo) + rng() * (Math.log(hi) - Math.log(lo)));
const round3 = (x: number): number => Number(x.toPrecision(3));

/** Learning rate 0.1, 31 leaves, no depth cap, no L2, 20 rows a leaf, up to 200 trees with early stopping. */
export const REFERENCE_GBT_PARAMS: GbtParams = {
  ...DEFAULT_GBT_PARAMS,
  learningRate: 0.1,
  maxIterations: 200,
  maxDepth: 64,
  lambda: 0,
  maxLeaves: 31,
  minSamplesLeaf: 20,
};

/** Plans in order of value per second: cheap strong candidates first, so a short budget still ranks them. */
export function candidatePlans(
  subsets: FeatureSubset[],
  maxCandidates: number | undefined,
  rng: Rng,
  objective: Objective,
): CandidatePlan[] {
  const plans: { subset: FeatureSubset; plan: Plan }[] = [];
  const byName = (name: string) => subsets.find((s) => s.name === name);
  const all = subsets[0] ?? { name: 'all', features: [] };
  const logistic = { family: 'logistic', params: DEFAULT_LOGISTIC_PARAMS } as const;
  const gbt = { family: 'gbt', params: DEFAULT_GBT_PARAMS } as const;
  // The all-feature gbt takes histogram boosting's reference defaults (LightGBM's and scikit-learn's): the most
  // tried setting for the strongest generic learner, and the one the bench compares against.
  const referenceGbt = { family: 'gbt', params: REFERENCE_GBT_PARAMS } as const;
  const push = (subset: FeatureSubset | undefined, plan: Plan) => {
    if (subset) plans.push({ subset, plan });
  };
  push({ name: 'single-signal', features: all.features }, { family: 'threshold', params: { objective } });
  push(all, referenceGbt);
  push(byName('top1'), logistic);
  push(byName('top2'), logistic);
  push(all, logistic);
  push(byName('stable'), gbt);
  push(byName('relative'), gbt);
  push(byName('top3'), logistic);
  push(byName('stable'), logistic);
  push(byName('relative'), logistic);
  push(byName('top-half'), gbt);
  push(all, { family: 'forest', params: DEFAULT_FOREST_PARAMS });
  plans.push(
    ...viewPlans(
      subsets.filter((s) => s.name.startsWith('view-')),
      plans,
    ),
  );
  const count = maxCandidates ?? Math.max(12, plans.length);
  const searchable = subsets.filter((s) => s.features.length > 1 && !s.name.startsWith('view-'));
  let guard = 0;
  while (plans.length < count && guard++ < 10 * count) {
    const subset = pick(rng, searchable.length > 0 ? searchable : subsets);
    const family = pick(rng, ['gbt', 'gbt', 'logistic', 'forest'] as const);
    if (family === 'gbt') {
      plans.push({
        subset,
        plan: {
          family,
          params: {
            ...DEFAULT_GBT_PARAMS,
            learningRate: round3(logUniform(rng, 0.05, 0.3)),
            maxLeaves: pick(rng, [7, 15, 31, 63]),
            minSamplesLeaf: pick(rng, [5, 20, 50, 100]),
            lambda: pick(rng, [0, 1, 10]),
            rowSubsample: pick(rng, [0.7, 1]),
          },
        },
      });
    } else if (family === 'logistic') {
      plans.push({
        subset,
        plan: { family, params: { ...DEFAULT_LOGISTIC_PARAMS, C: round3(logUniform(rng, 0.001, 100)) } },
      });
    } else {
      plans.push({
        subset,
        plan: {
          family,
          params: {
            ...DEFAULT_FOREST_PARAMS,
            featureFraction: pick(rng, [0.3, 0.5, 0.8, 1]),
            minSamplesLeaf: pick(rng, [1, 5, 20]),
          },
        },
      });
    }
  }
  return plans.slice(0, count).map((p, i) => ({
    ...p,
    name: `c${String(i + 1).padStart(3, '0')}-${p.plan.family}-${p.subset.name}`,
  }));
}
