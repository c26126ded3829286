import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalDynamoDB } from '../adapters/dynamodb';
import { assertRequest } from '../aws-contract';
import { operationInput } from '../aws-contract/schema';
import type { ApprovalTable } from './dynamodb-approvals';
import { EndpointError, readBody, send, wireError } from './http';

/**
 * DynamoDB's JSON 1.0 protocol (`X-Amz-Target: DynamoDB_20120810.<Operation>`): the single-run lock tables
 * (LocalDynamoDB: PutItem, GetItem, DeleteItem) and the approval table (ApprovalTable).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.LowLevelAPI.html
 */

export interface DynamoDBBackends {
  readonly tables: LocalDynamoDB;
  readonly approvals?: ApprovalTable;
  /** The approval table's index DynamoApprovalStore queries. */
  readonly approvalIndex?: string;
}

const TARGET = 'DynamoDB_20120810.';
const JSON_TYPE = 'application/x-amz-json-1.0';

function sendError(res: ServerResponse, code: string, status: number, message: string): void {
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html#Programming.Errors.Components
  send(res, status, JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${code}`, message }), {
    'Content-Type': JSON_TYPE,
  });
}

async function dispatch(backends: DynamoDBBackends, operation: string, input: Record<string, unknown>) {
  const approvals = backends.approvals;
  if (approvals && input.TableName === approvals.tableName) {
    switch (operation) {
      case 'PutItem':
        return approvals.putItem(input);
      case 'GetItem':
        return approvals.getItem(input);
      case 'UpdateItem':
        return approvals.updateItem(input);
      case 'Query':
        return approvals.query(input, backends.approvalIndex ?? '');
    }
  } else {
    switch (operation) {
      case 'PutItem':
        return backends.tables.putItem(input);
      case 'GetItem':
        return backends.tables.getItem(input);
      case 'DeleteItem':
        return backends.tables.deleteItem(input);
    }
  }
  throw new EndpointError(
    'ValidationException',
    400,
    `${operation} on ${String(input.TableName)} is not implemented by the local DynamoDB`,
  );
}

/** Handles the request when it is DynamoDB's; false when it is not. */
export async function handleDynamoDB(
  backends: DynamoDBBackends,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const target = req.headers['x-amz-target'];
  if (typeof target !== 'string' || !target.startsWith(TARGET)) return false;
  const operation = target.slice(TARGET.length);
  const text = (await readBody(req)).toString('utf8');
  try {
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(text || '{}') as Record<string, unknown>;
    } catch {
      throw new EndpointError('SerializationException', 400, 'Request body is not valid JSON');
    }
    if (!operationInput('dynamodb', operation)) {
      throw new EndpointError('UnknownOperationException', 400, `Unknown operation ${operation}`);
    }
    // Unknown unknown/missing member or wrong type: refused as DynamoDB refuses it.
    assertRequest('dynamodb', operation, input, 'sdk');
    const output = await dispatch(backends, operation, input);
    send(res, 200, JSON.stringify(output), { 'Content-Type': JSON_TYPE });
  } catch (error) {
    const wire = wireError(error);
    // LocalDynamoDB names its errors as Step Functions sees them (`DynamoDB.<Code>`): the wire code is the suffix.
    const named = error instanceof Error && error.name.startsWith('DynamoDB.') ? error.name.slice(9) : undefined;
    if (wire) sendError(res, wire.code, wire.statusCode, wire.message);
    else if (named) sendError(res, named, 400, (error as Error).message);
    else throw error;
  }
  return true;
}
