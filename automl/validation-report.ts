/**
 * What the search's validation can say (issue 20 item 1): the folds it had, how far the top candidates are apart
 * compared with the best one's fold-to-fold spread, each feature's stability between folds, and — when the
 * evidence cannot rank the top candidates — a plain statement of what the selection preferred instead.
 * Pure: the prepared search's folds and the candidates' results in, a `ValidationReport` out.
 */
import { setImmediate } from 'node:timers/promises';
import type { CandidateSetup } from './candidate';
import type { FeatureStability, FoldSummary, ValidationReport } from './report';
import type { CandidateResult } from './search';
import { foldShift } from './stability';

/** Robust values closer than this are a tie (scores are averages of counts: anything smaller is rounding). */
const TIE = 1e-9;

type ReportInput = Pick<CandidateSetup, 'table' | 'folds' | 'drifting'>;

const value = (c: CandidateResult): number => c.robustValue ?? c.objective.value;
const fixed = (x: number): string => x.toFixed(4);

/** Sample standard deviation (0 below two values). */
export function foldSpread(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
}

export function foldSummaries(setup: Pick<CandidateSetup, 'table' | 'folds'>): FoldSummary[] {
  return setup.folds.map((fold, k) => {
    let positives = 0;
    for (let i = 0; i < fold.valid.length; i++) positives += setup.table.target[fold.valid[i] ?? 0] ?? 0;
    return {
      index: k + 1,
      trainRows: fold.train.length,
      validationRows: fold.valid.length,
      validationPositives: positives,
    };
  });
}

export function featureStability(input: ReportInput, isRelative: (name: string) => boolean): FeatureStability[] {
  return input.table.names.map((_, i) => featureStabilityAt(input, i, isRelative));
}

/** Feature `i`'s stability between folds. */
export function featureStabilityAt(
  input: ReportInput,
  i: number,
  isRelative: (name: string) => boolean,
): FeatureStability {
  const { table, folds, drifting } = input;
  const feature = table.names[i] ?? '';
  const shift = foldShift(table.columns[i] ?? new Float64Array(0), table.target, folds);
  return { feature, psi: shift.psi, ks: shift.ks, relative: isRelative(feature), drifting: drifting[i] === true };
}

/** `featureStability`, one feature at a time with the event loop let in between (the pool's job thread). */
export async function featureStabilityInSlices(
  input: ReportInput,
  isRelative: (name: string) => boolean,
): Promise<FeatureStability[]> {
  const out: FeatureStability[] = [];
  for (let i = 0; i < input.table.names.length; i++) {
    await setImmediate();
    out.push(featureStabilityAt(input, i, isRelative));
  }
  return out;
}

/** Why the chosen candidate was preferred over the top-ranked one, in words. */
function preference(top: CandidateResult, chosen: CandidateResult, isRelative: (name: string) => boolean): string {
  const topDrift = top.driftingFeatures ?? [];
  const chosenDrift = chosen.driftingFeatures ?? [];
  const relative = chosen.features.filter(isRelative).length;
  const reads =
    `${chosen.features.length} feature(s)` +
    (relative > 0 ? `, ${relative} of them relative (change, spread or time rather than a level)` : '') +
    (chosenDrift.length > 0 ? `, drifting: ${chosenDrift.join(', ')}` : ', none drifting between folds');
  const reasons: string[] = [];
  if (chosen.family === 'ensemble') {
    reasons.push(
      'averaged the single candidates it cannot rank (within one standard error of the top) in the ensemble',
    );
  } else if (top === chosen)
    reasons.push('kept the top candidate: no simpler one came within one standard error of it');
  else if (topDrift.length > 0 && chosenDrift.length === 0) {
    reasons.push(`set aside ${top.name}, which reads drifting feature(s) ${topDrift.join(', ')}`);
    reasons.push('took the simplest drift-free candidate within one standard error of the best drift-free one');
  } else reasons.push(`took the simplest candidate within one standard error of the top one (${top.name})`);
  return (
    `Preferred what generalises: robust value (mean of pooled and worst-fold ${chosen.objective.name}), then ` +
    `${reasons.join(', then ')}: ${chosen.name} (${chosen.family}, ${reads}).`
  );
}

/**
 * The report of a finished search. `chosen` is the index `selectCandidate` returned (-1 when none completed);
 * the gap is taken between the two best robust values, the spread on the top candidate's fold values.
 */
export function buildValidationReport(
  input: ReportInput,
  candidates: readonly CandidateResult[],
  chosen: number,
  isRelative: (name: string) => boolean,
  /** Computed beforehand (it depends on the folds only). @default featureStability(input, isRelative) */
  stability: FeatureStability[] = featureStability(input, isRelative),
): ValidationReport {
  const folds = foldSummaries(input);
  const ranked = candidates.filter((c) => c.status === 'Completed').sort((a, b) => value(b) - value(a));
  const [top, runnerUp] = ranked;
  const gap = top && runnerUp ? value(top) - value(runnerUp) : 0;
  const spread = top ? foldSpread(top.foldValues) : 0;
  const oneFold = folds.length < 2;
  const tie = runnerUp !== undefined && gap <= TIE;
  const noisy = spread > gap;
  const separable = top !== undefined && runnerUp !== undefined && !oneFold && !tie && !noisy;
  const base = { folds, gap, spread, separable, featureStability: stability };
  if (separable) return base;
  const causes: string[] = [];
  if (!top) causes.push('no candidate completed');
  else if (!runnerUp) causes.push('only one candidate completed');
  if (oneFold) causes.push(`only ${folds.length} validation fold held both classes`);
  if (tie && top) causes.push(`the top candidates tie at ${fixed(value(top))}`);
  if (noisy && !tie) causes.push(`the best one's fold-to-fold spread ${fixed(spread)} exceeds the gap ${fixed(gap)}`);
  const selected = candidates[chosen];
  const statement =
    `Validation cannot separate the top candidates: ${causes.join('; ')}.` +
    (top && selected ? ` ${preference(top, selected, isRelative)}` : '');
  return { ...base, statement };
}
