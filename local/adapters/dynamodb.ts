import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { AwsConstraintError } from '../aws-contract';
import { writeFileAtomic } from '../fs';
import { processAlive } from '../process-alive';
import { type ConditionInput, conditionHolds, parseCondition } from './dynamodb-condition';

/**
 * DynamoDB → one JSON file per item under `<stateDir>/dynamodb/<table>/`, for the optimized integrations the state
 * machine calls (dynamodb:putItem, getItem, deleteItem). Every operation reads, evaluates its condition and writes
 * under a per-table mutex (an O_EXCL file), so conditional writes are atomic across processes: two `occupancy run`
 * on one state folder cannot both take the single-run lock. Requests are checked against the SDK model by the
 * caller (local-stack.ts); what DynamoDB documents outside it and what the pipeline uses is checked here, and any
 * other feature is refused (the local runtime is never more lenient than AWS).
 */

export type AttributeValue = Record<string, unknown>;
export type Item = Record<string, AttributeValue>;

export interface TableSchema {
  readonly name: string;
  /** Key attributes, partition key first, with their scalar types. */
  readonly keys: readonly { readonly name: string; readonly type: 'S' | 'N' | 'B' }[];
}

/** `DynamoDB.<Code>` as a Task state's Catch matches it (see ../../pipeline/phases/run-lock.ts). */
export class DynamoDBError extends Error {
  constructor(code: 'ConditionalCheckFailedException' | 'ResourceNotFoundException', message: string) {
    super(message);
    this.name = `DynamoDB.${code}`;
  }
}

const refuse = (field: string, message: string): AwsConstraintError =>
  new AwsConstraintError('dynamodb', field, message);

interface WriteInput extends ConditionInput {
  readonly TableName?: unknown;
  readonly ReturnValues?: unknown;
  readonly ReturnConsumedCapacity?: unknown;
  readonly ReturnItemCollectionMetrics?: unknown;
}

/** Members of PutItem/GetItem/DeleteItem the local tables implement; any other (Expected, …) is refused. */
const SUPPORTED: Record<'PutItem' | 'GetItem' | 'DeleteItem', readonly string[]> = {
  PutItem: ['TableName', 'Item', 'ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues'],
  GetItem: ['TableName', 'Key', 'ConsistentRead'],
  DeleteItem: ['TableName', 'Key', 'ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues'],
};
const NONE_ONLY = ['ReturnConsumedCapacity', 'ReturnItemCollectionMetrics'];

function assertSupported(operation: keyof typeof SUPPORTED, input: Record<string, unknown>): void {
  for (const [member, value] of Object.entries(input)) {
    if (value === undefined || value === null || SUPPORTED[operation].includes(member)) continue;
    if (NONE_ONLY.includes(member) && value === 'NONE') continue;
    // ReturnValues: PutItem and DeleteItem accept only NONE and ALL_OLD.
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#DDB-PutItem-request-ReturnValues
    if (member === 'ReturnValues' && operation !== 'GetItem') {
      if (value === 'NONE' || value === 'ALL_OLD') continue;
      throw refuse(
        member,
        `1 validation error detected: Value '${String(value)}' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [NONE, ALL_OLD] for ${operation}`,
      );
    }
    throw refuse(member, `${operation}: ${member} is not supported by the local runtime's DynamoDB tables.`);
  }
}

export class LocalDynamoDB {
  readonly root: string;
  private readonly tables: Map<string, TableSchema>;

  constructor(
    stateDir: string,
    tables: readonly TableSchema[],
    private readonly options: { mutexTimeoutMs?: number } = {},
  ) {
    this.root = join(resolve(stateDir), 'dynamodb');
    this.tables = new Map(tables.map((t) => [t.name, t]));
  }

  async putItem(input: WriteInput & { Item?: unknown }): Promise<{ Attributes?: Item }> {
    assertSupported('PutItem', input as Record<string, unknown>);
    const table = this.table(input.TableName);
    const item = input.Item as Item;
    const key = keyOf(table, item, 'Item');
    const condition = parseCondition(input);
    return this.locked(table, async () => {
      const old = this.read(table, key);
      if (condition && !conditionHolds(condition, old)) throw conditionFailed();
      writeFileAtomic(this.itemPath(table, key), JSON.stringify(item));
      return input.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {};
    });
  }

  async getItem(input: { TableName?: unknown; Key?: unknown; ConsistentRead?: unknown }): Promise<{ Item?: Item }> {
    assertSupported('GetItem', input as Record<string, unknown>);
    const table = this.table(input.TableName);
    const key = exactKey(table, input.Key as Item);
    // Reads take the mutex too, so a read never sees a write half done (writes are renames, but cheap to be sure).
    const item = await this.locked(table, async () => this.read(table, key));
    return item ? { Item: item } : {};
  }

  async deleteItem(input: WriteInput & { Key?: unknown }): Promise<{ Attributes?: Item }> {
    assertSupported('DeleteItem', input as Record<string, unknown>);
    const table = this.table(input.TableName);
    const key = exactKey(table, input.Key as Item);
    const condition = parseCondition(input);
    return this.locked(table, async () => {
      const old = this.read(table, key);
      if (condition && !conditionHolds(condition, old)) throw conditionFailed();
      rmSync(this.itemPath(table, key), { force: true });
      return input.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {};
    });
  }

