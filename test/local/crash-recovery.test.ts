import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileApprovalStore } from '../../local/adapters/approvals';
import { LocalModelRegistry } from '../../local/adapters/sagemaker-registry';
import { recoverInterruptedRuns } from '../../local/runtime/crash-recovery';
import { ExecutionStore } from '../../local/runtime/executions';
import { cliInProcess } from './cli-in-process';

/**
 * Crash recovery on real files: a RUNNING execution whose process is gone (a real process that exited) is marked
 * interrupted by `status`, `approve` or the start of a `run`; its approval request is withdrawn, its registry
 * package Rejected with the reason, its task token removed; the message says what the endpoint holds. A run whose
 * process is alive is left alone.
 */

const arn = 'arn:aws:states:local:000000000000';

const cli = cliInProcess;

/** The pid of a process that has exited. */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', '']);
  return result.pid ?? 0;
}

/** A run waiting at AwaitApproval, as a process leaves it on disk: returns its model package ARN and token. */
function waitingRun(dir: string, name: string, pid: number): { packageArn: string; token: string } {
  const registry = new LocalModelRegistry(dir);
  const packageArn = String(
    registry.createModelPackage({ ModelPackageGroupName: 'occupancy', ModelApprovalStatus: 'PendingManualApproval' })
      .ModelPackageArn,
  );
  const token = `token-${name}`;
  new ExecutionStore(dir).save({
    executionArn: `${arn}:execution:occupancy-retraining:${name}`,
    name,
    stateMachineArn: `${arn}:stateMachine:occupancy-retraining`,
    status: 'RUNNING',
    startDate: Date.now() - 60_000,
    input: {},
    pid,
    states: [
      {
        name: 'RegisterModel',
        type: 'Task',
        status: 'succeeded',
        enteredAt: 1,
        exitedAt: 2,
        output: { registration: { modelPackageArn: packageArn } },
      },
      { name: 'AwaitApproval', type: 'Task', status: 'running', enteredAt: 3 },
    ],
  });
  writeFileSync(
    join(dir, 'approvals', `${name}.json`),
    JSON.stringify({
      runId: name,
      taskToken: token,
      executionArn: `${arn}:execution:occupancy-retraining:${name}`,
      modelPackageArn: packageArn,
      approveSecretHash: 'a'.repeat(64),
      rejectSecretHash: 'b'.repeat(64),
      createdAt: Date.now() - 30_000,
      expiresAt: Math.ceil(Date.now() / 1000) + 3600,
      status: 'pending',
    }),
  );
  const key = createHash('sha256').update(token).digest('hex').slice(0, 32);
  const pending = join(dir, 'task-tokens', 'pending');
  mkdirSync(pending, { recursive: true });
  writeFileSync(
    join(pending, `${key}.json`),
    JSON.stringify({ token, runId: name, state: 'AwaitApproval', since: Date.now() }),
  );
  return { packageArn, token };
}

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crash-recovery-'));
  mkdirSync(join(dir, 'approvals'), { recursive: true });
  return dir;
}

const packageStatus = (dir: string, packageArn: string) =>
  new LocalModelRegistry(dir).describeModelPackage({ ModelPackageName: packageArn });

let sleeper: ChildProcess | undefined;
afterEach(() => {
  sleeper?.kill('SIGKILL');
  sleeper = undefined;
});

