/**
 * Live quality of a model/variant over a window, from what it answered and the labels now known:
 * precision/recall/F1 and Brier on the readings the model answered and whose label is known, the fallback rate
 * over all its answers, and the static rule's F1 on exactly those labelled readings (the fallback's rule,
 * tasks/infer-occupancy/fallback.ts: `value > level`, a missing value is "not occupied"), so the two F1s are paired.
 * Fallback answers are left out of the model's F1: they are the static rule's answers, and counting them would
 * pull the model's F1 toward the rule's exactly when the endpoint fails (the fallback rate says that instead).
 * Pure: rows or counts in, figures out. The monitor's SQL (query.ts) returns the counts; `countRows` is the same
 * aggregation in TypeScript (tests cross-check the two).
 */
import { f1FromCounts } from '../evaluation/metrics';

/** One answered reading with the label in force (null: not known yet). */
export interface LiveRow {
  /** 0 the newest window, 1 the one before, … */
  readonly windowIndex: number;
  readonly modelVersion: string;
  readonly variant: string;
  readonly source: 'model' | 'fallback';
  readonly decision: 0 | 1;
  /** P(occupied) the answer carried. */
  readonly probability: number;
  readonly label: 0 | 1 | null;
  /** The static rule's decision on the same reading. */
  readonly ruleDecision: 0 | 1;
}

/** Sums per window, model version and variant: what the monitor's metrics query returns. */
export interface LiveCounts {
  readonly windowIndex: number;
  readonly modelVersion: string;
  readonly variant: string;
  /** Every answer (model or fallback). */
  readonly answered: number;
  readonly fallbacks: number;
  /** Model answers whose label is known: the readings the F1s are measured on. */
  readonly labelled: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
  readonly ruleTp: number;
  readonly ruleFp: number;
  readonly ruleFn: number;
  readonly ruleTn: number;
  /** Σ (probability − label)² over the labelled readings. */
  readonly squaredErrorSum: number;
}

export interface LiveMetrics {
  readonly windowIndex: number;
  readonly modelVersion: string;
  readonly variant: string;
  readonly answered: number;
  readonly labelledReadings: number;
  /** fallbacks / answered; 0 without answers. */
  readonly fallbackRate: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly staticRuleF1: number;
  /** Mean squared error of P(occupied); 0 without labelled readings. */
  readonly brier: number;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

export function liveMetrics(c: LiveCounts): LiveMetrics {
  return {
    windowIndex: c.windowIndex,
    modelVersion: c.modelVersion,
    variant: c.variant,
    answered: c.answered,
    labelledReadings: c.labelled,
    fallbackRate: ratio(c.fallbacks, c.answered),
    precision: ratio(c.tp, c.tp + c.fp),
    recall: ratio(c.tp, c.tp + c.fn),
    f1: f1FromCounts(c.tp, c.fp, c.fn),
    staticRuleF1: f1FromCounts(c.ruleTp, c.ruleFp, c.ruleFn),
    brier: ratio(c.squaredErrorSum, c.labelled),
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The metrics query's aggregation over rows, in TypeScript: one LiveCounts per window, model version and variant. */
export function countRows(rows: Iterable<LiveRow>): LiveCounts[] {
  const groups = new Map<string, Mutable<LiveCounts>>();
  for (const r of rows) {
    const key = JSON.stringify([r.windowIndex, r.modelVersion, r.variant]);
    let g = groups.get(key);
    if (!g) {
      g = {
        windowIndex: r.windowIndex,
        modelVersion: r.modelVersion,
        variant: r.variant,
        answered: 0,
        fallbacks: 0,
        labelled: 0,
        tp: 0,
        fp: 0,
        fn: 0,
        tn: 0,
        ruleTp: 0,
        ruleFp: 0,
        ruleFn: 0,
        ruleTn: 0,
        squaredErrorSum: 0,
      };
      groups.set(key, g);
    }
    g.answered++;
    if (r.source === 'fallback') {
      g.fallbacks++;
      continue;
    }
    if (r.label === null) continue;
    g.labelled++;
    g.squaredErrorSum += (r.probability - r.label) ** 2;
    if (r.label === 1) {
      if (r.decision === 1) g.tp++;
      else g.fn++;
      if (r.ruleDecision === 1) g.ruleTp++;
      else g.ruleFn++;
    } else {
      if (r.decision === 1) g.fp++;
      else g.tn++;
      if (r.ruleDecision === 1) g.ruleFp++;
      else g.ruleTn++;
    }
  }
  return [...groups.values()].sort(
    (a, b) =>
      a.windowIndex - b.windowIndex ||
      a.modelVersion.localeCompare(b.modelVersion) ||
      a.variant.localeCompare(b.variant),
  );
}
