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

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), { cause: error });
  }
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

export const STATE_DIR_OPTION = { 'state-dir': { type: 'string', default: '.occupancy' } } as const;

/** Progress for long work goes to stderr so stdout stays machine-readable (--json). */
export function progress(message: string): void {
  process.stderr.write(`${message}\n`);
}

export const SIGNAL_SET_OPTION = { 'signal-set': { type: 'string' } } as const;

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
