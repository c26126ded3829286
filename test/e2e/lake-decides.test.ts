import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UCI_TRAINING, uciNdjson } from '../fixtures/uci-occupancy';
import { uciRoomOccupancyText } from '../fixtures/uci-room-occupancy';

/**
 * The lake decides (issue 15): `import` then `occupancy run --auto-approve --json` with no config.json reaches a
 * real outcome for real data of a signal set other than the thermostat's. Before, the state machine was
 * synthesized for the thermostat whatever the lake held, and ExportDataset failed on the missing "sound" column.
 */
jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'occupancy.js');

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
}

function ok(args: string[]): string {
  const result = cli(args);
  if (result.status !== 0) throw new Error(`occupancy ${args[0]} exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

interface Summary {
  status: string;
  outcome: string;
  candidate: { f1: number } | null;
  baselines: { name: string; f1: number }[];
  decision: { promote: boolean; reasons: string[] } | null;
  endpoint: { status: string } | null;
  states: Record<string, number>;
}

const REAL_OUTCOMES = ['deployed', 'not-promoted'];

describe.each([
  ['uci-occupancy', 'uci-occupancy', (_: string) => UCI_TRAINING, [] as string[]],
  ['uci-room-occupancy', 'uci-room-occupancy', (dir: string) => write(dir, 'room.csv', uciRoomOccupancyText()), []],
  [
    'ndjson',
    'uci-occupancy',
    (dir: string) => write(dir, 'office.ndjson', uciNdjson()),
    ['--signal-set', 'uci-occupancy'],
  ],
])('import --format %s (signal set %s), then run with no config.json', (format, signalSet, file, extra) => {
  let stateDir = '';
  let summary: Summary;
  let stderr = '';

  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'lake-decides-'));
    ok(['import', file(stateDir), '--format', format, ...extra, '--state-dir', stateDir]);
    expect(existsSync(join(stateDir, 'config.json'))).toBe(false);
    const run = cli(['run', '--auto-approve', '--json', '--state-dir', stateDir]);
    stderr = run.stderr;
    summary = JSON.parse(run.stdout) as Summary;
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('reaches a real outcome: the export, training and evaluation ran on the lake’s signals', () => {
    expect(summary.status).toBe('SUCCEEDED');
    expect(REAL_OUTCOMES).toContain(summary.outcome);
    for (const state of ['ExportDataset', 'Evaluate']) expect(summary.states).toHaveProperty(state);
    expect(summary.candidate?.f1).toBeGreaterThan(0.5);
    expect(summary.decision?.reasons.length).toBeGreaterThan(0);
    if (summary.outcome === 'deployed') expect(summary.endpoint?.status).toBe('InService');
    expect(stderr).toContain(`signal set ${signalSet}`);
  });

  it('has no static rule (the set has none): the best single-signal threshold is the bar', () => {
    expect(summary.baselines.map((b) => b.name)).toEqual(['best-threshold']);
    expect(summary.baselines[0]?.f1).toBeGreaterThan(0.9);
    expect(stderr).toContain('static rule none');
  });

  it('refuses a config.json that names another signal set, naming both and the file', () => {
    const path = join(stateDir, 'config.json');
    writeFileSync(path, JSON.stringify({ signalSetId: 'thermostat' }));
    try {
      const refused = cli(['run', '--auto-approve', '--json', '--state-dir', stateDir]);
      expect(refused.status).not.toBe(0);
      for (const part of ['"thermostat"', `"${signalSet}"`, path]) expect(refused.stderr).toContain(part);
    } finally {
      rmSync(path);
    }
  });
});

describe('after importing uci-occupancy with no config.json, start and baseline use the lake’s signal set too', () => {
  let stateDir = '';
  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'lake-decides-start-'));
    ok(['import', UCI_TRAINING, '--format', 'uci-occupancy', '--state-dir', stateDir]);
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('baseline scores the set’s signals with no static rule', () => {
    const report = JSON.parse(ok(['baseline', '--json', '--state-dir', stateDir])) as {
      signalSet: string;
      baselines: { name: string; rule: { signal: string }; f1: number }[];
    };
    expect(report.signalSet).toBe('uci-occupancy');
    expect(report.baselines.map((b) => b.name)).toEqual(['best-threshold']);
    expect(report.baselines[0]?.rule.signal).toBe('light');
  });

  it('start --once reaches a real outcome', () => {
    const start = cli(['start', '--auto-approve', '--once', '--json', '--port', '0', '--state-dir', stateDir]);
    const summary = JSON.parse(start.stdout) as Summary;
    expect(summary.status).toBe('SUCCEEDED');
    expect(REAL_OUTCOMES).toContain(summary.outcome);
    expect(start.stderr).toContain('signal set uci-occupancy; static rule none');
  });
});

function write(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
