/**
 * What a search can say about its own evidence (issue 20): the folds it validated on, how far the candidates are
 * apart relative to their fold-to-fold spread, how stable each feature's distribution is between folds, and the
 * ensemble's members. Types only: computed by the search (automl/validation-report.ts, automl/ensemble*.ts),
 * stored in the job's state, printed by `occupancy automl --json` and shown by the console's leaderboard.
 */

/** One rolling-origin fold: trained on every row before its block, validated on the block. */
export interface FoldSummary {
  /** 1-based, in time order. */
  readonly index: number;
  readonly trainRows: number;
  readonly validationRows: number;
  /** Occupied rows in the validation block (every fold holds both classes). */
  readonly validationPositives: number;
}

/** How far one feature's distribution moves between folds (on the unoccupied rows, so a busier week is not drift). */
export interface FeatureStability {
  readonly feature: string;
  /** Largest population stability index between any fold's validation block and the first training block. */
  readonly psi: number;
  /** Largest two-sample Kolmogorov–Smirnov statistic between the same pairs (0..1). */
  readonly ks: number;
  /** Describes change, spread or time rather than a level (deltas, slopes, time since a crossing, hour of day). */
  readonly relative: boolean;
  /** True when the search treats it as drifting (candidates reading it must clearly beat those that do not). */
  readonly drifting: boolean;
}

export interface ValidationReport {
  readonly folds: FoldSummary[];
  /** Best robust value minus the runner-up's (completed candidates, the baseline included). */
  readonly gap: number;
  /** Fold-to-fold standard deviation of the best candidate's objective (0 with one fold). */
  readonly spread: number;
  /** False when one fold, a tie, or a spread larger than the gap means validation cannot rank the top candidates. */
  readonly separable: boolean;
  /** A plain sentence when `separable` is false (what was preferred instead), else undefined. */
  readonly statement?: string;
  readonly featureStability: FeatureStability[];
}

/** One member of an ensemble candidate: another candidate of the same job, refitted, with its weight. */
export interface EnsembleMember {
  readonly candidateName: string;
  readonly family: string;
  readonly featureSubset: string;
  readonly features: string[];
  /** Non-negative; the members' weights sum to 1. Chosen on out-of-fold predictions. */
  readonly weight: number;
}
