/**
 * Which candidate the search deploys: robust value (pooled and worst fold), a drift-free preference unless drifting
 * features win by DRIFT_MARGIN, the ensemble when validation cannot rank the single candidates, else the simplest
 * within one standard error of the top. Pure.
 */
import { DRIFT_MARGIN } from './drift-margin';
import type { CandidateResult } from './search';

export { DRIFT_MARGIN };

/** Lower is simpler: the family first, then the number of features read. */
function complexity(c: CandidateResult): number {
  const family = ['threshold', 'logistic', 'gbt', 'forest', 'ensemble'].indexOf(c.family);
  return family * 1000 + c.features.length;
}

/** Tolerance of the one-standard-error rule, floored and capped so a noisy split cannot excuse a much worse model. */
function standardError(foldValues: readonly number[]): number {
  const k = foldValues.length;
  if (k < 2) return 0.005;
  const mean = foldValues.reduce((a, b) => a + b, 0) / k;
  const variance = foldValues.reduce((a, b) => a + (b - mean) ** 2, 0) / (k - 1);
  return Math.min(0.02, Math.max(0.005, Math.sqrt(variance / k)));
}

/**
 * The ensemble when validation cannot rank the single candidates: two or more of them lie within one standard error
 * of the top, so which one is best is noise, and picking the simplest of them bets on one feature subset the folds
 * did not prefer. Averaging their views (the ensemble, within the same band) is the hedge that does not need the
 * evidence to rank them. -1 when the evidence ranks them or no ensemble is within the band.
 */
function inseparableHedge(
  candidates: readonly CandidateResult[],
  floor: number,
  stableOnly: boolean,
  value: (c: CandidateResult) => number,
): number {
  const eligible = (c: CandidateResult) =>
    c.status === 'Completed' && value(c) >= floor && !(stableOnly && (c.driftingFeatures?.length ?? 0) > 0);
  const tied = candidates.filter((c) => c.family !== 'ensemble' && eligible(c)).length;
  if (tied < 2) return -1;
  return candidates.findIndex((c) => c.family === 'ensemble' && eligible(c));
}

/**
 * The candidate to deploy. Among completed candidates: the top robust value, except that a candidate reading
 * drifting features only counts as top when it beats the best drift-free one by DRIFT_MARGIN (its validation
 * score is the part least likely to hold in the future); then, when two or more single candidates lie within one
 * standard error of the top (validation cannot rank them), the ensemble if it is within that band too; else the
 * simplest candidate within one standard error of the top (drift-free ones only when the top is). -1 when none
 * completed.
 */
export function selectCandidate(candidates: readonly CandidateResult[]): number {
  const value = (c: CandidateResult) => c.robustValue ?? c.objective.value;
  const drifts = (c: CandidateResult) => (c.driftingFeatures?.length ?? 0) > 0;
  const argmax = (keep: (c: CandidateResult) => boolean): number => {
    let top = -1;
    candidates.forEach((c, i) => {
      const current = candidates[top];
      if (c.status === 'Completed' && keep(c) && (!current || value(c) > value(current) + 1e-12)) top = i;
    });
    return top;
  };
  let top = argmax(() => true);
  const stableTop = argmax((c) => !drifts(c));
  const topCandidate = candidates[top];
  const stableCandidate = candidates[stableTop];
  if (!topCandidate) return -1;
  let stableOnly = !drifts(topCandidate);
  if (!stableOnly && stableCandidate && value(topCandidate) - value(stableCandidate) < DRIFT_MARGIN) {
    top = stableTop;
    stableOnly = true;
  }
  const best = candidates[top] ?? topCandidate;
  const floor = value(best) - standardError(best.foldValues);
  const hedge = inseparableHedge(candidates, floor, stableOnly, value);
  if (hedge >= 0) return hedge;
  let chosen = top;
  candidates.forEach((c, i) => {
    const current = candidates[chosen];
    if (c.status !== 'Completed' || value(c) < floor || !current || (stableOnly && drifts(c))) return;
    const simpler = complexity(c) < complexity(current);
    const asSimpleButBetter = complexity(c) === complexity(current) && value(c) > value(current) + 1e-12;
    if (simpler || asSimpleButBetter) chosen = i;
  });
  return chosen;
}
