import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BaselineReport } from '../../local/baseline';
import { UCI_TRAINING } from '../fixtures/uci-occupancy';

const ROOT = join(__dirname, '..', '..');

function occupancy(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'occupancy.js'), ...args], {
    encoding: 'utf8',
    cwd: ROOT,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('occupancy CLI: data in → export → baselines', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sets a real bar on a simulated 20-room, 14-day fleet: the seed rule scores F1 in [0.55, 0.90]', () => {
    const stateDir = join(dir, 'fleet');
    const simulated = occupancy(['simulate', '--rooms', '20', '--days', '14', '--state-dir', stateDir, '--json']);
    expect(simulated.status).toBe(0);
    expect(JSON.parse(simulated.stdout)).toMatchObject({ readings: 20 * 14 * 1440 });
    const baseline = occupancy(['baseline', '--state-dir', stateDir, '--json']);
    expect(baseline.status).toBe(0);
    const report = JSON.parse(baseline.stdout) as BaselineReport;
    expect(report.rows.train).toBeGreaterThan(report.rows.holdout);
    expect(report.rows.holdout).toBeGreaterThan(0);
    const names = report.baselines.map((b) => b.name);
    expect(names).toEqual(expect.arrayContaining(['static-rule', 'best-threshold', 'best-sound-threshold']));
    const seedRule = report.baselines.find((b) => b.name === 'static-rule');
    expect(seedRule?.rule).toEqual({ signal: 'sound', level: 10, direction: 'above' });
    for (const b of report.baselines) {
      for (const metric of [b.f1, b.precision, b.recall, b.accuracy]) expect(metric).toBeGreaterThan(0);
    }
    expect(seedRule?.f1).toBeGreaterThanOrEqual(0.55);
    expect(seedRule?.f1).toBeLessThanOrEqual(0.9);
    // The holdout is the future: every holdout reading is newer than every train reading.
    expect(report.timeRange.holdout.from).toBeGreaterThan(report.timeRange.train.to ?? Number.POSITIVE_INFINITY);
  });

  it('imports the UCI Occupancy training file (8143 rows, 0 rejected) and reports its baselines as JSON', () => {
    const stateDir = join(dir, 'uci');
    const imported = occupancy([
      'import',
      UCI_TRAINING,
      '--format',
      'uci-occupancy',
      '--state-dir',
      stateDir,
      '--json',
    ]);
    expect(imported.status).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ imported: 8143, rejected: 0, signalSet: 'uci-occupancy' });

    const baseline = occupancy(['baseline', '--state-dir', stateDir, '--json']);
    expect(baseline.status).toBe(0);
    const report = JSON.parse(baseline.stdout) as {
      rows: { train: number; holdout: number };
      baselines: {
        name: string;
        f1: number;
        precision: number;
        recall: number;
        accuracy: number;
        rule: { signal: string };
      }[];
    };
    expect(report.rows.train + report.rows.holdout).toBeGreaterThan(6000);
    // No sound sensor in this dataset: no seed rule, and the best single signal is light, as in the paper.
    expect(report.baselines.map((b) => b.name)).toEqual(['best-threshold']);
    expect(report.baselines[0]?.rule.signal).toBe('light');
    for (const b of report.baselines) {
      for (const metric of [b.f1, b.precision, b.recall, b.accuracy]) expect(metric).toBeGreaterThan(0.9);
    }
  });

  it('explains bad usage with exit code 2 and names the flag', () => {
    const badFormat = occupancy(['import', UCI_TRAINING, '--format', 'excel', '--state-dir', join(dir, 'x')]);
    expect(badFormat.status).toBe(2);
    expect(badFormat.stderr).toMatch(/--format must be one of uci-occupancy, uci-room-occupancy, ndjson/);
    const badRooms = occupancy(['simulate', '--rooms', 'many', '--state-dir', join(dir, 'y')]);
    expect(badRooms.status).toBe(2);
    expect(badRooms.stderr).toMatch(/--rooms must be an integer/);
    const noLake = occupancy(['baseline', '--state-dir', join(dir, 'empty')]);
    expect(noLake.status).toBe(2);
    expect(noLake.stderr).toMatch(/No lake in .*simulate.*import/);
  });
});
