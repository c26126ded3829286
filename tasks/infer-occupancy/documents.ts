import * as z from 'zod';
import { TelemetryValidationError } from '../../telemetry/errors';
import type { Reading } from '../../telemetry/reading';
import type { SignalSet } from '../../telemetry/signals';
import { parseReading, wireKey } from '../../telemetry/validate';
import { InferenceInputError } from './errors';
import { REPORTED_TIME_KEY } from './rule-sql';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The event the IoT rule hands the Lambda: the shadow `update/documents` message (`SELECT *`) plus `thingName`
 * (`topic(3)`). Unknown keys are allowed: AWS adds fields over time and the handler must not break on them.
 * `reported` is only checked to be an object here (its keys are the telemetry's, validated by parseReading):
 * a `z.record` would copy it key by key on every reading, for nothing.
 */
const reportedSchema = z.custom<Record<string, unknown>>(isRecord, { message: 'Invalid input: expected an object' });

/**
 * `previous` is history, not the reading: whatever shape it has, it must not cost the current reading its answer
 * (it only feeds the delta), so it is read leniently by `previousReported`.
 */
const previousSchema = z.unknown().optional();

export const ShadowDocumentsEventSchema = z.object({
  thingName: z.string().min(1),
  previous: previousSchema,
  current: z.object({
    state: z.object({ reported: reportedSchema }),
    version: z.number().int().nonnegative().optional(),
  }),
  /** Epoch seconds of the update (AWS shadow documents). */
  timestamp: z.number().finite().optional(),
  clientToken: z.string().optional(),
});
export type ShadowDocumentsEvent = z.infer<typeof ShadowDocumentsEventSchema>;

/**
 * The shadow's `previous` reported state, validated only on demand: a warm instance that already holds the
 * device's last reading needs only its time to know it (DeviceHistory), so most readings skip a second parse.
 */
export interface PreviousReport {
  /** Its device timestamp when that is epoch ms (a number); undefined when absent or in another form. */
  readonly ts: number | undefined;
  /** The previous reading when it is valid and older than the current one, else undefined. Parsed once. */
  reading(): Reading | undefined;
}

export interface DocumentReadings {
  readonly thingName: string;
  readonly current: Reading;
  /** The state before this one; `reading()` is undefined for a device's first, or when `previous` is invalid. */
  readonly previous: PreviousReport;
  readonly shadowVersion: number | undefined;
}

const NO_PREVIOUS: PreviousReport = { ts: undefined, reading: () => undefined };

const wireKeysBySet = new WeakMap<SignalSet, readonly string[]>();

function wireKeysOf(set: SignalSet): readonly string[] {
  let keys = wireKeysBySet.get(set);
  if (keys === undefined) {
    keys = set.signals.map(wireKey);
    wireKeysBySet.set(set, keys);
  }
  return keys;
}

/** A reading's device time as reported (any type: validated by parseReading): its own, else the update's (s → ms). */
export function deviceTimeOf(reported: Record<string, unknown>, updateSeconds: number | undefined): unknown {
  const deviceTime = Object.hasOwn(reported, REPORTED_TIME_KEY) ? reported[REPORTED_TIME_KEY] : undefined;
  return deviceTime ?? (updateSeconds === undefined ? undefined : Math.round(updateSeconds * 1000));
}

/**
 * The wire report (telemetry/validate.ts) of a `reported` state: thing name from the topic, time from the device.
 * Only the set's own keys are copied (parseReading ignores the others), always in one order: a spread of the
 * whole state would give every report a shape of its own and cost the parse twice as much.
 */
function wireReport(
  thingName: string,
  reported: Record<string, unknown>,
  updateSeconds: number | undefined,
  set: SignalSet,
): Record<string, unknown> {
  const report: Record<string, unknown> = { thingName, timestamp: deviceTimeOf(reported, updateSeconds) };
  for (const key of wireKeysOf(set)) {
    if (Object.hasOwn(reported, key)) report[key] = reported[key];
  }
  return report;
}

function previousReportedOf(previous: unknown): Record<string, unknown> | undefined {
  if (!isRecord(previous) || !isRecord(previous.state)) return undefined;
  const reported = previous.state.reported;
  return isRecord(reported) ? reported : undefined;
}

type IssuePath = readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;

/**
 * The InferenceInputError of a refused event, from the first schema issue (zod's, or the Standard Schema issues
 * Powertools' Parser middleware hands on as its ParseError's cause): it names the field.
 */
export function eventInputError(
  issues: readonly { readonly path?: IssuePath; readonly message?: string }[],
  cause: unknown,
): InferenceInputError {
  const issue = issues[0];
  const path = (issue?.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p));
  const field = path.length > 0 ? path.join('.') : '$';
  return new InferenceInputError(
    `Not a shadow documents event: ${field}: ${issue?.message ?? 'invalid'}`,
    field,
    'invalid_event',
    { cause },
  );
}

/**
 * Parses the rule event into the current reading and, when available, the previous one.
 * @throws InferenceInputError naming the first bad field (`current.state.reported.sound`, `thingName`, …).
 */
export function readingsOfDocuments(event: unknown, set: SignalSet, now: number): DocumentReadings {
  const parsed = ShadowDocumentsEventSchema.safeParse(event);
  if (!parsed.success) throw eventInputError(parsed.error.issues, parsed.error);
  return readingsOfEvent(parsed.data, set, now);
}

/**
 * The readings of an event already checked against ShadowDocumentsEventSchema (by the Parser middleware).
 * @throws InferenceInputError naming the first bad telemetry field.
 */
export function readingsOfEvent(doc: ShadowDocumentsEvent, set: SignalSet, now: number): DocumentReadings {
  let current: Reading;
  try {
    current = parseReading(wireReport(doc.thingName, doc.current.state.reported, doc.timestamp, set), set, { now });
  } catch (error) {
    if (!(error instanceof TelemetryValidationError)) throw error;
    const field = error.field === 'thingName' ? 'thingName' : `current.state.reported.${error.field}`;
    throw new InferenceInputError(`Invalid reported telemetry: ${error.message}`, field, error.code, { cause: error });
  }
  const previousReported = previousReportedOf(doc.previous);
  const previous =
    previousReported === undefined ? NO_PREVIOUS : previousReport(doc.thingName, previousReported, current, set, now);
  return { thingName: doc.thingName, current, previous, shadowVersion: doc.current.version };
}

function previousReport(
  thingName: string,
  reported: Record<string, unknown>,
  current: Reading,
  set: SignalSet,
  now: number,
): PreviousReport {
  const rawTs = reported[REPORTED_TIME_KEY];
  let parsed: { reading: Reading | undefined } | undefined;
  return {
    ts: typeof rawTs === 'number' && Number.isFinite(rawTs) ? rawTs : undefined,
    reading() {
      parsed ??= { reading: parsePrevious(thingName, reported, current, set, now) };
      return parsed.reading;
    },
  };
}

function parsePrevious(
  thingName: string,
  reported: Record<string, unknown>,
  current: Reading,
  set: SignalSet,
  now: number,
): Reading | undefined {
  try {
    // The previous document's own update time is not in the message: without a device timestamp it is unknown.
    const candidate = parseReading(wireReport(thingName, reported, undefined, set), set, { now });
    return candidate.ts < current.ts ? candidate : undefined;
  } catch (error) {
    if (!(error instanceof TelemetryValidationError)) throw error;
    // An invalid previous state (partial first report, sensor fault) only costs the delta its history.
    return undefined;
  }
}
