import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshStateDir } from './helpers';
import {
  exited,
  lakeDataBytes,
  leftovers,
  occupancy,
  rowsPerDay,
  spawnOccupancy,
  tornPartFiles,
  total,
  writeImportFile,
} from './lake-crash-fixture';

/**
 * Lake writes are all-or-nothing (issue 16): a real `occupancy import` process killed with SIGKILL while it writes
 * leaves the lake as it was or complete, and `baseline` and `run` work right after; a reader during an import
 * sees each day partition whole or not at all.
 */
jest.setTimeout(300_000);

const COPIES = 7; // 7 × the 4-room, 10-day lake = 403 200 lines (~47 MB): seconds of writing to kill into
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('lake imports under faults', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const setUp = async (): Promise<{ stateDir: string; file: string; lines: number; perDay: Map<number, number> }> => {
    const stateDir = freshStateDir();
    const scratch = mkdtempSync(join(tmpdir(), 'lake-crash-'));
    dirs.push(stateDir, scratch);
    const file = join(scratch, 'big.ndjson');
    return { stateDir, file, ...(await writeImportFile(stateDir, file, COPIES)) };
  };

  it('an import killed mid-write leaves all or none of it; baseline and run --auto-approve work after', async () => {
    const { stateDir, file, lines } = await setUp();
    const before = total(await rowsPerDay(stateDir));
    const bytesBefore = lakeDataBytes(stateDir);
    const child = spawnOccupancy(['import', file, '--format', 'ndjson', '--state-dir', stateDir]);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    // Kill as soon as the import has written rows into the lake directory (staged or not).
    while (lakeDataBytes(stateDir) <= bytesBefore) {
      if (child.exitCode !== null) throw new Error(`import ended (${child.exitCode}) before it was killed: ${stderr}`);
      await sleep(5);
    }
    child.kill('SIGKILL');
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');

    const baseline = occupancy(['baseline', '--state-dir', stateDir, '--json']);
    expect(baseline.stderr).not.toMatch(/Malformed JSON|Error:/);
    expect(baseline.status).toBe(0);
    const after = total(await rowsPerDay(stateDir));
    expect([before, before + lines]).toContain(after);
    expect(tornPartFiles(stateDir)).toEqual([]);
    expect(leftovers(stateDir)).toEqual([]); // the killed import's staging was cleaned when the lake was opened

    const run = occupancy(['run', '--auto-approve', '--state-dir', stateDir]);
    expect(run.stderr).not.toMatch(/Malformed JSON|LakeError/);
    expect(run.status).toBe(0);
  });

  it('a reader during an import sees every day partition whole or not at all, and never a torn file', async () => {
    const { stateDir, file, lines, perDay } = await setUp();
    const before = await rowsPerDay(stateDir);
    const child = spawnOccupancy(['import', file, '--format', 'ndjson', '--state-dir', stateDir]);
    const done = exited(child);
    let reads = 0;
    while (child.exitCode === null) {
      const now = await rowsPerDay(stateDir); // a DuckDB read of every part file, as the export does
      reads++;
      for (const [day, n] of now) {
        const base = before.get(day) ?? 0;
        expect([base, base + (perDay.get(day) ?? 0)]).toContain(n);
      }
    }
    expect(await done).toBe(0);
    expect(reads).toBeGreaterThan(0);
    expect(total(await rowsPerDay(stateDir))).toBe(total(before) + lines);
  });
});
