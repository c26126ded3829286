import {
  DASHBOARD_WINDOWS,
  evaluateDashboard,
  executionMetricPoints,
  localStatistic,
  type MetricSource,
  parseWindowName,
} from '../../local/console/dashboard';
import { dashboardWidgets, STATES_NAMESPACE } from '../../observability/widgets';

const context = { endpointName: 'occ', stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:m' };

describe('dashboardWidgets', () => {
  const widgets = dashboardWidgets(context);

  it('has unique ids and fits rows of CloudWatch’s 24-column grid', () => {
    expect(new Set(widgets.map((w) => w.id)).size).toBe(widgets.length);
    for (const w of widgets) expect(w.width).toBeGreaterThan(0);
    for (const w of widgets) expect(w.width).toBeLessThanOrEqual(24);
  });

  it('shows F1 of candidate, baseline and serving for the endpoint', () => {
    const f1 = widgets.find((w) => w.id === 'f1');
    const names = f1?.series.map((s) => (s.kind === 'metric' ? s.name : s.label));
    expect(names).toEqual(['CandidateF1', 'BaselineF1', 'ServingF1']);
    for (const s of f1?.series ?? []) if (s.kind === 'metric') expect(s.dimensions).toEqual({ EndpointName: 'occ' });
  });

  it('counts runs from the state machine’s own metrics', () => {
    const runs = widgets.find((w) => w.id === 'runs');
    for (const s of runs?.series ?? []) {
      expect(s.kind === 'metric' && s.namespace).toBe(STATES_NAMESPACE);
      expect(s.kind === 'metric' && s.dimensions.StateMachineArn).toBe(context.stateMachineArn);
    }
  });
});

describe('evaluateDashboard', () => {
  const calls: string[] = [];
  const source: MetricSource = {
    datapoints(metric, statistic) {
      calls.push(`${metric.name}:${statistic}`);
      if (metric.name === 'Inferences')
        return [
          { t: 1, v: 10 },
          { t: 2, v: 0 },
          { t: 3, v: 4 },
        ];
      if (metric.name === 'InferenceFallback') return [{ t: 1, v: 5 }];
      if (metric.name === 'CandidateF1')
        return [
          { t: 1, v: 0.7 },
          { t: 2, v: 0.8 },
        ];
      return [];
    },
  };
  const data = evaluateDashboard(dashboardWidgets(context), source, { start: 0, end: 10, periodSeconds: 60 });

  it('divides fallbacks by inferences per bucket, 0 when nothing was inferred', () => {
    const fallback = data.find((w) => w.id === 'fallback')?.series[0];
    expect(fallback?.points).toEqual([
      { t: 1, v: 0.5 },
      { t: 2, v: 0 },
      { t: 3, v: 0 },
    ]);
  });

  it('reports the newest value of each series, null without data', () => {
    const f1 = data.find((w) => w.id === 'f1')?.series;
    expect(f1?.[0]?.latest).toBe(0.8);
    expect(f1?.[2]?.latest).toBeNull();
  });

  it('approximates percentiles with the aggregates the local store keeps, saying so', () => {
    expect(calls).toContain('ModelLatency:Average');
    expect(calls).toContain('ModelLatency:Maximum');
    expect(localStatistic('p99').note).toMatch(/maximum/);
    expect(localStatistic('Sum')).toEqual({ statistic: 'Sum' });
  });
});

describe('executionMetricPoints', () => {
  const executions = [
    { status: 'SUCCEEDED', startDate: 1_000, stopDate: 5_000 },
    { status: 'FAILED', startDate: 2_000, stopDate: 70_000 },
    { status: 'RUNNING', startDate: 65_000 },
  ];
  it('buckets starts and terminal states by period', () => {
    expect(executionMetricPoints('ExecutionsStarted', executions, 0, 120_000, 60)).toEqual([
      { t: 0, v: 2 },
      { t: 60_000, v: 1 },
    ]);
    expect(executionMetricPoints('ExecutionsFailed', executions, 0, 120_000, 60)).toEqual([{ t: 60_000, v: 1 }]);
    expect(executionMetricPoints('ExecutionsSucceeded', executions, 10_000, 120_000, 60)).toEqual([]);
    expect(executionMetricPoints('Unknown', executions, 0, 120_000, 60)).toEqual([]);
  });
});

describe('how widgets draw', () => {
  const empty: MetricSource = { datapoints: () => [] };
  const data = evaluateDashboard(dashboardWidgets(context), empty, { start: 0, end: 3_600_000, periodSeconds: 40 });
  const draw = (id: string) => data.find((w) => w.id === id)?.series.map((s) => s.draw);

  it('draws counts as bars and levels and rates as lines', () => {
    expect(draw('runs')).toEqual(['bars', 'bars', 'bars']);
    expect(draw('deployments')).toEqual(['bars', 'bars', 'bars']);
    expect(draw('f1')).toEqual(['line', 'line', 'line']);
    expect(draw('latency')).toEqual(['line', 'line']);
    expect(draw('fallback')).toEqual(['line']);
  });

  it('offers CloudWatch’s windows and falls back to 3 h on anything else', () => {
    expect(DASHBOARD_WINDOWS).toEqual({ '1h': 60, '3h': 180, '1d': 1440, '1w': 10080 });
    expect(parseWindowName('1w')).toBe('1w');
    expect(parseWindowName('toString')).toBe('3h');
    expect(parseWindowName(null)).toBe('3h');
  });
});
