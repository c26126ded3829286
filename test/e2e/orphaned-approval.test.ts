import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freshStateDir } from './helpers';

/**
 * A run killed (SIGKILL) while it waits at AwaitApproval: afterwards `status` shows it interrupted with no pending
 * approval, `approve` on it is refused (exit 1) and changes nothing, the registry package is not left
 * PendingManualApproval and no task token is left waiting.
 */
jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'occupancy.js');

const occupancy = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });

/** Every process of the group: the bin wrapper, tsx and the runtime itself (a real kill -9 of the run). */
function killGroup(child: ChildProcess): void {
  if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
}

it('withdraws the approval of a run killed at AwaitApproval; approve exits 1 and changes nothing', async () => {
  const stateDir = freshStateDir();
  const child = spawn(process.execPath, [BIN, 'run', '--state-dir', stateDir], { cwd: ROOT, detached: true });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout?.resume();
  let runName = '';
  try {
    for (;;) {
      const match = /or run: npx occupancy approve (\S+)/.exec(stderr);
      if (match?.[1]) {
        runName = match[1];
        break;
      }
      if (child.exitCode !== null) throw new Error(`run exited ${child.exitCode} before AwaitApproval: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const exited = new Promise((r) => child.once('exit', r));
    killGroup(child);
    await exited;

    const pendingDir = join(stateDir, 'task-tokens', 'pending');
    // Before anyone looks, the killed run still looks alive on disk: RUNNING, a pending approval and token.
    const before = JSON.parse(readFileSync(join(stateDir, 'executions', `${runName}.json`), 'utf8'));
    expect(before.status).toBe('RUNNING');
    expect(readdirSync(pendingDir)).toHaveLength(1);

    const status = occupancy(['status', '--state-dir', stateDir, '--json']);
    expect(status.status).toBe(0);
    const view = JSON.parse(status.stdout) as {
      runs: { name: string; status: string; error?: string; cause?: string }[];
      pendingApprovals: string[];
    };
    const run = view.runs.find((r) => r.name === runName);
    expect(run).toMatchObject({ status: 'FAILED', error: 'Local.Interrupted' });
    // The message says what the endpoint holds: this state folder never deployed one.
    expect(run?.cause).toContain('No endpoint exists');
    expect(view.pendingApprovals).toEqual([]);

    const approve = occupancy(['approve', runName, '--state-dir', stateDir]);
    expect(approve.status).toBe(1);
    expect(approve.stderr).toMatch(new RegExp(`run ${runName} is over: it was interrupted at \\d{4}-`));
    expect(approve.stderr).not.toMatch(/\n\s+at /);
    expect(approve.stdout).not.toContain('approved');

    const approval = JSON.parse(readFileSync(join(stateDir, 'approvals', `${runName}.json`), 'utf8'));
    expect(approval.status).toBe('withdrawn');
    expect(approval.withdrawnReason).toContain(runName);
    const packages = readdirSync(join(stateDir, 'registry', 'occupancy')).map((f) =>
      JSON.parse(readFileSync(join(stateDir, 'registry', 'occupancy', f), 'utf8')),
    );
    expect(packages).toHaveLength(1);
    expect(packages[0].ModelApprovalStatus).toBe('Rejected');
    expect(packages[0].ApprovalDescription).toContain(`Run ${runName} was interrupted`);
    expect(readdirSync(pendingDir)).toEqual([]);
    // Nothing was deployed by the refused approve.
    const hosting = join(stateDir, 'hosting', 'state.json');
    if (existsSync(hosting)) expect(JSON.parse(readFileSync(hosting, 'utf8')).endpoints).toEqual([]);
  } finally {
    if (child.exitCode === null && child.signalCode === null) killGroup(child);
    rmSync(stateDir, { recursive: true, force: true });
  }
});
