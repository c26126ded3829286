/**
 * Signal set documents: a fleet's signals as data (JSON), validated by one zod schema. The built-in sets
 * (telemetry/signal-sets/*.json) and a user's `--signal-set FILE` / `-c signalSet=FILE` go through the same parser.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import type { SignalSet } from './signals';

const SNAKE_CASE = /^[a-z][a-z0-9_]*$/;
const SLUG = /^[a-z0-9][a-z0-9-]*$/;

const reportedKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier');

const numericSignal = z
  .object({
    name: z.string().regex(SNAKE_CASE, 'must be snake_case'),
    kind: z.literal('numeric'),
    unit: z.string().min(1),
    min: z.number().finite(),
    max: z.number().finite(),
    crossingLevel: z.number().finite().optional(),
    reportedKey: reportedKey.optional(),
    stuckAfterMinutes: z.number().int().min(1).max(525_600).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (!(s.min < s.max)) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: `must be greater than min (${s.min}), got ${s.max}` });
    }
    if (s.crossingLevel !== undefined && (s.crossingLevel < s.min || s.crossingLevel > s.max)) {
      ctx.addIssue({
        code: 'custom',
        path: ['crossingLevel'],
        message: `must be within [${s.min}, ${s.max}], got ${s.crossingLevel}`,
      });
    }
  });

const enumSignal = z
  .object({
    name: z.string().regex(SNAKE_CASE, 'must be snake_case'),
    kind: z.literal('enum'),
    values: z
      .array(z.string().min(1))
      .min(1)
      .refine((v) => new Set(v).size === v.length, 'values must be unique'),
    reportedKey: reportedKey.optional(),
  })
  .strict();

export const signalSetSchema = z
  .object({
    id: z.string().regex(SLUG, 'must be a slug (lowercase letters, digits, dashes)'),
    description: z.string().min(1),
    signals: z.array(z.discriminatedUnion('kind', [numericSignal, enumSignal])).min(1),
    staticRule: z.object({ signal: z.string(), level: z.number().finite() }).strict().optional(),
  })
  .strict()
  .superRefine((doc, ctx) => {
    const seen = new Set<string>();
    doc.signals.forEach((s, i) => {
      if (seen.has(s.name)) {
        ctx.addIssue({ code: 'custom', path: ['signals', i, 'name'], message: `duplicate signal name "${s.name}"` });
      }
      seen.add(s.name);
    });
    const rule = doc.staticRule;
    if (rule) {
      const target = doc.signals.find((s) => s.name === rule.signal);
      if (target?.kind !== 'numeric') {
        ctx.addIssue({
          code: 'custom',
          path: ['staticRule', 'signal'],
          message: `must name a numeric signal of the set, got "${rule.signal}"`,
        });
      }
    }
  });

export type SignalSetDocument = z.infer<typeof signalSetSchema>;

/** A signal set document that does not validate: `field` is the dotted path (`signals.2.max`), `source` the file. */
export class SignalSetError extends Error {
  constructor(
    message: string,
    readonly field: string,
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SignalSetError';
  }
}

/** Validates an already-parsed JSON value as a signal set; `source` (a file path or label) is named in errors. */
export function parseSignalSet(json: unknown, source: string): SignalSet {
  const result = signalSetSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : '$';
    const all = result.error.issues.map((i) => `${i.path.join('.') || '$'}: ${i.message}`).join('; ');
    throw new SignalSetError(`${source}: invalid signal set: ${all}`, field, source, { cause: result.error });
  }
  return result.data;
}

/** Parses a JSON text as a signal set. */
export function parseSignalSetText(text: string, source: string): SignalSet {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new SignalSetError(`${source}: not valid JSON: ${(cause as Error).message}`, '$', source, { cause });
  }
  return parseSignalSet(json, source);
}

/** Reads and validates a signal set file. */
export function loadSignalSetFile(path: string): SignalSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new SignalSetError(`${path}: cannot read signal set file: ${(cause as Error).message}`, '$', path, {
      cause,
    });
  }
  return parseSignalSetText(text, path);
}
