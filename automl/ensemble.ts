/**
 * Ensemble weights chosen on out-of-fold predictions (Caruana et al.'s greedy forward selection with replacement,
 * as Autopilot's ENSEMBLING mode stacks its candidates): starting from nothing, each round adds the member whose
 * inclusion most lowers the log-loss of the ensemble's mean probability; a member may be added again, so the
 * weights are its share of the rounds, kept from the round with the lowest loss. A member that does not help is
 * never added (weight 0); members that err on different rows are mixed. The ensemble is then scored exactly like
 * any candidate (`scoreFolds`), so it competes on the same leaderboard. Pure.
 */
import { type Fold, robustValue, scoreFolds } from './candidate';
import type { BinaryMetrics, Objective } from './objective';

/** Rounds of forward selection: weights are multiples of 1/rounds at worst. */
export const ENSEMBLE_ROUNDS = 40;
const EPS = 1e-6;

function logLoss(y: Uint8Array, sum: Float64Array, extra: Float64Array | undefined, count: number): number {
  let loss = 0;
  for (let i = 0; i < y.length; i++) {
    const p = Math.min(1 - EPS, Math.max(EPS, ((sum[i] ?? 0) + (extra?.[i] ?? 0)) / count));
    loss -= y[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return loss / Math.max(1, y.length);
}

/**
 * Non-negative weights summing to 1, one per member, for members' out-of-fold probabilities `oof` (each aligned
 * with `y`). Ties go to the earlier member.
 */
export function ensembleWeights(oof: readonly Float64Array[], y: Uint8Array, rounds = ENSEMBLE_ROUNDS): number[] {
  const m = oof.length;
  if (m === 0) return [];
  const counts = new Array<number>(m).fill(0);
  const sum = new Float64Array(y.length);
  let best = { loss: Number.POSITIVE_INFINITY, counts: [...counts] };
  for (let round = 1; round <= rounds; round++) {
    let pick = -1;
    let pickLoss = Number.POSITIVE_INFINITY;
    for (let j = 0; j < m; j++) {
      const loss = logLoss(y, sum, oof[j], round);
      if (loss < pickLoss - 1e-12) {
        pick = j;
        pickLoss = loss;
      }
    }
    const chosen = oof[pick];
    if (!chosen) break;
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] ?? 0) + (chosen[i] ?? 0);
    counts[pick] = (counts[pick] ?? 0) + 1;
    if (pickLoss < best.loss - 1e-12) best = { loss: pickLoss, counts: [...counts] };
  }
  const total = best.counts.reduce((a, b) => a + b, 0);
  return best.counts.map((c) => (total > 0 ? c / total : 1 / m));
}

/** The weighted mean of the members' probabilities, row by row. */
export function blend(oof: readonly Float64Array[], weights: readonly number[]): Float64Array {
  const out = new Float64Array(oof[0]?.length ?? 0);
  oof.forEach((p, j) => {
    const w = weights[j] ?? 0;
    if (w === 0) return;
    for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) + w * (p[i] ?? 0);
  });
  return out;
}

export interface EnsembleScore {
  readonly value: number;
  readonly foldValues: number[];
  readonly threshold: number;
  readonly validation: BinaryMetrics;
  readonly robustValue: number;
}

/**
 * The ensemble's objective on its pooled out-of-fold probabilities `pooled` (in fold order), threshold tuned, and
 * on each fold: the same scoring as every candidate.
 */
export function scoreEnsemble(
  folds: readonly Fold[],
  target: Uint8Array,
  pooled: Float64Array,
  objective: Objective,
): EnsembleScore {
  const parts: Float64Array[] = [];
  let offset = 0;
  for (const fold of folds) {
    parts.push(pooled.subarray(offset, offset + fold.valid.length));
    offset += fold.valid.length;
  }
  const s = scoreFolds(folds, target, parts, objective, undefined);
  return { ...s, robustValue: robustValue(s.value, s.foldValues) };
}
