import { randomBytes } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import '../polyfills';
import type { ExecutionRecord, ExecutionStore, StateRecord } from './executions';

/**
 * Runs an ASL definition (the one CDK synthesizes) on aws-local-stepfunctions, binding every Task
 * state to a local implementation by its Resource, recording each state's timings, input and output in
 * the execution store, and reporting progress.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface TaskContext {
  readonly stateName: string;
  readonly resource: string;
  readonly executionName: string;
  readonly executionArn: string;
  /** The task token (`$$.Task.Token`) of this execution, for `.waitForTaskToken` resources. */
  readonly taskToken: string;
}

export type TaskHandler = (input: Json, context: TaskContext) => Promise<Json> | Json;

export interface ResourceBinding {
  /** Matches a Task state's Resource, e.g. `arn:aws:states:::aws-sdk:sagemaker:createAutoMLJobV2`. */
  readonly resource: string | RegExp;
  readonly handler: TaskHandler;
}

/** A Task state whose resource has no local implementation: fails loudly, naming the state. */
export class NoLocalBindingError extends Error {
  constructor(
    readonly stateName: string,
    readonly resource: string,
  ) {
    super(`Task state "${stateName}" (resource ${resource}) has no local binding`);
    this.name = 'Local.NoBinding';
  }
}

interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Branches?: { States: Record<string, AslState> }[];
  readonly Iterator?: { States: Record<string, AslState> };
  readonly ItemProcessor?: { States: Record<string, AslState> };
  readonly Seconds?: number;
}

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly TimeoutSeconds?: number;
}

/** Every state of a definition, nested Parallel/Map branches included. */
export function allStates(definition: { States: Record<string, AslState> }): [string, AslState][] {
  const out: [string, AslState][] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    out.push([name, state]);
    for (const branch of state.Branches ?? []) out.push(...allStates(branch));
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) out.push(...allStates(inner));
  }
  return out;
}

const matches = (pattern: string | RegExp, resource: string): boolean =>
  typeof pattern === 'string' ? pattern === resource : pattern.test(resource);

export interface RunnerOptions {
  readonly definition: AslDefinition;
  readonly stateMachineArn: string;
  readonly store: ExecutionStore;
  readonly bindings: readonly ResourceBinding[];
  /** Local duration in ms of a Wait state without fixed Seconds. @default 50 */
  readonly waitMs?: number;
  /** Local seconds per AWS second for Wait states with fixed Seconds (Wait states sped up locally). @default 0.001 */
  readonly waitScale?: number;
  /** Progress lines (state entered/exited with elapsed time). @default none */
  readonly onProgress?: (line: string) => void;
  /** Called after every state change, e.g. to refresh a console. */
  readonly onChange?: (record: ExecutionRecord) => void;
}

export interface StartedExecution {
  readonly executionArn: string;
  readonly name: string;
  readonly taskToken: string;
  readonly done: Promise<ExecutionRecord>;
  abort(): void;
}

export class LocalStepFunctionsRunner {
  private readonly machine: StateMachine;

  constructor(private readonly options: RunnerOptions) {
    this.machine = new StateMachine(options.definition as never, {
      validationOptions: { checkPaths: true, checkArn: false },
    });
  }

  /** Task states and the binding each one gets; unbound ones listed so a missing adapter is visible up front. */
  taskStates(): { stateName: string; resource: string; bound: boolean }[] {
    return allStates(this.options.definition)
      .filter(([, s]) => s.Type === 'Task')
      .map(([stateName, s]) => ({
        stateName,
        resource: s.Resource ?? '',
        bound: this.options.bindings.some((b) => matches(b.resource, s.Resource ?? '')),
      }));
  }

