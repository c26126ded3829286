import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { AlarmEvaluator, MetricStore } from '../../local/metrics';
import { standInCloudWatchAlarms, standInLambda } from '../../local/runtime/stand-in-clients';
import { PortError } from '../../tasks/errors';
import { CloudWatchAlarmStates } from '../../tasks/ports/alarm-states';
import { LambdaEventInvoker } from '../../tasks/ports/event-invoker';
import { STUCK_ALARM } from '../health/fleet-fixture';

/** The sensor health notifier's two AWS ports: the check's asynchronous invoke, the alarms' state. */

const FN = 'arn:aws:lambda:eu-west-1:123456789012:function:occupancy-SensorHealthNotify';

describe('LambdaEventInvoker', () => {
  it('invokes asynchronously with the event as JSON, and wraps a failure with its cause', async () => {
    const lambda = mockClient(LambdaClient);
    lambda.on(InvokeCommand).resolvesOnce({ StatusCode: 202 }).rejectsOnce(new Error('TooManyRequestsException'));
    const invoker = new LambdaEventInvoker(new LambdaClient({ region: 'eu-west-1' }), FN);
    await invoker.invoke({ detail: { reportId: 'r1' } });
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ FunctionName: FN, InvocationType: 'Event' });
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual({ detail: { reportId: 'r1' } });
    const error = await invoker.invoke({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortError);
    expect((error as PortError).cause).toEqual(new Error('TooManyRequestsException'));
    lambda.restore();
  });
});

describe('CloudWatchAlarmStates', () => {
  it('reads state and threshold by name, 100 names a call, following NextToken', async () => {
    const cw = mockClient(CloudWatchClient);
    cw.on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'a-0', StateValue: 'ALARM', Threshold: 1 }], NextToken: 't' })
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'a-1', StateValue: 'OK', Threshold: 2 }] })
      .resolves({ MetricAlarms: [{ AlarmName: 'a-100', StateValue: 'INSUFFICIENT_DATA' }] });
    const names = Array.from({ length: 101 }, (_, i) => `a-${i}`);
    const states = await new CloudWatchAlarmStates(new CloudWatchClient({ region: 'eu-west-1' })).statesOf(names);
    expect([...states]).toEqual([
      ['a-0', { state: 'ALARM', threshold: 1 }],
      ['a-1', { state: 'OK', threshold: 2 }],
      ['a-100', { state: 'INSUFFICIENT_DATA' }],
    ]);
    const calls = cw.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => [c.AlarmNames?.length, c.NextToken])).toEqual([
      [100, undefined],
      [100, 't'],
      [1, undefined],
    ]);
    cw.restore();
  });
});

describe('local stand-ins the synthesized functions get', () => {
  it('Lambda: queues an Event invoke on the named function; refuses an unknown one and a payload over 1 MB', async () => {
    const queued: unknown[] = [];
    const client = standInLambda([{ arn: FN, enqueue: (e) => queued.push(e) }]);
    await new LambdaEventInvoker(client, FN).invoke({ n: 1 });
    await new LambdaEventInvoker(client, 'occupancy-SensorHealthNotify').invoke({ n: 2 });
    expect(queued).toEqual([{ n: 1 }, { n: 2 }]);
    const unknown = await new LambdaEventInvoker(client, `${FN}-other`).invoke({}).catch((e: unknown) => e);
    expect((unknown as PortError).cause).toMatchObject({ name: 'ResourceNotFoundException' });
    const big = await new LambdaEventInvoker(client, FN).invoke({ s: 'x'.repeat(1_048_576) }).catch((e: unknown) => e);
    expect((big as PortError).cause).toMatchObject({ name: 'RequestEntityTooLargeException' });
    expect(queued).toHaveLength(2);
  });

  it('CloudWatch: DescribeAlarms from the local evaluator, state and threshold', async () => {
    const metrics = new MetricStore();
    const alarms = new AlarmEvaluator(metrics);
    alarms.putMetricAlarm(STUCK_ALARM);
    metrics.putMetricData({
      Namespace: 'Occupancy',
      MetricData: [{ MetricName: 'UnhealthyDevices', Dimensions: [{ Name: 'Kind', Value: 'stuck' }], Value: 2 }],
    });
    const states = await new CloudWatchAlarmStates(standInCloudWatchAlarms(alarms)).statesOf([
      'occupancy-sensor-health-stuck',
      'occupancy-sensor-health-silent',
    ]);
    expect([...states]).toEqual([['occupancy-sensor-health-stuck', { state: 'ALARM', threshold: 1 }]]);
  });
});

it('the local CloudWatch refuses more than 100 alarm names, as CloudWatch does', async () => {
  const client = standInCloudWatchAlarms(new AlarmEvaluator(new MetricStore()));
  const names = Array.from({ length: 101 }, (_, i) => `a-${i}`);
  await expect(client.send(new DescribeAlarmsCommand({ AlarmNames: names }))).rejects.toMatchObject({
    name: 'ValidationError',
    message: expect.stringContaining('Member must have length less than or equal to 100'),
  });
});
