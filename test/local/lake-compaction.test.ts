import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainLakeReadError, LakeError, LocalLake } from '../../local/lake';
import { liveFiles } from '../../local/lake-files';
import { THERMOSTAT } from '../../telemetry/signals';
import {
  appendBatches,
  DAY,
  filesPerPartition,
  ndjsonDigest,
  readings,
  START,
  viewDigest,
} from './lake-compaction-fixture';

/**
 * Compaction (issue 19): committed NDJSON appends become one Parquet file per partition, with the same rows, and
 * readers see every row exactly once whatever moment they read at.
 */
jest.setTimeout(120_000);

const dirs: string[] = [];
const tmp = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'lake-compaction-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

it('rewrites NDJSON appends as one Parquet file per partition holding the same rows', async () => {
  const dir = tmp();
  appendBatches(dir, 3, 4, 200);
  const before = await ndjsonDigest(dir);
  expect(before.telemetry.rows).toBe(3 * 4 * 3 * 200);

  const lake = LocalLake.open(dir);
  const report = await lake.compact();
  expect(report).toMatchObject({ partitions: 4 + 4, filesIn: 3 * 8, legacyFiles: 0 });
  for (const table of ['telemetry', 'labels'] as const) {
    const live = liveFiles(lake.root, table);
    expect(live.map((f) => f.format)).toEqual(['parquet', 'parquet', 'parquet', 'parquet']);
  }
  expect(await viewDigest(lake)).toEqual(before);
  // The views keep their columns and add the partition `dt`, a string like Athena's partition key.
  const c = await lake.connect();
  const columns = (await c.runAndReadAll('DESCRIBE telemetry')).getRows().map((r) => `${r[0]} ${r[1]}`);
  expect(columns.at(-1)).toBe('dt VARCHAR');
  expect(columns.slice(0, 3)).toEqual(['thing_name VARCHAR', 'ts BIGINT', 'received_at BIGINT']);
  lake.close();
});

it('keeps the file count per partition bounded over 50 small appends, each followed by a compaction', async () => {
  const dir = tmp();
  const lake = LocalLake.open(dir, THERMOSTAT);
  let rows = 0;
  for (let i = 0; i < 50; i++) {
    rows += lake.appendReadings(readings(START + i * 60_000, 2, 2, 3), 5).rows;
    const report = await lake.compact({ convert: false, graceMs: 0 });
    expect(report).not.toHaveProperty('error');
  }
  for (const files of Object.values(filesPerPartition(dir, 'telemetry'))) expect(files.length).toBeLessThanOrEqual(3);
  expect(await lake.count('telemetry')).toBe(rows);
  lake.close();
});

it('reads Parquet, NDJSON and empty lakes alike, and empty views carry dt', async () => {
  const dir = tmp();
  const lake = LocalLake.open(dir, THERMOSTAT);
  const c = await lake.connect();
  expect((await c.runAndReadAll('DESCRIBE labels')).getRows().map((r) => String(r[0]))).toEqual([
    'thing_name',
    'ts',
    'occupied',
    'dt',
  ]);
  lake.appendReadings(readings(START, 1, 1, 10), 1);
  await lake.compact();
  lake.appendReadings(readings(START + 1, 1, 1, 10), 1); // stays NDJSON: a single part beside a small Parquet
  expect(liveFiles(lake.root, 'telemetry').map((f) => f.format)).toEqual(['ndjson', 'parquet']);
  expect(await lake.count('telemetry')).toBe(20);
  lake.close();
});

