/**
 * The ensemble candidate (issue 20, item 2): after the pool finished, the best completed candidate of each feature
 * view and the best of each family on the other subsets are combined, with weights chosen on their out-of-fold
 * predictions (automl/ensemble.ts). It is appended to the leaderboard as `cNNN-ensemble-views`, scored like any
 * candidate; if the selection picks it, each member is refitted on all rows and the artifact holds them all
 * (family `ensemble`). Out-of-fold predictions are rebuilt on this thread (`outOfFoldPredictions`: one fold fit
 * per member), which keeps the candidates' replies free of per-row arrays. Pure.
 */
import type { ArtifactModel, EnsembleMemberModel, ModelArtifact } from './artifact';
import { outOfFoldPredictions } from './calibrate-winner';
import { applyCalibration, type Calibration, calibrateArtifact, chooseCalibration } from './calibration';
import { type CandidateSetup, type Context, type Fitted, fitPlan, gather } from './candidate';
import { DRIFT_MARGIN } from './drift-margin';
import { blend, ensembleWeights, scoreEnsemble } from './ensemble';
import { signalOf } from './feature-views';
import { mulberry32 } from './random';
import type { EnsembleMember } from './report';
import type { CandidateResult } from './search';

/** More members cost more fold fits and add little: the best this many are considered. */
export const MAX_ENSEMBLE_MEMBERS = 6;
const MEMBER_FAMILIES = ['gbt', 'logistic', 'forest'] as const;

export interface BuiltEnsemble {
  readonly candidate: CandidateResult;
  /** Plan indices of the members with a weight, and their weights and calibrations (on their OOF). */
  readonly members: { planIndex: number; weight: number; calibration: Calibration }[];
  /** The ensemble's pooled out-of-fold probabilities and labels (for its own calibration). */
  readonly oof: { p: Float64Array; y: Uint8Array };
}

/**
 * Diverse strong members: the best completed candidate reading each single sensor (a `view-*` subset, or any other
 * subset that reads one sensor, such as `top1`; any family), then the best of each family among those reading
 * several sensors; never two of the same subset and family, never a threshold rule, never one reading a drifting
 * feature unless drifting features win validation by DRIFT_MARGIN. Indices into `candidates`
 * (= plan indices), best first.
 */
export function chooseMembers(candidates: readonly CandidateResult[]): number[] {
  const value = (c: CandidateResult) => c.robustValue ?? c.objective.value;
  const bestWhere = (keep: (c: CandidateResult) => boolean): number => {
    let top = -1;
    candidates.forEach((c, i) => {
      const current = candidates[top];
      if (c.status !== 'Completed' || !keep(c)) return;
      if (!current || value(c) > value(current) + 1e-12) top = i;
    });
    return top;
  };
  // A member reading a drifting level would bring into the ensemble the failure it is there to survive, unless
  // validation says drifting features are worth it (the selection's own test: by DRIFT_MARGIN).
  const drifts = (c: CandidateResult) => (c.driftingFeatures?.length ?? 0) > 0;
  const allowDrifting = driftingWorthIt(candidates, value, drifts);
  const family = (c: CandidateResult) =>
    (MEMBER_FAMILIES as readonly string[]).includes(c.family) && (allowDrifting || !drifts(c));
  const sensors = (c: CandidateResult) => [
    ...new Set(c.features.map(signalOf).filter((s): s is string => s !== undefined)),
  ];
  const single = [...new Set(candidates.flatMap((c) => (sensors(c).length === 1 ? sensors(c) : [])))];
  const chosen = [
    ...single.map((sensor) => bestWhere((c) => family(c) && sensors(c).length === 1 && sensors(c)[0] === sensor)),
    ...MEMBER_FAMILIES.map((f) => bestWhere((c) => family(c) && c.family === f && sensors(c).length > 1)),
  ].filter((i) => i >= 0);
  return [...new Set(chosen)]
    .sort((a, b) => value(candidates[b] as CandidateResult) - value(candidates[a] as CandidateResult))
    .slice(0, MAX_ENSEMBLE_MEMBERS);
}

/**
 * True when the best completed candidate reads drifting features and beats the best drift-free one by DRIFT_MARGIN:
 * the case where `selectCandidate` accepts drifting features, so the ensemble may use them too.
 */
function driftingWorthIt(
  candidates: readonly CandidateResult[],
  value: (c: CandidateResult) => number,
  drifts: (c: CandidateResult) => boolean,
): boolean {
  const best = (keep: (c: CandidateResult) => boolean) =>
    Math.max(Number.NEGATIVE_INFINITY, ...candidates.filter((c) => c.status === 'Completed' && keep(c)).map(value));
  const drifting = best(drifts);
  const stable = best((c) => !drifts(c));
  return drifting > Number.NEGATIVE_INFINITY && drifting - stable >= DRIFT_MARGIN;
}

/**
 * The ensemble candidate over `candidates` (plan order, index = plan index), or undefined when fewer than two
 * members would get a weight (it would be one of them again).
 */
