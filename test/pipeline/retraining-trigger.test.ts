import { StateNames as S } from '../../pipeline/state-names';
import { synthRetraining } from './fixture';
import { type Handler, runLocally } from './local-run';

/**
 * What started a run (pipeline/phases/cooldown.ts): evidence (a monitor alarm through EventBridge) is checked against
 * the retraining cooldown after the single-run lock is taken; the trigger and its reason reach the notification and
 * the summary; a run refused by the cooldown releases the lock and ends `cooldown` without doing anything.
 */

const { asl } = synthRetraining({}, { cooldown: true });
const EVIDENCE = {
  trigger: 'evidence',
  reason: 'live-f1-below-static-rule',
  alarmName: 'occupancy-retrain-live-f1-below-static-rule',
};

function cooldownAnswer(allowed: boolean, seen: Record<string, unknown>[]): Handler {
  return async (input) => {
    seen.push(input);
    return {
      allowed,
      lastExecutionArn: allowed ? '' : 'arn:previous',
      lastStartedAt: allowed ? '' : '2024-12-31T12:00:00Z',
      lastReason: allowed ? '' : 'sustained-drift',
      cooldownUntil: '2025-01-01T12:00:00Z',
    };
  };
}

describe('retraining trigger and cooldown (synthesized ASL)', () => {
  it('an evidence run outside the cooldown proceeds; its reason is in the notification and the summary', async () => {
    const seen: Record<string, unknown>[] = [];
    const run = await runLocally(
      asl,
      { endpoint: 'InService', promote: false },
      { input: EVIDENCE, overrides: { CheckRetrainingCooldown: cooldownAnswer(true, seen) } },
    );
    expect(run.output).toMatchObject({
      outcome: 'not-promoted',
      trigger: { kind: 'evidence', reason: 'live-f1-below-static-rule' },
    });
    expect(seen).toEqual([
      expect.objectContaining({
        reason: 'live-f1-below-static-rule',
        cooldownMinutes: 1440,
        lockName: 'occupancy-retraining',
        startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
    ]);
  });

  it('an evidence run within the cooldown releases the lock and ends `cooldown`, doing nothing else', async () => {
    const released: Record<string, unknown>[] = [];
    const run = await runLocally(
      asl,
      { endpoint: 'InService', promote: true },
      {
        input: EVIDENCE,
        overrides: {
          CheckRetrainingCooldown: cooldownAnswer(false, []),
          ReleaseRunLockInCooldown: async (input) => {
            released.push(input);
            return {};
          },
        },
      },
    );
    expect(run.output).toMatchObject({
      outcome: 'cooldown',
      trigger: { kind: 'evidence', reason: 'live-f1-below-static-rule' },
      cooldown: { allowed: false, lastReason: 'sustained-drift', cooldownUntil: '2025-01-01T12:00:00Z' },
    });
    expect(released).toHaveLength(1);
    expect(run.calls).not.toContain('StartAutoML');
    expect(run.subjects).toEqual([]);
  });

  it('an insufficient-data end keeps the trigger for the report', async () => {
    const run = await runLocally(
      asl,
      { splitPlan: 'insufficient-data' },
      { input: EVIDENCE, overrides: { CheckRetrainingCooldown: cooldownAnswer(true, []) } },
    );
    expect(run.output).toMatchObject({
      outcome: 'insufficient-data',
      trigger: { kind: 'evidence', reason: 'live-f1-below-static-rule' },
    });
  });

  it.each([
    [{ trigger: 'schedule' }, 'schedule'],
    [{}, 'manual'],
  ])('input %j: kind %s, reason none, no cooldown check', async (input, kind) => {
    const seen: Record<string, unknown>[] = [];
    const run = await runLocally(
      asl,
      { endpoint: 'InService', promote: false },
      { input, overrides: { CheckRetrainingCooldown: cooldownAnswer(true, seen) } },
    );
    expect(run.output).toMatchObject({ outcome: 'not-promoted', trigger: { kind, reason: 'none' } });
    expect(seen).toEqual([]);
  });

  it('the trigger is read after the lock: CheckTrigger follows GuardSingleRun', () => {
    const states = asl.States as Record<string, { Next?: string }>;
    expect(states[S.GuardSingleRun]?.Next).toBe(S.CheckTrigger);
  });
});
