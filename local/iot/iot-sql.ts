/**
 * An evaluator for the subset of AWS IoT SQL (version 2016-03-23) our topic rules use, so the local rules run the
 * exact SQL text the CDK stacks deploy. Reference: https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-reference.html
 *
 * Supported: `SELECT` of `*` and expressions with `AS` aliases; `FROM '<topic filter>'` (+ and #); `WHERE`;
 * field paths (`a.b.c`); string ('…' or "…"), number, true/false/NULL literals; `AND OR NOT`, `= <> != < <= > >=`,
 * `+ - * / %`; `CASE v WHEN … THEN … ELSE … END`; functions `topic`, `timestamp`, `isUndefined`, `isNull`, `get`,
 * `cast(x AS Int|Integer|Decimal|Double|String|Bool|Boolean)`. Anything else is refused at compile time, as a
 * function AWS does not document (e.g. `isNumber`) would be: the local parts are never more lenient than AWS.
 *
 * Semantics follow the operator tables (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-operators.html):
 * AND/OR/NOT take Booleans (or "true"/"false" strings) and give Undefined for anything else, WITHOUT short-circuit
 * (the docs do not promise one, so `true OR Undefined` is Undefined here); comparisons with Undefined are Undefined;
 * `=` of mismatched types is false and `<>` true. A WHERE clause acts only when it is the Boolean true
 * (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-where.html). Undefined values are left out of the
 * SELECT output (https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-data-types.html).
 */

import { type Expr, type IotValue, parseIotSql } from './iot-sql-parser';

export { type IotValue, SqlParseException } from './iot-sql-parser';

export interface MessageContext {
  readonly topic: string;
  /** The rules engine's clock for `timestamp()` (epoch ms). */
  readonly now: number;
}

// ---- values ----
const isObject = (v: IotValue): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const DECIMAL_STRING = /^-?\d+(\.\d+)?([eE]-?\d+)?$/;

/** Conversion to Decimal (iot-sql-data-types.html#iot-sql-conversions): numbers, numeric strings; else Undefined. */
function toDecimal(v: IotValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && DECIMAL_STRING.test(v)) return Number(v);
  return undefined;
}

/** Conversion to Boolean: Booleans, and "true"/"false" in any case; else Undefined. */
function toBoolean(v: IotValue): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return undefined;
}

