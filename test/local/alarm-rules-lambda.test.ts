import { AlarmEvaluator, MetricStore } from '../../local/metrics';
import {
  AlarmEventRules,
  alarmRulesOfTemplate,
  localAlarmArn,
  type RuleTarget,
  UnsupportedRuleError,
} from '../../local/runtime/alarm-rules';
import { AsyncInvokeQueue } from '../../local/runtime/async-invoke';
import type { Json } from '../../local/runtime/runner';
import { STUCK_ALARM } from '../health/fleet-fixture';

/**
 * EventBridge rules whose target is a Lambda function (the sensor health notifier): read from a template, the alarm
 * state change event delivered as the function's input, and Lambda's asynchronous invocation with reserved
 * concurrency 1: queued events run one at a time, a failed one is retried twice, then given up.
 */

const resources = {
  Stuck: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmName: 'occupancy-sensor-health-stuck' } },
  Notify: { Type: 'AWS::Lambda::Function', Properties: {} },
  Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
  Rule: {
    Type: 'AWS::Events::Rule',
    Properties: {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        resources: [{ 'Fn::GetAtt': ['Stuck', 'Arn'] }],
        detail: { state: { value: ['ALARM'] } },
      },
      Targets: [{ Arn: { 'Fn::GetAtt': ['Notify', 'Arn'] }, Id: 'Target0' }],
    },
  },
};
const NOTIFY_ARN = 'arn:aws:lambda:eu-west-1:000000000000:function:Notify';

describe('rules with Lambda targets', () => {
  it('reads a Lambda target as such; an unknown target is refused', () => {
    const [rule] = alarmRulesOfTemplate(resources, { Machine: 'arn:sm' }, { Notify: NOTIFY_ARN });
    expect(rule?.alarmNames).toEqual(['occupancy-sensor-health-stuck']);
    expect(rule?.targets).toEqual([{ type: 'lambda', arn: NOTIFY_ARN } satisfies RuleTarget]);
    expect(() => alarmRulesOfTemplate(resources, { Machine: 'arn:sm' })).toThrow(UnsupportedRuleError);
  });

  it("an alarm's change to ALARM hands the function the whole state change event (no input given)", () => {
    const metrics = new MetricStore();
    const alarms = new AlarmEvaluator(metrics);
    alarms.putMetricAlarm(STUCK_ALARM);
    const delivered: { arn: string; input: Json; type: string }[] = [];
    const rules = new AlarmEventRules(
      alarmRulesOfTemplate(resources, {}, { Notify: NOTIFY_ARN }),
      alarms,
      (arn, input, _rule, target) => delivered.push({ arn, input, type: target.type }),
    );
    metrics.putMetricData({
      Namespace: 'Occupancy',
      MetricData: [{ MetricName: 'UnhealthyDevices', Dimensions: [{ Name: 'Kind', Value: 'stuck' }], Value: 2 }],
    });
    rules.evaluate();
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      arn: NOTIFY_ARN,
      type: 'lambda',
      input: {
        source: 'aws.cloudwatch',
        'detail-type': 'CloudWatch Alarm State Change',
        resources: [localAlarmArn('occupancy-sensor-health-stuck')],
        detail: { alarmName: 'occupancy-sensor-health-stuck', state: { value: 'ALARM' } },
      },
    });
    metrics.close();
  });
});

describe('asynchronous invocation with reserved concurrency', () => {
  it('runs queued events one at a time, in order', async () => {
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const queue = new AsyncInvokeQueue(async (event) => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      order.push(event as number);
      running--;
    });
    for (const n of [1, 2, 3]) queue.enqueue(n);
    const drained = queue.drained();
    // Only the first has started; each release lets the next one in.
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      expect(releases).toHaveLength(i + 1);
      releases[i]?.();
    }
    await drained;
    expect(order).toEqual([1, 2, 3]);
    expect(most).toBe(1);
  });

  it('retries a failed event twice, then gives it up (onFailure), and keeps serving the others', async () => {
    const attempts: Json[] = [];
    const failed: Json[] = [];
    const queue = new AsyncInvokeQueue(
      async (event) => {
        attempts.push(event);
        if (event === 'bad') throw new Error('function error');
      },
      { timeScale: 0, onFailure: (_error, event) => failed.push(event) },
    );
    queue.enqueue('bad');
    queue.enqueue('good');
    await queue.drained();
    expect(attempts.filter((e) => e === 'bad')).toHaveLength(3);
    expect(attempts.filter((e) => e === 'good')).toHaveLength(1);
    expect(failed).toEqual(['bad']);
  });

  it('refuses a reserved concurrency below 1', () => {
    expect(() => new AsyncInvokeQueue(async () => undefined, { reservedConcurrency: 0 })).toThrow(RangeError);
  });
});