it('prunes by dt: a filter on recent days never opens a file of an older partition', async () => {
  const dir = tmp();
  appendBatches(dir, 1, 3, 50);
  const lake = LocalLake.open(dir);
  await lake.compact();
  const days = Object.keys(filesPerPartition(dir, 'telemetry')).sort();
  const [oldest, , newest] = days;
  // An unreadable Parquet file and an unreadable NDJSON file in the oldest partition.
  writeFileSync(join(lake.root, 'telemetry', oldest ?? '', 'part-junk.parquet'), 'not parquet at all');
  writeFileSync(join(lake.root, 'telemetry', oldest ?? '', 'part-junk.ndjson'), '{"thing_name":');
  const c = await lake.connect();
  const recent = await c.runAndReadAll(`SELECT count(*)::BIGINT FROM telemetry WHERE "dt" >= '${newest?.slice(3)}'`);
  expect(Number(recent.getRows()[0]?.[0])).toBe(3 * 50);
  // Reading the whole history does open it: the error names the file and what to do.
  const all = await c.runAndReadAll('SELECT count(*) FROM telemetry').catch((e: unknown) => explainLakeReadError(e));
  expect(all).toBeInstanceOf(LakeError);
  expect((all as LakeError).message).toMatch(/The lake file \S+part-junk\.(parquet|ndjson) cannot be read/);
  lake.close();
});

it('a failing compaction fails nothing: it says why, the NDJSON parts stay and are read', async () => {
  const dir = tmp();
  appendBatches(dir, 2, 2, 20);
  const part = join(dir, 'lake', 'labels', `dt=${new Date(START).toISOString().slice(0, 10)}`);
  const torn = join(part, readdirSync(part)[0] ?? '');
  writeFileSync(torn, `${readFileSync(torn, 'utf8')}{"thing_name":`);
  const lake = LocalLake.open(dir);
  const result = await lake.compact();
  expect(result).toHaveProperty('error');
  const { error } = result as { error: LakeError };
  expect(error.message).toContain(`The lake file ${torn} cannot be read`);
  expect(error.message).toContain('nothing was lost');
  expect(existsSync(torn)).toBe(true);
  // Telemetry partitions were rewritten before or after; their rows are all there, once.
  expect(await lake.count('telemetry')).toBe(2 * 2 * 3 * 20);
  lake.close();
});

it('deletes replaced files only after the grace period, sources before what replaced them', async () => {
  const dir = tmp();
  const lake = LocalLake.open(dir, THERMOSTAT);
  lake.appendReadings(readings(START, 1, 1, 10), 1);
  await lake.compact();
  lake.appendReadings(readings(START + 1, 1, 1, 10), 1);
  await lake.compact(); // replaces the first Parquet file and the new part; nothing deleted yet
  const day = Object.keys(filesPerPartition(dir, 'telemetry'))[0] ?? '';
  expect(filesPerPartition(dir, 'telemetry')[day]).toHaveLength(6);
  const report = await lake.compact({ graceMs: 0 });
  expect(report).toMatchObject({ partitions: 0, removed: 3 });
  expect(filesPerPartition(dir, 'telemetry')[day]?.map((f) => f.replace(/-\d+-\d+-\w+/, ''))).toEqual([
    'part-compact.parquet',
    'part-compact.sources',
  ]);
  expect(await lake.count('telemetry')).toBe(20);
  lake.close();
});

