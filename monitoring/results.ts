/**
 * The monitor's query results, as both engines hand them back (Athena's GetQueryResults: every cell a string, NULL
 * absent), read into the pure figures: LiveCounts rows and per-feature bin counts on a baseline's bins.
 * Pure; a malformed cell is a MonitorResultError naming the column.
 */
import type { TrainingBaseline } from './baseline';
import type { LiveCounts } from './live-metrics';
import { driftFeatures, edgeColumn, missingColumn } from './query';

/** A result row by column name; a NULL cell is null or absent. */
export type ResultRow = Readonly<Record<string, string | null | undefined>>;

export class MonitorResultError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'MonitorResultError';
  }
}

function numberOf(row: ResultRow, column: string, nullAs?: number): number {
  const cell = row[column];
  if (cell === null || cell === undefined || cell === '') {
    if (nullAs !== undefined) return nullAs;
    throw new MonitorResultError(`result column "${column}" is missing`, column);
  }
  const value = Number(cell);
  if (!Number.isFinite(value)) throw new MonitorResultError(`result column "${column}" is "${cell}"`, column);
  return value;
}

/**
 * A text cell; NULL reads as '': the fallback's rows have variant '', and a CSV-backed result (Athena's, the local
 * stand-in's) may not tell an empty string from NULL.
 */
function textOf(row: ResultRow, column: string): string {
  return row[column] ?? '';
}

/** The metrics query's rows (sums over no labelled reading are NULL in SQL: read as 0). */
export function liveCountsOf(rows: readonly ResultRow[]): LiveCounts[] {
  return rows.map((r) => ({
    windowIndex: numberOf(r, 'window_index'),
    modelVersion: textOf(r, 'model_version'),
    variant: textOf(r, 'variant'),
    answered: numberOf(r, 'answered'),
    fallbacks: numberOf(r, 'fallbacks', 0),
    labelled: numberOf(r, 'labelled', 0),
    tp: numberOf(r, 'tp', 0),
    fp: numberOf(r, 'fp', 0),
    fn: numberOf(r, 'fn', 0),
    tn: numberOf(r, 'tn', 0),
    ruleTp: numberOf(r, 'rule_tp', 0),
    ruleFp: numberOf(r, 'rule_fp', 0),
    ruleFn: numberOf(r, 'rule_fn', 0),
    ruleTn: numberOf(r, 'rule_tn', 0),
    squaredErrorSum: numberOf(r, 'squared_error_sum', 0),
  }));
}

/** Live counts of one window and variant on each feature's baseline bins (edges.length + 2, the last missing). */
export interface DriftCounts {
  readonly windowIndex: number;
  readonly variant: string;
  readonly answered: number;
  readonly counts: Readonly<Record<string, readonly number[]>>;
}

/** The drift query's rows: cumulative counts at the edges back to counts per bin. */
export function driftCountsOf(rows: readonly ResultRow[], baseline: TrainingBaseline): DriftCounts[] {
  const features = driftFeatures(baseline);
  return rows.map((r) => {
    const answered = numberOf(r, 'answered');
    const counts: Record<string, number[]> = {};
    features.forEach((feature, i) => {
      const edges = baseline.features[feature]?.edges ?? [];
      const missing = numberOf(r, missingColumn(i), 0);
      const bins: number[] = [];
      let below = 0;
      edges.forEach((_, j) => {
        const cumulative = numberOf(r, edgeColumn(i, j), 0);
        bins.push(cumulative - below);
        below = cumulative;
      });
      bins.push(answered - missing - below, missing);
      counts[feature] = bins;
    });
    return { windowIndex: numberOf(r, 'window_index'), variant: textOf(r, 'variant'), answered, counts };
  });
}
