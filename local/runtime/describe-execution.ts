import { processAlive } from '../process-alive';
import type { ExecutionStore } from './executions';

/**
 * `sfn:DescribeExecution` on the local execution store, for the single-run lock's holder check. A RUNNING record
 * whose process is gone (killed, crashed) is reported FAILED, as the next start's recovery records it
 * (`Local.Interrupted`, executions.ts): its lock is stale and must not block every later run.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 */

/** The execution is not in the store (or not of this state machine): `Sfn.ExecutionDoesNotExistException`. */
export class ExecutionDoesNotExist extends Error {
  constructor(executionArn: string) {
    super(`Execution Does Not Exist: '${executionArn}'`);
    this.name = 'ExecutionDoesNotExist';
  }
}

export function describeExecution(
  store: ExecutionStore,
  stateMachineArn: string,
  executionArn: string,
  isAlive: (pid: number) => boolean = processAlive,
) {
  const prefix = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:`;
  const name = executionArn.startsWith(prefix) ? executionArn.slice(prefix.length) : '';
  const record = /^[A-Za-z0-9_-]{1,80}$/.test(name) ? store.get(name) : undefined;
  if (!record || record.executionArn !== executionArn) throw new ExecutionDoesNotExist(executionArn);
  const interrupted = record.status === 'RUNNING' && record.pid !== process.pid && !isAlive(record.pid);
  const stopDate = interrupted ? Date.now() : record.stopDate;
  return {
    ExecutionArn: record.executionArn,
    StateMachineArn: record.stateMachineArn,
    Name: record.name,
    Status: interrupted ? 'FAILED' : record.status,
    StartDate: new Date(record.startDate),
    ...(stopDate === undefined ? {} : { StopDate: new Date(stopDate) }),
  };
}