const typeOf = (v: IotValue): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function jsonEqual(a: IotValue, b: IotValue): boolean {
  if (typeOf(a) !== typeOf(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return a === b;
}

function toText(v: IotValue): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function cast(v: IotValue, type: string): IotValue {
  if (v === undefined || v === null) return undefined;
  if (type === 'bool' || type === 'boolean') return typeof v === 'number' ? v !== 0 : toBoolean(v);
  if (['string', 'nvarchar', 'text', 'ntext', 'varchar'].includes(type)) return toText(v);
  const n = typeof v === 'boolean' ? (v ? 1 : 0) : toDecimal(v);
  if (n === undefined) return undefined;
  return type === 'int' || type === 'integer' ? Math.floor(n) : n;
}

function arithmetic(op: string, a: IotValue, b: IotValue): IotValue {
  if (op === '+' && (typeof a === 'string' || typeof b === 'string')) {
    const left = toText(a);
    const right = toText(b);
    return left === undefined || right === undefined ? undefined : left + right;
  }
  const x = op === '+' ? (typeof a === 'number' ? a : undefined) : toDecimal(a);
  const y = op === '+' ? (typeof b === 'number' ? b : undefined) : toDecimal(b);
  if (x === undefined || y === undefined) return undefined;
  if ((op === '/' || op === '%') && y === 0) return undefined;
  const result = op === '+' ? x + y : op === '-' ? x - y : op === '*' ? x * y : op === '/' ? x / y : x % y;
  return Number.isFinite(result) ? result : undefined;
}

function binary(op: string, a: IotValue, b: IotValue): IotValue {
  switch (op) {
    case 'AND':
    case 'OR': {
      const x = toBoolean(a);
      const y = toBoolean(b);
      if (x === undefined || y === undefined) return undefined;
      return op === 'AND' ? x && y : x || y;
    }
    case '=':
    case '<>': {
      if (a === undefined || b === undefined) return undefined;
      const equal = typeof a === 'number' && typeof b === 'number' ? a === b : jsonEqual(a, b);
      return op === '=' ? equal : !equal;
    }
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const x = toDecimal(a);
      const y = toDecimal(b);
      if (x === undefined || y === undefined) return undefined;
      return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
    }
    default:
      return arithmetic(op, a, b);
  }
}

function evaluate(expr: Expr, payload: IotValue, context: MessageContext): IotValue {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'path': {
      let at: IotValue = payload;
      for (const key of expr.keys) {
        if (!isObject(at) || !Object.hasOwn(at, key)) return undefined;
        at = at[key];
      }
      return at;
    }
    case 'not': {
      const value = toBoolean(evaluate(expr.operand, payload, context));
      return value === undefined ? undefined : !value;
    }
    case 'neg': {
      const value = toDecimal(evaluate(expr.operand, payload, context));
      return value === undefined ? undefined : -value;
    }
    case 'binary':
      return binary(expr.op, evaluate(expr.left, payload, context), evaluate(expr.right, payload, context));
    case 'cast':
      return cast(evaluate(expr.value, payload, context), expr.type);
    case 'case': {
      const subject = evaluate(expr.subject, payload, context);
      // If v is Undefined, the result of the case statement is Undefined (iot-sql-case.html).
      if (subject === undefined) return undefined;
      for (const [test, result] of expr.whens) {
        if (binary('=', subject, evaluate(test, payload, context)) === true) return evaluate(result, payload, context);
      }
      return expr.otherwise === undefined ? undefined : evaluate(expr.otherwise, payload, context);
    }
    case 'call':
      return call(expr, payload, context);
  }
}

function call(expr: Expr & { kind: 'call' }, payload: IotValue, context: MessageContext): IotValue {
  const args = expr.args.map((a) => evaluate(a, payload, context));
  switch (expr.name) {
    case 'timestamp':
      return context.now;
    case 'topic': {
      if (args.length === 0) return context.topic;
      const n = toDecimal(args[0]);
      return n === undefined ? undefined : context.topic.split('/')[Math.floor(n) - 1];
    }
    case 'isundefined':
      return args[0] === undefined;
    case 'isnull':
      return args[0] === null;
    case 'get': {
      const [collection, key] = args;
      if (isObject(collection))
        return typeof key === 'string' && Object.hasOwn(collection, key) ? collection[key] : undefined;
      const index = toDecimal(key);
      if (index === undefined || (!Array.isArray(collection) && typeof collection !== 'string')) return undefined;
      return collection[Math.floor(index)];
    }
    default:
      return undefined;
  }
}

/** MQTT topic filter matching; a filter starting with a wildcard does not match `$` topics (MQTT 3.1.1 §4.7.2). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

/** A compiled rule: `apply` returns the outgoing payload, or undefined when the topic or WHERE does not match. */
export interface CompiledRule {
  readonly sql: string;
  readonly topicFilter: string;
  apply(topic: string, payload: IotValue, now: number): Record<string, unknown> | undefined;
}

/** Parses a rule's SQL once; throws SqlParseException (naming the position) for anything outside the subset. */
export function compileIotSql(sql: string): CompiledRule {
  const { items, topicFilter, where } = parseIotSql(sql);
  return {
    sql,
    topicFilter,
    apply(topic, payload, now) {
      if (!topicMatches(topicFilter, topic)) return undefined;
      const context: MessageContext = { topic, now };
      if (where !== undefined && evaluate(where, payload, context) !== true) return undefined;
      const out: Record<string, unknown> = {};
      for (const item of items) {
        if (item.kind === 'star') {
          if (isObject(payload)) Object.assign(out, structuredClone(payload));
          continue;
        }
        const value = evaluate(item.expr, payload, context);
        if (value !== undefined) out[item.name] = value;
      }
      return out;
    },
  };
}
