import { existsSync, readFileSync } from 'node:fs';
import type * as z from 'zod';

/**
 * The one loader for the local runtime's JSON state files (execution records, approvals, task tokens, registry
 * packages, alarms, config.json). A file that cannot be read back fails with a StateFileError naming the file,
 * what is wrong with it and what to do, never a bare SyntaxError or a TypeError deep inside a command.
 */

export type StateFileProblem = 'unreadable' | 'empty' | 'truncated' | 'not-json' | 'null' | 'shape';

/** What to tell the user: most state files can be moved aside; config.json is the user's own and must be fixed. */
export type StateFileAdvice = 'move-aside' | 'fix';

export class StateFileError extends Error {
  override readonly name = 'StateFileError';
  constructor(
    /** Absolute path of the file. */
    readonly file: string,
    /** What the file is, e.g. `execution record`. */
    readonly what: string,
    readonly problem: StateFileProblem,
    /** The problem in plain words, following the file name: `is not a valid execution record: field "startDate": …`. */
    readonly detail: string,
    readonly advice: StateFileAdvice = 'move-aside',
    options?: { cause?: unknown },
  ) {
    super(`${file} ${detail}: ${adviceText(file, advice)}`, options);
  }
}

export function adviceText(file: string, advice: StateFileAdvice): string {
  return advice === 'fix'
    ? 'fix it or move it aside, then re-run'
    : `move it aside (e.g. mv ${file} ${file}.bad) and re-run`;
}

export interface StateFileKind<T> {
  readonly what: string;
  readonly schema: z.ZodType<T>;
  readonly advice?: StateFileAdvice;
}

/** Parses a state file's text; `file` only names it in the error. */
export function parseStateFile<T>(file: string, text: string, kind: StateFileKind<T>): T {
  const fail = (problem: StateFileProblem, detail: string, cause?: unknown): never => {
    throw new StateFileError(
      file,
      kind.what,
      problem,
      detail,
      kind.advice,
      cause === undefined ? undefined : { cause },
    );
  };
  const expected = `${/^[aeiou]/i.test(kind.what) ? 'an' : 'a'} ${kind.what}`;
  if (text.trim() === '') return fail('empty', `is empty (it should hold ${expected})`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    // A file cut off mid-write ends inside a string, object or array; anything else is simply not JSON.
    return /Unexpected end of JSON input|Unterminated|end of data/i.test(reason)
      ? fail('truncated', `is not valid JSON: it is cut off (${reason}; it should hold ${expected})`, cause)
      : fail('not-json', `is not valid JSON (${reason}; it should hold ${expected})`, cause);
  }
  if (value === null) return fail('null', `holds null (it should hold ${expected})`);
  const result = kind.schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue && issue.path.length > 0 ? `field "${issue.path.join('.')}"` : 'at the top level';
    return fail('shape', `is not a valid ${kind.what}: ${field}: ${issue?.message ?? 'invalid'}`, result.error);
  }
  return result.data;
}

/** Reads and parses a state file; throws StateFileError when it cannot. */
export function readStateFile<T>(file: string, kind: StateFileKind<T>): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new StateFileError(file, kind.what, 'unreadable', `cannot be read (${code})`, kind.advice, { cause });
  }
  return parseStateFile(file, text, kind);
}

/** As readStateFile, or undefined when the file does not exist. */
export function readStateFileIfExists<T>(file: string, kind: StateFileKind<T>): T | undefined {
  return existsSync(file) ? readStateFile(file, kind) : undefined;
}

/** Reads every file of a list, keeping the good ones and the errors of the bad ones apart. */
export function readStateFiles<T>(
  files: readonly string[],
  kind: StateFileKind<T>,
): { values: T[]; bad: StateFileError[] } {
  const values: T[] = [];
  const bad: StateFileError[] = [];
  for (const file of files) {
    try {
      values.push(readStateFile(file, kind));
    } catch (error) {
      if (!(error instanceof StateFileError)) throw error;
      bad.push(error);
    }
  }
  return { values, bad };
}
