import { FileApprovalStore } from '../adapters/approvals';
import { parseCommandArgs, STATE_DIR_OPTION } from '../args';
import { ExecutionStore } from '../runtime/executions';

/** `occupancy status`: executions (newest first) with outcome and duration, and pending approvals. */
export async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    ...STATE_DIR_OPTION,
    json: { type: 'boolean', default: false },
    limit: { type: 'string', default: '20' },
  });
  const executions = new ExecutionStore(values['state-dir']).list().slice(0, Number(values.limit) || 20);
  const approvals = (await new FileApprovalStore(values['state-dir']).list()).filter((a) => a.status === 'pending');
  const runs = executions.map((e) => ({
    name: e.name,
    status: e.status,
    outcome: e.status === 'SUCCEEDED' ? ((e.output as { outcome?: string } | undefined)?.outcome ?? '') : 'failed',
    startedAt: new Date(e.startDate).toISOString(),
    seconds: e.stopDate ? Math.round((e.stopDate - e.startDate) / 100) / 10 : null,
    currentState: e.status === 'RUNNING' ? (e.states.at(-1)?.name ?? null) : null,
    error: e.error,
  }));
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ runs, pendingApprovals: approvals.map((a) => a.runId) }, null, 2)}\n`);
    return 0;
  }
  if (runs.length === 0) process.stdout.write('no runs yet: `occupancy run` or `npm start`\n');
  for (const r of runs) {
    const detail = r.status === 'RUNNING' ? `at ${r.currentState}` : `${r.outcome} in ${r.seconds}s`;
    process.stdout.write(
      `${r.startedAt}  ${r.name}  ${r.status.padEnd(9)} ${detail}${r.error ? ` (${r.error})` : ''}\n`,
    );
  }
  for (const a of approvals) process.stdout.write(`pending approval: ${a.runId}  →  occupancy approve ${a.runId}\n`);
  return 0;
}