  private table(name: unknown): TableSchema {
    const table = typeof name === 'string' ? this.tables.get(name) : undefined;
    // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#API_PutItem_Errors
    if (!table)
      throw new DynamoDBError(
        'ResourceNotFoundException',
        `Requested resource not found: Table: ${String(name)} not found`,
      );
    return table;
  }

  private itemPath(table: TableSchema, key: string): string {
    return join(this.root, table.name, `${createHash('sha256').update(key).digest('hex')}.json`);
  }

  private read(table: TableSchema, key: string): Item | undefined {
    const path = this.itemPath(table, key);
    if (!existsSync(path)) return undefined;
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as Item;
    } catch (error) {
      throw new Error(`${path}: is not valid JSON; move it aside (the item is lost) and run again`, { cause: error });
    }
  }

  /**
   * Runs `body` holding the table's mutex: `<table>/.mutex`, created with O_EXCL and holding `pid nonce`. A mutex
   * whose process is gone (killed inside the few milliseconds it is held) is stale: it is renamed away (only one
   * process can rename a given file) and, if what was renamed is still that dead holder's, deleted.
   */
  private async locked<T>(table: TableSchema, body: () => Promise<T>): Promise<T> {
    const dir = join(this.root, table.name);
    mkdirSync(dir, { recursive: true });
    const mutex = join(dir, '.mutex');
    const mine = `${process.pid} ${randomBytes(8).toString('hex')}`;
    const deadline = Date.now() + (this.options.mutexTimeoutMs ?? 10_000);
    for (;;) {
      try {
        const fd = openSync(mutex, 'wx');
        try {
          writeSync(fd, mine);
        } finally {
          closeSync(fd);
        }
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      breakIfStale(mutex);
      if (Date.now() > deadline) {
        throw new Error(
          `${mutex}: held by another process for too long; if no occupancy process is running, delete it`,
        );
      }
      await new Promise((r) => setTimeout(r, 2 + Math.random() * 3));
    }
    try {
      return await body();
    } finally {
      // Only our own mutex: if it was taken from us as stale (it cannot be while we live), leave the new one.
      if (readText(mutex) === mine) unlinkSync(mutex);
    }
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function breakIfStale(mutex: string): void {
  const text = readText(mutex);
  if (text === undefined) return;
  const pid = Number(text.split(' ')[0]);
  let age = 0;
  try {
    age = Date.now() - statSync(mutex).mtimeMs;
  } catch {
    return;
  }
  // Empty: a holder between create and write (microseconds), or one killed there: stale once it is old.
  const stale = text === '' ? age > 2000 : Number.isInteger(pid) && pid > 0 && !processAlive(pid);
  if (!stale) return;
  const aside = `${mutex}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(mutex, aside);
  } catch {
    return; // another process broke it first
  }
  if (readText(aside) === text) {
    rmSync(aside, { force: true });
    return;
  }
  // What we renamed was a new holder's mutex, taken between our read and the rename: put it back, unless yet
  // another process created one meanwhile (link never replaces a file).
  try {
    linkSync(aside, mutex);
  } catch {
    // that other mutex stands
  }
  rmSync(aside, { force: true });
}

function conditionFailed(): DynamoDBError {
  return new DynamoDBError('ConditionalCheckFailedException', 'The conditional request failed');
}

/** The key attributes of an item (or a Key), checked against the table's key schema, as one canonical string. */
function keyOf(table: TableSchema, item: Item, field: string): string {
  const parts: unknown[] = [];
  for (const { name, type } of table.keys) {
    const value = item?.[name];
    const scalar = value?.[type];
    if (value === undefined || Object.keys(value).length !== 1 || scalar === undefined) {
      throw refuse(
        field,
        'One or more parameter values were invalid: Missing the key ' +
          `${name} in the item, or its type does not match the schema (${type})`,
      );
    }
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html (empty key values)
    if (scalar === '') {
      throw refuse(
        field,
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${name}`,
      );
    }
    parts.push([name, type, scalar]);
  }
  return JSON.stringify(parts);
}

function exactKey(table: TableSchema, key: Item): string {
  const names = Object.keys(key ?? {});
  if (names.length !== table.keys.length || names.some((n) => !table.keys.some((k) => k.name === n))) {
    throw refuse('Key', 'The provided key element does not match the schema');
  }
  return keyOf(table, key, 'Key');
}

type CfnResource = { Type: string; Properties?: Record<string, unknown> };

/** Tables of a synthesized template, named as the rendered ASL names them (the logical ID: see render-asl.ts). */
export function tablesOfTemplate(resources: Record<string, CfnResource>): TableSchema[] {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table')
    .map(([logicalId, r]) => {
      const schema = (r.Properties?.KeySchema ?? []) as { AttributeName: string; KeyType: string }[];
      const types = (r.Properties?.AttributeDefinitions ?? []) as { AttributeName: string; AttributeType: string }[];
      const ordered = [...schema].sort((a, b) => (a.KeyType === 'HASH' ? -1 : b.KeyType === 'HASH' ? 1 : 0));
      return {
        name: logicalId,
        keys: ordered.map((k) => ({
          name: k.AttributeName,
          type: (types.find((t) => t.AttributeName === k.AttributeName)?.AttributeType ?? 'S') as 'S' | 'N' | 'B',
        })),
      };
    });
}
