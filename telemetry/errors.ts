/** Typed errors for untrusted telemetry: every problem names the field it is about. */

export type TelemetryIssueCode =
  | 'missing'
  | 'wrong_type'
  | 'not_finite'
  | 'out_of_range'
  | 'unknown_enum'
  | 'oversized'
  | 'invalid_json'
  | 'invalid_format';

export interface TelemetryIssue {
  /** Wire key of the offending field (`temperature`, `hvacStatus`, `timestamp`, …); `$` means the whole payload. */
  readonly field: string;
  readonly code: TelemetryIssueCode;
  /** Human-readable, starts with the field name, e.g. `sound: out of physical range [0, 200], got 1e+308`. */
  readonly message: string;
}

/** A report or label event that failed validation. `field`/`code` are those of the first issue; `issues` holds all. */
export class TelemetryValidationError extends Error {
  readonly field: string;
  readonly code: TelemetryIssueCode;
  readonly issues: readonly TelemetryIssue[];
  /** The refused report when it was a JSON object (a refused reading's sensor_faults row is made from it). */
  readonly input?: Readonly<Record<string, unknown>>;

  constructor(
    issues: readonly [TelemetryIssue, ...TelemetryIssue[]],
    options?: { cause?: unknown; input?: Readonly<Record<string, unknown>> },
  ) {
    super(issues.map((i) => i.message).join('; '), options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.input !== undefined) this.input = options.input;
    this.name = 'TelemetryValidationError';
    this.field = issues[0].field;
    this.code = issues[0].code;
    this.issues = issues;
  }
}

/** A whole input file that cannot be imported (unknown header, wrong format); row-level problems are rejections instead. */
export class ImportFormatError extends Error {
  constructor(
    message: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImportFormatError';
  }
}

/** Characters of an offending value or line quoted in a message: enough to recognise it, never the whole of it. */
export const QUOTE_CHARS = 80;

/**
 * `s` quoted for a message: JSON-quoted when short, else its first `max` characters and its real size (`bytes`
 * when `s` is already only the start of something larger), so a 200 MB header line or a 5 MB cell never ends up
 * in an error or a report.
 */
export function clip(s: string, max = QUOTE_CHARS, bytes?: number): string {
  if (s.length <= max && bytes === undefined) return JSON.stringify(s);
  return `${JSON.stringify(s.slice(0, max))}…(${bytes ?? Buffer.byteLength(s, 'utf8')} bytes)`;
}

/** A message shortened to `max` characters (rejection reasons come partly from validators quoting values). */
export function shorten(message: string, max = 200): string {
  return message.length <= max ? message : `${message.slice(0, max)}…`;
}

/** A row-level problem naming its field; becomes a rejection of that row, never escapes an importer. */
export class RowError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'RowError';
  }
}
