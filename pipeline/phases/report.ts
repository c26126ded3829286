import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import {
  datumDimensions,
  endpointMetricDimensions,
  type MetricDefinition,
  OccupancyMetrics,
  selectMetric,
} from '../../observability/metrics';
import { StateNames as S } from '../state-names';
import { putMetricData } from './calls';
import type { PhaseContext } from './context';
import { releaseRunLock } from './run-lock';

/**
 * PublishMetrics → Notify → ReleaseRunLock → Summarize → Done: every outcome but already-running ends here. The subject holds only the outcome (a closed set of short
 * ASCII words): SNS refuses subjects of 100 characters or more, and the run id (up to 80 characters, maybe
 * non-ASCII) is in the message (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html).
 */
export function buildReport(ctx: PhaseContext): sfn.IChainable {
  const { scope, config } = ctx;
  const metric = (definition: MetricDefinition, valuePath: string) => {
    const selected = selectMetric(definition, endpointMetricDimensions(config.endpointName));
    return {
      MetricName: selected.name,
      Unit: definition.unit,
      Value: sfn.JsonPath.numberAt(valuePath),
      Dimensions: datumDimensions(selected.dimensions),
    };
  };
  const publishMetrics = ctx.guard(
    putMetricData(ctx, S.PublishMetrics, [
      metric(OccupancyMetrics.Promoted, '$.result.promoted'),
      metric(OccupancyMetrics.Deployed, '$.result.deployed'),
      metric(OccupancyMetrics.RolledBack, '$.result.rolledBack'),
    ]),
    'CloudWatch',
  );
  const notify = ctx.guard(
    new tasks.SnsPublish(scope, S.Notify, {
      topic: ctx.topic(),
      subject: sfn.JsonPath.format('occupancy retraining: {}', sfn.JsonPath.stringAt('$.result.outcome')),
      message: sfn.TaskInput.fromJsonPathAt(
        // The trigger (phases/cooldown.ts): why this run started, e.g. "evidence (live-f1-below-static-rule)".
        // Flagged: readings the sensor health rule flagged in the window (phases/export.ts ReadSplitPlan).
        "States.Format('Run {} finished: {}.\nStarted by: {} ({})\n{}\nSplit: {}\nFlagged readings (stuck or out of range): {} (stuck {}, out of range {}), {}\n\nDetails: {}', $.run.id, $.result.outcome, $.trigger.kind, $.trigger.reason, $.evaluation.summary, $.splitPlan.message, $.splitPlan.flagged.total, $.splitPlan.flagged.stuck, $.splitPlan.flagged.outOfRange, $.splitPlan.flagged.note, $.evaluation.evaluationUri)",
      ),
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'SNS',
  );
  const summarize = new sfn.Pass(scope, S.Summarize, {
    parameters: {
      'outcome.$': '$.result.outcome',
      'runId.$': '$.run.id',
      'executionArn.$': '$.run.executionArn',
      // { kind: evidence | schedule | manual, reason }: phases/cooldown.ts.
      'trigger.$': '$.trigger',
      'result.$': '$.result',
      'evaluation.$': '$.evaluation',
      // The time cutoffs chosen (or what the data lacks): features/split-plan.ts.
      'splitPlan.$': '$.splitPlan',
      'serving.$': '$.serving',
      endpointName: config.endpointName,
    },
  });
  summarize.next(new sfn.Succeed(scope, S.Done));
  const lock = { table: ctx.props.runLockTable, lockName: ctx.props.stateMachineName };
  const release = releaseRunLock(scope, S.ReleaseRunLock, lock, summarize);
  return publishMetrics.next(notify).next(release);
}
