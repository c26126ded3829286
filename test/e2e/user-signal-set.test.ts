import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Bring your own signals (issue 15): a user's JSON signal set (CO2, PIR, two sound sensors) is simulated into a
 * lake with `simulate --signal-set FILE`, and `run --auto-approve --json` reaches a real outcome on it through the
 * local runtime: the state machine, the export, training and Evaluate all run on that set's signals.
 */
jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'occupancy.js');
const SET_FILE = join(ROOT, 'test', 'fixtures', 'signal-sets', 'co2-pir-sound.json');

const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });

interface Summary {
  status: string;
  outcome: string;
  candidate: { f1: number } | null;
  baselines: { name: string; f1: number }[];
  states: Record<string, number>;
}

describe('simulate --signal-set FILE, then run', () => {
  let stateDir = '';
  let summary: Summary;
  let stderr = '';

  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'user-signal-set-'));
    const sim = cli(['simulate', '--signal-set', SET_FILE, '--rooms', '4', '--days', '10', '--state-dir', stateDir]);
    if (sim.status !== 0) throw new Error(`simulate exited ${sim.status}: ${sim.stderr}`);
    writeFileSync(
      join(stateDir, 'config.json'),
      JSON.stringify({
        autoML: { maxCandidates: 3, maxRuntimePerTrainingJobSeconds: 600, maxJobRuntimeSeconds: 1000 },
      }),
    );
    const run = cli(['run', '--auto-approve', '--json', '--state-dir', stateDir]);
    stderr = run.stderr;
    summary = JSON.parse(run.stdout) as Summary;
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('the lake holds the user set’s signals', () => {
    const manifest = JSON.parse(readFileSync(join(stateDir, 'lake', 'manifest.json'), 'utf8'));
    expect(manifest.signalSet).toBe('co2-pir-sound');
    expect(manifest.signalSetDocument.signals.map((s: { name: string }) => s.name)).toEqual([
      'co2',
      'pir',
      'sound_north',
      'sound_south',
    ]);
  });

  it('reaches a real outcome with the set’s own static rule as a baseline', () => {
    expect(summary.status).toBe('SUCCEEDED');
    expect(['deployed', 'not-promoted']).toContain(summary.outcome);
    for (const state of ['ExportDataset', 'Evaluate']) expect(summary.states).toHaveProperty(state);
    expect(summary.candidate?.f1).toBeGreaterThan(0.5);
    expect(summary.baselines.map((b) => b.name)).toContain('static-rule');
    expect(stderr).toContain('signal set co2-pir-sound; static rule sound_north > 45');
  });

  it('refuses a --signal-set file that does not validate, naming the field and the file', () => {
    const bad = join(stateDir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        id: 'x',
        description: 'd',
        signals: [{ name: 'co2', kind: 'numeric', unit: 'ppm', min: 5, max: 1 }],
      }),
    );
    const refused = cli(['simulate', '--signal-set', bad, '--state-dir', join(stateDir, 'other')]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(bad);
    expect(refused.stderr).toContain('signals.0.max');
  });
});
