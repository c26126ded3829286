import * as z from 'zod';
import { TelemetryValidationError } from '../../telemetry/errors';
import type { Reading } from '../../telemetry/reading';
import type { SignalSet } from '../../telemetry/signals';
import { parseReading } from '../../telemetry/validate';
import { InferenceInputError } from './errors';
import { REPORTED_TIME_KEY } from './rule-sql';

/**
 * The event the IoT rule hands the Lambda: the shadow `update/documents` message (`SELECT *`) plus `thingName`
 * (`topic(3)`). Unknown keys are allowed: AWS adds fields over time and the handler must not break on them.
 */
const reportedSchema = z.record(z.string(), z.unknown());

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

export interface DocumentReadings {
  readonly thingName: string;
  readonly current: Reading;
  /** The reading before this one when `previous` holds a valid one; undefined for a device's first. */
  readonly previous: Reading | undefined;
  readonly shadowVersion: number | undefined;
}

/** The wire report (telemetry/validate.ts) of a `reported` state: thing name from the topic, time from the device. */
function wireReport(thingName: string, reported: Record<string, unknown>, updateSeconds: number | undefined) {
  const timestamp =
    reported[REPORTED_TIME_KEY] ?? (updateSeconds === undefined ? undefined : Math.round(updateSeconds * 1000));
  return { ...reported, thingName, timestamp };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function previousReportedOf(previous: unknown): Record<string, unknown> | undefined {
  if (!isRecord(previous) || !isRecord(previous.state)) return undefined;
  const reported = previous.state.reported;
  return isRecord(reported) ? reported : undefined;
}

/**
 * Parses the rule event into the current reading and, when available, the previous one.
 * @throws InferenceInputError naming the first bad field (`current.state.reported.sound`, `thingName`, …).
 */
export function readingsOfDocuments(event: unknown, set: SignalSet, now: number): DocumentReadings {
  const parsed = ShadowDocumentsEventSchema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '$';
    throw new InferenceInputError(
      `Not a shadow documents event: ${field}: ${issue?.message ?? 'invalid'}`,
      field,
      'invalid_event',
      {
        cause: parsed.error,
      },
    );
  }
  const doc = parsed.data;
  let current: Reading;
  try {
    current = parseReading(wireReport(doc.thingName, doc.current.state.reported, doc.timestamp), set, { now });
  } catch (error) {
    if (!(error instanceof TelemetryValidationError)) throw error;
    const field = error.field === 'thingName' ? 'thingName' : `current.state.reported.${error.field}`;
    throw new InferenceInputError(`Invalid reported telemetry: ${error.message}`, field, error.code, { cause: error });
  }
  let previous: Reading | undefined;
  const previousReported = previousReportedOf(doc.previous);
  if (previousReported !== undefined) {
    try {
      // The previous document's own update time is not in the message: without a device timestamp it is unknown.
      const candidate = parseReading(wireReport(doc.thingName, previousReported, undefined), set, { now });
      if (candidate.ts < current.ts) previous = candidate;
    } catch (error) {
      if (!(error instanceof TelemetryValidationError)) throw error;
      // An invalid previous state (partial first report, sensor fault) only costs the delta its history.
    }
  }
  return { thingName: doc.thingName, current, previous, shadowVersion: doc.current.version };
}
