import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { StateNames as S } from '../state-names';
import type { PhaseContext } from './context';

/**
 * NameRun → GuardSingleRun → CheckSingleRun: names every resource of the run after the execution and
 * exits early (already-running) when another execution of the state machine is running.
 */
export function buildRunIdentity(ctx: PhaseContext, next: sfn.IChainable): sfn.IChainable {
  const { scope, props } = ctx;
  // AutoML job names are ≤ 32 chars: an MD5 is exactly 32 hex characters. Its input, "<state machine>/<execution
  // name>", is unique per execution (names are unique per state machine). Not the full execution ARN: the local
  // emulator's States.Hash is wrong for inputs of 56 bytes or more, and every ARN is longer than that.
  const runKey = `States.Hash(States.Format('${props.stateMachineName}/{}', $$.Execution.Name), 'MD5')`;
  const bucket = props.artifactsBucketName;
  const runUri = (suffix: string) => `States.Format('s3://${bucket}/runs/{}/${suffix}', $$.Execution.Name)`;
  const nameRun = new sfn.Pass(scope, S.NameRun, {
    parameters: {
      'id.$': '$$.Execution.Name',
      'executionArn.$': '$$.Execution.Id',
      'startedAt.$': '$$.Execution.StartTime',
      'key.$': runKey,
      'autoMLJobName.$': runKey,
      'candidateModelName.$': `States.Format('occ-{}-candidate', ${runKey})`,
      'candidateTransformJobName.$': `States.Format('occ-{}-candidate', ${runKey})`,
      'servingTransformJobName.$': `States.Format('occ-{}-serving', ${runKey})`,
      'endpointConfigName.$': `States.Format('occ-{}', ${runKey})`,
      bucket,
      'prefix.$': "States.Format('runs/{}', $$.Execution.Name)",
      'athenaOutput.$': runUri('athena/'),
      'trainUri.$': runUri('data/train.csv'),
      'validationUri.$': runUri('data/validation.csv'),
      'holdoutUri.$': runUri('data/holdout.csv'),
      'scoringInputUri.$': runUri('data/holdout-input.csv'),
      'autoMLOutput.$': runUri('automl'),
      'candidatePredictions.$': runUri('predictions/candidate'),
      'servingPredictions.$': runUri('predictions/serving'),
      'evaluationPrefix.$': runUri('evaluation'),
    },
    resultPath: '$.run',
  });

  const guardSingleRun = ctx.guard(
    new tasks.CallAwsService(scope, S.GuardSingleRun, {
      service: 'sfn',
      action: 'listExecutions',
      iamAction: 'states:ListExecutions',
      iamResources: [ctx.arns.stateMachine],
      parameters: { StateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'), StatusFilter: 'RUNNING' },
      resultSelector: { 'running.$': 'States.ArrayLength($.Executions)' },
      resultPath: '$.guard',
    }),
    'Sfn',
  );
  const alreadyRunning = new sfn.Pass(scope, S.MarkAlreadyRunning, {
    parameters: {
      outcome: 'already-running',
      'runId.$': '$.run.id',
      'executionArn.$': '$.run.executionArn',
      'running.$': '$.guard.running',
    },
  }).next(new sfn.Succeed(scope, S.AlreadyRunning, { comment: 'Another execution is running; this one exits.' }));
  const checkSingleRun = new sfn.Choice(scope, S.CheckSingleRun)
    .when(sfn.Condition.numberGreaterThan('$.guard.running', 1), alreadyRunning)
    .otherwise(next);
  return nameRun.next(guardSingleRun).next(checkSingleRun);
}
