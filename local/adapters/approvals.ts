import { appendFileSync, closeSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import type { ApprovalRecord, ApprovalStatus, ApprovalStore } from '../../tasks/ports/approval-store';
import type { Notifier } from '../../tasks/ports/notifier';
import type { TaskCallback } from '../../tasks/ports/task-callback';
import { writeFileAtomic } from '../fs';
import type { TaskTokenBroker } from '../runtime/task-tokens';
import { readStateFileIfExists, readStateFiles, type StateFileError } from '../state-file';

/**
 * Local bindings of the approval ports: DynamoDB → JSON files (so `occupancy approve` in another
 * terminal sees the pending run), SNS → the terminal and a notifications log, SendTaskSuccess/Failure →
 * the task-token broker.
 */

/** An approval record as the local store keeps it: who decided, and why a withdrawn request was withdrawn. */
export type LocalApprovalRecord = ApprovalRecord & {
  readonly decidedBy?: string;
  /** Epoch ms of the decision, as the DynamoDB store records it (the console shows it). */
  readonly decidedAt?: number;
  readonly withdrawnAt?: number;
  readonly withdrawnReason?: string;
};

const APPROVAL_RECORD = {
  what: 'approval record',
  schema: z.looseObject({
    runId: z.string().min(1),
    taskToken: z.string().min(1),
    executionArn: z.string().min(1),
    modelPackageArn: z.string().min(1),
    approveSecretHash: z.string(),
    rejectSecretHash: z.string(),
    createdAt: z.number(),
    expiresAt: z.number(),
    status: z.enum(['pending', 'approved', 'rejected', 'withdrawn']),
    decidedBy: z.string().optional(),
    decidedAt: z.number().optional(),
    withdrawnAt: z.number().optional(),
    withdrawnReason: z.string().optional(),
  }) as z.ZodType<LocalApprovalRecord>,
};

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

  /** Throws StateFileError when the record's file cannot be read back. */
  async get(runId: string): Promise<LocalApprovalRecord | undefined> {
    return this.getSync(runId);
  }

  getSync(runId: string): LocalApprovalRecord | undefined {
    return readStateFileIfExists(this.path(runId), APPROVAL_RECORD);
  }

  /** Every record newest first, and the files that could not be read back. */
  scan(): { records: LocalApprovalRecord[]; bad: StateFileError[] } {
    const files = readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(this.dir, f));
    const { values, bad } = readStateFiles(files, APPROVAL_RECORD);
    return { records: values.sort((a, b) => b.createdAt - a.createdAt), bad };
  }

  async findByModelPackage(modelPackageArn: string): Promise<ApprovalRecord | undefined> {
    return (await this.list()).find((r) => r.modelPackageArn === modelPackageArn);
  }

  /** Newest first; files that cannot be read back are left out (see scan). */
  async list(): Promise<LocalApprovalRecord[]> {
    return this.scan().records;
  }

  /** Single use across processes: an exclusive lock file decides who records the decision. */
  async decide(runId: string, status: Exclude<ApprovalStatus, 'pending'>, decidedBy: string): Promise<boolean> {
    return this.decideSync(runId, { status, decidedBy, decidedAt: Date.now() });
  }

  /**
   * Withdraws a pending request whose run is over (crash recovery), under the same lock as a decision, so a
   * concurrent `approve` either wins before it or is refused after it. False when it was no longer pending.
   */
  withdraw(runId: string, reason: string, now = Date.now()): boolean {
    return this.decideSync(runId, {
      status: 'withdrawn',
      decidedBy: 'crash-recovery',
      withdrawnAt: now,
      withdrawnReason: reason,
    });
  }

  private decideSync(
    runId: string,
    change: {
      status: Exclude<ApprovalStatus, 'pending'>;
      decidedBy: string;
      decidedAt?: number;
      withdrawnAt?: number;
      withdrawnReason?: string;
    },
  ): boolean {
    const lock = `${this.path(runId)}.decided`;
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch {
      return false;
    }
    closeSync(fd);
    let record: LocalApprovalRecord | undefined;
    try {
      record = this.getSync(runId);
    } catch (error) {
      rmSync(lock, { force: true });
      throw error;
    }
    if (record?.status !== 'pending') {
      rmSync(lock, { force: true });
      return false;
    }
    writeFileAtomic(this.path(runId), JSON.stringify({ ...record, ...change }, null, 2));
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
