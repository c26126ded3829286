import { Match } from 'aws-cdk-lib/assertions';
import { HEALTH_KINDS, sensorHealthAlarmName } from '../../health/types';
import {
  METRICS_NAMESPACE,
  OccupancyMetrics,
  SENSOR_HEALTH_SERVICE,
  unhealthyDevicesDimensions,
} from '../../observability/metrics';
import { type Json, props, referencedId, resourcesOf, roleStatements, type Statement, synthesize } from './templates';

/**
 * Sensor health on AWS (issue 22 items 1–3): the scheduled check, one alarm per kind on the fleet metric (never one
 * per device), one rule on those alarms invoking the notifier (one at a time), and least privilege for both.
 */

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const { templates } = synthesize(NO_BUNDLING);
const pipeline = templates.pipeline;
const resources = pipeline.toJSON().Resources as Record<string, Json>;

const functionWithEntry = (variable: string, without?: string) => {
  const found = resourcesOf(pipeline, 'AWS::Lambda::Function').filter(([, fn]) => {
    const vars = ((props(fn).Environment as Json | undefined)?.Variables ?? {}) as Json;
    return variable in vars && (without === undefined || !(without in vars));
  });
  expect(found).toHaveLength(1);
  return found[0] as [string, Json];
};
const checkFunction = () => functionWithEntry('SENSOR_FAULTS_TABLE');
const notifyFunction = () => functionWithEntry('TOPIC_ARN', 'APPROVAL_TABLE');
const actionsOf = (statements: readonly Statement[]) => statements.flatMap((s) => [s.Action].flat());
const statementsOf = (fn: Json) => roleStatements(pipeline, referencedId(props(fn).Role) ?? '');
const healthAlarms = () =>
  resourcesOf(pipeline, 'AWS::CloudWatch::Alarm').filter(
    ([, a]) => props(a).MetricName === OccupancyMetrics.UnhealthyDevices.name,
  );

describe('sensor health alarms', () => {
  it('one alarm per kind on UnhealthyDevices{Kind, service} (Maximum, one period of a check, ≥ alarmDevices), none per device', () => {
    for (const kind of HEALTH_KINDS) {
      pipeline.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: sensorHealthAlarmName(kind),
        Namespace: METRICS_NAMESPACE,
        MetricName: OccupancyMetrics.UnhealthyDevices.name,
        Dimensions: Match.arrayEquals(
          Object.entries(unhealthyDevicesDimensions(kind)).map(([Name, Value]) => ({ Name, Value })),
        ),
        Statistic: 'Maximum',
        Period: 15 * 60,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'ignore',
      });
    }
    expect(healthAlarms()).toHaveLength(HEALTH_KINDS.length);
    expect(unhealthyDevicesDimensions('stuck')).toEqual({ Kind: 'stuck', service: SENSOR_HEALTH_SERVICE });
  });

  it("one rule: those alarms' changes to ALARM, and only theirs, invoke the notifier", () => {
    const alarmIds = healthAlarms().map(([id]) => id);
    const [notifierId] = notifyFunction();
    const rules = resourcesOf(pipeline, 'AWS::Events::Rule').filter(([, r]) =>
      ((props(r).Targets ?? []) as Json[]).some((t) => referencedId(t.Arn) === notifierId),
    );
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0] as [string, Json];
    const pattern = props(rule).EventPattern as Json;
    expect(pattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      resources: alarmIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
      detail: { state: { value: ['ALARM'] } },
    });
    expect((props(rule).Targets as Json[]).map((t) => referencedId(t.Arn))).toEqual([notifierId]);
    // EventBridge may invoke it, from this rule only.
    pipeline.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [notifierId, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [rules[0]?.[0], 'Arn'] },
    });
  });

  it('the notifier runs one at a time (its read-check-write dedupe) and may publish to the notification topic only', () => {
    const [, notifier] = notifyFunction();
    expect(props(notifier).ReservedConcurrentExecutions).toBe(1);
    const [topicId] = resourcesOf(pipeline, 'AWS::SNS::Topic').find(
      ([, t]) => props(t).TopicName === 'occupancy-notifications',
    ) as [string, Json];
    expect((props(notifier).Environment as Json).Variables).toMatchObject({ TOPIC_ARN: { Ref: topicId } });
    const statements = statementsOf(notifier);
    const sns = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('sns:')));
    expect(sns).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topicId } }),
    ]);
    const s3 = JSON.stringify(statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:'))));
    expect(s3).toContain('/health/*');
    expect(s3).toContain('/health/notified.json');
    // Writes only the notified record; reads only the reports.
    const puts = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:Put')));
    expect(puts.map((s) => JSON.stringify(s.Resource))).toEqual([expect.stringMatching(/\/health\/notified\.json"/)]);
    expect(actionsOf(statements).some((a) => a.startsWith('s3:Delete') || a === 's3:*')).toBe(false);
    // The topic and the artifacts are encrypted with the data key.
    expect(actionsOf(statements)).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
  });

  it("reads the state of the four kinds' alarms, and only theirs; the check hands it each report, and nothing else does", () => {
    const [notifyId, notifier] = notifyFunction();
    const describe = statementsOf(notifier).filter((s) => actionsOf([s]).some((a) => a.startsWith('cloudwatch:')));
    expect(describe).toHaveLength(1);
    expect(describe[0]?.Action).toBe('cloudwatch:DescribeAlarms');
    const arns = [describe[0]?.Resource]
      .flat()
      .map((r) => JSON.stringify(r))
      .map((r) => r.match(/:alarm:([\w-]+)"/)?.[1]);
    expect(arns).toEqual(HEALTH_KINDS.map(sensorHealthAlarmName));

    const [checkId, check] = checkFunction();
    expect(((props(check).Environment as Json).Variables as Json).NOTIFY_FUNCTION_ARN).toEqual({
      'Fn::GetAtt': [notifyId, 'Arn'],
    });
    const invoke = statementsOf(check).filter((s) => actionsOf([s]).some((a) => a.startsWith('lambda:')));
    expect(invoke).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [notifyId, 'Arn'] },
      }),
    ]);
    // Which roles may invoke the notifier: the check's, and no other (the rule invokes it by resource policy).
    const invokers = resourcesOf(pipeline, 'AWS::IAM::Policy').filter(([, p]) =>
      JSON.stringify(props(p).PolicyDocument).includes(`"Fn::GetAtt":["${notifyId}","Arn"]`),
    );
    expect(invokers.map(([, p]) => referencedId((props(p).Roles as Json[])[0]))).toEqual([
      referencedId(props(check).Role),
    ]);
    expect(checkId).not.toBe(notifyId);
  });
});

