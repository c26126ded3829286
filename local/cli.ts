import './env';
import './polyfills';
import { PipelineConfigError } from '../pipeline/config';
import { UsageError } from './args';
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
const COMMANDS: Record<string, { run: Command; help: string }> = {
  start: {
    run: async (argv) => (await import('./commands/start')).startCommand(argv),
    help: 'start the local stack (what `npm start` runs)',
  },
  simulate: {
    run: async (argv) =>
      argv.includes('--live')
        ? (await import('./commands/simulate-live')).simulateLiveCommand(argv)
        : (await import('./commands/simulate')).simulateCommand(argv),
    help: 'simulate a fleet into the lake: --rooms N --days D [--seed S] [--signal-set FILE]; or --live --rooms N --rate R over MQTT',
  },
  serve: {
    run: async (argv) => (await import('./commands/serve')).serveCommand(argv),
    help: 'serve live inference: MQTT broker, device shadows, the inference rule and the endpoint host',
  },
  import: {
    run: async (argv) => (await import('./commands/import')).importCommand(argv),
    help: 'import telemetry: <file> --format uci-occupancy|uci-room-occupancy|ndjson [--signal-set FILE|ID]',
  },
  baseline: {
    run: async (argv) => (await import('./commands/baseline')).baselineCommand(argv),
    help: 'export the lake and print every threshold baseline on the holdout [--json]',
  },
  run: {
    run: async (argv) => (await import('./commands/run')).runCommand(argv),
    help: 'run one retraining execution locally: [--auto-approve] [--json] [--inject-fault NAME] [--signal-set FILE]',
  },
  status: {
    run: async (argv) => (await import('./commands/status')).statusCommand(argv),
    help: 'list runs (newest first) and pending approvals [--json]',
  },
  approve: {
    run: async (argv) => (await import('./commands/approval')).approvalCommand('approve')(argv),
    help: 'approve the candidate of a waiting run: <run>',
  },
  reject: {
    run: async (argv) => (await import('./commands/approval')).approvalCommand('reject')(argv),
    help: 'reject the candidate of a waiting run: <run>',
  },
  report: {
    run: async (argv) => (await import('./commands/report')).reportCommand(argv),
    help: 'static HTML report of a run (opens without a server): <run> --out file.html',
  },
  automl: {
    run: async (argv) => (await import('../automl/cli')).runAutomlCli(argv),
    help: 'train with the local AutoML engine: --train <csv> --target <col> [--json]',
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.help}`);
  return `usage: occupancy <command> [options]   (every command takes --state-dir, default .occupancy/)\n\n${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`occupancy: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (USER_ERRORS.some((type) => error instanceof type)) {
      process.stderr.write(`occupancy ${name}: ${(error as Error).message}\n`);
      return 2;
    }
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`occupancy ${name}: ${message}\n`);
    if (process.env.OCCUPANCY_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
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
