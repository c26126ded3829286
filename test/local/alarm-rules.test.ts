import type { PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { InvalidAlarmError } from '../../local/metrics';
import { combinePeriod, parseMathAlarm } from '../../local/metrics/metric-math';
import {
  alarmStateChangeEvent,
  localAlarmArn,
  matchesPattern,
  transformInput,
  UnsupportedRuleError,
} from '../../local/runtime/alarm-rules';

/**
 * The local EventBridge stand-in for alarm state changes and the local metric-math alarms, pure: event shape,
 * pattern matching, the input transformer's quoting (EventBridge InputTransformer API reference example), and the
 * two expressions evaluated (anything else refused).
 */

const transition = {
  alarmName: 'occupancy-retrain-fallback-rate',
  from: 'OK',
  to: 'ALARM',
  reason: 'Threshold Crossed: "x"',
  time: Date.UTC(2026, 0, 1),
} as const;

describe('alarm state change events and rules', () => {
  const event = alarmStateChangeEvent(transition);
  const pattern = {
    source: ['aws.cloudwatch'],
    'detail-type': ['CloudWatch Alarm State Change'],
    resources: [localAlarmArn(transition.alarmName)],
    detail: { state: { value: ['ALARM'] } },
  };

  it('matches on every field of the pattern; another alarm or state does not', () => {
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern({ ...pattern, resources: [localAlarmArn('other')] }, event)).toBe(false);
    expect(matchesPattern({ ...pattern, detail: { state: { value: ['OK'] } } }, event)).toBe(false);
    expect(matchesPattern({ ...pattern, detail: { missing: ['x'] } }, event)).toBe(false);
  });

  it('an unquoted variable becomes its JSON value, a quoted one its text; a constant stays', () => {
    const input = transformInput(
      {
        inputPathsMap: { name: '$.detail.alarmName', why: '$.detail.state.reason' },
        inputTemplate: '{"reason":"fallback-rate","alarmName":<name>,"stateReason":<why>,"text":"<name> is in ALARM"}',
      },
      event,
    );
    expect(input).toEqual({
      reason: 'fallback-rate',
      alarmName: 'occupancy-retrain-fallback-rate',
      stateReason: 'Threshold Crossed: "x"',
      text: 'occupancy-retrain-fallback-rate is in ALARM',
    });
  });

  it('refuses JSONPath it does not emulate and paths the event lacks', () => {
    const t = (path: string) => () => transformInput({ inputPathsMap: { v: path }, inputTemplate: '{"v":<v>}' }, event);
    expect(t('$.detail..alarmName')).toThrow(UnsupportedRuleError);
    expect(t('$.detail.nothing')).toThrow(UnsupportedRuleError);
  });
});

describe('local metric-math alarms', () => {
  const stat = (id: string, name: string) => ({
    Id: id,
    ReturnData: false,
    MetricStat: {
      Metric: { Namespace: 'Occupancy', MetricName: name, Dimensions: [{ Name: 'EndpointName', Value: 'occupancy' }] },
      Period: 3600,
      Stat: 'Average',
    },
  });
  const alarm = (
    expression: string,
    extra: PutMetricAlarmCommandInput['Metrics'] = [],
  ): PutMetricAlarmCommandInput => ({
    AlarmName: 'a',
    ComparisonOperator: 'GreaterThanThreshold',
    EvaluationPeriods: 1,
    Threshold: 0,
    Metrics: [
      { Id: 'expr_1', Expression: expression },
      stat('rule', 'StaticRuleLiveF1'),
      stat('live', 'LiveF1'),
      ...extra,
    ],
  });

  it('a difference needs both terms in a period; MAX takes those present', () => {
    const diff = parseMathAlarm(alarm('rule - live')).math;
    expect(diff?.terms.map((t) => t.metricName)).toEqual(['StaticRuleLiveF1', 'LiveF1']);
    if (!diff) throw new Error('no math');
    expect(combinePeriod(diff, [0.8, 0.6])).toBeCloseTo(0.2);
    expect(combinePeriod(diff, [0.8, undefined])).toBeUndefined();
    const max = parseMathAlarm(alarm('MAX([rule, live])')).math;
    if (!max) throw new Error('no math');
    expect(combinePeriod(max, [undefined, 0.3])).toBe(0.3);
    expect(combinePeriod(max, [undefined, undefined])).toBeUndefined();
  });

  it('refuses other expressions, unknown ids, and more than one returned query', () => {
    expect(() => parseMathAlarm(alarm('rule / live'))).toThrow(InvalidAlarmError);
    expect(() => parseMathAlarm(alarm('rule - other'))).toThrow(InvalidAlarmError);
    expect(() => parseMathAlarm(alarm('rule - live', [{ Id: 'e2', Expression: 'live - rule' }]))).toThrow(
      /exactly one/,
    );
  });
});