describe('a compaction in another process', () => {
  /** A lake big enough that compacting it takes a while: 4 days × 3 appends × 3 rooms × 8 000 readings. */
  const bigLake = (): string => {
    const dir = tmp();
    appendBatches(dir, 3, 4, 8_000);
    return dir;
  };
  const child = (dir: string) =>
    spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'lake-compaction-child.ts'), dir], {
      cwd: join(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const exited = (p: ReturnType<typeof child>): Promise<void> =>
    p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));
  const staged = (dir: string): string[] =>
    whileChanging(() => {
      const root = join(dir, 'lake', '_staging');
      return existsSync(root)
        ? readdirSync(root, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => e.name)
        : [];
    });

  it('never shows a reader a duplicate or a gap', async () => {
    const dir = bigLake();
    const expected = await ndjsonDigest(dir);
    const proc = child(dir);
    // Read only while the child holds the compaction lock: this reader's own compaction then steps aside.
    while (!staged(dir).some((n) => n.startsWith('lock-'))) {
      if (proc.exitCode !== null) throw new Error('the compaction ended before it was seen');
      await new Promise((r) => setTimeout(r, 2));
    }
    const lake = LocalLake.open(dir);
    let reads = 0;
    const seen = new Set<string>();
    while (proc.exitCode === null) {
      const now = await viewDigest(lake);
      expect(now).toEqual(expected);
      seen.add(
        liveFiles(lake.root, 'telemetry')
          .map((f) => f.format)
          .join(),
      );
      reads++;
    }
    await exited(proc);
    expect(proc.exitCode).toBe(0);
    expect(reads).toBeGreaterThan(1);
    expect(seen.size).toBeGreaterThan(1); // it read mixes of NDJSON and Parquet, not only the before or after
    expect(await viewDigest(lake)).toEqual(expected);
    lake.close();
  });

  it.each([
    ['while DuckDB writes the first Parquet file', (files: string[]) => files.some((n) => n.endsWith('.parquet'))],
    ['after some partitions were rewritten', (_files: string[], dir: string) => compactedParts(dir) >= 2],
  ])('killed %s, leaves the lake whole, and the next compaction finishes it', async (_when, ready) => {
    const dir = bigLake();
    const expected = await ndjsonDigest(dir);
    const proc = child(dir);
    while (!ready(staged(dir), dir)) {
      if (proc.exitCode !== null) throw new Error('the compaction ended before it was killed');
      await new Promise((r) => setTimeout(r, 1));
    }
    proc.kill('SIGKILL');
    await exited(proc);
    expect(proc.signalCode).toBe('SIGKILL');

    const lake = LocalLake.open(dir); // recovers the killed compaction's staging and lock
    expect(await viewDigest(lake)).toEqual(expected);
    expect(staged(dir)).toEqual([]);
    for (const table of ['telemetry', 'labels'] as const)
      expect(liveFiles(lake.root, table).every((f) => f.format === 'parquet')).toBe(true);
    lake.close();
  });
});

function compactedParts(dir: string): number {
  return whileChanging(() => {
    const root = join(dir, 'lake', 'telemetry');
    if (!existsSync(root)) return 0;
    return readdirSync(root).filter((day) => readdirSync(join(root, day)).some((f) => f.endsWith('.parquet'))).length;
  });
}

/** Lists a directory tree another process is changing: a folder removed mid-walk (ENOENT) means list again. */
function whileChanging<T>(list: () => T): T {
  for (;;) {
    try {
      return list();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

it('checks its own data spans the days it says', () => {
  expect(new Set(readings(START, 3, 1, 2).map((r) => Math.floor(r.ts / DAY))).size).toBe(3);
});

it('names a Parquet part that is cut off or overwritten, and how to move it aside', async () => {
  const dir = tmp();
  appendBatches(dir, 1, 1, 2_000);
  const lake = LocalLake.open(dir);
  await lake.compact();
  const [file] = liveFiles(lake.root, 'telemetry');
  const bytes = readFileSync(file?.path ?? '');
  const c = await lake.connect();
  const cases: Array<[string, Buffer]> = [
    ['cut off', bytes.subarray(0, bytes.length >> 1)],
    ['a few bytes', bytes.subarray(0, 6)],
  ];
  for (const [, content] of cases) {
    writeFileSync(file?.path ?? '', content);
    const error = await c.runAndReadAll('SELECT count(*) FROM telemetry').then(
      () => undefined,
      (e: unknown) => explainLakeReadError(e),
    );
    expect(error).toBeInstanceOf(LakeError);
    expect((error as LakeError).message).toContain(`The lake file ${file?.path} cannot be read`);
    expect((error as LakeError).message).toContain(`mv "${file?.path}" "${file?.path}.bad"`);
  }
  lake.close();
});
