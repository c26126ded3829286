import { userInfo } from 'node:os';
import { decide } from '../../tasks/approval';
import { BrokerTaskCallback, FileApprovalStore } from '../adapters/approvals';
import { parseCommandArgs, STATE_DIR_OPTION, UsageError } from '../args';
import { TaskTokenBroker } from '../runtime/task-tokens';

/**
 * `occupancy approve|reject <run>`: answers the run's AwaitApproval task token from another terminal
 * (local SendTaskSuccess / SendTaskFailure). Whoever has the state folder is trusted, as whoever has
 * AWS credentials for SendTaskSuccess is on AWS.
 */
export function approvalCommand(decision: 'approve' | 'reject') {
  return async (argv: string[]): Promise<number> => {
    const { values, positionals } = parseCommandArgs(
      argv,
      { ...STATE_DIR_OPTION, by: { type: 'string' }, json: { type: 'boolean', default: false } },
      true,
    );
    const store = new FileApprovalStore(values['state-dir']);
    const [runId, ...extra] = positionals;
    if (!runId || extra.length > 0) {
      const pending = (await store.list()).filter((r) => r.status === 'pending').map((r) => r.runId);
      throw new UsageError(
        `usage: occupancy ${decision} <run>; pending: ${pending.length > 0 ? pending.join(', ') : 'none'}`,
      );
    }
    const record = await store.get(runId);
    if (!record) {
      const pending = (await store.list()).filter((r) => r.status === 'pending').map((r) => r.runId);
      throw new UsageError(`No approval request for run "${runId}"; pending: ${pending.join(', ') || 'none'}`);
    }
    const outcome = await decide(record, decision, 'cli', values.by ?? userInfo().username, {
      store,
      callback: new BrokerTaskCallback(new TaskTokenBroker(values['state-dir'])),
    });
    const ok = outcome === 'approved' || outcome === 'rejected';
    const result = { runId, outcome };
    process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `run ${runId}: ${outcome}\n`);
    return ok ? 0 : 1;
  };
}
