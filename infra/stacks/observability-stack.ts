import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { buildFeatureSpec } from '../../features';
import {
  inferenceMetricDimensions,
  type MetricDefinition,
  OccupancyMetrics,
  selectMetric,
} from '../../observability/metrics';
import {
  type DashboardWidget,
  dashboardWidgets,
  RATIO_EXPRESSION,
  type WidgetMetric,
  type WidgetSeries,
} from '../../observability/widgets';
import { type PipelineConfig, signalSetOf } from '../../pipeline/config';
import { cloudWatchMetric as selectedMetric } from './metric';

export interface ObservabilityStackProps extends StackProps {
  readonly config: PipelineConfig;
  readonly stateMachine: sfn.IStateMachine;
  readonly topic: sns.ITopic;
  /** The serving stack's rollback alarms: shown on the dashboard, and notify people through a composite alarm. */
  readonly endpointAlarms: readonly cloudwatch.IAlarm[];
  /** The alarms that start a retraining on evidence (./retrain-on-evidence.ts), shown with the others. @default none */
  readonly evidenceAlarms?: readonly cloudwatch.IAlarm[];
  /**
   * The sensor health check (./sensor-health.ts): its alarms per kind get a status widget of their own, and its log
   * group feeds the table of unhealthy devices. @default none: the device table is left out
   */
  readonly sensorHealth?: {
    readonly alarms: readonly cloudwatch.IAlarm[];
    readonly checkLogGroup: logs.ILogGroup;
  };
}

/** The `occupancy` dashboard and the alarms that page people (pipeline failures, endpoint health). */
export class ObservabilityStack extends Stack {
  readonly dashboard: cloudwatch.Dashboard;
  readonly pipelineFailedAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config, stateMachine } = props;
    const endpoint = config.endpointName;
    const inference = (metric: MetricDefinition, statistic: string, period: Duration) =>
      selectedMetric(selectMetric(metric, inferenceMetricDimensions(endpoint)), { statistic, period });
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
          fallbacks: inference(OccupancyMetrics.InferenceFallback, 'Sum', Duration.minutes(5)),
          total: inference(OccupancyMetrics.Inferences, 'Sum', Duration.minutes(5)),
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
    // The serving stack's rollback alarms carry no action (SageMaker watches them); people hear of them here.
    const endpointUnhealthy = new cloudwatch.CompositeAlarm(this, 'EndpointUnhealthy', {
      compositeAlarmName: `${endpoint}-unhealthy`,
      alarmDescription:
        'An endpoint rollback alarm fired (variant 5xx, model latency or fallback rate): a canary is being rolled back or serving is degraded',
      alarmRule: cloudwatch.AlarmRule.anyOf(
        ...props.endpointAlarms.map((alarm) => cloudwatch.AlarmRule.fromAlarm(alarm, cloudwatch.AlarmState.ALARM)),
      ),
    });
    endpointUnhealthy.addAlarmAction(notify);
    endpointUnhealthy.addOkAction(notify);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: 'occupancy',
      defaultInterval: Duration.days(14),
    });
    // The drift widget draws one line per feature the monitor publishes: the served feature spec, as the evidence
    // alarms (./retrain-on-evidence.ts) watch it, on the serving variant.
    const features = buildFeatureSpec(signalSetOf(props.config)).features.map((f) => ({
      variant: 'AllTraffic',
      feature: f.name,
    }));
    const widgets = dashboardWidgets({
      endpointName: endpoint,
      stateMachineArn: stateMachine.stateMachineArn,
      monitor: { features },
      sensorHealthEveryMinutes: config.sensorHealth.everyMinutes,
    });
    const health = props.sensorHealth;
    const graphs = widgets.flatMap((widget): cloudwatch.IWidget[] => {
      if (widget.kind === 'timeseries') return [graphWidget(widget)];
      return health ? [deviceTableWidget(widget, health.checkLogGroup)] : [];
    });
    if (health) {
      graphs.push(
        new cloudwatch.AlarmStatusWidget({
          title: 'Sensor health alarms (the devices: the table, the notification)',
          alarms: [...health.alarms],
          width: 12,
        }),
      );
    }
    // CloudWatch lays widgets out left to right; a row holds 24 columns.
    let row: cloudwatch.IWidget[] = [];
    let used = 0;
    for (const graph of graphs) {
      if (used + graph.width > 24) {
        this.dashboard.addWidgets(...row);
        row = [];
        used = 0;
      }
      row.push(graph);
      used += graph.width;
    }
    const alarmStatus = new cloudwatch.AlarmStatusWidget({
      title: 'Alarms',
      alarms: [this.pipelineFailedAlarm, fallbackPage, ...props.endpointAlarms, ...(props.evidenceAlarms ?? [])],
      width: 24 - used > 0 ? 24 - used : 24,
    });
    if (used + alarmStatus.width > 24) {
      this.dashboard.addWidgets(...row);
      row = [];
    }
    this.dashboard.addWidgets(...row, alarmStatus);
  }
}

/**
 * A device table (observability/widgets.ts) as a Logs Insights table of the check's 'Unhealthy device' lines, the
 * newest line per device and kind first (`dedup` keeps the first row of each combination after the sort:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Dedup.html).
 */
function deviceTableWidget(widget: DashboardWidget, logGroup: logs.ILogGroup): cloudwatch.LogQueryWidget {
  const columns = widget.table?.columns ?? [];
  return new cloudwatch.LogQueryWidget({
    title: widget.title,
    logGroupNames: [logGroup.logGroupName],
    view: cloudwatch.LogQueryVisualizationType.TABLE,
    queryLines: [
      `fields @timestamp, ${columns.join(', ')}`,
      `filter message = '${widget.table?.message ?? ''}'`,
      'sort @timestamp desc',
      'dedup thingName, kind',
      'limit 100',
    ],
    width: widget.width,
  });
}

/** A shared widget definition (observability/widgets.ts) as a CloudWatch graph. */
function graphWidget(widget: DashboardWidget): cloudwatch.GraphWidget {
  const left: cloudwatch.IMetric[] = [];
  const right: cloudwatch.IMetric[] = [];
  for (const series of widget.series) (series.axis === 'right' ? right : left).push(cloudWatchSeries(series));
  return new cloudwatch.GraphWidget({
    title: widget.title,
    left,
    ...(right.length > 0 ? { right } : {}),
    ...(widget.leftYAxis ? { leftYAxis: widget.leftYAxis } : {}),
    width: widget.width,
  });
}

function cloudWatchMetric(metric: WidgetMetric): cloudwatch.Metric {
  return selectedMetric(metric, {
    statistic: metric.stat,
    period: Duration.seconds(metric.periodSeconds),
    label: metric.label,
  });
}

function cloudWatchSeries(series: WidgetSeries): cloudwatch.IMetric {
  if (series.kind === 'metric') return cloudWatchMetric(series);
  return new cloudwatch.MathExpression({
    expression: RATIO_EXPRESSION,
    label: series.label,
    usingMetrics: { part: cloudWatchMetric(series.numerator), total: cloudWatchMetric(series.denominator) },
    period: Duration.seconds(series.periodSeconds),
  });
}