describe('the sensor health check', () => {
  it('runs every sensorHealth.everyMinutes on EventBridge Scheduler, invoking the check function only', () => {
    const [checkId] = checkFunction();
    const schedule = resourcesOf(pipeline, 'AWS::Scheduler::Schedule').find(
      ([, s]) => referencedId((props(s).Target as Json).Arn) === checkId,
    );
    expect(schedule).toBeDefined();
    const p = props(schedule?.[1] ?? {});
    expect(p).toMatchObject({ ScheduleExpression: 'rate(15 minutes)', State: 'ENABLED' });
    const statements = roleStatements(pipeline, referencedId((p.Target as Json).RoleArn) ?? '');
    const invoke = statements.filter((s) => actionsOf([s]).includes('lambda:InvokeFunction'));
    expect(invoke.map((s) => referencedId(s.Resource))).toEqual([checkId]);
  });

  it('queries telemetry and sensor_faults through Athena and writes health/* of the artifacts only', () => {
    const [, check] = checkFunction();
    expect((props(check).Environment as Json).Variables).toMatchObject({
      ATHENA_DATABASE: 'occupancy',
      ATHENA_WORKGROUP: 'occupancy',
      TELEMETRY_TABLE: 'telemetry',
      SENSOR_FAULTS_TABLE: 'sensor_faults',
      // The artifacts bucket, from the ingestion stack.
      REPORT_BUCKET: { 'Fn::ImportValue': expect.stringContaining('Artifacts') },
    });
    const config = JSON.parse(String(((props(check).Environment as Json).Variables as Json).PIPELINE_CONFIG));
    expect(Object.keys(config).sort()).toEqual(['sensorHealth', 'signalSetId']);
    const statements = statementsOf(check);
    const glue = JSON.stringify(statements.filter((s) => actionsOf([s]).includes('glue:GetTable')));
    expect(glue).toContain('table/occupancy/telemetry');
    expect(glue).toContain('table/occupancy/sensor_faults');
    const puts = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:Put')));
    const putResources = puts.map((s) => JSON.stringify(s.Resource)).join(' ');
    expect(putResources).toMatch(/\/health\/\*"/);
    expect(putResources.match(/\/[a-z]+\/\*"/g)?.sort()).toEqual(['/athena/*"', '/health/*"']);
    const actions = actionsOf(statements);
    expect(actions).not.toContain('cloudwatch:PutMetricData');
    expect(actions.some((a) => a.startsWith('sns:'))).toBe(false);
  });

  it('disabled: the schedule is, the alarms stay; everyMinutes sets the rate and the alarm period', () => {
    const off = synthesize({ ...NO_BUNDLING, pipeline: { sensorHealth: { enabled: false, everyMinutes: 1 } } });
    off.templates.pipeline.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'occupancy-sensor-health',
      ScheduleExpression: 'rate(1 minute)',
      State: 'DISABLED',
    });
    const periods = resourcesOf(off.templates.pipeline, 'AWS::CloudWatch::Alarm')
      .filter(([, a]) => props(a).MetricName === OccupancyMetrics.UnhealthyDevices.name)
      .map(([, a]) => props(a).Period);
    expect(periods).toEqual([60, 60, 60, 60]);
  });
});

describe('the dashboard', () => {
  const dashboard = () => {
    const [[, d] = ['', {}]] = resourcesOf(templates.observability, 'AWS::CloudWatch::Dashboard');
    return JSON.stringify(props(d).DashboardBody);
  };

  it('draws UnhealthyDevices per kind, the alarms of each kind and a Logs Insights table of unhealthy devices', () => {
    const body = dashboard();
    for (const kind of HEALTH_KINDS) expect(body).toContain(`"UnhealthyDevices\\",\\"Kind\\",\\"${kind}\\"`);
    expect(body).toContain("filter message = 'Unhealthy device'");
    expect(body).toContain('fields @timestamp, thingName, kind, since, lastGoodReading, detail');
    expect(body).toContain('Sensor health alarms');
    // The table reads the check's own log group (its name, imported from the pipeline stack).
    const [checkId] = checkFunction();
    const logGroupId = referencedId((props(resources[checkId] ?? {}).LoggingConfig as Json | undefined)?.LogGroup);
    expect(logGroupId).toBeDefined();
    const query = body.slice(body.indexOf("SOURCE '"), body.indexOf('| fields @timestamp'));
    expect(query).toContain(`ExportsOutputRef${logGroupId}`);
  });
});
