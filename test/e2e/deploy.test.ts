import { rmSync } from 'node:fs';
import type { LocalStack } from '../../local/runtime/local-stack';
import { StateNames } from '../../pipeline/state-names';
import { answerApproval, deployIncumbent, freshStateDir, invoke, outcomeOf, startStack, visited } from './helpers';

/**
 * The synthesized retraining state machine, run end to end on local parts: every path that deploys
 * (or tries to), with real AutoML, batch scoring, evaluation, approval and the blue/green endpoint host.
 */
jest.setTimeout(240_000);

describe('retraining runs that deploy', () => {
  const dirs: string[] = [];
  let stack: LocalStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('first run creates the endpoint; a second run on the same data keeps it (not-promoted against the serving model)', async () => {
    const dir = freshStateDir();
    dirs.push(dir);
    stack = await startStack(dir);
    const first = stack.startExecution();
    answerApproval(stack, first.name, 'approve');
    const run1 = await first.done;
    expect(outcomeOf(run1)).toBe('deployed');
    expect(visited(run1)).toEqual(expect.arrayContaining([StateNames.CreateEndpoint, StateNames.AwaitApproval]));
    expect(visited(run1)).not.toContain(StateNames.UpdateEndpoint);
    const endpoint = stack.hosting.describeEndpoint({ EndpointName: 'occupancy' });
    expect(endpoint.EndpointStatus).toBe('InService');
    const answers = await invoke(stack);
    expect(answers.trim().split('\n')).toHaveLength(5);

    const second = stack.startExecution();
    const run2 = await second.done;
    expect(outcomeOf(run2)).toBe('not-promoted');
    // The incumbent was scored on the new holdout, and the gate compared against it.
    const evaluation = run2.states.find((s) => s.name === StateNames.Evaluate)?.output as {
      evaluation: { serving: { f1: number } | null; reasons: string[]; promote: boolean };
    };
    expect(evaluation.evaluation.serving?.f1).toBeGreaterThan(0);
    expect(evaluation.evaluation.promote).toBe(false);
    expect(evaluation.evaluation.reasons.join(' ')).toMatch(/serving/);
    expect(visited(run2)).toContain(StateNames.ScoreServingModel);
    expect(visited(run2)).not.toContain(StateNames.AwaitApproval);
    expect(stack.hosting.describeEndpoint({ EndpointName: 'occupancy' }).EndpointConfigName).toBe(
      endpoint.EndpointConfigName,
    );
    expect(await invoke(stack)).toBe(answers);
    // Each run names its AutoML job after itself (≤ 32 characters, unique).
    const jobName = (r: typeof run1) =>
      (r.states.find((s) => s.name === StateNames.NameRun)?.output as { run: { autoMLJobName: string } } | undefined)
        ?.run.autoMLJobName;
    expect(jobName(run1)).toHaveLength(32);
    expect(jobName(run2)).not.toBe(jobName(run1));
  });

  it('a candidate that beats the serving model replaces it by blue/green update with a canary', async () => {
    const dir = freshStateDir();
    dirs.push(dir);
    stack = await startStack(dir);
    await deployIncumbent(stack);
    const before = stack.hosting.describeEndpoint({ EndpointName: 'occupancy' }).EndpointConfigName;
    const execution = stack.startExecution();
    answerApproval(stack, execution.name, 'approve');
    const record = await execution.done;
    expect(outcomeOf(record)).toBe('deployed');
    expect(visited(record)).toContain(StateNames.UpdateEndpoint);
    expect(visited(record)).not.toContain(StateNames.CreateEndpoint);
    const after = stack.hosting.describeEndpoint({ EndpointName: 'occupancy' });
    expect(after.EndpointConfigName).not.toBe(before);
    // Canary first (the configured 20 % of traffic on the new fleet), then all of it; then the old fleet goes.
    const shifts = stack.hosting
      .listEndpointEvents('occupancy')
      .filter((e) => e.type === 'TrafficShifted')
      .map((e) => e.message.split(' ')[0]);
    expect(shifts).toEqual(['20%', '100%']);
    expect(stack.hosting.listEndpointEvents('occupancy').map((e) => e.type)).toContain('BlueFleetTerminated');
  });

  it('a canary that answers 5xx trips the rollback alarm: rolled-back, and the old model still answers', async () => {
    const dir = freshStateDir();
    dirs.push(dir);
    stack = await startStack(dir, ['deploy-5xx']);
    await deployIncumbent(stack);
    const before = await invoke(stack);
    const config = stack.hosting.describeEndpoint({ EndpointName: 'occupancy' }).EndpointConfigName;
    const execution = stack.startExecution();
    answerApproval(stack, execution.name, 'approve');
    const record = await execution.done;
    expect(outcomeOf(record)).toBe('rolled-back');
    const after = stack.hosting.describeEndpoint({ EndpointName: 'occupancy' });
    expect(after.EndpointConfigName).toBe(config);
    expect(after.FailureReason).toMatch(/Rolled back/);
    expect(await invoke(stack)).toBe(before);
  });
});
