/**
 * Calibrates the search's winner: its out-of-fold predictions are rebuilt (the candidate's fold models, fitted
 * again from its own seeded stream, so they are the ones it was scored with) and `calibrateArtifact` chooses
 * Platt, isotonic or the identity on them. Rebuilding costs one candidate's fold fits and keeps the candidates'
 * results (posted between threads, saved in the job's state) free of per-row arrays. Pure.
 */
import type { ModelArtifact } from './artifact';
import { calibrateArtifact } from './calibration';
import { type CandidateSetup, type Context, candidateRng, fitPlan, gather, predictRows } from './candidate';

/** Pooled out-of-fold predictions of plan `planIndex`, in fold order, with their labels and the fold sizes. */
export function outOfFoldPredictions(
  setup: CandidateSetup,
  planIndex: number,
  deadline: number | undefined,
): { p: Float64Array; y: Uint8Array; sizes: number[] } | undefined {
  const planned = setup.plans[planIndex];
  if (!planned) return undefined;
  const { table, folds } = setup;
  const ctx: Context = { table, data: setup.data, rng: candidateRng(setup.seed, planIndex), shouldStop: undefined };
  const sizes = folds.map((f) => f.valid.length);
  const p = new Float64Array(sizes.reduce((a, b) => a + b, 0));
  const y = new Uint8Array(p.length);
  let offset = 0;
  for (const fold of folds) {
    const fitted = fitPlan(ctx, planned.plan, planned.subset.features, fold.train, deadline, false);
    p.set(predictRows(table, fitted.model, fold.valid), offset);
    y.set(gather(table.target, fold.valid), offset);
    offset += fold.valid.length;
  }
  return { p, y, sizes };
}

/**
 * The winner's artifact, calibrated on its out-of-fold predictions (the threshold moved to the calibrated scale).
 * Past the job's deadline, or when the folds cannot be rebuilt, the artifact is returned uncalibrated.
 */
export function calibrateWinner(
  artifact: ModelArtifact,
  setup: CandidateSetup,
  candidateName: string,
  jobDeadline: number | undefined,
  now: () => number,
): ModelArtifact {
  if (jobDeadline !== undefined && now() >= jobDeadline) return artifact;
  const planIndex = setup.plans.findIndex((p) => p.name === candidateName);
  const oof = outOfFoldPredictions(setup, planIndex, jobDeadline);
  if (!oof || oof.p.length === 0) return artifact;
  // A rule is scored at its own cut (0.5 on its hard 0/1 predictions): that cut is carried over, not re-tuned.
  const fixedCut = setup.plans[planIndex]?.plan.family === 'threshold';
  return calibrateArtifact(artifact, oof.p, oof.y, setup.objective, fixedCut);
}
