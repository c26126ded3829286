import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlarmEvaluator, AlarmNotFoundError } from '../../local/metrics/alarms';
import { InvalidMetricDataError, MetricStore } from '../../local/metrics/store';

const dims = [
  { Name: 'VariantName', Value: 'AllTraffic' },
  { Name: 'EndpointName', Value: 'occupancy' },
];
const T0 = Date.UTC(2025, 0, 1);

describe('MetricStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'metrics-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('aggregates values, statistic sets and value arrays per period, matching the full dimension set', () => {
    const store = new MetricStore({ clock: () => T0 });
    store.putMetricData({
      Namespace: 'AWS/SageMaker',
      MetricData: [
        { MetricName: 'ModelLatency', Dimensions: dims, Timestamp: new Date(T0), Value: 10 },
        {
          MetricName: 'ModelLatency',
          Dimensions: dims,
          Timestamp: new Date(T0 + 1000),
          Values: [20, 30],
          Counts: [1, 2],
        },
        {
          MetricName: 'ModelLatency',
          Dimensions: dims,
          Timestamp: new Date(T0 + 61_000),
          StatisticValues: { Sum: 100, SampleCount: 4, Minimum: 5, Maximum: 60 },
        },
        {
          MetricName: 'ModelLatency',
          Dimensions: [{ Name: 'EndpointName', Value: 'occupancy' }],
          Timestamp: new Date(T0),
          Value: 999,
        },
      ],
    });
    const { Datapoints } = store.getMetricStatistics({
      Namespace: 'AWS/SageMaker',
      MetricName: 'ModelLatency',
      Dimensions: [...dims].reverse(),
      StartTime: new Date(T0),
      EndTime: new Date(T0 + 120_000),
      Period: 60,
      Statistics: ['Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum'],
    });
    expect(Datapoints).toEqual([
      expect.objectContaining({
        Timestamp: new Date(T0),
        Sum: 90,
        SampleCount: 4,
        Average: 22.5,
        Minimum: 10,
        Maximum: 30,
      }),
      expect.objectContaining({ Timestamp: new Date(T0 + 60_000), Sum: 100, SampleCount: 4, Minimum: 5, Maximum: 60 }),
    ]);
    expect(store.listMetrics({ Namespace: 'AWS/SageMaker' }).Metrics).toHaveLength(2);
  });

  it('names the bad field', () => {
    const store = new MetricStore();
    expect(() => store.putMetricData({ Namespace: 'X', MetricData: [{ MetricName: 'm', Value: Number.NaN }] })).toThrow(
      expect.objectContaining({ field: 'MetricData[0].Value' }),
    );
    expect(() => store.putMetricData({ Namespace: '', MetricData: [] })).toThrow(InvalidMetricDataError);
  });

  it('persists as NDJSON, reloads on start and drops samples past retention', () => {
    let now = T0;
    const first = new MetricStore({ stateDir: dir, clock: () => now, retentionMs: 3_600_000 });
    first.putMetricData({ Namespace: 'N', MetricData: [{ MetricName: 'old', Value: 1 }] });
    now += 2 * 3_600_000;
    first.putMetricData({ Namespace: 'N', MetricData: [{ MetricName: 'new', Value: 2 }] });
    first.close();
    expect(
      readFileSync(join(dir, 'metrics', 'metrics.ndjson'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(2);

    const second = new MetricStore({ stateDir: dir, clock: () => now, retentionMs: 3_600_000 });
    expect(second.listMetrics().Metrics.map((m) => m.MetricName)).toEqual(['new']);
    expect(
      readFileSync(join(dir, 'metrics', 'metrics.ndjson'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(1);
  });
});

describe('AlarmEvaluator', () => {
  it('moves from INSUFFICIENT_DATA to ALARM and back to OK as data arrives and ages out', () => {
    let now = T0;
    const store = new MetricStore({ clock: () => now });
    const alarms = new AlarmEvaluator(store);
    alarms.putMetricAlarm({
      AlarmName: 'errors',
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Dimensions: dims,
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(alarms.describeAlarms().MetricAlarms[0]?.StateValue).toBe('INSUFFICIENT_DATA');
    store.putMetricData({
      Namespace: 'AWS/SageMaker',
      MetricData: [{ MetricName: 'Invocation5XXErrors', Dimensions: dims, Value: 3 }],
    });
    const alarm = alarms.describeAlarms({ AlarmNames: ['errors'] }).MetricAlarms[0];
    expect(alarm?.StateValue).toBe('ALARM');
    expect(alarm?.StateReason).toContain('greater than or equal to');
    now += 30_000;
    store.putMetricData({
      Namespace: 'AWS/SageMaker',
      MetricData: [{ MetricName: 'Invocation5XXErrors', Dimensions: dims, Value: 0 }],
    });
    expect(alarms.evaluate('errors').state).toBe('ALARM');
    now += 45_000;
    expect(alarms.evaluate('errors').state).toBe('OK');
    expect(alarms.describeAlarms({ StateValue: 'ALARM' }).MetricAlarms).toHaveLength(0);
    expect(() => alarms.evaluate('nope')).toThrow(AlarmNotFoundError);
  });

  it('keeps an alarm state through an update and into the next process, as CloudWatch keeps it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alarm-states-'));
    try {
      let now = T0;
      const definition = {
        AlarmName: 'stuck',
        Namespace: 'N',
        MetricName: 'E',
        Statistic: 'Maximum' as const,
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold' as const,
        TreatMissingData: 'ignore',
      };
      const store = new MetricStore({ clock: () => now });
      const first = new AlarmEvaluator(store, { stateDir: dir });
      first.putMetricAlarm(definition);
      store.putMetricData({ Namespace: 'N', MetricData: [{ MetricName: 'E', Value: 2 }] });
      expect(first.evaluate('stuck').state).toBe('ALARM');
      const transitions: string[] = [];
      first.onTransition((t) => transitions.push(`${t.from}->${t.to}`));
      // An update (another description) leaves the state unchanged: no transition, no action.
      first.putMetricAlarm({ ...definition, AlarmDescription: 'two or more' });
      expect(first.evaluate('stuck').state).toBe('ALARM');
      // Another process on the same state folder, the definitions put again as a deployment does.
      now += 5_000;
      const second = new AlarmEvaluator(store, { stateDir: dir });
      second.onTransition((t) => transitions.push(`${t.from}->${t.to}`));
      second.putMetricAlarm(definition);
      expect(second.describeAlarms({ AlarmNames: ['stuck'] }).MetricAlarms[0]?.StateValue).toBe('ALARM');
      expect(transitions).toEqual([]);
      // A new alarm starts at INSUFFICIENT_DATA.
      second.putMetricAlarm({ ...definition, AlarmName: 'fresh', MetricName: 'F' });
      expect(second.describeAlarms({ AlarmNames: ['fresh'] }).MetricAlarms[0]?.StateValue).toBe('INSUFFICIENT_DATA');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('scales periods by timeScale', () => {
    let now = T0;
    const store = new MetricStore({ clock: () => now });
    const alarms = new AlarmEvaluator(store, { timeScale: 0.01 });
    alarms.putMetricAlarm({
      AlarmName: 'errors',
      Namespace: 'N',
      MetricName: 'E',
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    store.putMetricData({ Namespace: 'N', MetricData: [{ MetricName: 'E', Value: 1 }] });
    expect(alarms.evaluate('errors').state).toBe('ALARM');
    now += 700; // past one 60 s period scaled to 0.6 s
    expect(alarms.evaluate('errors').state).toBe('INSUFFICIENT_DATA');
  });
});
