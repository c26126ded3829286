/** Deterministic weighted routing (smooth weighted round-robin, as nginx): exact shares, no randomness. */

export interface RouteTarget<T> {
  readonly target: T;
  readonly weight: number;
}

export class WeightedRoundRobin<T> {
  private readonly current: number[];
  private readonly total: number;

  constructor(private readonly targets: readonly RouteTarget<T>[]) {
    this.current = targets.map(() => 0);
    this.total = targets.reduce((s, t) => s + Math.max(0, t.weight), 0);
  }

  /** The next target, or undefined when every weight is zero. */
  next(): T | undefined {
    if (this.total <= 0) return undefined;
    let best = -1;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (const [i, t] of this.targets.entries()) {
      if (t.weight <= 0) continue;
      const value = (this.current[i] ?? 0) + t.weight;
      this.current[i] = value;
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    const chosen = this.targets[best];
    if (chosen === undefined) return undefined;
    this.current[best] = bestValue - this.total;
    return chosen.target;
  }
}
