import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveFiles } from '../../local/lake-files';

/**
 * `npm start` (as `start --auto-approve --once`, the form that ends) on a fresh state dir and on one holding an
 * NDJSON lake written by the previous version (test/fixtures/ndjson-lake): both runs succeed and leave a Parquet
 * lake; the old lake is converted once, saying so.
 */
jest.setTimeout(300_000);

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'occupancy.js');
const CONFIG = { autoML: { maxCandidates: 2, maxRuntimePerTrainingJobSeconds: 600, maxJobRuntimeSeconds: 1000 } };

function start(stateDir: string): { status: number | null; output: string } {
  writeFileSync(join(stateDir, 'config.json'), JSON.stringify(CONFIG));
  const result = spawnSync(
    process.execPath,
    [BIN, 'start', '--auto-approve', '--once', '--rooms', '3', '--days', '3', '--state-dir', stateDir].concat([
      '--port',
      '0',
      '--mqtt-port',
      '0',
    ]),
    { cwd: ROOT, encoding: 'utf8' },
  );
  return { status: result.status, output: `${result.stderr}${result.stdout}` };
}

const formats = (stateDir: string): string[] =>
  (['telemetry', 'labels'] as const).flatMap((t) => liveFiles(join(stateDir, 'lake'), t).map((f) => f.format));

describe.each([
  ['a fresh state dir', false],
  ['a state dir holding an NDJSON lake of the previous version', true],
])('start --auto-approve --once on %s', (_name, upgrade) => {
  it('succeeds and leaves a Parquet lake', () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'e2e-upgrade-'));
    try {
      if (upgrade) cpSync(join(__dirname, '..', 'fixtures', 'ndjson-lake'), stateDir, { recursive: true });
      const { status, output } = start(stateDir);
      expect(output).toMatch(/run \S+: SUCCEEDED, outcome /);
      expect(status).toBe(0);
      const converted = output.match(/lake: converted \d+ NDJSON part file\(s\) of an earlier version/g) ?? [];
      expect(converted).toHaveLength(upgrade ? 1 : 0);
      expect(output).not.toContain('could not rewrite');
      expect(new Set(formats(stateDir))).toEqual(new Set(['parquet']));
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