export function buildEnsembleCandidate(
  setup: CandidateSetup,
  candidates: readonly CandidateResult[],
  deadline: number | undefined,
  now: () => number,
  outOfFold: readonly (Float64Array | undefined)[] = [],
): BuiltEnsemble | undefined {
  const startedAt = now();
  const chosen = chooseMembers(candidates);
  if (chosen.length < 2) return undefined;
  const oofs: Float64Array[] = [];
  const calibrations: Calibration[] = [];
  const y = gather(setup.table.target, Uint32Array.from(setup.folds.flatMap((f) => Array.from(f.valid))));
  for (const planIndex of chosen) {
    if (deadline !== undefined && now() >= deadline) return undefined;
    // The candidate's own out-of-fold probabilities when it kept them, else rebuilt from its seeded stream.
    const kept = outOfFold[planIndex];
    const oof = kept?.length === y.length ? { p: kept, y } : outOfFoldPredictions(setup, planIndex, deadline);
    if (!oof || oof.p.length === 0) return undefined;
    // Members are mixed on a common scale: each one's probabilities calibrated on its own out-of-fold rows.
    const calibration = chooseCalibration(oof.p, oof.y);
    calibrations.push(calibration);
    oofs.push(oof.p.map((p) => applyCalibration(calibration, p)));
  }
  const weights = ensembleWeights(oofs, y);
  const members = chosen
    .map((planIndex, j) => ({
      planIndex,
      weight: weights[j] ?? 0,
      calibration: calibrations[j] ?? { method: 'identity' as const },
    }))
    .filter((m) => m.weight > 0);
  if (members.length < 2) return undefined;
  const p = blend(oofs, weights);
  const s = scoreEnsemble(setup.folds, setup.table.target, p, setup.objective);
  const results = members.map((m) => candidates[m.planIndex] as CandidateResult);
  const names = setup.table.names;
  const read = new Set(results.flatMap((c) => c.features));
  const drifting = new Set(results.flatMap((c) => c.driftingFeatures ?? []));
  const ensemble: EnsembleMember[] = members.map((m, j) => {
    const c = results[j] as CandidateResult;
    return {
      candidateName: c.name,
      family: c.family,
      featureSubset: c.featureSubset,
      features: c.features,
      weight: m.weight,
    };
  });
  const candidate: CandidateResult = {
    name: `c${String(candidates.length + 1).padStart(3, '0')}-ensemble-views`,
    family: 'ensemble',
    featureSubset: 'views',
    features: names.filter((n) => read.has(n)),
    hyperParameters: {
      family: 'ensemble',
      method: 'greedy-forward-selection',
      members: ensemble.map((e) => `${e.candidateName}:${e.weight.toFixed(3)}`).join(' '),
    },
    status: 'Completed',
    objective: { name: setup.objective, value: s.value },
    foldValues: s.foldValues,
    threshold: s.threshold,
    validation: s.validation,
    beatsBaseline: false,
    robustValue: s.robustValue,
    driftingFeatures: names.filter((n) => drifting.has(n)),
    ensemble,
    startedAt,
    endedAt: now(),
  };
  return { candidate, members, oof: { p, y } };
}

/**
 * Refits member `planIndex` on all rows, as the single winner is refitted. `cancelled` (polled between trees) aborts
 * it with TrainingStopped: the pool's speculative refit of a candidate the ensemble left out.
 */
export function refitMember(
  setup: CandidateSetup,
  planIndex: number,
  rows: { all: Uint32Array; refit: Uint32Array },
  deadline: number | undefined,
  cancelled?: () => boolean,
): Fitted {
  const planned = setup.plans[planIndex];
  if (!planned) throw new RangeError(`no candidate plan ${planIndex} (of ${setup.plans.length})`);
  const ctx: Context = {
    table: setup.table,
    data: setup.data,
    rng: mulberry32(setup.seed + 7919 + planIndex),
    shouldStop: cancelled,
  };
  const memberRows = planned.plan.family === 'logistic' ? rows.all : rows.refit;
  return fitPlan(ctx, planned.plan, planned.subset.features, memberRows, deadline, false);
}

/**
 * The ensemble's artifact from its members' refitted models (`models[j]` for `built.members[j]`): `base` carries
 * the metadata, its threshold the ensemble candidate's; calibrated on the ensemble's out-of-fold probabilities.
 */
export function ensembleArtifact(
  base: Omit<ModelArtifact, 'model' | 'family' | 'preprocessing' | 'calibration'>,
  built: BuiltEnsemble,
  models: readonly ArtifactModel[],
  setup: CandidateSetup,
): ModelArtifact {
  const members: EnsembleMemberModel[] = built.members.map((m, j) => {
    const model = models[j];
    if (!model) throw new RangeError(`no refitted model for ensemble member ${j}`);
    return {
      candidateName: setup.plans[m.planIndex]?.name ?? `c${m.planIndex + 1}`,
      weight: m.weight,
      preprocessing:
        model.family === 'logistic'
          ? { missingValues: 'mean', standardised: true }
          : { missingValues: 'native', standardised: false },
      model,
      calibration: m.calibration,
    };
  });
  // Weights are shares of selection rounds: renormalised so rounding never leaves their sum off 1.
  const total = members.reduce((a, m) => a + m.weight, 0);
  const artifact: ModelArtifact = {
    ...base,
    family: 'ensemble',
    preprocessing: { missingValues: 'native', standardised: false },
    model: { family: 'ensemble', members: members.map((m) => ({ ...m, weight: m.weight / total })) },
  };
  return calibrateArtifact(artifact, built.oof.p, built.oof.y, setup.objective, false);
}
