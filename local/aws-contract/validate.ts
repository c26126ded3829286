import { type Member, type Shape, SIMPLE } from './schema';

/**
 * Checks a request value against an SDK input shape: unknown members, missing required members, and values of
 * the wrong type (string, number, boolean, list, structure/map, timestamp, blob). Constraints the static schemas
 * do not carry (lengths, patterns, ranges, enums) are left to the adapters (see ./constraints).
 */

export type Casing =
  /** Member names as the SDK spells them (`topic`, `ModelName`); JS values (Date, Uint8Array). */
  | 'sdk'
  /**
   * As a Step Functions Task passes them: every member name in PascalCase "even if the native service API is in
   * camelCase" (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html); JSON values.
   */
  | 'stepfunctions';

export type Violation =
  | { readonly kind: 'unknown'; readonly path: string; readonly allowed: readonly string[] }
  | { readonly kind: 'missing'; readonly path: string }
  | { readonly kind: 'type'; readonly path: string; readonly expected: string; readonly got: string };

const pascal = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Date) return 'timestamp';
  if (value instanceof Uint8Array) return 'blob';
  return typeof value === 'object' ? 'structure' : typeof value;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);

function simpleTypeName(type: number): string {
  if (type === SIMPLE.string) return 'string';
  if (type === SIMPLE.number) return 'number';
  if (type === SIMPLE.boolean) return 'boolean';
  if (type >= 4 && type <= 7) return 'timestamp';
  if (type === SIMPLE.blob || type === SIMPLE.streamingBlob) return 'blob';
  if (type === SIMPLE.bigInteger || type === SIMPLE.bigDecimal) return 'number';
  return 'document';
}

function simpleOk(type: number, value: unknown, casing: Casing): boolean {
  switch (simpleTypeName(type)) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'timestamp':
      // JSON carries timestamps as ISO strings or epoch seconds; the SDK takes Date objects.
      if (value instanceof Date) return !Number.isNaN(value.getTime());
      if (typeof value === 'number') return Number.isFinite(value);
      return typeof value === 'string' && !Number.isNaN(Date.parse(value));
    case 'blob':
      if (typeof value === 'string' || value instanceof Uint8Array) return true;
      // Step Functions serializes a JSON Payload itself (lambda:invoke, iotdata:publish).
      return casing === 'stepfunctions' && typeof value === 'object' && value !== null;
    default:
      return true;
  }
}

export function validateShape(shape: Shape, value: unknown, casing: Casing, path = ''): Violation[] {
  const out: Violation[] = [];
  check(shape, value, casing, path, out);
  return out;
}

function check(shape: Shape, value: unknown, casing: Casing, path: string, out: Violation[]): void {
  switch (shape.kind) {
    case 'simple':
      if (!simpleOk(shape.type, value, casing)) {
        out.push({ kind: 'type', path, expected: simpleTypeName(shape.type), got: describe(value) });
      }
      return;
    case 'list': {
      if (!Array.isArray(value)) {
        out.push({ kind: 'type', path, expected: 'list', got: describe(value) });
        return;
      }
      const member = shape.member();
      for (const [i, item] of value.entries()) check(member, item, casing, `${path}[${i}]`, out);
      return;
    }
    case 'map': {
      if (!isPlainObject(value)) {
        out.push({ kind: 'type', path, expected: 'map', got: describe(value) });
        return;
      }
      const valueShape = shape.value();
      for (const [key, item] of Object.entries(value)) check(valueShape, item, casing, `${path}.${key}`, out);
      return;
    }
    default:
      checkStructure(shape.members, value, casing, path, out);
      if (shape.kind === 'union' && isPlainObject(value)) {
        // A union holds exactly one of its members (DynamoDB's AttributeValue: one of S, N, B, …).
        const set = Object.values(value).filter((v) => v !== undefined && v !== null).length;
        if (set !== 1)
          out.push({ kind: 'type', path, expected: 'union with exactly one member set', got: `${set} set` });
      }
  }
}

function checkStructure(
  members: readonly Member[],
  value: unknown,
  casing: Casing,
  path: string,
  out: Violation[],
): void {
  if (!isPlainObject(value)) {
    out.push({ kind: 'type', path, expected: 'structure', got: describe(value) });
    return;
  }
  const byKey = new Map<string, Member>();
  for (const m of members) byKey.set(casing === 'stepfunctions' ? pascal(m.name) : m.name, m);
  const prefix = path === '' ? '' : `${path}.`;
  for (const [key, item] of Object.entries(value)) {
    const member = byKey.get(key);
    if (!member) {
      out.push({ kind: 'unknown', path: `${prefix}${key}`, allowed: [...byKey.keys()] });
      continue;
    }
    // Absent and null are the same to the SDK's serializers (null members are not sent).
    if (item === undefined || item === null) continue;
    check(member.shape(), item, casing, `${prefix}${key}`, out);
  }
  for (const [key, member] of byKey) {
    if (member.required && (value[key] === undefined || value[key] === null)) {
      out.push({ kind: 'missing', path: `${prefix}${key}` });
    }
  }
}
