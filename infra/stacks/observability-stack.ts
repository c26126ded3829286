import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { PipelineConfig } from '../../pipeline/config';
import { inferenceMetricDimensions, METRICS_NAMESPACE, PipelineMetrics } from '../../pipeline/state-names';

export interface ObservabilityStackProps extends StackProps {
  readonly config: PipelineConfig;
  readonly stateMachine: sfn.IStateMachine;
  readonly topic: sns.ITopic;
  /** The serving stack's rollback alarms: also notify people. */
  readonly endpointAlarms: readonly cloudwatch.IAlarm[];
}

/** The `occupancy` dashboard and the alarms that page people (pipeline failures, endpoint health). */
export class ObservabilityStack extends Stack {
  readonly dashboard: cloudwatch.Dashboard;
  readonly pipelineFailedAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config, stateMachine } = props;
    const endpoint = config.endpointName;
    const own = (name: string, statistic = 'Maximum', period = Duration.days(1)) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { EndpointName: endpoint },
        statistic,
        period,
      });
    const inference = (name: string, statistic: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: inferenceMetricDimensions(endpoint),
        statistic,
        period,
      });
    const sagemaker = (name: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SageMaker',
        metricName: name,
        dimensionsMap: { EndpointName: endpoint, VariantName: 'AllTraffic' },
        statistic,
        period: Duration.minutes(5),
      });

    this.pipelineFailedAlarm = new cloudwatch.Alarm(this, 'PipelineFailed', {
      alarmName: 'occupancy-retraining-failed',
      alarmDescription: 'A retraining execution failed, timed out or was aborted',
      metric: new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: stateMachine.metricFailed({ period: Duration.hours(1) }),
          timedOut: stateMachine.metricTimedOut({ period: Duration.hours(1) }),
          aborted: stateMachine.metricAborted({ period: Duration.hours(1) }),
        },
        period: Duration.hours(1),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const notify = new actions.SnsAction(props.topic);
    this.pipelineFailedAlarm.addAlarmAction(notify);
    const fallbackPage = new cloudwatch.Alarm(this, 'FallbackSustained', {
      alarmName: `${endpoint}-fallback-sustained`,
      alarmDescription: 'Inference keeps falling back to the threshold rule (endpoint down or slow)',
      metric: new cloudwatch.MathExpression({
        expression: 'IF(total > 0, fallbacks / total, 0)',
        usingMetrics: {
          fallbacks: inference(PipelineMetrics.InferenceFallback, 'Sum', Duration.minutes(5)),
          total: inference(PipelineMetrics.Inferences, 'Sum', Duration.minutes(5)),
        },
        period: Duration.minutes(5),
      }),
      threshold: config.alarms.fallbackRate,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    fallbackPage.addAlarmAction(notify);
    fallbackPage.addOkAction(notify);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: 'occupancy',
      defaultInterval: Duration.days(14),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Retraining runs',
        left: [
          stateMachine.metricStarted({ period: Duration.days(1) }),
          stateMachine.metricSucceeded({ period: Duration.days(1) }),
          stateMachine.metricFailed({ period: Duration.days(1) }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'F1 on holdout: candidate vs baseline vs serving',
        left: [own(PipelineMetrics.CandidateF1), own(PipelineMetrics.BaselineF1), own(PipelineMetrics.ServingF1)],
        leftYAxis: { min: 0, max: 1 },
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Approvals: wait (s)',
        left: [
          new cloudwatch.Metric({
            namespace: METRICS_NAMESPACE,
            metricName: PipelineMetrics.ApprovalWaitSeconds,
            dimensionsMap: { service: 'approval-callback', Decision: 'approved', Via: 'link' },
            statistic: 'Maximum',
            period: Duration.days(1),
          }),
        ],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Promotions, deployments, rollbacks',
        left: [
          own(PipelineMetrics.Promoted, 'Sum'),
          own(PipelineMetrics.Deployed, 'Sum'),
          own(PipelineMetrics.RolledBack, 'Sum'),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Endpoint invocations and 5xx',
        left: [sagemaker('Invocations', 'Sum')],
        right: [sagemaker('Invocation5XXErrors', 'Sum')],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Model latency (µs)',
        left: [sagemaker('ModelLatency', 'p50'), sagemaker('ModelLatency', 'p99')],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Inference fallback rate',
        left: [
          new cloudwatch.MathExpression({
            expression: 'IF(total > 0, fallbacks / total, 0)',
            label: 'fallback rate',
            usingMetrics: {
              fallbacks: inference(PipelineMetrics.InferenceFallback, 'Sum', Duration.minutes(5)),
              total: inference(PipelineMetrics.Inferences, 'Sum', Duration.minutes(5)),
            },
            period: Duration.minutes(5),
          }),
        ],
        leftYAxis: { min: 0, max: 1 },
        width: 12,
      }),
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [this.pipelineFailedAlarm, fallbackPage, ...props.endpointAlarms],
        width: 12,
      }),
    );
  }
}
