import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SensorHealthReport } from '../../health/types';

/** `occupancy health`: the synthesized check once, on a simulated history with three failing devices. */
jest.setTimeout(180_000);

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'occupancy.js');
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });

let stateDir: string;
beforeAll(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'health-cli-'));
  const sim = cli([
    'simulate',
    '--state-dir',
    stateDir,
    '--rooms',
    '4',
    '--days',
    '2',
    '--fault',
    'stuck:room-01',
    '--fault',
    'silent:room-02',
    '--fault',
    'out-of-range:room-03',
  ]);
  expect(sim.status).toBe(0);
});
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

it('checks now by default, and says how to check a history whose devices are all older than the lookback', () => {
  const run = cli(['health', '--state-dir', stateDir]);
  expect(run.status).toBe(0);
  expect(run.stdout).toContain('0 devices known, 0 unhealthy');
  expect(run.stdout).toContain('pass --at newest');
});

it('--at newest names exactly the stuck, silent and out-of-range devices, and notifies once', () => {
  const run = cli(['health', '--state-dir', stateDir, '--at', 'newest', '--json']);
  expect(run.status).toBe(0);
  const { report, notified } = JSON.parse(run.stdout) as {
    report: SensorHealthReport;
    notified: { notified: boolean }[];
  };
  expect(report.devicesKnown).toBe(4);
  expect(report.unhealthy.map((d) => [d.kind, d.thingName])).toEqual([
    ['stuck', 'room-01'],
    ['silent', 'room-02'],
    ['out-of-range', 'room-03'],
  ]);
  expect(notified.filter((n) => n.notified)).toHaveLength(1);
  const messages = readFileSync(join(stateDir, 'notifications.ndjson'), 'utf8').trim().split('\n');
  expect(messages).toHaveLength(1);
  expect(JSON.parse(messages[0] ?? '{}').subject).toBe(
    'occupancy: 3 unhealthy sensors (stuck 1, silent 1, out-of-range 1)',
  );
});

it('refuses a time without its zone, naming --at', () => {
  const run = cli(['health', '--state-dir', stateDir, '--at', '2026-01-08 12:00']);
  expect(run.status).toBe(2);
  expect(run.stderr).toContain('--at must be an ISO time with its zone');
});
