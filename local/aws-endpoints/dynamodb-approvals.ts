import type { ApprovalRecord, ApprovalStatus } from '../../tasks/ports/approval-store';
import type { LocalApprovalRecord } from '../adapters/approvals';
import type { AttributeValue, Item } from '../adapters/dynamodb';
import { conditionHolds, parseCondition } from '../adapters/dynamodb-condition';
import { AwsConstraintError } from '../aws-contract';
import { EndpointError } from './http';

/**
 * The approval table (DynamoApprovalStore's PutItem, GetItem, Query on byModelPackage, conditional UpdateItem) kept
 * in the local approval files, so `occupancy approve`, the console and crash recovery see what the Lambdas wrote.
 * Exactly the requests that store sends are implemented; any other expression is refused (never approximated).
 */

/** The file store behind it: FileApprovalStore satisfies it. */
export interface ApprovalFiles {
  put(record: ApprovalRecord): Promise<void>;
  get(runId: string): Promise<LocalApprovalRecord | undefined>;
  list(): Promise<LocalApprovalRecord[]>;
  decide(runId: string, status: Exclude<ApprovalStatus, 'pending'>, decidedBy: string): Promise<boolean>;
}

type Input = Record<string, unknown>;

const refuse = (field: string, message: string) => new AwsConstraintError('dynamodb', field, message);
const conditionFailed = () =>
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html#API_UpdateItem_Errors
  new EndpointError('ConditionalCheckFailedException', 400, 'The conditional request failed');

const STRINGS = [
  'runId',
  'taskToken',
  'executionArn',
  'modelPackageArn',
  'approveSecretHash',
  'rejectSecretHash',
  'status',
];
const NUMBERS = ['createdAt', 'expiresAt'];
const OPTIONAL_STRINGS = ['decidedBy', 'withdrawnReason'];
const OPTIONAL_NUMBERS = ['decidedAt', 'withdrawnAt'];
const STATUSES: readonly string[] = ['pending', 'approved', 'rejected', 'withdrawn'];

function scalar(item: Item, name: string, type: 'S' | 'N'): string {
  const value = item[name]?.[type];
  if (typeof value !== 'string') throw refuse('Item', `${name}: the approval table stores it as ${type}`);
  return value;
}

function recordOf(item: Item): ApprovalRecord {
  const extra = Object.keys(item).filter((k) => !STRINGS.includes(k) && !NUMBERS.includes(k));
  if (extra.length > 0) throw refuse('Item', `Attributes the approval store never writes: ${extra.join(', ')}`);
  const status = scalar(item, 'status', 'S');
  if (!STATUSES.includes(status)) throw refuse('Item', `status "${status}" is not an approval status`);
  const s = (name: string) => scalar(item, name, 'S');
  const n = (name: string) => Number(scalar(item, name, 'N'));
  return {
    runId: s('runId'),
    taskToken: s('taskToken'),
    executionArn: s('executionArn'),
    modelPackageArn: s('modelPackageArn'),
    approveSecretHash: s('approveSecretHash'),
    rejectSecretHash: s('rejectSecretHash'),
    createdAt: n('createdAt'),
    expiresAt: n('expiresAt'),
    status: status as ApprovalStatus,
  };
}

function itemOf(record: LocalApprovalRecord): Item {
  const fields = record as unknown as Record<string, unknown>;
  const item: Item = {};
  for (const name of [...STRINGS, ...OPTIONAL_STRINGS]) {
    if (typeof fields[name] === 'string') item[name] = { S: fields[name] };
  }
  for (const name of [...NUMBERS, ...OPTIONAL_NUMBERS]) {
    if (typeof fields[name] === 'number') item[name] = { N: String(fields[name]) };
  }
  return item;
}

function runIdOf(key: unknown): string {
  const k = (key ?? {}) as Item;
  const names = Object.keys(k);
  const runId = k.runId?.S;
  if (names.length !== 1 || typeof runId !== 'string' || runId === '') {
    throw refuse('Key', 'The provided key element does not match the schema');
  }
  return runId;
}

function only(input: Input, operation: string, members: readonly string[]): void {
  for (const [member, value] of Object.entries(input)) {
    if (value === undefined || value === null || members.includes(member)) continue;
    throw refuse(member, `${operation}: ${member} is not supported by the local approval table.`);
  }
}

