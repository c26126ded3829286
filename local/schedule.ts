/**
 * The local scheduler reads the same EventBridge Scheduler expression as AWS. `rate(...)` runs on its
 * interval; `cron(...)`/`at(...)` are not evaluated locally and fall back to daily, said plainly.
 */

const UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3600, day: 86_400 };

export function scheduleIntervalMs(expression: string): { intervalMs: number; note?: string } {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const unit = (rate[2] ?? 'day').replace(/s$/, '');
    return { intervalMs: Number(rate[1]) * (UNIT_SECONDS[unit] ?? 86_400) * 1000 };
  }
  return {
    intervalMs: 86_400_000,
    note: `schedule "${expression}" is not evaluated locally; retraining daily instead`,
  };
}
