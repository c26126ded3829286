import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { PortError } from '../errors';

/** `withdrawn`: the run waiting on it is over (locally, a crashed run's request is withdrawn at recovery). */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'withdrawn';

/** One pending approval: the task token and what is needed to answer it. Secrets are stored hashed. */
export interface ApprovalRecord {
  readonly runId: string;
  readonly taskToken: string;
  readonly executionArn: string;
  readonly modelPackageArn: string;
  /** SHA-256 (hex) of the secret in the approve / reject link. */
  readonly approveSecretHash: string;
  readonly rejectSecretHash: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch seconds; DynamoDB TTL deletes the item after it. */
  readonly expiresAt: number;
  readonly status: ApprovalStatus;
}

export interface ApprovalStore {
  put(record: ApprovalRecord): Promise<void>;
  get(runId: string): Promise<ApprovalRecord | undefined>;
  findByModelPackage(modelPackageArn: string): Promise<ApprovalRecord | undefined>;
  /** Moves a pending record to a decision; false when it was already decided (single use). */
  decide(runId: string, status: Exclude<ApprovalStatus, 'pending'>, decidedBy: string): Promise<boolean>;
}

export const MODEL_PACKAGE_INDEX = 'byModelPackage';

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

function fromItem(item: Record<string, AttributeValue> | undefined): ApprovalRecord | undefined {
  if (!item) return undefined;
  const str = (k: string): string => item[k]?.S ?? '';
  const num = (k: string): number => Number(item[k]?.N ?? 'NaN');
  return {
    runId: str('runId'),
    taskToken: str('taskToken'),
    executionArn: str('executionArn'),
    modelPackageArn: str('modelPackageArn'),
    approveSecretHash: str('approveSecretHash'),
    rejectSecretHash: str('rejectSecretHash'),
    createdAt: num('createdAt'),
    expiresAt: num('expiresAt'),
    status: str('status') as ApprovalStatus,
  };
}

export class DynamoApprovalStore implements ApprovalStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async put(record: ApprovalRecord): Promise<void> {
    await this.call('put', () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            runId: s(record.runId),
            taskToken: s(record.taskToken),
            executionArn: s(record.executionArn),
            modelPackageArn: s(record.modelPackageArn),
            approveSecretHash: s(record.approveSecretHash),
            rejectSecretHash: s(record.rejectSecretHash),
            createdAt: n(record.createdAt),
            expiresAt: n(record.expiresAt),
            status: s(record.status),
          },
        }),
      ),
    );
  }

  async get(runId: string): Promise<ApprovalRecord | undefined> {
    const out = await this.call('get', () =>
      this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: { runId: s(runId) }, ConsistentRead: true }),
      ),
    );
    return fromItem(out.Item);
  }

  async findByModelPackage(modelPackageArn: string): Promise<ApprovalRecord | undefined> {
    const out = await this.call('query', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: MODEL_PACKAGE_INDEX,
          KeyConditionExpression: 'modelPackageArn = :arn',
          ExpressionAttributeValues: { ':arn': s(modelPackageArn) },
          Limit: 1,
        }),
      ),
    );
    const first = out.Items?.[0];
    // The index projects keys only; read the full item by its key.
    return first?.runId?.S ? this.get(first.runId.S) : undefined;
  }

  async decide(runId: string, status: Exclude<ApprovalStatus, 'pending'>, decidedBy: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { runId: s(runId) },
          UpdateExpression: 'SET #status = :status, decidedBy = :by, decidedAt = :at',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': s(status),
            ':by': s(decidedBy),
            ':at': n(Date.now()),
            ':pending': s('pending'),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new PortError(`Recording the decision for run ${runId} failed`, { cause: error });
    }
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw new PortError(`DynamoDB ${what} on ${this.tableName} failed`, { cause: error });
    }
  }
}

/** In-memory store, for tests and local runs. */
export class MemoryApprovalStore implements ApprovalStore {
  readonly records = new Map<string, ApprovalRecord>();

  async put(record: ApprovalRecord): Promise<void> {
    this.records.set(record.runId, record);
  }

  async get(runId: string): Promise<ApprovalRecord | undefined> {
    return this.records.get(runId);
  }

  async findByModelPackage(modelPackageArn: string): Promise<ApprovalRecord | undefined> {
    return [...this.records.values()].find((r) => r.modelPackageArn === modelPackageArn);
  }

  async decide(runId: string, status: Exclude<ApprovalStatus, 'pending'>): Promise<boolean> {
    const record = this.records.get(runId);
    if (record?.status !== 'pending') return false;
    this.records.set(runId, { ...record, status });
    return true;
  }
}
