/**
 * Validation of untrusted telemetry (device reports, label events) into `Reading` / `LabelEvent`.
 *
 * Wire format of a report (telemetry/wire.ts: the one definition the IoT rules read; keys are each signal's
 * `reportedKey ?? name`; `timestamp` is an integer of epoch milliseconds, as the rules require):
 *   { "thingName": "room-01", "timestamp": 1767607200000,
 *     "temperature": 21.4, "humidity": 38.2, "sound": 12.5, "hvacStatus": "HEATING" }
 * Unknown extra keys are ignored on purpose: devices report more than a signal set uses (firmware
 * version, battery, …), and rejecting them would break ingestion whenever firmware adds a field.
 * Numbers must be JSON numbers: numeric strings are rejected, since accepting them hides firmware bugs.
 */
import * as z from 'zod';
import { type TelemetryIssue, type TelemetryIssueCode, TelemetryValidationError } from './errors';
import type { LabelEvent, Reading } from './reading';
import type { SignalSet } from './signals';
import { MAX_FUTURE_SKEW_MS, MIN_TIMESTAMP_MS, TIME_KEY, wireKey } from './wire';

export { MAX_FUTURE_SKEW_MS, MIN_TIMESTAMP_MS, wireKey };

export interface ValidateOptions {
  /** Reference "now" (epoch ms) for the timestamp window; inject it for deterministic tests. @default Date.now() */
  readonly now?: number;
}

