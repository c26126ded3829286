import type { LabelledTable } from '../telemetry/table';
import { EvaluationError } from './errors';
import { classificationMetrics, type Metrics } from './metrics';
import {
  applyThreshold,
  type FittedThreshold,
  fitBestThresholdOnCounts,
  fitBestThresholdWithScore,
  type ThresholdModel,
  type TrainingCounts,
} from './threshold';

export interface BaselineResult {
  /** 'static-rule' | 'best-threshold' | 'best-sound-threshold' */
  readonly name: string;
  readonly description: string;
  readonly rule: ThresholdModel;
  /** Scored on the holdout. */
  readonly metrics: Metrics;
}

/** The seed rule the system replaces. */
export const SEED_RULE = { signal: 'sound', level: 10 } as const;

export interface BaselineOptions {
  /** The training rows, or their per-value counts (what a streamed read of a large train split keeps). */
  readonly train: LabelledTable | TrainingCounts;
  readonly holdout: LabelledTable;
  /** The static rule `signal > level`; undefined means the seed rule `sound > 10`, null means none. */
  readonly staticRule?: { readonly signal: string; readonly level: number } | null;
  /** Name of the sound signal, for the sound-only fitted baseline. */
  readonly soundSignal?: string;
  /** Raw signal columns that may be thresholded (default: every numeric column of train). */
  readonly signals?: string[];
}

const ruleText = (rule: ThresholdModel): string =>
  `${rule.signal} ${rule.direction === 'above' ? '>' : '<'} ${Number(rule.level.toPrecision(6))}`;

const hasColumn = (table: { readonly names: readonly string[] }, name: string): boolean => table.names.includes(name);

const fitOn = (train: LabelledTable | TrainingCounts, signals: string[]): FittedThreshold =>
  'counts' in train ? fitBestThresholdOnCounts(train, signals) : fitBestThresholdWithScore(train, signals);

/**
 * Every threshold baseline a learned model must beat, scored on the holdout:
 * - `static-rule`: the rule in force today (omitted when the holdout has no such column);
 * - `best-threshold`: the best single-signal threshold fitted on train over the candidate signals;
 * - `best-sound-threshold`: the same, fitted on the sound signal alone (when given and present).
 */
export function evaluateBaselines(opts: BaselineOptions): BaselineResult[] {
  const { train, holdout, soundSignal } = opts;
  const staticRule = opts.staticRule === undefined ? SEED_RULE : opts.staticRule;
  const score = (rule: ThresholdModel): Metrics => classificationMetrics(holdout.target, applyThreshold(rule, holdout));
  const results: BaselineResult[] = [];

  if (staticRule !== null && hasColumn(holdout, staticRule.signal)) {
    const rule: ThresholdModel = { signal: staticRule.signal, level: staticRule.level, direction: 'above' };
    results.push({
      name: 'static-rule',
      description: `Static rule in force today: occupied when ${ruleText(rule)}`,
      rule,
      metrics: score(rule),
    });
  }

  // Derived feature columns (deltas, rolling stats) are left out when the caller names the raw signals.
  const candidates = (opts.signals ?? train.names).filter((s) => hasColumn(train, s) && hasColumn(holdout, s));
  if (candidates.length === 0) {
    throw new EvaluationError(
      `None of the candidate signals [${(opts.signals ?? train.names).join(', ')}] is a column of both train and holdout`,
      'signals',
    );
  }
  const best = fitOn(train, candidates);
  results.push({
    name: 'best-threshold',
    description: `Best single-signal threshold fitted on train by F1 over [${candidates.join(', ')}]: occupied when ${ruleText(best.model)} (train F1 ${best.trainF1.toFixed(3)})`,
    rule: best.model,
    metrics: score(best.model),
  });

  if (soundSignal !== undefined && hasColumn(train, soundSignal) && hasColumn(holdout, soundSignal)) {
    const sound = fitOn(train, [soundSignal]);
    results.push({
      name: 'best-sound-threshold',
      description: `Best ${soundSignal} threshold fitted on train by F1: occupied when ${ruleText(sound.model)} (train F1 ${sound.trainF1.toFixed(3)})`,
      rule: sound.model,
      metrics: score(sound.model),
    });
  }
  return results;
}
