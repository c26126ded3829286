/** Latency percentiles (nearest-rank) for fleet summaries and the bench. */
export interface LatencySummary {
  readonly count: number;
  readonly p50_ms: number | null;
  readonly p99_ms: number | null;
  readonly max_ms: number | null;
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? null;
}

const round3 = (v: number | null): number | null => (v === null ? null : Math.round(v * 1000) / 1000);

export function summariseLatencies(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50_ms: round3(percentile(sorted, 50)),
    p99_ms: round3(percentile(sorted, 99)),
    max_ms: round3(sorted.length === 0 ? null : (sorted[sorted.length - 1] ?? null)),
  };
}
