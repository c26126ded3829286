import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { decide } from '../../tasks/approval';
import { BrokerTaskCallback, FileApprovalStore } from '../adapters/approvals';
import { parseCommand, UsageError } from '../args';
import { describeEndpointHeld, recoverInterruptedRuns } from '../runtime/crash-recovery';
import { ExecutionStore } from '../runtime/executions';
import { TaskTokenBroker } from '../runtime/task-tokens';
import { APPROVE, REJECT } from './specs';

/**
 * `occupancy approve|reject <run>`: answers the run's AwaitApproval task token from another terminal
 * (local SendTaskSuccess / SendTaskFailure). Whoever has the state folder is trusted, as whoever has
 * AWS credentials for SendTaskSuccess is on AWS.
 *
 * A run that is over (its process gone, or finished) is not waiting for anyone: the answer is refused with exit 1
 * and nothing changes, as SendTaskSuccess is refused for a token nobody waits on.
 */
export function approvalCommand(decision: 'approve' | 'reject') {
  return async (argv: string[]): Promise<number> => {
    const { values, positionals } = parseCommand(argv, decision === 'approve' ? APPROVE : REJECT);
    const stateDir = values['state-dir'];
    // Nothing was ever asked in a state dir without approvals/: answering is a user error, and creates nothing.
    const asked = existsSync(join(stateDir, 'approvals'));
    const store = asked ? new FileApprovalStore(stateDir) : undefined;
    const pendingRuns = async () =>
      ((await store?.list()) ?? [])
        .filter((r) => r.status === 'pending')
        .map((r) => r.runId)
        .join(', ') || 'none';
    const [runId, ...extra] = positionals;
    if (!runId || extra.length > 0) {
      throw new UsageError(`name one run: npx occupancy ${decision} <run>; pending: ${await pendingRuns()}`);
    }
    if (!store) {
      throw new UsageError(
        `No approval request for run "${runId}": nothing has asked for approval in ${resolve(stateDir)} ` +
          `(\`npx occupancy status --state-dir ${stateDir}\` lists runs)`,
      );
    }
    // A run whose process is gone is marked interrupted (and its request withdrawn) before anything is decided.
    recoverInterruptedRuns(stateDir);
    const record = await store.get(runId);
    if (!record) {
      throw new UsageError(
        `No approval request for run "${runId}"; pending: ${await pendingRuns()} ` +
          `(\`npx occupancy status --state-dir ${stateDir}\` lists runs)`,
      );
    }
    const execution = new ExecutionStore(stateDir).get(runId);
    const over = runOverMessage(runId, execution, record, () => describeEndpointHeld(stateDir));
    if (over !== undefined) {
      const result = { runId, outcome: 'run-over', message: over };
      if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      process.stderr.write(`occupancy ${decision}: ${over}\n`);
      return 1;
    }
    const outcome = await decide(record, decision, 'cli', values.by ?? userInfo().username, {
      store,
      callback: new BrokerTaskCallback(new TaskTokenBroker(stateDir)),
    });
    const ok = outcome === 'approved' || outcome === 'rejected';
    const result = { runId, outcome };
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `run ${runId}: ${outcome}\n`);
    return ok ? 0 : 1;
  };
}

/** Why a run can no longer be answered, or undefined while it waits. */
function runOverMessage(
  runId: string,
  execution: ReturnType<ExecutionStore['get']>,
  approval: { status: string; withdrawnReason?: string },
  endpoint: () => string,
): string | undefined {
  if (execution?.status === 'RUNNING' && approval.status !== 'withdrawn') return undefined;
  if (execution?.error === 'Local.Interrupted') {
    const at = new Date(execution.stopDate ?? Date.now()).toISOString();
    return (
      `run ${runId} is over: it was interrupted at ${at} (its process, pid ${execution.pid}, is gone). ` +
      `Its approval request was withdrawn and nothing was changed. ${endpoint()} Start a new run: occupancy run`
    );
  }
  if (approval.status === 'withdrawn') {
    return `run ${runId} is over: ${approval.withdrawnReason ?? 'its approval request was withdrawn'} Nothing was changed.`;
  }
  if (execution === undefined) {
    return `run ${runId} has no execution record, so nothing waits for this answer; nothing was changed.`;
  }
  const at = execution.stopDate ? ` at ${new Date(execution.stopDate).toISOString()}` : '';
  return `run ${runId} is over: it ended ${execution.status}${at}${execution.error ? ` (${execution.error})` : ''}; nothing waits for this answer and nothing was changed.`;
}
