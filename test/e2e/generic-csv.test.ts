import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSignalSetText } from '../../telemetry/signal-set-schema';
import { UCI_TRAINING } from '../fixtures/uci-occupancy';

/**
 * Issue 15 item 5: `import FILE --format csv --timestamp COL --target COL` on the UCI training file (whose rows
 * carry an unnamed R row id), then `run --auto-approve --json` with no config.json reaches a real outcome on the
 * inferred signal set; the inferred set is written out and re-usable with --signal-set.
 */
jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'occupancy.js');
const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
const CSV_FLAGS = ['--format', 'csv', '--timestamp', 'date', '--target', 'Occupancy'];

describe('import --format csv (inferred signal set), then run with no config.json', () => {
  let stateDir = '';
  let importOut = '';
  let run: ReturnType<typeof cli>;

  beforeAll(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'generic-csv-'));
    const imported = cli(['import', UCI_TRAINING, ...CSV_FLAGS, '--json', '--state-dir', stateDir]);
    if (imported.status !== 0) throw new Error(`import exited ${imported.status}: ${imported.stderr}`);
    importOut = imported.stdout;
    run = cli(['run', '--auto-approve', '--json', '--state-dir', stateDir]);
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('imports every row, infers the five numeric signals and writes the set for review', () => {
    const summary = JSON.parse(importOut) as { imported: number; rejected: number; inferredSignalSet: string };
    expect(summary.imported).toBe(8143);
    expect(summary.rejected).toBe(0);
    expect(summary.inferredSignalSet).toBe(join(stateDir, 'signal-set.json'));
    const set = parseSignalSetText(readFileSync(summary.inferredSignalSet, 'utf8'), summary.inferredSignalSet);
    expect(set.signals.map((s) => s.name)).toEqual(['temperature', 'humidity', 'light', 'co2', 'humidity_ratio']);
    expect(set.staticRule).toBeUndefined();
  });

  it('run reaches a real outcome with reasons', () => {
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      status: string;
      outcome: string;
      candidate: { f1: number } | null;
      decision: { reasons: string[] } | null;
    };
    expect(summary.status).toBe('SUCCEEDED');
    expect(['deployed', 'not-promoted']).toContain(summary.outcome);
    expect(summary.candidate?.f1).toBeGreaterThan(0.5);
    expect(summary.decision?.reasons.length).toBeGreaterThan(0);
    expect(run.stderr).toContain('signal set datatraining; static rule none');
  });

  it('the written set is re-usable with --signal-set in a fresh state dir', () => {
    const fresh = mkdtempSync(join(tmpdir(), 'generic-csv-reuse-'));
    try {
      const again = cli([
        'import',
        UCI_TRAINING,
        ...CSV_FLAGS,
        '--signal-set',
        join(stateDir, 'signal-set.json'),
        '--json',
        '--state-dir',
        fresh,
      ]);
      expect(again.status).toBe(0);
      const summary = JSON.parse(again.stdout) as { imported: number; inferredSignalSet?: string };
      expect(summary.imported).toBe(8143);
      expect(summary.inferredSignalSet).toBeUndefined();
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});

describe('import --format csv flag errors', () => {
  it('exits 2 naming a missing --target', () => {
    const result = cli(['import', UCI_TRAINING, '--format', 'csv', '--timestamp', 'date']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--target');
  });

  it('exits 2 naming an unknown column and listing the header', () => {
    const result = cli(['import', UCI_TRAINING, '--format', 'csv', '--timestamp', 'when', '--target', 'Occupancy']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('--timestamp: no column "when"');
    expect(result.stderr).toContain('columns: date, Temperature, Humidity, Light, CO2, HumidityRatio, Occupancy');
  });
});
