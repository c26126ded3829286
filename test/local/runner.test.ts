import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { ExecutionStore } from '../../local/runtime/executions';
import { type AslDefinition, LocalStepFunctionsRunner } from '../../local/runtime/runner';
import { renderStateMachineAsl } from '../../pipeline/render-asl';

function synthesizeTinyMachine(): AslDefinition {
  const app = new App();
  const stack = new Stack(app, 'Tiny');
  const describe = new tasks.CallAwsService(stack, 'DescribeEndpoint', {
    service: 'sagemaker',
    action: 'describeEndpoint',
    parameters: { EndpointName: sfn.JsonPath.stringAt('$.endpoint') },
    iamResources: ['*'],
    resultPath: '$.described',
  });
  const wait = new sfn.Wait(stack, 'WaitABit', { time: sfn.WaitTime.duration(Duration.hours(1)) });
  const choice = new sfn.Choice(stack, 'IsInService')
    .when(sfn.Condition.stringEquals('$.described.EndpointStatus', 'InService'), new sfn.Succeed(stack, 'Done'))
    .otherwise(new sfn.Fail(stack, 'NotInService', { error: 'NotInService' }));
  new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(wait.next(describe).next(choice)),
  });
  const definition = renderStateMachineAsl(Template.fromStack(stack).toJSON());
  return definition as unknown as AslDefinition;
}

describe('LocalStepFunctionsRunner on CDK-synthesized ASL', () => {
  const definition = synthesizeTinyMachine();
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'runner-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('binds Task states by resource, speeds up Wait states and records every state', async () => {
    const store = new ExecutionStore(dir);
    const calls: unknown[] = [];
    const runner = new LocalStepFunctionsRunner({
      definition,
      stateMachineArn: 'arn:aws:states:local-1:000000000000:stateMachine:tiny',
      store,
      bindings: [
        {
          resource: 'arn:aws:states:::aws-sdk:sagemaker:describeEndpoint',
          handler: (input) => {
            calls.push(input);
            return { EndpointStatus: 'InService' };
          },
        },
      ],
    });
    expect(runner.taskStates()).toEqual([
      { stateName: 'DescribeEndpoint', resource: 'arn:aws:states:::aws-sdk:sagemaker:describeEndpoint', bound: true },
    ]);
    const started = Date.now();
    const record = await runner.start({ endpoint: 'occupancy' }, 'run-1').done;
    expect(Date.now() - started).toBeLessThan(30_000); // a one-hour Wait must not really wait
    expect(record.status).toBe('SUCCEEDED');
    expect(calls).toEqual([{ EndpointName: 'occupancy' }]);
    expect(record.states.map((s) => [s.name, s.status])).toEqual([
      ['WaitABit', 'succeeded'],
      ['DescribeEndpoint', 'succeeded'],
      ['IsInService', 'succeeded'],
      ['Done', 'succeeded'],
    ]);
    expect(store.get('run-1')?.status).toBe('SUCCEEDED');
  });

  it('fails loudly, naming the state, when a Task has no local binding', async () => {
    const store = new ExecutionStore(dir);
    const runner = new LocalStepFunctionsRunner({
      definition,
      stateMachineArn: 'arn:aws:states:local-1:000000000000:stateMachine:tiny',
      store,
      bindings: [],
    });
    const record = await runner.start({ endpoint: 'x' }, 'run-2').done;
    expect(record.status).toBe('FAILED');
    expect(record.cause).toMatch(/Task state "DescribeEndpoint" .* has no local binding/);
  });

  it('marks an execution left RUNNING by a dead process as failed with the reason', () => {
    const store = new ExecutionStore(dir);
    store.save({
      executionArn: 'arn:x',
      name: 'orphan',
      stateMachineArn: 'arn:sm',
      status: 'RUNNING',
      startDate: 1,
      input: {},
      pid: 999_999_999,
      states: [{ name: 'StartAutoML', type: 'Task', status: 'running', enteredAt: 1 }],
    });
    expect(store.failInterrupted(2, () => false)).toEqual(['orphan']);
    const record = store.get('orphan');
    expect(record?.status).toBe('FAILED');
    expect(record?.cause).toMatch(/stopped while this execution was running/);
    expect(record?.states[0]?.status).toBe('failed');
  });
});
