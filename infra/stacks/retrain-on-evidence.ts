import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { buildFeatureSpec } from '../../features';
import type { VerdictReason } from '../../monitoring/verdicts';
import {
  featureDriftDimensions,
  type MetricDefinition,
  monitorEndpointDimensions,
  monitorMetricDimensions,
  OccupancyMetrics,
  selectMetric,
} from '../../observability/metrics';
import { type PipelineConfig, signalSetOf } from '../../pipeline/config';
import { cloudWatchMetric } from './metric';

export interface RetrainOnEvidenceProps {
  readonly config: PipelineConfig;
  /** The retraining state machine the alarms start (its first states apply the cooldown: pipeline/phases/cooldown.ts). */
  readonly stateMachine: sfn.IStateMachine;
  /** The variant the monitor's alarms watch. @default 'AllTraffic' (the deploy phase's only production variant) */
  readonly servingVariantName?: string;
  /**
   * Features whose drift is alarmed on (FeatureDrift's Feature dimension).
   * @default every feature of the config's signal set (features/spec.ts)
   */
  readonly features?: readonly string[];
}

/** FeatureDrift series per drift alarm: a metric-math alarm holds at most 10 queries (9 metrics + the MAX). */
export const DRIFT_METRICS_PER_ALARM = 9;

/** CloudWatch: Period × EvaluationPeriods ≤ 7 days, and ≤ 1 day when Period < 1 hour (PutMetricAlarm, Period). */
export class EvidenceAlarmRangeError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message, { cause: field });
    this.name = 'EvidenceAlarmRangeError';
  }
}

/**
 * Retrain on evidence (issue 21 item 3): alarms on what the monitor publishes (tasks/monitor.ts), each of whose
 * changes to ALARM is an EventBridge rule that starts the retraining state machine with
 * `{ trigger: "evidence", reason: <VerdictReason>, alarmName, stateReason, time }` (an input transformer):
 * - `live-f1-below-static-rule`: StaticRuleLiveF1 − LiveF1 > 0 for the serving variant, one window;
 * - `sustained-drift`: the largest FeatureDrift (PSI) ≥ psiThreshold in `consecutiveWindows` windows in a row
 *   (one alarm per group of DRIFT_METRICS_PER_ALARM features);
 * - `fallback-rate`: LiveFallbackRate > fallbackRateLimit, one window.
 * Each alarm's period is the monitor's window; missing data (too few readings, the monitor publishes nothing) is
 * not breaching. A state change event fires once per transition; the cooldown and the single-run lock do the rest.
 */
export class RetrainOnEvidence extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly rules: events.Rule[] = [];

  constructor(scope: Construct, id: string, props: RetrainOnEvidenceProps) {
    super(scope, id);
    const { config } = props;
    const m = config.monitoring;
    const endpoint = config.endpointName;
    const variant = props.servingVariantName ?? 'AllTraffic';
    const period = Duration.minutes(m.windowMinutes);
    const periodSeconds = m.windowMinutes * 60;
    const maxRange = periodSeconds < 3600 ? 86_400 : 604_800;
    if (periodSeconds * m.consecutiveWindows > maxRange) {
      throw new EvidenceAlarmRangeError(
        `monitoring.windowMinutes × monitoring.consecutiveWindows is ${m.windowMinutes * m.consecutiveWindows} minutes; a CloudWatch alarm evaluates at most ${maxRange / 60} minutes with ${m.windowMinutes}-minute periods`,
        'monitoring.consecutiveWindows',
      );
    }
    const metric = (def: MetricDefinition, dims: Record<string, string>, statistic: string) =>
      cloudWatchMetric(selectMetric(def, dims), { statistic, period });
    const dims = monitorMetricDimensions(endpoint, variant);

    const liveF1 = new cloudwatch.Alarm(this, 'LiveF1BelowStaticRule', {
      alarmName: `${endpoint}-retrain-live-f1-below-static-rule`,
      alarmDescription: 'Live F1 of the serving variant below the static rule on the same labelled readings',
      metric: new cloudwatch.MathExpression({
        expression: 'rule - live',
        usingMetrics: {
          rule: metric(OccupancyMetrics.StaticRuleLiveF1, dims, 'Average'),
          live: metric(OccupancyMetrics.LiveF1, dims, 'Average'),
        },
        period,
        label: 'static rule F1 minus live F1',
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.addRule('LiveF1Rule', liveF1, 'live-f1-below-static-rule', props.stateMachine);

    const features = props.features ?? buildFeatureSpec(signalSetOf(config)).features.map((f) => f.name);
    for (let g = 0; g * DRIFT_METRICS_PER_ALARM < features.length; g++) {
      const group = features.slice(g * DRIFT_METRICS_PER_ALARM, (g + 1) * DRIFT_METRICS_PER_ALARM);
      const usingMetrics = Object.fromEntries(
        group.map((feature, i) => [
          `d${i}`,
          metric(OccupancyMetrics.FeatureDrift, featureDriftDimensions(endpoint, variant, feature), 'Maximum'),
        ]),
      );
      const drift = new cloudwatch.Alarm(this, `SustainedDrift${g + 1}`, {
        alarmName: `${endpoint}-retrain-sustained-drift-${g + 1}`,
        alarmDescription: `A feature's PSI at or above ${m.psiThreshold} in ${m.consecutiveWindows} windows in a row: ${group.join(', ')}`,
        metric: new cloudwatch.MathExpression({
          expression: `MAX([${Object.keys(usingMetrics).join(', ')}])`,
          usingMetrics,
          period,
          label: 'largest PSI',
        }),
        threshold: m.psiThreshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: m.consecutiveWindows,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.addRule(`SustainedDriftRule${g + 1}`, drift, 'sustained-drift', props.stateMachine);
    }

    const fallback = new cloudwatch.Alarm(this, 'FallbackRate', {
      alarmName: `${endpoint}-retrain-fallback-rate`,
      alarmDescription: `More than ${m.fallbackRateLimit} of the endpoint's answers in a window from the fallback`,
      metric: metric(OccupancyMetrics.LiveFallbackRate, monitorEndpointDimensions(endpoint), 'Maximum'),
      threshold: m.fallbackRateLimit,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.addRule('FallbackRateRule', fallback, 'fallback-rate', props.stateMachine);
  }

  private addRule(id: string, alarm: cloudwatch.Alarm, reason: VerdictReason, machine: sfn.IStateMachine): void {
    this.alarms.push(alarm);
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html (event shape)
    const rule = new events.Rule(this, id, {
      description: `${alarm.alarmName} → ALARM: start a retraining (${reason})`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: [alarm.alarmArn],
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [
        new targets.SfnStateMachine(machine, {
          input: events.RuleTargetInput.fromObject({
            trigger: 'evidence',
            reason,
            alarmName: events.EventField.fromPath('$.detail.alarmName'),
            stateReason: events.EventField.fromPath('$.detail.state.reason'),
            time: events.EventField.fromPath('$.time'),
          }),
          retryAttempts: 4,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });
    this.rules.push(rule);
  }
}
