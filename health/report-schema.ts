import * as z from 'zod';
import { HEALTH_KINDS, type SensorHealthReport } from './types';

/**
 * The report a check writes (`health/latest.json`), as its readers check it: the notifier before it names devices,
 * the console before it lists them. One schema, so both refuse the same files with the same words.
 */

const KindSchema = z.enum(HEALTH_KINDS);

export const SensorHealthReportSchema = z.object({
  reportId: z.string(),
  checkedAt: z.number(),
  lookbackHours: z.number(),
  devicesKnown: z.number().int().nonnegative(),
  counts: z.record(KindSchema, z.number().int().nonnegative()),
  unhealthy: z.array(
    z.object({
      thingName: z.string(),
      kind: KindSchema,
      since: z.number(),
      lastGoodReading: z.number().nullable(),
      signal: z.string().optional(),
      detail: z.string(),
    }),
  ),
});

export type ReportReading =
  | { readonly ok: true; readonly report: SensorHealthReport }
  /** What is wrong: "not JSON (…)", or each refused field as `path: message`. */
  | { readonly ok: false; readonly problem: string; readonly cause: unknown };

/** A report file's text, parsed and checked. Pure. */
export function readSensorHealthReport(text: string): ReportReading {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not JSON (${error instanceof Error ? error.message : String(error)})`, cause: error };
  }
  const parsed = SensorHealthReportSchema.safeParse(doc);
  if (parsed.success) return { ok: true, report: parsed.data satisfies SensorHealthReport };
  const problem = parsed.error.issues.map((i) => `${i.path.join('.') || '$'}: ${i.message}`).join('; ');
  return { ok: false, problem, cause: parsed.error };
}
