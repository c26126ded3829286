import './env';
import './polyfills';
import { PipelineConfigError } from '../pipeline/config';
import { type CommandSpec, commandHelp, flagSynopsis, parseCommand, UsageError } from './args';
import * as specs from './commands/specs';
import { HostingStateError } from './hosting/errors';
import { LakeError } from './lake-errors';
import { LocalConfigError } from './local-config';
import { MetricStoreCorruptError } from './metrics/store';
import { StateFilesError } from './state-check';
import { StateFileError } from './state-file';

type Command = (argv: string[]) => Promise<number>;

/**
 * Errors the user fixes (a flag, a state file, config.json, the lake): exit 2 with the message alone, which names
 * the file and what to do. Anything else is a failure (exit 1).
 */
const USER_ERRORS = [
  UsageError,
  StateFileError,
  StateFilesError,
  LocalConfigError,
  PipelineConfigError,
  LakeError,
  HostingStateError,
  MetricStoreCorruptError,
];

// Commands load when they run: `import` of a 1 GB file must not carry DuckDB, the console and the runtime.
const COMMANDS: Record<string, { run: Command; specs: readonly CommandSpec[] }> = {
  start: { run: async (argv) => (await import('./commands/start')).startCommand(argv), specs: [specs.START] },
  run: { run: async (argv) => (await import('./commands/run')).runCommand(argv), specs: [specs.RUN] },
  simulate: {
    run: async (argv) =>
      argv.includes('--live')
        ? (await import('./commands/simulate-live')).simulateLiveCommand(argv)
        : (await import('./commands/simulate')).simulateCommand(argv),
    specs: [specs.SIMULATE, specs.SIMULATE_LIVE],
  },
  serve: { run: async (argv) => (await import('./commands/serve')).serveCommand(argv), specs: [specs.SERVE] },
  import: { run: async (argv) => (await import('./commands/import')).importCommand(argv), specs: [specs.IMPORT] },
  baseline: {
    run: async (argv) => (await import('./commands/baseline')).baselineCommand(argv),
    specs: [specs.BASELINE],
  },
  status: { run: async (argv) => (await import('./commands/status')).statusCommand(argv), specs: [specs.STATUS] },
  health: { run: async (argv) => (await import('./commands/health')).healthCommand(argv), specs: [specs.HEALTH] },
  approve: {
    run: async (argv) => (await import('./commands/approval')).approvalCommand('approve')(argv),
    specs: [specs.APPROVE],
  },
  reject: {
    run: async (argv) => (await import('./commands/approval')).approvalCommand('reject')(argv),
    specs: [specs.REJECT],
  },
  report: { run: async (argv) => (await import('./commands/report')).reportCommand(argv), specs: [specs.REPORT] },
  automl: {
    // automl/cli.ts parses again for its own checks; this pass words unknown flags and missing values as the rest do.
    run: async (argv) => {
      parseCommand(argv, specs.AUTOML);
      return (await import('../automl/cli')).runAutomlCli(argv);
    },
    specs: [specs.AUTOML],
  },
};

export const COMMAND_NAMES = Object.keys(COMMANDS);

/** Every command with its summary and every flag with its default; `<command> --help` has the descriptions. */
export function usage(): string {
  const lines = Object.values(COMMANDS).flatMap((c) =>
    c.specs.flatMap((spec) => [
      `  ${spec.name}${spec.positionals ? ` ${spec.positionals}` : ''}`,
      `      ${spec.summary}`,
      `      ${flagSynopsis(spec)}`,
    ]),
  );
  return [
    'usage: npx occupancy <command> [flags]   (`npx occupancy <command> --help` describes each flag)',
    '',
    'commands:',
    ...lines,
    '',
  ].join('\n');
}

/** `--help`/`-h` anywhere before a `--`. */
const wantsHelp = (argv: readonly string[]): boolean => {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (!name) {
    process.stderr.write(usage());
    return 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`occupancy: unknown command "${name}": \`npx occupancy --help\` lists the commands\n`);
    return 2;
  }
  if (wantsHelp(rest)) {
    process.stdout.write(command.specs.map(commandHelp).join('\n'));
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (USER_ERRORS.some((type) => error instanceof type)) {
      process.stderr.write(`occupancy ${name}: ${(error as Error).message}\n`);
      return 2;
    }
    // A failure: the message says what failed; the class name and stack only with OCCUPANCY_DEBUG=1.
    const message = error instanceof Error ? error.message || error.name : String(error);
    process.stderr.write(`occupancy ${name}: ${message}\n`);
    if (process.env.OCCUPANCY_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    else process.stderr.write('  (set OCCUPANCY_DEBUG=1 for the stack)\n');
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
