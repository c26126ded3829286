import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FileApprovalStore, type LocalApprovalRecord } from '../adapters/approvals';
import { LocalModelRegistry } from '../adapters/sagemaker-registry';
import { HostingState } from '../hosting/state';
import { processAlive } from '../process-alive';
import { type ExecutionRecord, ExecutionStore } from './executions';
import { TaskTokenBroker } from './task-tokens';

/**
 * Crash recovery, run at the start of every run and by `occupancy status`: an execution whose process is gone is
 * marked interrupted at once, and whatever it left waiting is withdrawn — its approval request (so `approve` is
 * refused instead of answering a token nobody waits on), its registry package (Rejected, with the reason, rather
 * than left PendingManualApproval for ever) and its task-token files.
 */

export interface RecoveredRun {
  readonly name: string;
  /** Epoch ms the run was found interrupted (its stopDate). */
  readonly interruptedAt: number;
  readonly approvalWithdrawn: boolean;
  /** The package set Rejected, if one was left PendingManualApproval. */
  readonly packageRejected?: string;
  readonly taskTokensRemoved: number;
}

export interface RecoveryOptions {
  readonly now?: number;
  readonly isAlive?: (pid: number) => boolean;
  /** The store's records, if the caller already read them (`status` reads them once); updated in place. */
  readonly records?: readonly ExecutionRecord[];
}

/** What the endpoint really holds, read from the local hosting state (the interrupted run's message says it). */
export function describeEndpointHeld(stateDir: string): string {
  if (!existsSync(join(stateDir, 'hosting', 'state.json'))) return 'No endpoint exists: nothing was deployed.';
  let state: HostingState;
  try {
    state = new HostingState(stateDir);
    state.load();
  } catch (error) {
    return `The endpoint's state could not be read (${error instanceof Error ? error.message : String(error)}).`;
  }
  const endpoints = [...state.endpoints.values()];
  if (endpoints.length === 0) return 'No endpoint exists: nothing was deployed.';
  return endpoints
    .map((e) => {
      const serving = e.serving?.endpointConfigName;
      if (e.deployment) {
        return (
          `Endpoint ${e.name} serves config ${serving ?? '(none)'}; the update to ` +
          `${e.deployment.green.endpointConfigName} was cut off and is dropped at the next start.`
        );
      }
      if (!serving) return `Endpoint ${e.name} is ${e.status} and serves no config yet.`;
      return `Endpoint ${e.name} is ${e.status} on config ${serving}.`;
    })
    .join(' ');
}

/** The package a run registered: its approval record's, else RegisterModel's output. */
function packageOf(record: ExecutionRecord, approval: LocalApprovalRecord | undefined): string | undefined {
  if (approval) return approval.modelPackageArn;
  for (const state of [...record.states].reverse()) {
    if (state.name !== 'RegisterModel' || state.status !== 'succeeded') continue;
    const arn = (state.output as { registration?: { modelPackageArn?: unknown } } | undefined)?.registration
      ?.modelPackageArn;
    if (typeof arn === 'string') return arn;
  }
  return undefined;
}

/**
 * Marks interrupted executions and withdraws what they left waiting. Idempotent: a run interrupted earlier whose
 * request is still pending (recovery cut off, or a state folder from before this existed) is withdrawn too.
 * Files that cannot be read back are skipped here; `run` refuses them and `status` lists them.
 */
export function recoverInterruptedRuns(stateDir: string, options: RecoveryOptions = {}): RecoveredRun[] {
  const now = options.now ?? Date.now();
  // Nothing ever ran here: open nothing (the stores create their folders).
  if (!existsSync(join(stateDir, 'executions'))) return [];
  const executions = new ExecutionStore(stateDir);
  // One read of the store: run records can be large, and status reads them anyway.
  const records = options.records ?? executions.list();
  let held: string | undefined;
  const endpoint = (): string => {
    held ??= describeEndpointHeld(stateDir);
    return held;
  };
  executions.failInterrupted(
    now,
    options.isAlive ?? processAlive,
    (record) => {
      const at = record.states.findLast((s) => s.status === 'running')?.name;
      return (
        `The local runtime (pid ${record.pid}) stopped while this execution was running` +
        `${at ? ` (at ${at})` : ''}; any approval request was withdrawn. ${endpoint()}`
      );
    },
    records,
  );
  const interrupted = records.filter((r) => r.status === 'FAILED' && r.error === 'Local.Interrupted');
  if (interrupted.length === 0) return [];
  const approvals = new FileApprovalStore(stateDir);
  const registry = new LocalModelRegistry(stateDir);
  const broker = new TaskTokenBroker(stateDir);
  const approvalByRun = new Map(approvals.scan().records.map((a) => [a.runId, a]));
  const recovered: RecoveredRun[] = [];
  for (const record of interrupted) {
    const approval = approvalByRun.get(record.name);
    const interruptedAt = record.stopDate ?? now;
    const reason =
      `Run ${record.name} was interrupted at ${new Date(interruptedAt).toISOString()} (its process, pid ` +
      `${record.pid}, is gone): the approval request is withdrawn and nothing is deployed. ${endpoint()}`;
    const approvalWithdrawn = approval?.status === 'pending' && approvals.withdraw(record.name, reason, now);
    const arn = packageOf(record, approval);
    let packageRejected: string | undefined;
    if (arn !== undefined) {
      try {
        if (registry.describeModelPackage({ ModelPackageName: arn }).ModelApprovalStatus === 'PendingManualApproval') {
          // SageMaker keeps ApprovalDescription to 1024 characters.
          registry.updateModelPackage({
            ModelPackageArn: arn,
            ModelApprovalStatus: 'Rejected',
            ApprovalDescription: reason.slice(0, 1024),
          });
          packageRejected = arn;
        }
      } catch {
        // A package that is gone or unreadable is left to `status` to report.
      }
    }
    const taskTokensRemoved = broker.forgetRun(record.name, approval ? [approval.taskToken] : []);
    if (approvalWithdrawn || packageRejected || taskTokensRemoved > 0) {
      recovered.push({ name: record.name, interruptedAt, approvalWithdrawn, packageRejected, taskTokensRemoved });
    }
  }
  return recovered;
}

/** Recovery at the start of `run` and `start`, each recovered run said in one line. */
export function recoverInterruptedRunsAtStart(stateDir: string, say: (line: string) => void): void {
  for (const r of recoverInterruptedRuns(stateDir)) {
    say(`run ${r.name} was interrupted: what it left waiting for approval is withdrawn`);
  }
}