/** `SET a = :x, #b = :y` → attribute → value; any other update action is refused. */
function parseSet(input: Input, names: Record<string, string>, values: Record<string, AttributeValue>) {
  const text = String(input.UpdateExpression ?? '');
  const body = /^\s*SET\s+(.+)$/i.exec(text)?.[1];
  if (!body) throw refuse('UpdateExpression', `Invalid UpdateExpression: only "SET a = :v, …" is supported locally`);
  const set = new Map<string, AttributeValue>();
  for (const part of body.split(',')) {
    const m = /^\s*(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)\s*$/.exec(part);
    if (!m?.[1] || !m[2]) throw refuse('UpdateExpression', `Invalid UpdateExpression: "${part.trim()}"`);
    const attribute = m[1].startsWith('#') ? names[m[1]] : m[1];
    const value = values[m[2]];
    if (attribute === undefined || value === undefined) {
      throw refuse('UpdateExpression', `Invalid UpdateExpression: undefined placeholder in "${part.trim()}"`);
    }
    set.set(attribute, value);
  }
  const placeholders: string[] = body.match(/[#:][A-Za-z0-9_]+/g) ?? [];
  return { set, placeholders };
}

export class ApprovalTable {
  constructor(
    readonly tableName: string,
    private readonly files: ApprovalFiles,
  ) {}

  async putItem(input: Input): Promise<Record<string, never>> {
    only(input, 'PutItem', ['TableName', 'Item']);
    await this.files.put(recordOf((input.Item ?? {}) as Item));
    return {};
  }

  async getItem(input: Input): Promise<{ Item?: Item }> {
    only(input, 'GetItem', ['TableName', 'Key', 'ConsistentRead']);
    const record = await this.files.get(runIdOf(input.Key));
    return record ? { Item: itemOf(record) } : {};
  }

  /** Query on the byModelPackage index (KEYS_ONLY projection: the table key and the index key). */
  async query(input: Input, indexName: string): Promise<{ Items: Item[]; Count: number; ScannedCount: number }> {
    only(input, 'Query', ['TableName', 'IndexName', 'KeyConditionExpression', 'ExpressionAttributeValues', 'Limit']);
    if (input.IndexName !== indexName) {
      throw refuse('IndexName', `The table does not have the specified index: ${String(input.IndexName)}`);
    }
    const m = /^\s*modelPackageArn\s*=\s*(:[A-Za-z0-9_]+)\s*$/.exec(String(input.KeyConditionExpression ?? ''));
    const values = (input.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>;
    const arn = m?.[1] ? values[m[1]]?.S : undefined;
    if (typeof arn !== 'string' || Object.keys(values).length !== 1) {
      throw refuse('KeyConditionExpression', 'Query condition missed key schema element: modelPackageArn = :value');
    }
    const limit = typeof input.Limit === 'number' ? input.Limit : Number.POSITIVE_INFINITY;
    const items = (await this.files.list())
      .filter((r) => r.modelPackageArn === arn)
      .slice(0, limit)
      .map((r) => ({ runId: { S: r.runId }, modelPackageArn: { S: r.modelPackageArn } }));
    return { Items: items, Count: items.length, ScannedCount: items.length };
  }

  /** The decision: `SET #status = :status, decidedBy = :by, decidedAt = :at` if `#status = :pending`. */
  async updateItem(input: Input): Promise<Record<string, never>> {
    only(input, 'UpdateItem', [
      'TableName',
      'Key',
      'UpdateExpression',
      'ConditionExpression',
      'ExpressionAttributeNames',
      'ExpressionAttributeValues',
    ]);
    const runId = runIdOf(input.Key);
    const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
    const values = (input.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>;
    const { set, placeholders } = parseSet(input, names, values);
    // The condition's own placeholders (the maps are shared with the update expression).
    const conditionText = String(input.ConditionExpression ?? '');
    const used: string[] = conditionText.match(/[#:][A-Za-z0-9_]+/g) ?? [];
    const pick = <V>(map: Record<string, V>) =>
      Object.fromEntries(Object.entries(map).filter(([k]) => used.includes(k)));
    const condition = parseCondition({
      ConditionExpression: input.ConditionExpression,
      ExpressionAttributeNames: pick(names),
      ExpressionAttributeValues: pick(values),
    });
    const unused = [...Object.keys(names), ...Object.keys(values)].filter(
      (k) => !used.includes(k) && !placeholders.includes(k),
    );
    if (unused.length > 0) {
      throw refuse(
        'ExpressionAttributeValues',
        `Value provided in ExpressionAttributes unused in expressions: keys: {${unused.join(', ')}}`,
      );
    }
    const text = (name: string): string | undefined => {
      const value = set.get(name)?.S;
      return typeof value === 'string' ? value : undefined;
    };
    const status = text('status');
    const decidedBy = text('decidedBy');
    const pendingOnly =
      condition?.kind === 'equals' &&
      condition.attribute === 'status' &&
      conditionHolds(condition, { status: { S: 'pending' } });
    const supported = [...set.keys()].every((k) => ['status', 'decidedBy', 'decidedAt'].includes(k));
    if (!pendingOnly || !supported || !status || status === 'pending' || !STATUSES.includes(status) || !decidedBy) {
      throw refuse(
        'UpdateExpression',
        'The local approval table implements only the decision update of a pending record',
      );
    }
    if (!(await this.files.decide(runId, status as Exclude<ApprovalStatus, 'pending'>, decidedBy))) {
      throw conditionFailed();
    }
    return {};
  }
}
