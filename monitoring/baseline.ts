/**
 * The training baseline a model is monitored against: per feature, the decile edges of its training values and the
 * share of training rows in each bin (plus a last bin for missing values). Small JSON (≈ 12 numbers a feature), so
 * the AutoML engine can attach it to the artifact (`TrainingBaselineSchema` is the optional field's schema) and
 * the monitor can bin live values in SQL without the training rows.
 * Binning follows automl/stability.ts exactly (deciles of the reference, repeated quantiles merged, a value equal
 * to an edge in the lower bin), so PSI on a baseline equals stability.ts's PSI on the raw samples.
 * Pure: columns in, summary out.
 */
import * as z from 'zod';

/** Reference quantile bins (deciles, as automl/stability.ts). */
export const BASELINE_BINS = 10;
/** Proportions of a feature sum to 1 within this (JSON round trip of ≤ 12 shares). */
const SUM_TOLERANCE = 1e-6;

export const FeatureBaselineSchema = z
  .object({
    /** Ascending, distinct: bin i holds edges[i-1] < v ≤ edges[i]; the bin after the last edge holds v > it. */
    edges: z.array(z.number().finite()).max(BASELINE_BINS - 1),
    /** edges.length + 2 shares: the finite bins, then the missing-value bin. Sum 1 (all 0 when rows is 0). */
    proportions: z.array(z.number().min(0).max(1)),
    /** Training rows summarised (missing values included). */
    rows: z.number().int().min(0),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.proportions.length !== f.edges.length + 2) {
      ctx.addIssue({ code: 'custom', path: ['proportions'], message: 'must hold edges.length + 2 shares' });
    }
    for (let i = 1; i < f.edges.length; i++) {
      if ((f.edges[i] ?? 0) <= (f.edges[i - 1] ?? 0)) {
        ctx.addIssue({ code: 'custom', path: ['edges', i], message: 'edges must be strictly ascending' });
      }
    }
    const sum = f.proportions.reduce((a, b) => a + b, 0);
    if (f.rows > 0 && Math.abs(sum - 1) > SUM_TOLERANCE) {
      ctx.addIssue({ code: 'custom', path: ['proportions'], message: `shares must sum to 1, got ${sum}` });
    }
  });
export type FeatureBaseline = z.infer<typeof FeatureBaselineSchema>;

/** The artifact's optional `trainingBaseline` field. */
export const TrainingBaselineSchema = z
  .object({
    version: z.literal(1),
    /** Rows of the training data it was computed on. */
    rows: z.number().int().min(0),
    /** By feature name (the artifact's feature names, which are the predictions table's feature columns). */
    features: z.record(z.string().min(1), FeatureBaselineSchema),
  })
  .strict();
export type TrainingBaseline = z.infer<typeof TrainingBaselineSchema>;

export class BaselineError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'BaselineError';
  }
}

const isMissing = (v: number | null | undefined): boolean => v === null || v === undefined || Number.isNaN(v);

/** Edges of `values`: its deciles, ascending, repeated ones merged (as stability.ts's populationStabilityIndex). */
export function quantileEdges(values: ArrayLike<number>): number[] {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!isMissing(v)) finite.push(v as number);
  }
  const sorted = Float64Array.from(finite).sort();
  const edges: number[] = [];
  if (sorted.length === 0) return edges;
  for (let q = 1; q < BASELINE_BINS; q++) {
    const edge = sorted[Math.min(sorted.length - 1, Math.floor((q * sorted.length) / BASELINE_BINS))];
    if (edge !== undefined && edge !== edges[edges.length - 1]) edges.push(edge);
  }
  return edges;
}

/** Bin of `v` on `edges`: the first edge ≥ v (equal falls in the lower bin), edges.length past the last, +1 missing. */
export function binOf(edges: readonly number[], v: number | null | undefined): number {
  if (isMissing(v)) return edges.length + 1;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((edges[mid] ?? 0) < (v as number)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts of `values` in each bin of `edges` (edges.length + 2 counts, the last for missing values). */
export function binCounts(edges: readonly number[], values: ArrayLike<number | null>): number[] {
  const counts = new Array<number>(edges.length + 2).fill(0);
  for (let i = 0; i < values.length; i++) {
    const b = binOf(edges, values[i]);
    counts[b] = (counts[b] ?? 0) + 1;
  }
  return counts;
}

/** One feature's summary. */
export function featureBaseline(values: ArrayLike<number | null>): FeatureBaseline {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!isMissing(v)) finite.push(v as number);
  }
  const edges = quantileEdges(finite);
  const counts = binCounts(edges, values);
  const rows = values.length;
  return { edges, proportions: counts.map((c) => (rows === 0 ? 0 : c / rows)), rows };
}

/**
 * The baseline of a training table: one summary per named column, all columns of the same length (the training
 * rows). What the AutoML engine calls with its feature columns when it writes the artifact.
 */
export function computeTrainingBaseline(columns: Readonly<Record<string, ArrayLike<number | null>>>): TrainingBaseline {
  const entries = Object.entries(columns);
  const rows = entries[0]?.[1].length ?? 0;
  const features: Record<string, FeatureBaseline> = {};
  for (const [name, values] of entries) {
    if (values.length !== rows) {
      throw new BaselineError(`column "${name}" has ${values.length} values, the first column ${rows}`, name);
    }
    features[name] = featureBaseline(values);
  }
  return { version: 1, rows, features };
}

/** Validates a baseline read from JSON (an artifact field, a file); the error names the first offending field. */
export function parseTrainingBaseline(input: unknown): TrainingBaseline {
  const result = TrainingBaselineSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(baseline)';
  throw new BaselineError(`Invalid training baseline: ${field}: ${issue?.message ?? 'invalid'}`, field);
}
