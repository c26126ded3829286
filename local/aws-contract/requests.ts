import { AwsContractError } from './errors';
import { type AwsService, operationInput, type Shape, SIMPLE } from './schema';
import { type Casing, type Violation, validateShape } from './validate';

/** Refuses `input` unless the service's SDK model accepts it for `operation` (as AWS refuses it, see ./errors). */
export function assertRequest(service: AwsService, operation: string, input: unknown, casing: Casing = 'sdk'): void {
  const shape = operationInput(service, operation);
  if (!shape) throw new Error(`@aws-sdk/client-${service} has no operation ${operation}: a local binding names it`);
  const violations = validateShape(shape, input ?? {}, casing);
  if (violations.length > 0) throw new AwsContractError(service, pascalOperation(operation), violations);
}

const pascalOperation = (operation: string): string => operation.charAt(0).toUpperCase() + operation.slice(1);

/** One REST request as an HTTP host received it. */
export interface HttpRequestParts {
  readonly labels: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

/**
 * Rebuilds a REST operation's input from its HTTP bindings in the SDK schema (labels, query, headers, payload)
 * and validates it: a missing label or payload, or a bound value that does not parse as its member's type, is
 * refused. Query parameters and headers the model does not bind are not members, so they are not refused here.
 */
export function assertHttpRequest(service: AwsService, operation: string, parts: HttpRequestParts): unknown {
  const shape = operationInput(service, operation);
  if (!shape || shape.kind === 'simple' || !('members' in shape)) {
    throw new Error(`@aws-sdk/client-${service} has no REST operation ${operation}`);
  }
  const input: Record<string, unknown> = {};
  const violations: Violation[] = [];
  for (const member of shape.members) {
    const { http } = member;
    let raw: string | Uint8Array | undefined;
    if (http.label) raw = parts.labels[member.name] || undefined;
    else if (http.query !== undefined) raw = parts.query.get(http.query) ?? undefined;
    else if (http.header !== undefined) {
      const value = parts.headers[http.header.toLowerCase()];
      raw = Array.isArray(value) ? value.join(',') : value;
    } else if (http.payload) raw = parts.body.length > 0 ? parts.body : undefined;
    if (raw === undefined) continue;
    const parsed = typeof raw === 'string' ? fromHttpString(member.shape(), raw) : raw;
    if (parsed === INVALID) {
      violations.push({ kind: 'type', path: member.name, expected: typeName(member.shape()), got: `"${raw}"` });
      continue;
    }
    input[member.name] = parsed;
  }
  violations.push(...validateShape(shape, input, 'sdk'));
  if (violations.length > 0) throw new AwsContractError(service, pascalOperation(operation), violations);
  return input;
}

const INVALID = Symbol('invalid');

function typeName(shape: Shape): string {
  if (shape.kind !== 'simple') return shape.kind;
  if (shape.type === SIMPLE.number) return 'number';
  if (shape.type === SIMPLE.boolean) return 'boolean';
  return 'string';
}

/** A label, query or header value as its member's type (REST bindings carry every scalar as text). */
function fromHttpString(shape: Shape, raw: string): unknown {
  if (shape.kind !== 'simple') return raw;
  if (shape.type === SIMPLE.number) {
    const n = Number(raw);
    return raw.trim() !== '' && Number.isFinite(n) ? n : INVALID;
  }
  if (shape.type === SIMPLE.boolean) return raw === 'true' ? true : raw === 'false' ? false : INVALID;
  if (shape.type >= 4 && shape.type <= 7) return Number.isNaN(Date.parse(raw)) ? INVALID : new Date(raw);
  return raw;
}
