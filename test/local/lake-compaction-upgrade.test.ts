import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setProgressSink } from '../../local/args';
import { exportDataset } from '../../local/export';
import { LocalLake } from '../../local/lake';
import { liveFiles } from '../../local/lake-files';
import { ndjsonDigest, viewDigest } from './lake-compaction-fixture';

/**
 * A lake written by the previous version (NDJSON parts: test/fixtures/ndjson-lake, made with commit 57d9b0d) opens,
 * is converted to Parquet once, saying so, and holds and exports the rows it held.
 */
jest.setTimeout(120_000);

const FIXTURE = join(__dirname, '..', 'fixtures', 'ndjson-lake');

it('migrates an NDJSON lake of the previous version to Parquet with the same rows and export', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lake-upgrade-'));
  const lines: string[] = [];
  const restore = setProgressSink((line) => lines.push(line));
  try {
    cpSync(FIXTURE, dir, { recursive: true });
    const before = await ndjsonDigest(dir);
    // What the previous version read from it (test/fixtures/ndjson-lake/README.md).
    expect([before.telemetry.rows, before.labels.rows]).toEqual([5760, 56]);

    const lake = LocalLake.open(dir);
    expect(await viewDigest(lake)).toEqual(before);
    expect(lines.filter((l) => l.includes('NDJSON'))).toEqual([
      'lake: converted 4 NDJSON part file(s) of an earlier version to Parquet (5,816 rows in 4 partition(s))',
    ]);
    for (const table of ['telemetry', 'labels'] as const)
      expect(liveFiles(lake.root, table).map((f) => f.format)).toEqual(['parquet', 'parquet']);
    const manifest = await exportDataset(lake, { outDir: join(dir, 'export') });
    expect(manifest.rows).toEqual({ train: 4032, validation: 864, holdout: 864 });
    expect(manifest.readingsLeftOut).toBe(0);
    lake.close();

    // Said once: the next command finds a Parquet lake.
    const again = LocalLake.open(dir);
    expect(await viewDigest(again)).toEqual(before);
    again.close();
    expect(lines.filter((l) => l.includes('NDJSON'))).toHaveLength(1);
  } finally {
    restore();
    rmSync(dir, { recursive: true, force: true });
  }
});
