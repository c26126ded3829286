import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { buildFeatureSpec } from '../../features';
import { EvidenceAlarmRangeError, RetrainOnEvidence } from '../../infra/stacks/retrain-on-evidence';
import { PipelineMetrics } from '../../observability/metrics';
import { parsePipelineConfig, signalSetOf } from '../../pipeline/config';
import { type CfnTemplate, dashboardMetrics } from '../observability/metric-sets';
import { type Json, props, referencedId, resourcesOf, roleStatements, type Statement, synthesize } from './templates';

/**
 * The monitor's wiring and retraining on evidence (issue 21 items 2–3): the schedule invokes the monitor, the monitor
 * may read only what it queries, the alarms watch what it publishes, and each alarm's change to ALARM starts the
 * retraining state machine with the reason in its input.
 */

const { templates } = synthesize({ notificationEmail: 'ops@example.com' });
const pipeline = templates.pipeline;
const config = parsePipelineConfig({});
const resources = pipeline.toJSON().Resources as Record<string, Json>;

function monitorFunctionId(): string {
  const [entry] = resourcesOf(pipeline, 'AWS::Lambda::Function').filter(([, fn]) =>
    JSON.stringify(props(fn).Environment ?? {}).includes('PIPELINE_CONFIG'),
  );
  if (!entry) throw new Error('no monitor function');
  return entry[0];
}

