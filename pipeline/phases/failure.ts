import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { awsRetry } from '../retry';
import { StateNames as S } from '../state-names';
import { type RunLockTable, releaseRunLock } from './run-lock';

/**
 * SNS subjects must be under 100 characters, on one line, without control characters
 * (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). Execution names are up to 80 characters
 * and may hold non-ASCII, so no subject carries the run id: the message does.
 */
export const FAILURE_SUBJECT = 'occupancy retraining failed';

/**
 * NotifyFailure → ReleaseRunLockOnFailure → RunFailed: every Catch that is not a known outcome ends here with
 * `$.error`. The release is conditioned on this execution holding the lock (a run that failed before taking it,
 * or that lost it, frees nothing).
 */
export function buildFailurePath(scope: Construct, topic: sns.ITopic, lock: RunLockTable): sfn.IChainable {
  const runFailed = new sfn.Fail(scope, S.RunFailed, { errorPath: '$.error.Error', causePath: '$.error.Cause' });
  const notifyFailure = new tasks.SnsPublish(scope, S.NotifyFailure, {
    topic,
    subject: FAILURE_SUBJECT,
    message: sfn.TaskInput.fromJsonPathAt(
      "States.Format('Run {} failed.\nError: {}\nCause: {}', $.run.id, $.error.Error, $.error.Cause)",
    ),
    resultPath: sfn.JsonPath.DISCARD,
  });
  const release = releaseRunLock(scope, S.ReleaseRunLockOnFailure, lock, runFailed);
  notifyFailure.addRetry(awsRetry('SNS'));
  notifyFailure.addCatch(release, { resultPath: '$.notifyError' });
  return notifyFailure.next(release);
}
