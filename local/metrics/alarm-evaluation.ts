/**
 * Pure CloudWatch metric-alarm semantics: validate a PutMetricAlarm request and decide the alarm state from
 * the per-period statistic values of its evaluation window. No I/O, no clock.
 */
import type {
  ComparisonOperator,
  Dimension,
  PutMetricAlarmCommandInput,
  StateValue,
  Statistic,
} from '@aws-sdk/client-cloudwatch';
import type { MathDefinition } from './metric-math';

export type AlarmState = StateValue;
export type MissingDataTreatment = 'missing' | 'ignore' | 'breaching' | 'notBreaching';
export type SupportedComparison = Extract<
  ComparisonOperator,
  'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold'
>;

/** A metric alarm after validation: every field CloudWatch defaults is filled in. */
export interface AlarmDefinition {
  readonly alarmName: string;
  readonly alarmDescription?: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly Dimension[];
  readonly statistic: Statistic;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparisonOperator: SupportedComparison;
  readonly treatMissingData: MissingDataTreatment;
  /** A metric-math alarm (./metric-math.ts): its terms, evaluated per period and combined. */
  readonly math?: MathDefinition;
}

export interface AlarmEvaluation {
  readonly state: AlarmState;
  readonly reason: string;
}

/** CloudWatch's InvalidParameterValue: `field` names the offending request parameter. */
export class InvalidParameterValueError extends Error {
  override readonly name = 'InvalidParameterValueException';
  readonly code = 'InvalidParameterValue';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A PutMetricAlarm request this emulation cannot honour. */
export class InvalidAlarmError extends InvalidParameterValueError {}

const statistics: readonly Statistic[] = ['Average', 'Maximum', 'Minimum', 'SampleCount', 'Sum'];
const comparisons: readonly SupportedComparison[] = [
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
];
const treatments: readonly MissingDataTreatment[] = ['missing', 'ignore', 'breaching', 'notBreaching'];

function isOneOf<T extends string>(values: readonly T[], value: string | undefined): value is T {
  return value !== undefined && (values as readonly string[]).includes(value);
}

function requiredString(value: string | undefined, field: string): string {
  if (value === undefined || value.trim() === '') throw new InvalidAlarmError(field, 'is required');
  return value;
}

function positiveInteger(value: number | undefined, field: string): number {
  if (value === undefined || !Number.isInteger(value) || value < 1) {
    throw new InvalidAlarmError(field, `must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function parseAlarm(input: PutMetricAlarmCommandInput): AlarmDefinition {
  const alarmName = requiredString(input.AlarmName, 'AlarmName');
  if (input.Metrics !== undefined)
    throw new InvalidAlarmError('Metrics', 'metric-math alarms are not supported locally');
  if (input.ExtendedStatistic !== undefined) {
    throw new InvalidAlarmError('ExtendedStatistic', 'percentile alarms are not supported locally');
  }
  if (!isOneOf(statistics, input.Statistic)) {
    throw new InvalidAlarmError('Statistic', `must be one of ${statistics.join(', ')}, got ${String(input.Statistic)}`);
  }
  if (!isOneOf(comparisons, input.ComparisonOperator)) {
    throw new InvalidAlarmError(
      'ComparisonOperator',
      `must be one of ${comparisons.join(', ')}, got ${String(input.ComparisonOperator)}`,
    );
  }
  const threshold = input.Threshold;
  if (threshold === undefined || !Number.isFinite(threshold)) {
    throw new InvalidAlarmError('Threshold', `must be a finite number, got ${String(threshold)}`);
  }
  const evaluationPeriods = positiveInteger(input.EvaluationPeriods, 'EvaluationPeriods');
  const datapointsToAlarm =
    input.DatapointsToAlarm === undefined
      ? evaluationPeriods
      : positiveInteger(input.DatapointsToAlarm, 'DatapointsToAlarm');
  if (datapointsToAlarm > evaluationPeriods) {
    throw new InvalidAlarmError('DatapointsToAlarm', `must not exceed EvaluationPeriods (${evaluationPeriods})`);
  }
  const treatMissingData = input.TreatMissingData ?? 'missing';
  if (!isOneOf(treatments, treatMissingData)) {
    throw new InvalidAlarmError('TreatMissingData', `must be one of ${treatments.join(', ')}, got ${treatMissingData}`);
  }
  for (const [i, d] of (input.Dimensions ?? []).entries()) {
    requiredString(d.Name, `Dimensions[${i}].Name`);
    requiredString(d.Value, `Dimensions[${i}].Value`);
  }
  return {
    alarmName,
    ...(input.AlarmDescription === undefined ? {} : { alarmDescription: input.AlarmDescription }),
    namespace: requiredString(input.Namespace, 'Namespace'),
    metricName: requiredString(input.MetricName, 'MetricName'),
    dimensions: (input.Dimensions ?? []).map((d) => ({ Name: d.Name, Value: d.Value })),
    statistic: input.Statistic,
    periodSeconds: positiveInteger(input.Period, 'Period'),
    evaluationPeriods,
    datapointsToAlarm,
    threshold,
    comparisonOperator: input.ComparisonOperator,
    treatMissingData,
  };
}

export function breaches(value: number, operator: SupportedComparison, threshold: number): boolean {
  switch (operator) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

const operatorWords: Record<SupportedComparison, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

/**
 * Decide the state from the statistic of each period in the evaluation window, oldest first; `undefined`
 * marks a period without data. `periods` must hold exactly `evaluationPeriods` entries.
 */
export function evaluateAlarm(
  alarm: AlarmDefinition,
  periods: readonly (number | undefined)[],
  previousState: AlarmState = 'INSUFFICIENT_DATA',
): AlarmEvaluation {
  if (periods.length !== alarm.evaluationPeriods) {
    throw new InvalidAlarmError('periods', `expected ${alarm.evaluationPeriods} periods, got ${periods.length}`);
  }
  const present = periods.filter((v): v is number => v !== undefined);
  const missing = periods.length - present.length;
  const m = alarm.evaluationPeriods;
  const n = alarm.datapointsToAlarm;
  if (present.length === 0) {
    switch (alarm.treatMissingData) {
      case 'missing':
        return { state: 'INSUFFICIENT_DATA', reason: `No datapoints in the last ${m} period(s)` };
      case 'ignore':
        return { state: previousState, reason: `No datapoints in the last ${m} period(s); state kept (ignore)` };
      case 'breaching':
        return { state: 'ALARM', reason: `All ${m} period(s) missing, treated as breaching` };
      case 'notBreaching':
        return { state: 'OK', reason: `All ${m} period(s) missing, treated as not breaching` };
    }
  }
  const breachingPresent = present.filter((v) => breaches(v, alarm.comparisonOperator, alarm.threshold)).length;
  const breachingTotal = breachingPresent + (alarm.treatMissingData === 'breaching' ? missing : 0);
  const shown = present.map((v) => String(Number(v.toPrecision(6)))).join(', ');
  const words = operatorWords[alarm.comparisonOperator];
  if (breachingTotal >= n) {
    return {
      state: 'ALARM',
      reason: `Threshold Crossed: ${breachingTotal} out of the last ${m} datapoints [${shown}] ${breachingTotal === 1 ? 'was' : 'were'} ${words} the threshold (${alarm.threshold}) (minimum ${n} datapoint(s) for OK -> ALARM transition).`,
    };
  }
  return {
    state: 'OK',
    reason: `Threshold Crossed: ${breachingTotal} out of the last ${m} datapoints [${shown}] ${breachingTotal === 1 ? 'was' : 'were'} ${words} the threshold (${alarm.threshold}) (minimum ${n} datapoint(s) for ALARM -> OK transition).`,
  };
}
