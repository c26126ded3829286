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

  constructor(issues: readonly [TelemetryIssue, ...TelemetryIssue[]], options?: { cause?: unknown }) {
    super(issues.map((i) => i.message).join('; '), options);
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
