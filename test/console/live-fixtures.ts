/**
 * Fixtures of issue 21's run records: a retraining started by the monitor's alarm, and the shadow comparison state
 * shaped like tasks/shadow-compare-decision.ts's ShadowComparison (written out, not computed, so these tests pin the
 * shape the console reads).
 */

/** What infra/stacks/retrain-on-evidence.ts's rule starts the state machine with. */
export const EVIDENCE_INPUT = {
  trigger: 'evidence',
  reason: 'live-f1-below-static-rule',
  alarmName: 'occupancy-retrain-live-f1-below-static-rule',
  stateReason:
    'Threshold Crossed: 1 out of the last 1 datapoints [0.132 (29/11/26 20:00:00)] was greater than the threshold (0.0).',
  time: '2026-11-29T20:00:00Z',
};

export const REJECTED_COMPARISON = {
  passed: false,
  pairedReadings: 412,
  unpaired: 3,
  candidateF1: 0.688,
  servingF1: 0.742,
  delta: -0.054,
  lower: -0.091,
  upper: -0.019,
  confidence: 0.95,
  summary:
    'shadow: candidate F1 0.688 vs serving 0.742, ΔF1 -0.054 (95% CI -0.091..-0.019) on 412 paired labelled readings; CI lower bound -0.091 ≤ −0.02: worse than serving',
};

export const PASSED_COMPARISON = {
  ...REJECTED_COMPARISON,
  passed: true,
  candidateF1: 0.801,
  delta: 0.059,
  lower: 0.021,
  upper: 0.097,
  summary:
    'shadow: candidate F1 0.801 vs serving 0.742, ΔF1 0.059 (95% CI 0.021..0.097) on 412 paired labelled readings',
};

/** The CompareShadow state as the synthesized definition has it (pipeline/phases/shadow.ts): its settings. */
export const SHADOW_DEFINITION = {
  StartAt: 'CompareShadow',
  States: {
    CompareShadow: {
      Type: 'Task',
      Parameters: { Payload: { settings: { maxF1Loss: 0.02, minPairedReadings: 100, resamples: 1000, seed: 7 } } },
      End: true,
    },
  },
};

/** The states of a run from the alarm to the shadow comparison, which lands at `$.shadowComparison`. */
export function shadowStates(comparison: Record<string, unknown>, at = 1_764_000_000_000) {
  const state = (name: string, i: number, output: unknown, input: unknown = {}) => ({
    name,
    type: 'Task',
    status: 'succeeded' as const,
    enteredAt: at + i * 1000,
    exitedAt: at + i * 1000 + 500,
    input,
    output,
    error: null,
  });
  return [
    state('CheckTrigger', 0, { ...EVIDENCE_INPUT }),
    state('BakeShadow', 1, { run: { id: 'r' } }),
    state('CompareShadow', 2, { run: { id: 'r' }, shadowComparison: comparison }),
    state('CheckShadowComparison', 3, { run: { id: 'r' }, shadowComparison: comparison }),
  ];
}
