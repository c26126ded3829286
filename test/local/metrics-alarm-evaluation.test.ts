import type { PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { evaluateAlarm, InvalidAlarmError, parseAlarm } from '../../local/metrics/alarm-evaluation';

const base: PutMetricAlarmCommandInput = {
  AlarmName: 'canary-5xx',
  Namespace: 'AWS/SageMaker',
  MetricName: 'Invocation5XXErrors',
  Dimensions: [{ Name: 'EndpointName', Value: 'occupancy' }],
  Statistic: 'Sum',
  Period: 60,
  EvaluationPeriods: 3,
  DatapointsToAlarm: 2,
  Threshold: 1,
  ComparisonOperator: 'GreaterThanOrEqualToThreshold',
};

describe('parseAlarm', () => {
  it('fills CloudWatch defaults', () => {
    const alarm = parseAlarm({ ...base, DatapointsToAlarm: undefined });
    expect(alarm.datapointsToAlarm).toBe(3);
    expect(alarm.treatMissingData).toBe('missing');
  });

  it.each([
    [{ Statistic: undefined }, 'Statistic'],
    [{ ComparisonOperator: 'LessThanLowerThreshold' as const }, 'ComparisonOperator'],
    [{ Period: 0 }, 'Period'],
    [{ EvaluationPeriods: 1.5 }, 'EvaluationPeriods'],
    [{ DatapointsToAlarm: 4 }, 'DatapointsToAlarm'],
    [{ Threshold: Number.NaN }, 'Threshold'],
    [{ TreatMissingData: 'sometimes' }, 'TreatMissingData'],
    [{ MetricName: '' }, 'MetricName'],
  ])('rejects %j naming the field', (patch, field) => {
    const attempt = () => parseAlarm({ ...base, ...patch });
    expect(attempt).toThrow(InvalidAlarmError);
    expect(attempt).toThrow(expect.objectContaining({ field }));
  });
});

describe('evaluateAlarm', () => {
  const alarm = parseAlarm(base);

  it('goes to ALARM when at least DatapointsToAlarm of the periods breach', () => {
    const result = evaluateAlarm(alarm, [0, 2, 5]);
    expect(result.state).toBe('ALARM');
    expect(result.reason).toContain('2 out of the last 3');
  });

  it('stays OK when fewer periods breach than DatapointsToAlarm', () => {
    expect(evaluateAlarm(alarm, [0, 0, 5]).state).toBe('OK');
  });

  it.each([
    ['LessThanThreshold' as const, 0.5, 'ALARM'],
    ['LessThanOrEqualToThreshold' as const, 1, 'ALARM'],
    ['GreaterThanThreshold' as const, 1, 'OK'],
    ['GreaterThanOrEqualToThreshold' as const, 1, 'ALARM'],
  ])('%s with value %d is %s', (ComparisonOperator, value, state) => {
    const single = parseAlarm({ ...base, ComparisonOperator, EvaluationPeriods: 1, DatapointsToAlarm: 1 });
    expect(evaluateAlarm(single, [value]).state).toBe(state);
  });

  it.each([
    ['missing', 'INSUFFICIENT_DATA'],
    ['breaching', 'ALARM'],
    ['notBreaching', 'OK'],
    ['ignore', 'OK'],
  ])('with no data and TreatMissingData=%s the state is %s (previous OK)', (TreatMissingData, state) => {
    const a = parseAlarm({ ...base, TreatMissingData });
    expect(evaluateAlarm(a, [undefined, undefined, undefined], 'OK').state).toBe(state);
  });

  it('counts missing periods as breaching only when told to', () => {
    const breaching = parseAlarm({ ...base, TreatMissingData: 'breaching' });
    const missing = parseAlarm({ ...base, TreatMissingData: 'missing' });
    expect(evaluateAlarm(breaching, [undefined, 0, 3]).state).toBe('ALARM');
    expect(evaluateAlarm(missing, [undefined, 0, 3]).state).toBe('OK');
  });

  it('requires one value per evaluation period', () => {
    expect(() => evaluateAlarm(alarm, [1])).toThrow(InvalidAlarmError);
  });
});
