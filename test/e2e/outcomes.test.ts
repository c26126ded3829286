import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalStack } from '../../local/runtime/local-stack';
import { StateNames } from '../../pipeline/state-names';
import { answerApproval, deployIncumbent, freshStateDir, invoke, outcomeOf, startStack, visited } from './helpers';

/**
 * Runs that must leave the serving endpoint exactly as it was: a person rejects, nobody answers in
 * time, AutoML fails, or another run is already going. Faults are injected in the local adapters only.
 */
jest.setTimeout(240_000);

describe('retraining runs that keep the serving model', () => {
  const dirs: string[] = [];
  let stack: LocalStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function withIncumbent(faults: Parameters<typeof startStack>[1] = []) {
    const dir = freshStateDir();
    dirs.push(dir);
    stack = await startStack(dir, faults);
    await deployIncumbent(stack);
    return { stack, answers: await invoke(stack) };
  }

  it('rejected by a person: the package is Rejected and the endpoint answers as before', async () => {
    const { stack, answers } = await withIncumbent();
    const execution = stack.startExecution();
    answerApproval(stack, execution.name, 'reject');
    const record = await execution.done;
    expect(outcomeOf(record)).toBe('rejected');
    expect(visited(record)).toContain(StateNames.RejectModelPackage);
    expect(stack.registry.list('occupancy').map((p) => p.ModelApprovalStatus)).toEqual(['Rejected']);
    expect(await invoke(stack)).toBe(answers);
    // The Lambda tasks ran as their bundled handlers: each logged its cold start (an EMF line) once.
    for (const fn of [
      'ScoringInputFunction',
      'CandidateContainersFunction',
      'EvaluateFunction',
      'ApprovalRequestFunction',
    ]) {
      const log = readFileSync(join(stack.stateDir, 'logs', 'lambda', `${fn}.log`), 'utf8');
      expect(log.split('\n').filter((line) => line.includes('"ColdStart"'))).toHaveLength(1);
    }
  });

  it('approval times out: approval-timeout, the package is Rejected, the endpoint answers as before', async () => {
    const { stack, answers } = await withIncumbent(['approval-timeout']);
    const record = await stack.startExecution().done;
    expect(outcomeOf(record)).toBe('approval-timeout');
    expect(stack.registry.list('occupancy').map((p) => p.ModelApprovalStatus)).toEqual(['Rejected']);
    expect(await invoke(stack)).toBe(answers);
  });

  it('AutoML fails: the execution fails with the reason, notifies, and the endpoint answers as before', async () => {
    const { stack, answers } = await withIncumbent(['automl-failed']);
    const record = await stack.startExecution().done;
    expect(record.status).toBe('FAILED');
    expect(record.cause).toMatch(/automl-failed/);
    expect(visited(record)).toEqual(expect.arrayContaining([StateNames.AutoMLFailed, StateNames.NotifyFailure]));
    expect(visited(record)).not.toContain(StateNames.Evaluate);
    expect(await invoke(stack)).toBe(answers);
  });

  it('a second run while one is going exits cleanly as already-running', async () => {
    const { stack, answers } = await withIncumbent();
    const first = stack.startExecution();
    while (!stack.executions.get(first.name)?.states.some((s) => s.name === StateNames.StartAutoML)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const second = await stack.startExecution().done;
    expect(outcomeOf(second)).toBe('already-running');
    expect(visited(second)).not.toContain(StateNames.ExportDataset);
    answerApproval(stack, first.name, 'reject');
    expect(outcomeOf(await first.done)).toBe('rejected');
    expect(await invoke(stack)).toBe(answers);
  });
});