describe('crash recovery', () => {
  it('status marks a run whose process is gone interrupted, withdraws its approval and says what the endpoint holds', async () => {
    const dir = stateDir();
    const name = 'run-20260101-000000-dead';
    const { packageArn } = waitingRun(dir, name, deadPid());
    mkdirSync(join(dir, 'hosting'), { recursive: true });
    writeFileSync(
      join(dir, 'hosting', 'state.json'),
      JSON.stringify({
        models: [],
        configs: [],
        endpoints: [
          {
            name: 'occupancy',
            arn: 'arn:aws:sagemaker:us-east-1:000000000000:endpoint/occupancy',
            creationTime: 1,
            lastModifiedTime: 1,
            status: 'InService',
            serving: { id: 'f1', endpointConfigName: 'occupancy-config-1', faulty: false },
            events: [],
          },
        ],
      }),
    );

    const status = await cli(['status', '--state-dir', dir, '--json']);
    expect(status.code).toBe(0);
    const view = JSON.parse(status.stdout) as {
      runs: { name: string; status: string; error?: string; cause?: string }[];
      pendingApprovals: string[];
      recovered: { name: string; approvalWithdrawn: boolean; packageRejected?: string; taskTokensRemoved: number }[];
    };
    expect(view.runs[0]).toMatchObject({ name, status: 'FAILED', error: 'Local.Interrupted' });
    expect(view.runs[0]?.cause).toContain('Endpoint occupancy is InService on config occupancy-config-1');
    expect(view.runs[0]?.cause).not.toContain('left as it was');
    expect(view.pendingApprovals).toEqual([]);
    expect(view.recovered).toEqual([
      {
        name,
        interruptedAt: expect.any(Number),
        approvalWithdrawn: true,
        packageRejected: packageArn,
        taskTokensRemoved: 1,
      },
    ]);

    const described = packageStatus(dir, packageArn);
    expect(described.ModelApprovalStatus).toBe('Rejected');
    expect(described.ApprovalDescription).toMatch(new RegExp(`^Run ${name} was interrupted at \\d{4}-`));
    expect(described.ApprovalDescription).toContain('occupancy-config-1');
    expect((await new FileApprovalStore(dir).get(name))?.status).toBe('withdrawn');
    expect(readdirSync(join(dir, 'task-tokens', 'pending'))).toEqual([]);
    // Idempotent: a second look changes nothing more.
    expect(recoverInterruptedRuns(dir)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('approve on a run whose process is gone exits 1 saying the run is over, and changes nothing', async () => {
    const dir = stateDir();
    const name = 'run-20260101-000000-gone';
    const { packageArn } = waitingRun(dir, name, deadPid());
    const approve = await cli(['approve', name, '--state-dir', dir]);
    expect(approve.code).toBe(1);
    expect(approve.stderr).toMatch(new RegExp(`run ${name} is over: it was interrupted at \\d{4}-\\d\\d-\\d\\dT`));
    expect(approve.stderr).toContain('No endpoint exists');
    expect(approve.stdout).toBe('');
    expect(readdirSync(join(dir, 'task-tokens', 'answers'))).toEqual([]);
    expect(readdirSync(join(dir, 'task-tokens', 'pending'))).toEqual([]);
    expect(packageStatus(dir, packageArn).ModelApprovalStatus).toBe('Rejected');
    const record = await new FileApprovalStore(dir).get(name);
    expect(record).toMatchObject({ status: 'withdrawn', decidedBy: 'crash-recovery' });
    // Asked again, the same answer.
    const again = await cli(['reject', name, '--state-dir', dir, '--json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({ runId: name, outcome: 'run-over' });
    rmSync(dir, { recursive: true, force: true });
  });

  it('the start of a run recovers too (before refusing a bad config.json)', async () => {
    const dir = stateDir();
    const name = 'run-20260101-000000-next';
    const { packageArn } = waitingRun(dir, name, deadPid());
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ gate: 'high' }));
    const run = await cli(['run', '--state-dir', dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(join(dir, 'config.json'));
    expect(new ExecutionStore(dir).get(name)).toMatchObject({ status: 'FAILED', error: 'Local.Interrupted' });
    expect(packageStatus(dir, packageArn).ModelApprovalStatus).toBe('Rejected');
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves a run whose process is alive waiting', async () => {
    const dir = stateDir();
    const name = 'run-20260101-000000-live';
    sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    const { packageArn } = waitingRun(dir, name, sleeper.pid ?? 0);
    const status = await cli(['status', '--state-dir', dir, '--json']);
    expect(status.code).toBe(0);
    const view = JSON.parse(status.stdout) as { runs: { status: string }[]; pendingApprovals: string[] };
    expect(view.runs[0]?.status).toBe('RUNNING');
    expect(view.pendingApprovals).toEqual([name]);
    expect(packageStatus(dir, packageArn).ModelApprovalStatus).toBe('PendingManualApproval');
    expect(readdirSync(join(dir, 'task-tokens', 'pending'))).toHaveLength(1);
    rmSync(dir, { recursive: true, force: true });
  });
});
