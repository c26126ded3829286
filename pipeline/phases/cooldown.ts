import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { StateNames as S } from '../state-names';
import type { PhaseContext } from './context';
import { releaseRunLock } from './run-lock';

/**
 * After the single-run lock is taken: what started the run, kept at `$.trigger` = `{ kind, reason }` for the
 * notification and the summary (phases/report.ts).
 * - Input with a string `reason` (the monitor's alarms through EventBridge, infra/stacks/retrain-on-evidence.ts:
 *   `{ trigger: "evidence", reason, alarmName, … }`): kind `evidence`, and the retraining cooldown applies —
 *   CheckRetrainingCooldown (tasks/retraining-cooldown.ts) lets it through only when the last evidence-started run
 *   began at least `monitoring.retrainingCooldownMinutes` earlier; otherwise MarkCooldown → the lock is released →
 *   Cooldown (outcome `cooldown`, no work done, no notification).
 * - Input with a string `trigger` (the schedule: `{ trigger: "schedule" }`): that kind, reason `none`; no cooldown.
 * - Anything else (a manual start, `{}`): kind `manual`, reason `none`.
 * Without `cooldownFunction` (tests of other phases) evidence runs go straight on.
 */
export function buildTrigger(ctx: PhaseContext, next: sfn.IChainable): sfn.IChainable {
  const { scope, props, config } = ctx;
  const evidence = new sfn.Pass(scope, S.TriggerEvidence, {
    parameters: { kind: 'evidence', 'reason.$': '$.reason' },
    resultPath: '$.trigger',
  });
  const given = new sfn.Pass(scope, S.TriggerGiven, {
    parameters: { 'kind.$': '$.trigger', reason: 'none' },
    resultPath: '$.trigger',
  }).next(next);
  const manual = new sfn.Pass(scope, S.TriggerManual, {
    parameters: { kind: 'manual', reason: 'none' },
    resultPath: '$.trigger',
  }).next(next);
  const choice = new sfn.Choice(scope, S.CheckTrigger)
    .when(sfn.Condition.and(sfn.Condition.isPresent('$.reason'), sfn.Condition.isString('$.reason')), evidence)
    .when(sfn.Condition.and(sfn.Condition.isPresent('$.trigger'), sfn.Condition.isString('$.trigger')), given)
    .otherwise(manual);

  const fn = props.cooldownFunction;
  if (fn === undefined) {
    evidence.next(next);
    return choice;
  }
  const check = ctx.guard(
    new tasks.LambdaInvoke(scope, S.CheckRetrainingCooldown, {
      lambdaFunction: fn,
      comment: 'Evidence-started runs: at most one per retrainingCooldownMinutes',
      payload: sfn.TaskInput.fromObject({
        table: props.runLockTable.tableName,
        lockName: props.stateMachineName,
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        reason: sfn.JsonPath.stringAt('$.trigger.reason'),
        cooldownMinutes: config.monitoring.retrainingCooldownMinutes,
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: '$.cooldown',
    }),
    'Lambda',
  );
  const refused = new sfn.Pass(scope, S.MarkCooldown, {
    parameters: {
      outcome: 'cooldown',
      'runId.$': '$.run.id',
      'executionArn.$': '$.run.executionArn',
      'trigger.$': '$.trigger',
      'cooldown.$': '$.cooldown',
    },
  });
  const lock = { table: props.runLockTable, lockName: props.stateMachineName };
  const end = new sfn.Succeed(scope, S.Cooldown, {
    comment: 'An evidence-started run within the cooldown of the last one: nothing done.',
  });
  refused.next(releaseRunLock(scope, S.ReleaseRunLockInCooldown, lock, end));
  evidence.next(
    check.next(
      new sfn.Choice(scope, S.CheckCooldownResult)
        .when(sfn.Condition.booleanEquals('$.cooldown.allowed', true), next)
        .otherwise(refused),
    ),
  );
  return choice;
}
