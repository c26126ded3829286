import './env';
import './polyfills';
import { PipelineConfigError } from '../pipeline/config';
import { UsageError } from './args';
import { approvalCommand } from './commands/approval';
import { baselineCommand } from './commands/baseline';
import { importCommand } from './commands/import';
import { reportCommand } from './commands/report';
import { runCommand } from './commands/run';
import { serveCommand } from './commands/serve';
import { simulateCommand } from './commands/simulate';
import { simulateLiveCommand } from './commands/simulate-live';
import { startCommand } from './commands/start';
import { statusCommand } from './commands/status';
import { HostingStateError } from './hosting/errors';
import { LakeError } from './lake';
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

const COMMANDS: Record<string, { run: Command; help: string }> = {
  start: { run: startCommand, help: 'start the local stack (what `npm start` runs)' },
  simulate: {
    run: (argv) => (argv.includes('--live') ? simulateLiveCommand(argv) : simulateCommand(argv)),
    help: 'simulate a fleet into the lake: --rooms N --days D [--seed S] [--signal-set FILE]; or --live --rooms N --rate R over MQTT',
  },
  serve: {
    run: serveCommand,
    help: 'serve live inference: MQTT broker, device shadows, the inference rule and the endpoint host',
  },
  import: {
    run: importCommand,
    help: 'import telemetry: <file> --format uci-occupancy|uci-room-occupancy|ndjson [--signal-set FILE|ID]',
  },
  baseline: {
    run: baselineCommand,
    help: 'export the lake and print every threshold baseline on the holdout [--json]',
  },
  run: {
    run: runCommand,
    help: 'run one retraining execution locally: [--auto-approve] [--json] [--inject-fault NAME] [--signal-set FILE]',
  },
  status: { run: statusCommand, help: 'list runs (newest first) and pending approvals [--json]' },
  approve: { run: approvalCommand('approve'), help: 'approve the candidate of a waiting run: <run>' },
  reject: { run: approvalCommand('reject'), help: 'reject the candidate of a waiting run: <run>' },
  report: { run: reportCommand, help: 'static HTML report of a run (opens without a server): <run> --out file.html' },
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
