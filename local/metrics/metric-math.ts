/**
 * Metric-math alarms, the two forms the monitor's alarms use (infra/stacks/retrain-on-evidence.ts): the difference of
 * two metrics (`rule - live`) and the largest of several (`MAX([d0, d1, …])`). Any other expression is refused
 * rather than approximated. Pure: no I/O, no clock.
 */
import type { Dimension, MetricDataQuery, PutMetricAlarmCommandInput, Statistic } from '@aws-sdk/client-cloudwatch';
import { type AlarmDefinition, InvalidAlarmError, parseAlarm } from './alarm-evaluation';

export interface MathTerm {
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly Dimension[];
  readonly statistic: Statistic;
}

export interface MathDefinition {
  readonly expression: string;
  readonly op: 'difference' | 'max';
  /** In the expression's order (difference: minuend, subtrahend). */
  readonly terms: readonly MathTerm[];
}

const STATISTICS: readonly string[] = ['Average', 'Maximum', 'Minimum', 'SampleCount', 'Sum'];

/**
 * An alarm with `Metrics`: exactly one query returns data (the expression; CloudWatch refuses an alarm with more,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html, Metrics), every other is
 * a MetricStat of one period; ids start with a lower-case letter (MetricDataQuery Id).
 */
export function parseMathAlarm(input: PutMetricAlarmCommandInput): AlarmDefinition {
  const queries = input.Metrics ?? [];
  if (input.MetricName !== undefined || input.Namespace !== undefined || input.Statistic !== undefined) {
    throw new InvalidAlarmError('Metrics', 'MetricName, Namespace and Statistic must not be set with Metrics');
  }
  for (const [i, q] of queries.entries()) {
    if (!q.Id || !/^[a-z][a-zA-Z0-9_]*$/.test(q.Id)) {
      throw new InvalidAlarmError(`Metrics[${i}].Id`, 'must start with a lower-case letter, then letters, digits, _');
    }
  }
  const returning = queries.filter((q) => q.ReturnData !== false);
  if (returning.length !== 1) {
    throw new InvalidAlarmError('Metrics', `exactly one query must return data, got ${returning.length}`);
  }
  const expr = returning[0] as MetricDataQuery;
  if (expr.Expression === undefined) {
    throw new InvalidAlarmError('Metrics', 'the returned query must be an expression locally');
  }
  const text = expr.Expression.trim();
  const diff = /^([a-z]\w*)\s*-\s*([a-z]\w*)$/.exec(text);
  const max = /^MAX\(\[\s*([a-z]\w*(?:\s*,\s*[a-z]\w*)*)\s*\]\)$/.exec(text);
  if (!diff && !max) {
    throw new InvalidAlarmError(
      'Metrics',
      `expression "${text}" is not evaluated locally (only "a - b" and "MAX([a, b, …])")`,
    );
  }
  const ids = diff ? [diff[1] ?? '', diff[2] ?? ''] : (max?.[1] ?? '').split(',').map((s) => s.trim());
  const periods = new Set<number>();
  const terms = ids.map((id): MathTerm => {
    const q = queries.find((m) => m.Id === id);
    const stat = q?.MetricStat;
    if (!stat?.Metric?.MetricName || !stat.Metric.Namespace) {
      throw new InvalidAlarmError('Metrics', `expression "${text}" names ${id}, which is not a MetricStat query`);
    }
    if (!STATISTICS.includes(String(stat.Stat))) {
      throw new InvalidAlarmError(`Metrics.${id}.MetricStat.Stat`, `must be one of ${STATISTICS.join(', ')}`);
    }
    periods.add(Number(stat.Period));
    return {
      id,
      namespace: stat.Metric.Namespace,
      metricName: stat.Metric.MetricName,
      dimensions: (stat.Metric.Dimensions ?? []).map((d, j) => {
        if (!d.Name || !d.Value)
          throw new InvalidAlarmError(`Metrics.${id}.Dimensions[${j}]`, 'Name and Value are required');
        return { Name: d.Name, Value: d.Value };
      }),
      statistic: stat.Stat as Statistic,
    };
  });
  if (periods.size !== 1) throw new InvalidAlarmError('Metrics', 'the metrics of the expression differ in Period');
  const [first] = terms;
  // The single-metric checks (threshold, operator, periods, missing data) on the first term's coordinates.
  const base = parseAlarm({
    ...input,
    Metrics: undefined,
    Namespace: first?.namespace,
    MetricName: first?.metricName,
    Statistic: first?.statistic,
    Period: [...periods][0],
    Dimensions: [],
  });
  return { ...base, math: { expression: text, op: diff ? 'difference' : 'max', terms } };
}

/** Either kind of alarm. */
export function parseAnyAlarm(input: PutMetricAlarmCommandInput): AlarmDefinition {
  return input.Metrics === undefined ? parseAlarm(input) : parseMathAlarm(input);
}

/**
 * One period's value of the expression from its terms' statistics: a difference needs both (a term without data at
 * that period gives no datapoint), MAX takes the terms that have data.
 */
export function combinePeriod(math: MathDefinition, values: readonly (number | undefined)[]): number | undefined {
  if (math.op === 'difference') {
    const [a, b] = values;
    return a === undefined || b === undefined ? undefined : a - b;
  }
  const present = values.filter((v): v is number => v !== undefined);
  return present.length === 0 ? undefined : Math.max(...present);
}
