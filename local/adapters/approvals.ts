import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ApprovalRecord, ApprovalStatus, ApprovalStore } from '../../tasks/ports/approval-store';
import type { Notifier } from '../../tasks/ports/notifier';
import type { TaskCallback } from '../../tasks/ports/task-callback';
import { writeFileAtomic } from '../fs';
import type { TaskTokenBroker } from '../runtime/task-tokens';

/**
 * Local bindings of the approval ports: DynamoDB → JSON files (so `occupancy approve` in another
 * terminal sees the pending run), SNS → the terminal and a notifications log, SendTaskSuccess/Failure →
 * the task-token broker.
 */

export class FileApprovalStore implements ApprovalStore {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(resolve(stateDir), 'approvals');
    mkdirSync(this.dir, { recursive: true });
  }

  private path(runId: string): string {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(runId)) throw new Error(`Invalid run id "${runId}"`);
    return join(this.dir, `${runId}.json`);
  }

  async put(record: ApprovalRecord): Promise<void> {
    writeFileAtomic(this.path(record.runId), JSON.stringify(record, null, 2));
  }

  async get(runId: string): Promise<ApprovalRecord | undefined> {
    const path = this.path(runId);
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as ApprovalRecord) : undefined;
  }

  async findByModelPackage(modelPackageArn: string): Promise<ApprovalRecord | undefined> {
    return (await this.list()).find((r) => r.modelPackageArn === modelPackageArn);
  }

  async list(): Promise<ApprovalRecord[]> {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as ApprovalRecord)
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Single use across processes: an exclusive lock file decides who records the decision. */
  async decide(runId: string, status: Exclude<ApprovalStatus, 'pending'>, decidedBy: string): Promise<boolean> {
    const lock = `${this.path(runId)}.decided`;
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      return false;
    }
    closeSync(fd);
    const record = await this.get(runId);
    if (record?.status !== 'pending') {
      rmSync(lock, { force: true });
      return false;
    }
    await this.put({ ...record, status, decidedBy } as ApprovalRecord);
    return true;
  }
}

export class LocalNotifier implements Notifier {
  private readonly log: string;

  constructor(
    stateDir: string,
    private readonly print: (text: string) => void,
  ) {
    this.log = join(resolve(stateDir), 'notifications.ndjson');
  }

  async publish(subject: string, message: string): Promise<void> {
    appendFileSync(this.log, `${JSON.stringify({ at: new Date().toISOString(), subject, message })}\n`);
    this.print(`\n[notify] ${subject}\n${message.replace(/^/gm, '  ')}\n`);
  }
}

export class BrokerTaskCallback implements TaskCallback {
  constructor(private readonly broker: TaskTokenBroker) {}

  async succeed(taskToken: string, output: unknown): Promise<void> {
    this.broker.answer(taskToken, { kind: 'success', output });
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    this.broker.answer(taskToken, { kind: 'failure', error, cause });
  }
}