export interface PayloadOptions extends ValidateOptions {
  /** Largest accepted payload in bytes, checked before JSON parsing. @default 8192 (an IoT message is small) */
  readonly maxBytes?: number;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 8 * 1024;

const THING_NAME_PATTERN = /^[a-zA-Z0-9:_-]+$/;
const THING_NAME_MAX = 128;

/** What the error messages say a field should be. */
interface FieldDescription {
  readonly expected: string;
  readonly range?: readonly [number, number];
  readonly enumValues?: readonly string[];
}

const describeValue = (value: unknown): string => {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
};

function issueMessage(field: string, code: TelemetryIssueCode, input: unknown, desc: FieldDescription | undefined) {
  const expected = desc?.expected ?? 'a valid value';
  switch (code) {
    case 'missing':
      return `${field}: missing (expected ${expected})`;
    case 'not_finite':
      return `${field}: must be a finite number, got ${describeValue(input)}`;
    case 'out_of_range':
      return desc?.range
        ? `${field}: out of physical range [${desc.range[0]}, ${desc.range[1]}], got ${describeValue(input)}`
        : `${field}: out of range, got ${describeValue(input)}`;
    case 'unknown_enum':
      return `${field}: unknown value ${describeValue(input)}, expected one of ${(desc?.enumValues ?? []).join(', ')}`;
    case 'invalid_format':
      return `${field}: invalid format, expected ${expected}, got ${describeValue(input)}`;
    default:
      return `${field}: expected ${expected}, got ${describeValue(input)}`;
  }
}

/** Custom (refinement) issues carry our code in `params.telemetryCode`. */
interface CodedParams {
  telemetryCode: TelemetryIssueCode;
}

function telemetryCodeOf(issue: z.core.$ZodIssue, input: unknown, isRoot: boolean): TelemetryIssueCode {
  if (issue.code === 'custom') {
    const params = issue.params as Partial<CodedParams> | undefined;
    return params?.telemetryCode ?? 'invalid_format';
  }
  if (input === undefined && !isRoot) return 'missing';
  if (typeof input === 'number' && !Number.isFinite(input)) return 'not_finite';
  switch (issue.code) {
    case 'invalid_type':
      return 'wrong_type';
    case 'too_small':
    case 'too_big':
      return issue.origin === 'number' ? 'out_of_range' : 'invalid_format';
    case 'invalid_value':
      return typeof input === 'string' ? 'unknown_enum' : 'wrong_type';
    case 'invalid_union':
      return 'wrong_type';
    default:
      return 'invalid_format';
  }
}

/** Maps zod issues to one issue per field (the first, which is the most basic: type before format). */
function toTelemetryIssues(
  zodIssues: readonly z.core.$ZodIssue[],
  raw: unknown,
  fields: ReadonlyMap<string, FieldDescription>,
): TelemetryIssue[] {
  const seen = new Set<string>();
  const issues: TelemetryIssue[] = [];
  for (const zi of zodIssues) {
    const isRoot = zi.path.length === 0;
    const field = isRoot ? '$' : zi.path.map(String).join('.');
    if (seen.has(field)) continue;
    seen.add(field);
    const key = zi.path[0];
    const input =
      isRoot || typeof key !== 'string' || typeof raw !== 'object' || raw === null
        ? raw
        : (raw as Record<string, unknown>)[key];
    const code = telemetryCodeOf(zi, input, isRoot);
    const desc = isRoot ? { expected: 'a JSON object' } : fields.get(field);
    const message = zi.code === 'custom' ? zi.message : issueMessage(field, code, input, desc);
    issues.push({ field, code, message });
  }
  return issues;
}

const thingNameSchema = z.string().min(1).max(THING_NAME_MAX).regex(THING_NAME_PATTERN);

/**
 * Type and format of a timestamp: an integer of epoch ms, the only form the IoT rules carry into the lake
 * (telemetry/wire.ts); the time window depends on `now` and is checked by `timestampWindowIssue`.
 */
const timestampSchema = z.number().superRefine((value, ctx) => {
  const reject = (telemetryCode: TelemetryIssueCode, message: string): void => {
    ctx.addIssue({ code: 'custom', message, params: { telemetryCode } satisfies CodedParams });
  };
  if (!Number.isFinite(value)) reject('not_finite', `timestamp: must be a finite number, got ${value}`);
  else if (!Number.isInteger(value)) {
    reject('invalid_format', `timestamp: expected an integer of epoch milliseconds, got ${describeValue(value)}`);
  }
});

function timestampWindowIssue(input: unknown, now: number): TelemetryIssue | undefined {
  // Type/format problems are reported by the schema; only a well-formed timestamp gets a window check.
  if (typeof input !== 'number' || !Number.isInteger(input)) return undefined;
  const ts = input;
  const latest = now + MAX_FUTURE_SKEW_MS;
  if (ts >= MIN_TIMESTAMP_MS && ts <= latest) return undefined;
  const hint = typeof input === 'number' && ts < MIN_TIMESTAMP_MS && ts > 1e8 ? ' (epoch seconds instead of ms?)' : '';
  const window = `[${new Date(MIN_TIMESTAMP_MS).toISOString()}, ${new Date(latest).toISOString()}]`;
  return {
    field: 'timestamp',
    code: 'out_of_range',
    message: `timestamp: outside ${window}, got ${describeValue(input)}${hint}`,
  };
}

/** Runs a schema and the timestamp window check, reporting every issue in field order. */
function validateWithWindow<T>(
  schema: z.ZodType<T>,
  input: unknown,
  fields: ReadonlyMap<string, FieldDescription>,
  now: number,
): T {
  const result = schema.safeParse(input);
  const issues = result.success ? [] : toTelemetryIssues(result.error.issues, input, fields);
  const isObject = typeof input === 'object' && input !== null && !Array.isArray(input);
  const windowIssue = isObject ? timestampWindowIssue((input as Record<string, unknown>)[TIME_KEY], now) : undefined;
  if (windowIssue) {
    const order = [...fields.keys()];
    issues.push(windowIssue);
    issues.sort((a, b) => order.indexOf(a.field) - order.indexOf(b.field));
  }
  if (!result.success || issues.length > 0)
    fail(issues, undefined, isObject ? (input as Record<string, unknown>) : undefined);
  return result.data;
}

const COMMON_FIELDS: ReadonlyArray<[string, FieldDescription]> = [
  ['thingName', { expected: `1–${THING_NAME_MAX} characters of [a-zA-Z0-9:_-]` }],
  ['timestamp', { expected: 'an integer of epoch milliseconds' }],
];

type WireReport = { thingName: string; timestamp: number } & Record<string, unknown>;

interface ReadingValidator {
  readonly fields: ReadonlyMap<string, FieldDescription>;
  readonly schema: z.ZodType<WireReport>;
}

const validatorCache = new WeakMap<SignalSet, ReadingValidator>();

function readingValidator(set: SignalSet): ReadingValidator {
  const cached = validatorCache.get(set);
  if (cached) return cached;
  const fields = new Map<string, FieldDescription>(COMMON_FIELDS);
  const signalShape: Record<string, z.ZodType> = {};
  for (const signal of set.signals) {
    const key = wireKey(signal);
    if (signal.kind === 'numeric') {
      fields.set(key, { expected: `a number (${signal.unit})`, range: [signal.min, signal.max] });
      signalShape[key] = z.number().min(signal.min).max(signal.max);
    } else {
      fields.set(key, { expected: `one of ${signal.values.join(', ')}`, enumValues: signal.values });
      signalShape[key] = z.enum(signal.values as [string, ...string[]]);
    }
  }
  const schema = z.object({ thingName: thingNameSchema, timestamp: timestampSchema, ...signalShape });
  const validator: ReadingValidator = { fields, schema: schema as z.ZodType<WireReport> };
  validatorCache.set(set, validator);
  return validator;
}

function fail(issues: TelemetryIssue[], cause?: unknown, input?: Readonly<Record<string, unknown>>): never {
  const [first, ...rest] = issues;
  if (!first) throw new Error('internal: validation failed without issues');
  throw new TelemetryValidationError([first, ...rest], {
    ...(cause === undefined ? {} : { cause }),
    ...(input === undefined ? {} : { input }),
  });
}

/**
 * Validates one report (already JSON-parsed) against a signal set.
 * @returns a Reading whose `values` are keyed by signal *name* (lake column), not by wire key.
 * @throws TelemetryValidationError listing every bad field.
 */
export function parseReading(input: unknown, set: SignalSet, opts: ValidateOptions = {}): Reading {
  const validator = readingValidator(set);
  const data = validateWithWindow(validator.schema, input, validator.fields, opts.now ?? Date.now());
  const values: Record<string, number | string> = {};
  for (const signal of set.signals) {
    const value = data[wireKey(signal)];
    if (typeof value === 'number' || typeof value === 'string') values[signal.name] = value;
  }
  return { thingName: data.thingName, ts: data.timestamp, values };
}

/** Size check, then UTF-8 decode, then JSON parse; the size check comes first so a huge payload costs nothing. */
export function parseJsonPayload(payload: string | Uint8Array, maxBytes = DEFAULT_MAX_PAYLOAD_BYTES): unknown {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength;
  if (bytes > maxBytes) {
    fail([{ field: '$', code: 'oversized', message: `$: payload is ${bytes} bytes, limit is ${maxBytes}` }]);
  }
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch (error) {
    fail([{ field: '$', code: 'invalid_json', message: '$: payload is not valid UTF-8' }], error);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    fail([{ field: '$', code: 'invalid_json', message: `$: payload is not valid JSON (${detail})` }], error);
  }
}

/** Validates a raw report payload (MQTT message body, NDJSON line). */
export function parseReadingPayload(payload: string | Uint8Array, set: SignalSet, opts: PayloadOptions = {}): Reading {
  return parseReading(parseJsonPayload(payload, opts.maxBytes), set, opts);
}

const LABEL_SCHEMA = z.object({ thingName: thingNameSchema, timestamp: timestampSchema, occupied: z.boolean() });
const LABEL_FIELDS = new Map<string, FieldDescription>([...COMMON_FIELDS, ['occupied', { expected: 'a boolean' }]]);

/** Validates a ground-truth label event (telemetry/wire.ts: `{thingName, timestamp, occupied: boolean}`; 0/1 and "true" are rejected). */
export function parseLabelEvent(input: unknown, opts: ValidateOptions = {}): LabelEvent {
  const data = validateWithWindow(LABEL_SCHEMA, input, LABEL_FIELDS, opts.now ?? Date.now());
  return { thingName: data.thingName, ts: data.timestamp, occupied: data.occupied };
}

/** Validates a raw label event payload. */
export function parseLabelEventPayload(payload: string | Uint8Array, opts: PayloadOptions = {}): LabelEvent {
  return parseLabelEvent(parseJsonPayload(payload, opts.maxBytes), opts);
}

/** The inverse of parseReading: a Reading in wire format (epoch-ms timestamp), e.g. for a simulator to publish. */
export function toWireReport(reading: Reading, set: SignalSet): Record<string, string | number> {
  const report: Record<string, string | number> = { thingName: reading.thingName, timestamp: reading.ts };
  for (const signal of set.signals) {
    const value = reading.values[signal.name];
    if (value !== undefined) report[wireKey(signal)] = value;
  }
  return report;
}

/** The inverse of parseLabelEvent: a label in wire format, as a device or the simulator publishes it. */
export function toWireLabel(label: LabelEvent): { thingName: string; timestamp: number; occupied: boolean } {
  return { thingName: label.thingName, timestamp: label.ts, occupied: label.occupied };
}

/** True when a thing name follows AWS IoT rules (1–128 chars of [a-zA-Z0-9:_-]). */
export const isValidThingName = (name: string): boolean => thingNameSchema.safeParse(name).success;