  start(input: Json, name: string): StartedExecution {
    const executionArn = this.options.stateMachineArn.replace(':stateMachine:', ':execution:').concat(`:${name}`);
    const taskToken = `${name}.${randomBytes(24).toString('base64url')}`;
    const record: ExecutionRecord = {
      executionArn,
      name,
      stateMachineArn: this.options.stateMachineArn,
      status: 'RUNNING',
      startDate: Date.now(),
      input,
      pid: process.pid,
      states: [],
    };
    const { store, onProgress, onChange } = this.options;
    store.save(record);

    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    const waits: Record<string, number> = {};
    for (const [stateName, state] of allStates(this.options.definition)) {
      if (state.Type === 'Wait') {
        waits[stateName] =
          state.Seconds === undefined
            ? (this.options.waitMs ?? 50)
            : Math.round(state.Seconds * (this.options.waitScale ?? 0.001) * 1000);
      }
      if (state.Type !== 'Task') continue;
      const resource = state.Resource ?? '';
      const binding = this.options.bindings.find((b) => matches(b.resource, resource));
      const context: TaskContext = { stateName, resource, executionName: name, executionArn, taskToken };
      handlers[stateName] = async (taskInput: Json) => {
        if (!binding) throw new NoLocalBindingError(stateName, resource);
        return binding.handler(taskInput, context);
      };
    }

    const execution = this.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never, waitTimeOverrides: waits, retryIntervalOverrides: {} },
      context: {
        Execution: { Id: executionArn, Name: name, Input: input, StartTime: new Date(record.startDate).toISOString() },
        StateMachine: { Id: this.options.stateMachineArn, Name: this.options.stateMachineArn.split(':').pop() },
        Task: { Token: taskToken },
      } as never,
    });

    const open = new Map<string, StateRecord>();
    const elapsed = (): string => `${((Date.now() - record.startDate) / 1000).toFixed(1)}s`;
    const recordEvents = (async () => {
      for await (const event of execution.eventLogs) {
        if (!('state' in event)) continue;
        const { state } = event;
        const key = `${state.name}#${'index' in event ? (event.index ?? '') : ''}`;
        if (event.type === 'StateEntered') {
          const entry: StateRecord = {
            name: state.name,
            type: state.type,
            status: 'running',
            enteredAt: event.timestamp,
            input: state.input,
          };
          open.set(key, entry);
          record.states.push(entry);
          if (state.type !== 'Pass' && state.type !== 'Choice') onProgress?.(`[${elapsed()}] → ${state.name}`);
        } else {
          const entry = open.get(key);
          if (!entry) continue;
          entry.exitedAt = event.timestamp;
          if (event.type === 'StateExited') {
            entry.status = 'succeeded';
            entry.output = state.output;
          } else if (event.type === 'StateFailed') {
            entry.status = 'failed';
            // Causes of service errors often start with the error name already: say it once.
            const cause = String(event.Cause);
            entry.error = cause.startsWith(`${event.Error}:`) ? cause : `${event.Error}: ${cause}`;
          } else if (event.type === 'StateCaught') {
            entry.status = 'caught';
            onProgress?.(`[${elapsed()}] ↷ ${state.name}: ${entry.error ?? 'error'} (handled by its Catch)`);
          } else if (event.type === 'StateRetried') {
            entry.status = 'retried';
          }
          if (event.type !== 'StateFailed') open.delete(key);
        }
        store.save(record);
        onChange?.(record);
      }
    })();

    const done = (async (): Promise<ExecutionRecord> => {
      try {
        record.output = (await execution.result) as Json;
        record.status = 'SUCCEEDED';
      } catch (error) {
        const e = error as Error & { cause?: unknown };
        record.status =
          e.name === 'ExecutionTimeoutError' ? 'TIMED_OUT' : e.name === 'ExecutionAbortedError' ? 'ABORTED' : 'FAILED';
        const failed = [...record.states].reverse().find((s) => s.status === 'failed');
        record.error = failed?.error?.split(':')[0] ?? e.name;
        record.cause = failed?.error ?? e.message;
      }
      await recordEvents.catch(() => undefined);
      record.stopDate = Date.now();
      store.save(record);
      onChange?.(record);
      onProgress?.(
        `[${elapsed()}] execution ${name} ${record.status}${record.status === 'SUCCEEDED' ? '' : `: ${record.cause ?? ''}`}`,
      );
      return record;
    })();

    return { executionArn, name, taskToken, done, abort: () => execution.abort() };
  }
}
