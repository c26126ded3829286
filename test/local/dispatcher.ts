import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionRecord } from '../../local/runtime/executions';
import { LocalStack } from '../../local/runtime/local-stack';
import type { AslDefinition, Json } from '../../local/runtime/runner';
import { PipelineConfigSchema } from '../../pipeline/config';

/** One Task per binding, chosen by `$.call`; the Task's input is `$.request`, as Parameters would build it. */
function dispatcher(resources: Readonly<Record<string, string>>): AslDefinition {
  const states: Record<string, unknown> = {
    Dispatch: {
      Type: 'Choice',
      Choices: Object.keys(resources).map((call) => ({ Variable: '$.call', StringEquals: call, Next: call })),
    },
  };
  for (const [call, resource] of Object.entries(resources)) {
    states[call] = { Type: 'Task', Resource: resource, InputPath: '$.request', End: true };
  }
  return { StartAt: 'Dispatch', States: states } as unknown as AslDefinition;
}

export interface DispatcherStack<Call extends string> {
  /** The running stack (set once the file's beforeAll has run). */
  stack(): LocalStack;
  /** A temporary folder for the file's own files; the stack's state is under `state/` in it. */
  dir(): string;
  /** One execution of the Task bound to `call`, with `request` as its input. */
  run(call: Call, request: Record<string, Json>): Promise<ExecutionRecord>;
  /** As run, expecting the execution to fail: its error and cause. */
  failure(call: Call, request: Record<string, Json>): Promise<{ error: string; cause: string }>;
}

/**
 * A LocalStack whose state machine is a dispatcher over `resources`, started before the calling test file's tests
 * and closed after them, so a file can drive each local adapter through the same Task-state path the pipeline uses.
 */
export function dispatcherStack<Call extends string>(
  name: string,
  resources: Readonly<Record<Call, string>>,
  stateMachineRoleActions?: readonly string[],
): DispatcherStack<Call> {
  let dir = '';
  let stack: LocalStack | undefined;
  let runs = 0;
  const started = (): LocalStack => {
    if (!stack) throw new Error(`${name}: the dispatcher stack is used before beforeAll started it`);
    return stack;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `${name}-`));
    stack = await LocalStack.start({
      stateDir: join(dir, 'state'),
      config: PipelineConfigSchema.parse({}),
      pipeline: {
        definition: dispatcher(resources),
        stateMachineArn: `arn:aws:states:us-east-1:000000000000:stateMachine:${name}`,
        rollbackAlarms: [],
        alarmNotes: [],
        ...(stateMachineRoleActions ? { stateMachineRoleActions } : {}),
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (call: Call, request: Record<string, Json>): Promise<ExecutionRecord> => {
    runs++;
    return started().runner.start({ call, request }, `${name}-${runs}`).done;
  };
  return {
    stack: started,
    dir: () => dir,
    run,
    async failure(call, request) {
      const record = await run(call, request);
      expect(record.status).toBe('FAILED');
      return { error: record.error ?? '', cause: record.cause ?? '' };
    },
  };
}
