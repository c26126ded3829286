import type { Reading } from '../../telemetry/reading';

/** The static rule the model replaces; it answers whenever the endpoint cannot. */
export interface ThresholdAnswer {
  readonly occupied: boolean;
  /** 1 or 0: the rule is certain of itself (it has no probability to give). */
  readonly probability: number;
  readonly model: string;
}

export function thresholdAnswer(reading: Reading, rule: { signal: string; level: number }): ThresholdAnswer {
  const value = reading.values[rule.signal];
  const occupied = typeof value === 'number' && value > rule.level;
  return { occupied, probability: occupied ? 1 : 0, model: `threshold:${rule.signal}>${rule.level}` };
}
