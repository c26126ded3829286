import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stepFunctionsNameOf } from '../../local/aws-contract';
import { describeExecution } from '../../local/runtime/describe-execution';
import { type ExecutionRecord, ExecutionStore } from '../../local/runtime/executions';

/**
 * DescribeExecution of the single-run lock's holder on the local store: a RUNNING record whose process is gone is
 * not RUNNING (its lock is stale), one whose process lives is, and an unknown execution does not exist.
 */

const MACHINE = 'arn:aws:states:local:000000000000:stateMachine:occupancy-retraining';
const arnOf = (name: string) => `arn:aws:states:local:000000000000:execution:occupancy-retraining:${name}`;
const dir = mkdtempSync(join(tmpdir(), 'describe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function save(store: ExecutionStore, name: string, pid: number): void {
  const record: ExecutionRecord = {
    executionArn: arnOf(name),
    name,
    stateMachineArn: MACHINE,
    status: 'RUNNING',
    startDate: Date.UTC(2026, 0, 1),
    input: {},
    pid,
    states: [],
  };
  store.save(record);
}

async function deadPid(): Promise<number> {
  const child = fork('-e', [''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 0;
}

describe('local DescribeExecution of the lock holder', () => {
  const store = new ExecutionStore(dir);

  it('a RUNNING record whose process was killed reports FAILED (without waiting for the next start to mark it)', async () => {
    save(store, 'killed', await deadPid());
    expect(describeExecution(store, MACHINE, arnOf('killed'))).toMatchObject({
      ExecutionArn: arnOf('killed'),
      Status: 'FAILED',
      StopDate: expect.any(Date),
    });
    expect(store.get('killed')?.status).toBe('RUNNING'); // reported, not rewritten: recovery owns the record
  });

  it('a RUNNING record of a live process (this one, or another) reports RUNNING', () => {
    save(store, 'here', process.pid);
    save(store, 'parent', process.ppid);
    expect(describeExecution(store, MACHINE, arnOf('here')).Status).toBe('RUNNING');
    expect(describeExecution(store, MACHINE, arnOf('parent')).Status).toBe('RUNNING');
  });

  it('an unknown execution, or one of another state machine, does not exist', () => {
    for (const arn of [arnOf('never'), arnOf('here').replace('occupancy-retraining', 'other'), 'not-an-arn']) {
      let name = '';
      try {
        describeExecution(store, MACHINE, arn);
      } catch (error) {
        name = stepFunctionsNameOf('sfn', error);
      }
      expect(name).toBe('Sfn.ExecutionDoesNotExistException');
    }
  });
});
