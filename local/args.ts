import { type ParseArgsConfig, parseArgs } from 'node:util';
import { loadSignalSetFile } from '../telemetry/signal-set-schema';
import { SIGNAL_SETS, type SignalSet } from '../telemetry/signals';

/** A CLI usage error: bad flag, missing value. Printed without a stack, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/**
 * One flag of a command: what `parseArgs` needs (type, default, multiple) and what `--help` prints (placeholder,
 * description, the default in words when it is computed). The same declaration feeds both, so help cannot drift.
 */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  readonly default?: string | boolean | readonly string[];
  readonly multiple?: boolean;
  /** The value's name in help, e.g. N, FILE. */
  readonly placeholder?: string;
  /** The default in words when it is computed at run time (e.g. "<run>.html"). */
  readonly defaultText?: string;
}

export interface CommandSpec {
  /** As typed after `occupancy`, e.g. "simulate --live". */
  readonly name: string;
  readonly summary: string;
  /** Positional arguments in the synopsis, e.g. "<run>"; none when absent. */
  readonly positionals?: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
}

type ValueOf<F extends FlagSpec> = F['type'] extends 'boolean'
  ? boolean
  : F['multiple'] extends true
    ? string[]
    : F extends { default: string }
      ? string
      : string | undefined;

export type FlagValues<S extends CommandSpec> = { -readonly [K in keyof S['flags']]: ValueOf<S['flags'][K]> };

type Options = NonNullable<ParseArgsConfig['options']>;

/** The `parseArgs` options of a spec (booleans default to false, multiples to []). */
export function parseArgsOptions(spec: CommandSpec): Options {
  const options: Options = {};
  for (const [name, f] of Object.entries(spec.flags)) {
    const fallback = f.type === 'boolean' ? false : f.multiple ? [] : undefined;
    const value = f.default ?? fallback;
    options[name] = {
      type: f.type,
      ...(f.multiple ? { multiple: true } : {}),
      ...(value === undefined ? {} : { default: (Array.isArray(value) ? [...value] : value) as string }),
    };
  }
  return options;
}

/** Turns node's parseArgs messages (which suggest `--` tricks) into what to do, naming the command's help. */
function usageMessage(error: unknown, command: string): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const help = `\`npx occupancy ${command.split(' ')[0]} --help\` lists its flags`;
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown flag ${quoted}: ${help}`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument "${quoted}": ${help}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = quoted.split(' ')[0] ?? quoted;
    return /does not take/.test(message) ? `${flag} takes no value: ${help}` : `${flag} needs a value: ${help}`;
  }
  return `${message}: ${help}`;
}

/** Parses argv against a command's spec; any parse problem is a UsageError (exit 2) saying what to do. */
export function parseCommand<S extends CommandSpec>(
  argv: string[],
  spec: S,
): { values: FlagValues<S>; positionals: string[] } {
  try {
    const parsed = parseArgs({
      args: argv,
      options: parseArgsOptions(spec),
      allowPositionals: spec.positionals !== undefined,
      strict: true,
    });
    return { values: parsed.values as FlagValues<S>, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(usageMessage(error, spec.name), { cause: error });
  }
}

/** `npx occupancy <command> --help`: synopsis, summary, then every flag with its default and what it does. */
export function commandHelp(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, f]) => {
    const left = `--${name}${f.type === 'string' ? ` ${f.placeholder ?? 'VALUE'}` : ''}`;
    const shown = f.defaultText ?? (f.type === 'boolean' ? undefined : f.default?.toString());
    const extra = [f.multiple ? 'repeatable' : '', shown ? `default: ${shown}` : ''].filter(Boolean).join('; ');
    return [left, `${f.description}${extra ? ` (${extra})` : ''}`] as const;
  });
  rows.push(['-h, --help', 'print this help']);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return [
    `usage: npx occupancy ${spec.name}${spec.positionals ? ` ${spec.positionals}` : ''} [flags]`,
    '',
    spec.summary,
    '',
    'flags:',
    ...rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`),
    '',
  ].join('\n');
}

/** One line of every flag with its default, for the top-level usage. */
export function flagSynopsis(spec: CommandSpec): string {
  return Object.entries(spec.flags)
    .map(([name, f]) => {
      const value = f.type === 'string' ? ` ${f.placeholder ?? 'VALUE'}` : '';
      return `[--${name}${value}${f.type === 'string' && typeof f.default === 'string' ? `=${f.default}` : ''}]`;
    })
    .join(' ');
}

/** Parses a flag as an integer within [min, max], naming the flag in the error. */
export function intFlag(value: string | undefined, flag: string, fallback: number, min = 1, max = 1_000_000): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be an integer in [${min}, ${max}], got "${value}"`);
  }
  return n;
}

export const STATE_DIR_FLAG = {
  'state-dir': {
    type: 'string',
    default: '.occupancy',
    placeholder: 'DIR',
    description: 'state folder: lake, runs, approvals, endpoint, metrics',
  },
} as const satisfies Record<string, FlagSpec>;

export const SIGNAL_SET_FLAG = {
  'signal-set': {
    type: 'string',
    placeholder: 'ID|FILE',
    description: 'signal set: a built-in id (thermostat, uci-occupancy, …) or a signal set JSON file',
    defaultText: "the lake's, else thermostat",
  },
} as const satisfies Record<string, FlagSpec>;

export const JSON_FLAG = {
  json: { type: 'boolean', description: 'print the result as JSON on stdout (progress stays on stderr)' },
} as const satisfies Record<string, FlagSpec>;

let progressSink: ((line: string) => void) | undefined;

/** Routes progress() through `sink` (a run's terminal) until the returned function is called. */
export function setProgressSink(sink: (line: string) => void): () => void {
  const previous = progressSink;
  progressSink = sink;
  return () => {
    progressSink = previous;
  };
}

/** Progress for long work goes to stderr so stdout stays machine-readable (--json). */
export function progress(message: string): void {
  if (progressSink) progressSink(message);
  else process.stderr.write(`${message}\n`);
}
/** `--signal-set`: a built-in set's id (thermostat, uci-occupancy, …) or a signal set JSON file. */
export function signalSetFlag(value: string | undefined): SignalSet | undefined {
  if (value === undefined) return undefined;
  const builtIn = SIGNAL_SETS[value];
  if (builtIn) return builtIn;
  try {
    return loadSignalSetFile(value);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`--signal-set: ${message}`, { cause: error });
  }
}
