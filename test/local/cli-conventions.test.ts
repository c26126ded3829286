import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { CommandSpec } from '../../local/args';
import { COMMAND_NAMES } from '../../local/cli';
import * as specs from '../../local/commands/specs';
import { UCI_TRAINING } from '../fixtures/uci-occupancy';
import { cliInProcess } from './cli-in-process';

/**
 * CLI conventions (issue 18 item 5): every command answers --help with each of its flags (exit 0, stdout); every
 * user error exits 2 with a message on stderr that names no class and shows no stack, and creates nothing.
 */
jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..');
const root = mkdtempSync(join(tmpdir(), 'cli-conventions-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every file and folder under `dir`, relative to it. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      out.push(relative(dir, join(d, e.name)));
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(dir);
  return out.sort();
}

const ALL_SPECS: Record<string, CommandSpec[]> = {
  start: [specs.START],
  run: [specs.RUN],
  simulate: [specs.SIMULATE, specs.SIMULATE_LIVE],
  serve: [specs.SERVE],
  import: [specs.IMPORT],
  baseline: [specs.BASELINE],
  status: [specs.STATUS],
  health: [specs.HEALTH],
  approve: [specs.APPROVE],
  reject: [specs.REJECT],
  report: [specs.REPORT],
  automl: [specs.AUTOML],
};

describe('--help', () => {
  it('covers every command', () => {
    expect(Object.keys(ALL_SPECS).sort()).toEqual([...COMMAND_NAMES].sort());
  });

  it.each(Object.keys(ALL_SPECS))('occupancy %s --help and -h: exit 0, every flag with its default', async (name) => {
    for (const flag of ['--help', '-h']) {
      const { code, stdout, stderr } = await cliInProcess([name, flag]);
      expect(code).toBe(0);
      expect(stderr).toBe('');
      const sections = stdout.split('usage: npx occupancy ').slice(1);
      for (const spec of ALL_SPECS[name] ?? []) {
        const section = sections.find((s) =>
          s.startsWith(`${spec.name}${spec.positionals ? ` ${spec.positionals}` : ''} [flags]`),
        );
        expect(section).toBeDefined();
        for (const [flagName, f] of Object.entries(spec.flags)) {
          const row = section?.split('\n').find((l) => l.trimStart().startsWith(`--${flagName} `));
          expect(row).toBeDefined();
          if (typeof f.default === 'string') expect(row).toContain(`default: ${f.default}`);
        }
      }
    }
  });

  it('occupancy --help lists every command and flag on stdout; no command prints the same usage on stderr, exit 2', async () => {
    const help = await cliInProcess(['--help']);
    expect(help.code).toBe(0);
    for (const spec of Object.values(ALL_SPECS).flat()) {
      expect(help.stdout).toContain(`  ${spec.name}`);
      for (const flagName of Object.keys(spec.flags)) expect(help.stdout).toContain(`--${flagName}`);
    }
    expect(help.stdout).toContain('[--rooms N=10]');
    const bare = spawnSync(process.execPath, [join(ROOT, 'bin', 'occupancy.js')], { encoding: 'utf8', cwd: ROOT });
    expect(bare.status).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toBe(help.stdout);
  });

  it('the automl table matches the flags automl/cli.ts accepts', async () => {
    const { parseAutomlArgs } = await import('../../automl/cli');
    for (const flagName of Object.keys(specs.AUTOML.flags)) {
      // An unknown flag is refused as "Unknown option"; a known one gets past parsing to the required-flag checks.
      const args = flagName === 'json' ? ['--json'] : [`--${flagName}`, '1'];
      expect(() => parseAutomlArgs(args)).not.toThrow(/Unknown option/);
    }
  });
});

const missing = (name: string) => join(root, name);

/** Command × bad flag / bad value / missing argument, each run with a state dir that does not exist. */
const USER_ERRORS: [string, string[], RegExp][] = [
  ['start: unknown flag', ['start', '--bogus'], /unknown flag --bogus.*occupancy start --help/],
  ['start: bad value', ['start', '--rooms', 'many'], /--rooms must be an integer/],
  ['start: unknown fault', ['start', '--inject-fault', 'meteor'], /Unknown fault "meteor"; known: automl-failed/],
  ['start: missing value', ['start', '--port'], /--port needs a value/],
  ['start: bad signal set file', ['start', '--signal-set', missing('nope.json')], /--signal-set/],
  ['run: unknown flag', ['run', '--bogus'], /unknown flag --bogus/],
  ['run: unknown fault', ['run', '--inject-fault', 'meteor'], /Unknown fault "meteor"/],
  ['run: missing value', ['run', '--signal-set'], /--signal-set needs a value/],
  ['run: positional', ['run', 'now'], /unexpected argument "now"/],
  ['simulate: unknown flag', ['simulate', '--broker', 'mqtt://x'], /unknown flag --broker/],
  ['simulate: bad value', ['simulate', '--days', '0'], /--days must be an integer in \[1, 3650\]/],
  ['simulate: missing value', ['simulate', '--rooms'], /--rooms needs a value/],
  [
    'simulate: unknown drift scenario',
    ['simulate', '--drift', 'meteor'],
    /--drift: unknown scenario "meteor"; valid: calibration-offset, season, usage, lighting, sensor-failure/,
  ],
  ['simulate --live: bad rate', ['simulate', '--live', '--rate', '0'], /--rate must be in \(0, 1000\]/],
  ['simulate --live: no broker', ['simulate', '--live'], /no broker: start `npx occupancy serve/],
  ['simulate --live: unknown flag', ['simulate', '--live', '--days', '3'], /unknown flag --days/],
  ['serve: unknown flag', ['serve', '--bogus'], /unknown flag --bogus/],
  ['serve: bad value', ['serve', '--max-devices', '0'], /--max-devices must be an integer/],
  ['serve: missing value', ['serve', '--model'], /--model needs a value/],
  ['import: no file', ['import', '--format', 'ndjson'], /import <file>/],
  ['import: missing file', ['import', missing('nope.csv'), '--format', 'ndjson'], /Cannot read .*nope\.csv/],
  ['import: bad format name', ['import', UCI_TRAINING, '--format', 'excel'], /--format must be one of/],
  ['import: wrong format', ['import', UCI_TRAINING, '--format', 'ndjson'], /datatraining\.txt/],
  ['import: unknown flag', ['import', UCI_TRAINING, '--bogus'], /unknown flag --bogus/],
  ['baseline: no lake', ['baseline'], /No lake in .*simulate.*import/],
  ['baseline: unknown flag', ['baseline', '--bogus'], /unknown flag --bogus/],
  ['baseline: missing value', ['baseline', '--out'], /--out needs a value/],
  ['status: bad value', ['status', '--limit', 'x'], /--limit must be an integer/],
  ['health: bad value', ['health', '--at', 'yesterday'], /--at must be an ISO time with its zone/],
  ['health: no lake', ['health'], /no lake in .*: simulate or import first/],
  ['status: value on a switch', ['status', '--json=yes'], /--json takes no value/],
  ['approve: no run', ['approve'], /name one run/],
  ['approve: unknown run', ['approve', 'run-nope'], /No approval request for run "run-nope"/],
  ['approve: unknown flag', ['approve', 'run-nope', '--bogus'], /unknown flag --bogus/],
  ['reject: unknown run', ['reject', 'run-nope'], /No approval request for run "run-nope"/],
  ['reject: missing value', ['reject', 'run-nope', '--by'], /--by needs a value/],
  ['report: no run', ['report'], /name the run/],
  ['report: unknown run', ['report', 'run-nope'], /no run "run-nope"/],
  ['report: unknown flag', ['report', 'run-nope', '--bogus'], /unknown flag --bogus/],
  ['automl: unknown flag', ['automl', '--bogus'], /Unknown option '--bogus'|unknown flag/],
  ['automl: missing flag', ['automl', '--train', UCI_TRAINING], /--target <column> is required/],
  ['automl: missing file', ['automl', '--train', missing('nope.csv'), '--target', 'y'], /not found/],
  ['unknown command', ['deploy'], /unknown command "deploy".*--help/],
];

describe('user errors', () => {
  it.each(USER_ERRORS)('%s: exit 2, what to do on stderr, no class name, nothing created', async (_, args, message) => {
    const dir = mkdtempSync(join(root, 'case-'));
    const stateDir = join(dir, 'state');
    const argv = args[0] === 'deploy' ? args : [...args, '--state-dir', stateDir];
    // automl has no state dir: its work dir is the one checked.
    const automlArgv = args[0] === 'automl' ? [...args, '--work-dir', stateDir] : argv;
    const { code, stdout, stderr } = await cliInProcess(args[0] === 'automl' ? automlArgv : argv);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\b[A-Z]\w*(Error|Exception)\b/);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(tree(dir)).toEqual([]);
  });
});

describe('read-only commands', () => {
  it('create nothing in an existing state dir', async () => {
    const stateDir = join(root, 'existing');
    mkdirSync(stateDir);
    writeFileSync(join(stateDir, 'config.json'), '{}');
    const before = tree(stateDir);
    const runs: [string[], number][] = [
      [['status'], 0],
      [['status', '--json'], 0],
      [['approve', 'run-nope'], 2],
      [['reject', 'run-nope'], 2],
      [['report', 'run-nope'], 2],
      [['baseline'], 2],
      [['health'], 2],
      [['run', '--help'], 0],
    ];
    for (const [args, expected] of runs) {
      const { code } = await cliInProcess([...args, '--state-dir', stateDir]);
      expect({ args, code }).toEqual({ args, code: expected });
      expect(tree(stateDir)).toEqual(before);
    }
  });
});
