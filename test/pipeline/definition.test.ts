import { StateMachine } from 'aws-local-stepfunctions';
import { flattenStates } from '../../pipeline/render-asl';
import { StateNames } from '../../pipeline/state-names';
import { synthRetraining } from './fixture';
import { context, EXECUTION_ID, runLocally as runWith, type Scenario } from './local-run';

const aslValidator: (definition: unknown) => {
  isValid: boolean;
  errorsText: (sep?: string) => string;
} = require('asl-validator');

const DESIGN_STATES = [
  'GuardSingleRun',
  'ExportDataset',
  'StartAutoML',
  'WaitAutoML',
  'DescribeAutoML',
  'ScoreCandidates',
  'Evaluate',
  'Gate',
  'RegisterModel',
  'AwaitApproval',
  'Deploy',
  'PublishMetrics',
  'Notify',
];

const config = { approvalTimeoutSeconds: 7200, canary: { sizePercent: 20, waitIntervalSeconds: 300 } };
const { asl } = synthRetraining(config, { cooldown: true });
const states = flattenStates(asl);

type Params = Record<string, unknown>;
const params = (name: string): Params => (states[name]?.Parameters ?? {}) as Params;

describe('retraining definition (synthesized ASL)', () => {
  it('holds every state of DESIGN.md §3 under its exact name, and every StateNames entry exists', () => {
    for (const name of DESIGN_STATES) expect(Object.keys(states)).toContain(name);
    for (const name of Object.values(StateNames)) expect(Object.keys(states)).toContain(name);
    // IoT Analytics reached end of support on 2025-12-15: nothing reads it any more.
    expect(JSON.stringify(asl)).not.toMatch(/iotanalytics|LegacyDataset/i);
  });

  it('passes asl-validator', () => {
    const result = aslValidator(asl);
    expect([result.isValid, result.errorsText('\n')]).toEqual([true, expect.any(String)]);
  });

  it('uses JSONPath only', () => {
    expect(asl.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    for (const state of Object.values(states)) expect(state.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
  });

  it('starts Autopilot V2 as a tabular binary classification on F1 with the configured limits', () => {
    expect(states.StartAutoML?.Resource).toBe('arn:aws:states:::aws-sdk:sagemaker:createAutoMLJobV2');
    const p = params('StartAutoML');
    const tabular = (p.AutoMLProblemTypeConfig as { TabularJobConfig: Params }).TabularJobConfig;
    expect(tabular).toMatchObject({
      TargetAttributeName: 'occupied',
      ProblemType: 'BinaryClassification',
      CompletionCriteria: {
        MaxCandidates: 10,
        MaxRuntimePerTrainingJobInSeconds: 1800,
        MaxAutoMLJobRuntimeInSeconds: 7200,
      },
    });
    expect(p.AutoMLJobObjective).toEqual({ MetricName: 'F1' });
    const channels = (p.AutoMLJobInputDataConfig as Params[]).map((c) => c.ChannelType);
    expect(channels).toEqual(['training', 'validation']);
    expect((p.SecurityConfig as Params).VolumeKmsKeyId).toEqual(expect.stringContaining('kms'));
  });

  it('waits for approval with a task token and the configured timeout', () => {
    expect(states.AwaitApproval?.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(states.AwaitApproval?.TimeoutSeconds).toBe(7200);
    expect((params('AwaitApproval').Payload as Params)['taskToken.$']).toBe('$$.Task.Token');
  });

  it('updates the endpoint blue/green with a canary and alarm-driven rollback', () => {
    expect(states.UpdateEndpoint?.Resource).toBe('arn:aws:states:::aws-sdk:sagemaker:updateEndpoint');
    const deployment = params('UpdateEndpoint').DeploymentConfig as Params;
    expect(deployment.BlueGreenUpdatePolicy).toMatchObject({
      TrafficRoutingConfiguration: {
        Type: 'CANARY',
        CanarySize: { Type: 'CAPACITY_PERCENT', Value: 20 },
        WaitIntervalInSeconds: 300,
      },
      TerminationWaitInSeconds: 300,
      MaximumExecutionTimeoutInSeconds: 3600,
    });
    expect(deployment.AutoRollbackConfiguration).toEqual({
      Alarms: [
        { AlarmName: 'occupancy-variant-5xx' },
        { AlarmName: 'occupancy-model-latency' },
        { AlarmName: 'occupancy-fallback-rate' },
      ],
    });
  });

  it('retries and catches every AWS call, and bounds the run', () => {
    const inBranches = new Set(
      Object.values(asl.States).flatMap((s) =>
        ((s.Branches as { States: Record<string, unknown> }[] | undefined) ?? []).flatMap((b) => Object.keys(b.States)),
      ),
    );
    for (const [name, state] of Object.entries(states)) {
      if (state.Type !== 'Task') continue;
      expect([name, Array.isArray(state.Retry) && state.Retry.length > 0]).toEqual([name, true]);
      // Tasks inside a Parallel branch fail the branch; the Parallel's Catch sends it down the failure path.
      if (!inBranches.has(name) && name !== StateNames.NotifyFailure) {
        expect([name, Array.isArray(state.Catch)]).toEqual([name, true]);
      }
    }
    expect(asl.TimeoutSeconds).toBeGreaterThan(7200);
  });
});

// ---- the same ASL, run by the local runner with every AWS call stubbed at its state name ----

const runLocally = (scenario: Scenario, id?: string) => runWith(asl, scenario, { id });

describe('retraining definition run by aws-local-stepfunctions', () => {
  it('derives a unique AutoML job name of at most 32 characters from the execution', async () => {
    const a = await runLocally({ endpoint: 'missing', promote: false }, `${EXECUTION_ID}-a`);
    const b = await runLocally({ endpoint: 'missing', promote: false }, `${EXECUTION_ID}-b`);
    const nameA = (a.output.result as Record<string, unknown>) && (a.output as { runId: string }).runId;
    expect(nameA).toBe('run-1-a');
    // The job name is not in the summary; re-derive it from the same Pass state to check its shape.
    const { Next: _next, ...nameRun } = asl.States.NameRun as Record<string, unknown>;
    const pass = new StateMachine({ StartAt: 'NameRun', States: { NameRun: { ...nameRun, End: true } } } as never, {
      validationOptions: { checkPaths: false },
    });
    const names = await Promise.all(
      ['x', 'y', 'z'.repeat(80)].map(async (suffix) => {
        const out = (await pass.run({}, { context: context(`${EXECUTION_ID}-${suffix}`) }).result) as {
          run: { autoMLJobName: string };
        };
        return out.run.autoMLJobName;
      }),
    );
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$/);
    expect(new Set(names).size).toBe(3);
    expect(b.output.outcome).toBe('not-promoted');
  });

  it('first run: no serving model, creates the endpoint → deployed', async () => {
    const { output, calls } = await runLocally({ endpoint: 'missing' });
    expect(output.outcome).toBe('deployed');
    expect(calls).toContain('CreateEndpoint');
    expect(calls).not.toContain('UpdateEndpoint');
    expect(calls).not.toContain('ScoreServingModel');
  });

  it('second run: scores the serving model, updates blue/green → deployed', async () => {
    const { output, calls } = await runLocally({ endpoint: 'InService' });
    expect(output.outcome).toBe('deployed');
    expect(calls).toContain('ScoreServingModel');
    expect(calls).toContain('UpdateEndpoint');
  });

  it('an endpoint left on its old config is reported rolled-back', async () => {
    const { output } = await runLocally({ endpoint: 'InService', rollBack: true });
    expect(output.outcome).toBe('rolled-back');
  });

  it('a candidate the gate refuses is not registered', async () => {
    const { output, calls } = await runLocally({ endpoint: 'InService', promote: false });
    expect(output.outcome).toBe('not-promoted');
    expect(calls).not.toContain('RegisterModel');
    expect(calls).toContain('Notify');
  });

  it('a second overlapping run exits cleanly', async () => {
    const { output, calls } = await runLocally({ running: 2 });
    expect(output.outcome).toBe('already-running');
    expect(calls).toEqual(['GuardSingleRun', 'ReadRunLock', 'DescribeRunLockHolder']);
  });
});