const actionsOf = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe('the live monitor on AWS', () => {
  it('runs on the configured EventBridge Scheduler expression, invoking the monitor function only', () => {
    const fnId = monitorFunctionId();
    const schedule = resourcesOf(pipeline, 'AWS::Scheduler::Schedule').find(
      ([, s]) => referencedId((props(s).Target as Json).Arn) === fnId,
    );
    expect(schedule).toBeDefined();
    const p = props(schedule?.[1] ?? {});
    expect(p.ScheduleExpression).toBe(config.monitoring.schedule.expression);
    expect(p.ScheduleExpression).toBe('rate(1 hour)');
    expect(p.FlexibleTimeWindow).toEqual({ Mode: 'FLEXIBLE', MaximumWindowInMinutes: 5 });
    const roleId = referencedId((p.Target as Json).RoleArn) ?? '';
    const statements = roleStatements(pipeline, roleId);
    const invoke = statements.filter((s) => actionsOf([s]).includes('lambda:InvokeFunction'));
    expect(invoke.map((s) => referencedId(s.Resource))).toEqual([fnId]);
  });

  it('may query Athena in the lake workgroup and read Glue, the predictions/labels prefixes and Athena results; it puts no metrics by API', () => {
    const fn = resources[monitorFunctionId()] ?? {};
    const roleId = referencedId(props(fn).Role) ?? '';
    const statements = roleStatements(pipeline, roleId);
    const actions = actionsOf(statements);
    expect(actions).toEqual(expect.arrayContaining(['athena:StartQueryExecution', 'athena:GetQueryResults']));
    expect(actions).not.toContain('cloudwatch:PutMetricData');
    expect(actions.some((a) => a.startsWith('s3:Delete'))).toBe(false);
    const athena = statements.find((s) => actionsOf([s]).includes('athena:StartQueryExecution'));
    expect(JSON.stringify(athena?.Resource)).toMatch(/workgroup\/occupancy"/);
    const s3Resources = JSON.stringify(statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:'))));
    for (const prefix of ['/predictions/*', '/labels/*', '/athena/*', '/runs/*']) expect(s3Resources).toContain(prefix);
    expect(props(fn).Environment).toMatchObject({
      Variables: { ATHENA_WORKGROUP: 'occupancy', PREDICTIONS_TABLE: 'predictions', LABELS_TABLE: 'labels' },
    });
  });
});

describe('retrain on evidence', () => {
  const alarms = resourcesOf(pipeline, 'AWS::CloudWatch::Alarm').filter(([, a]) =>
    String(props(a).AlarmName).includes('-retrain-'),
  );
  const named = (part: string) => alarms.filter(([, a]) => String(props(a).AlarmName).includes(part));

  it('live F1: the static rule minus live F1 of the serving variant, above 0 over one window', () => {
    const [[, alarm] = ['', {}]] = named('live-f1-below-static-rule');
    const p = props(alarm);
    expect(p).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1 });
    const metrics = p.Metrics as Json[];
    expect(metrics.find((m) => m.Expression)).toMatchObject({ Expression: 'rule - live' });
    const stat = (id: string) => (metrics.find((m) => m.Id === id)?.MetricStat ?? {}) as Json;
    expect(stat('rule')).toMatchObject({ Metric: { MetricName: 'StaticRuleLiveF1' }, Period: 21600 });
    expect(stat('live')).toMatchObject({
      Metric: {
        MetricName: 'LiveF1',
        Dimensions: expect.arrayContaining([{ Name: 'VariantName', Value: 'AllTraffic' }]),
      },
    });
  });

  it('sustained drift: the largest PSI at or above the threshold in consecutiveWindows windows, every feature covered', () => {
    const drift = named('sustained-drift');
    expect(drift.length).toBe(3); // thermostat: 21 features in groups of 9
    const features = drift.flatMap(([, a]) =>
      (props(a).Metrics as Json[])
        .filter((m) => m.MetricStat)
        .map((m) => {
          const metric = (m.MetricStat as Json).Metric as { MetricName: string; Dimensions: Json[] };
          expect(metric.MetricName).toBe('FeatureDrift');
          return String(metric.Dimensions.find((d) => d.Name === 'Feature')?.Value);
        }),
    );
    expect(features).toHaveLength(21);
    for (const [, a] of drift) {
      expect(props(a)).toMatchObject({
        Threshold: config.monitoring.psiThreshold,
        EvaluationPeriods: config.monitoring.consecutiveWindows,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect((props(a).Metrics as Json[]).find((m) => m.Expression)?.Expression).toMatch(/^MAX\(\[d0(, d\d)*\]\)$/);
    }
  });

  it('fallback rate: LiveFallbackRate above fallbackRateLimit', () => {
    const [[, alarm] = ['', {}]] = named('retrain-fallback-rate');
    expect(props(alarm)).toMatchObject({
      MetricName: 'LiveFallbackRate',
      Threshold: config.monitoring.fallbackRateLimit,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it("each alarm's change to ALARM starts the retraining state machine with its reason in the input", () => {
    const machineId = referencedId(
      resourcesOf(pipeline, 'AWS::StepFunctions::StateMachine').map(([id]) => ({ Ref: id }))[0],
    );
    // The sensor health rule on its own alarms invokes a function (test/infra/sensor-health.test.ts).
    const rules = resourcesOf(pipeline, 'AWS::Events::Rule').filter(
      ([, r]) =>
        (props(r).EventPattern as Json).source?.toString() === 'aws.cloudwatch' &&
        ((props(r).Targets ?? []) as Json[]).some((t) => referencedId(t.Arn) === machineId),
    );
    expect(rules).toHaveLength(alarms.length);
    const reasons: string[] = [];
    for (const [, rule] of rules) {
      const pattern = props(rule).EventPattern as Json;
      expect(pattern).toMatchObject({
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { state: { value: ['ALARM'] } },
      });
      const alarmId = referencedId((pattern.resources as unknown[])[0]);
      expect(alarms.map(([id]) => id)).toContain(alarmId);
      const [target] = props(rule).Targets as Json[];
      expect(referencedId(target?.Arn)).toBe(machineId);
      const transformer = target?.InputTransformer as { InputPathsMap: Json; InputTemplate: string };
      expect(transformer.InputPathsMap).toMatchObject({ 'detail-alarmName': '$.detail.alarmName' });
      const template = transformer.InputTemplate.replace(/<[^>]+>/g, '"x"');
      const input = JSON.parse(template) as { trigger: string; reason: string };
      expect(input.trigger).toBe('evidence');
      reasons.push(input.reason);
      // The rule's role may start this state machine only.
      const roleStatementsOf = roleStatements(pipeline, referencedId(target?.RoleArn) ?? '');
      expect(roleStatementsOf.map((s) => [s.Action, referencedId(s.Resource)])).toEqual([
        ['states:StartExecution', machineId],
      ]);
    }
    expect([...new Set(reasons)].sort()).toEqual(['fallback-rate', 'live-f1-below-static-rule', 'sustained-drift']);
  });

  it('the state machine checks the trigger after taking the lock, and evidence runs pass the cooldown function', () => {
    const template = Template.fromJSON(pipeline.toJSON());
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      DefinitionString: Match.objectLike({
        'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('"CheckRetrainingCooldown"')])]),
      }),
    });
  });

  it('the dashboard alarm status shows the retraining alarms', () => {
    const body = JSON.stringify(
      resourcesOf(templates.observability, 'AWS::CloudWatch::Dashboard').map(([, d]) => props(d).DashboardBody),
    );
    expect(body.match(/RetrainOnEvidence[A-Za-z0-9]*Arn/g)?.length).toBe(alarms.length);
  });

  it('the dashboard draws FeatureDrift for every served feature, the features the drift alarms watch', () => {
    const drawn = dashboardMetrics(templates.observability.toJSON() as CfnTemplate)
      .filter((m) => m.name === PipelineMetrics.FeatureDrift)
      .map((m) => m.dimensions.Feature);
    const features = buildFeatureSpec(signalSetOf(parsePipelineConfig({}))).features.map((f) => f.name);
    expect(features.length).toBeGreaterThan(5);
    expect(drawn.sort()).toEqual([...features].sort());
  });

  it('refuses windows a CloudWatch alarm cannot evaluate, naming the config key', () => {
    const stack = new Stack(new App(), 'S');
    const machine = sfn.StateMachine.fromStateMachineName(stack, 'M', 'm');
    const big = parsePipelineConfig({ monitoring: { windowMinutes: 40, consecutiveWindows: 48 } });
    expect(() => new RetrainOnEvidence(stack, 'E', { config: big, stateMachine: machine })).toThrow(
      EvidenceAlarmRangeError,
    );
  });
});
