import { type CloudWatchClient, DescribeAlarmsCommand, type StateValue } from '@aws-sdk/client-cloudwatch';
import { PortError } from '../errors';

export interface AlarmStatus {
  readonly state: StateValue;
  /** The static threshold; absent for an alarm on an anomaly band. */
  readonly threshold?: number;
}

/** The current state of named CloudWatch alarms. */
export interface AlarmStates {
  /** Status by alarm name; a name without a metric alarm is absent. */
  statesOf(alarmNames: readonly string[]): Promise<ReadonlyMap<string, AlarmStatus>>;
}

/** DescribeAlarms takes at most 100 names: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html */
const MAX_NAMES = 100;

export class CloudWatchAlarmStates implements AlarmStates {
  constructor(private readonly client: CloudWatchClient) {}

  async statesOf(alarmNames: readonly string[]): Promise<ReadonlyMap<string, AlarmStatus>> {
    const states = new Map<string, AlarmStatus>();
    for (let i = 0; i < alarmNames.length; i += MAX_NAMES) {
      const names = alarmNames.slice(i, i + MAX_NAMES);
      try {
        let token: string | undefined;
        do {
          const out = await this.client.send(
            new DescribeAlarmsCommand({
              AlarmNames: names,
              AlarmTypes: ['MetricAlarm'],
              ...(token ? { NextToken: token } : {}),
            }),
          );
          for (const a of out.MetricAlarms ?? []) {
            if (!a.AlarmName || !a.StateValue) continue;
            states.set(a.AlarmName, {
              state: a.StateValue,
              ...(a.Threshold === undefined ? {} : { threshold: a.Threshold }),
            });
          }
          token = out.NextToken;
        } while (token);
      } catch (error) {
        throw new PortError(`Reading the state of alarms ${names.join(', ')} failed`, { cause: error });
      }
    }
    return states;
  }
}
