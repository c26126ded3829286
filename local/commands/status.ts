import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FileApprovalStore } from '../adapters/approvals';
import { intFlag, parseCommand } from '../args';
import { recoverInterruptedRuns } from '../runtime/crash-recovery';
import { ExecutionStore } from '../runtime/executions';
import { checkStateFiles } from '../state-check';
import { STATUS } from './specs';

/**
 * `occupancy status`: executions (newest first) with outcome and duration, and pending approvals. It first
 * recovers runs whose process is gone (marked interrupted, their approval withdrawn), and never fails on a state
 * file it cannot read: it shows everything else and lists the bad files with what to do.
 */
export async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, STATUS);
  const limit = intFlag(values.limit, 'limit', 20);
  const stateDir = values['state-dir'];
  // The run records are read once (they can be large): recovery marks them in place, then they are shown.
  // Read-only: a state dir that never ran anything gets no executions/ or approvals/ folder from looking at it.
  const hasRuns = existsSync(join(stateDir, 'executions'));
  const scanned: ReturnType<ExecutionStore['scan']> = hasRuns
    ? new ExecutionStore(stateDir).scan()
    : { records: [], bad: [] };
  const recovered = hasRuns ? recoverInterruptedRuns(stateDir, { records: scanned.records }) : [];
  const executions = scanned.records.slice(0, limit);
  const approvals = existsSync(join(stateDir, 'approvals'))
    ? (await new FileApprovalStore(stateDir).list()).filter((a) => a.status === 'pending')
    : [];
  const badStateFiles = checkStateFiles(stateDir, { executions: scanned.bad });
  const runs = executions.map((e) => ({
    name: e.name,
    status: e.status,
    outcome: e.status === 'SUCCEEDED' ? ((e.output as { outcome?: string } | undefined)?.outcome ?? '') : 'failed',
    startedAt: new Date(e.startDate).toISOString(),
    seconds: e.stopDate ? Math.round((e.stopDate - e.startDate) / 100) / 10 : null,
    currentState: e.status === 'RUNNING' ? (e.states.at(-1)?.name ?? null) : null,
    error: e.error,
    ...(e.error === 'Local.Interrupted' ? { cause: e.cause } : {}),
  }));
  if (values.json) {
    const out = { runs, pendingApprovals: approvals.map((a) => a.runId), recovered, badStateFiles };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  if (runs.length === 0) process.stdout.write('no runs yet: `occupancy run` or `npm start`\n');
  for (const r of runs) {
    const detail = r.status === 'RUNNING' ? `at ${r.currentState}` : `${r.outcome} in ${r.seconds}s`;
    process.stdout.write(
      `${r.startedAt}  ${r.name}  ${r.status.padEnd(9)} ${detail}${r.error ? ` (${r.error})` : ''}\n`,
    );
    if (r.cause) process.stdout.write(`    ${r.cause}\n`);
  }
  for (const r of recovered) {
    const done = [
      r.approvalWithdrawn ? 'approval request withdrawn' : '',
      r.packageRejected ? `model package ${r.packageRejected} set Rejected` : '',
      r.taskTokensRemoved > 0 ? `${r.taskTokensRemoved} waiting task token(s) removed` : '',
    ].filter(Boolean);
    process.stdout.write(`recovered interrupted run ${r.name}: ${done.join('; ')}\n`);
  }
  for (const a of approvals) process.stdout.write(`pending approval: ${a.runId}  →  occupancy approve ${a.runId}\n`);
  if (badStateFiles.length > 0) {
    process.stdout.write(
      `\nbad state files (${badStateFiles.length}; \`occupancy run\` refuses to start until they are dealt with):\n`,
    );
    for (const f of badStateFiles) process.stdout.write(`  - ${f.message}\n`);
  }
  return 0;
}
