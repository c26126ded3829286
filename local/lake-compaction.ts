import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  APPEND_PREFIX,
  COMPACT_PREFIX,
  type Compaction,
  listTable,
  type PartFile,
  type PartitionFiles,
  SIDECAR_SUFFIX,
} from './lake-files';
import { lakeDuckDbOptions, selectParts, sqlString } from './lake-sql';
import { LAKE_TABLES, type LakeTable, recoverStaging, STAGING_DIR, StagedAppend } from './lake-staging';
import { processAlive } from './process-alive';

/**
 * Compaction: rewrites a partition's NDJSON parts and small Parquet parts as one Parquet file (DuckDB streams
 * them: memory stays bounded whatever the partition size). It is staged and committed like an append
 * (local/lake-staging.ts: a killed compaction is discarded or finished by the next open), and its output comes with
 * a sidecar naming the files it replaces (local/lake-files.ts), so readers see every row exactly once throughout.
 * Replaced files are deleted by a later compaction once `graceMs` has passed, so running queries keep their files.
 * One compaction at a time per lake, across processes (a lock file per holder in `_staging`): two compactions of
 * the same parts would both replace them, duplicating their rows.
 */

export interface CompactionOptions {
  /**
   * true: rewrite every partition holding NDJSON (what a command reading the lake does first, migrating an older
   * lake). false: only partitions holding two or more small parts (what a command does right after its append).
   * @default true
   */
  readonly convert?: boolean;
  /** How long replaced files stay for queries that listed them. @default 10 minutes */
  readonly graceMs?: number;
  /** Parquet parts at least this big are left as they are (file count per partition ≈ its size / this + 1). */
  readonly smallBytes?: number;
  /** How long to wait for another process's compaction before leaving the work to it. @default 0 */
  readonly lockWaitMs?: number;
}

export interface CompactionReport {
  /** Partitions rewritten. */
  readonly partitions: number;
  /** Part files replaced. */
  readonly filesIn: number;
  /** Rows written (the rewritten partitions' rows). */
  readonly rows: number;
  /** NDJSON parts of an earlier version (the lake's migration) among `filesIn`. */
  readonly legacyFiles: number;
  /** Files deleted whose grace period had passed. */
  readonly removed: number;
  /** True when another compaction held the lake (it was left to it). */
  readonly busy: boolean;
}

export const DEFAULT_GRACE_MS = 10 * 60_000;
const DEFAULT_SMALL_BYTES = 64 * 1024 * 1024;
const LOCK = /^lock-(\d+)-[0-9a-f]+$/;
const TABLES: readonly LakeTable[] = LAKE_TABLES;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Removes lock files of processes that are gone (a compaction killed mid-way). */
export function removeStaleLocks(lakeRoot: string): void {
  const staging = join(lakeRoot, STAGING_DIR);
  let names: string[];
  try {
    names = readdirSync(staging);
  } catch {
    return;
  }
  for (const name of names) {
    const match = LOCK.exec(name);
    if (match && !processAlive(Number(match[1]))) rmSync(join(staging, name), { force: true });
  }
}

/** Takes the lake's compaction lock, or returns undefined when another holder keeps it past `waitMs`. */
async function lock(lakeRoot: string, waitMs: number): Promise<string | undefined> {
  const staging = join(lakeRoot, STAGING_DIR);
  mkdirSync(staging, { recursive: true });
  const deadline = Date.now() + waitMs;
  for (;;) {
    const name = `lock-${process.pid}-${randomBytes(4).toString('hex')}`;
    const mine = join(staging, name);
    writeFileSync(mine, '', { flag: 'wx' });
    removeStaleLocks(lakeRoot);
    // Both back off when two lock at once; the random pause lets one of them through next time.
    if (!readdirSync(staging).some((n) => n !== name && LOCK.test(n))) return mine;
    rmSync(mine, { force: true });
    if (Date.now() >= deadline) return undefined;
    await sleep(20 + Math.random() * 200);
  }
}

function needsRewrite(p: PartitionFiles, convert: boolean, smallBytes: number): PartFile[] {
  const inputs = p.live.filter(
    (f) => f.format === 'ndjson' || (statSync(f.path, { throwIfNoEntry: false })?.size ?? smallBytes) < smallBytes,
  );
  const hasNdjson = inputs.some((f) => f.format === 'ndjson');
  return inputs.length >= 2 || (convert && hasNdjson) ? inputs : [];
}

// ctimeMs has sub-millisecond digits and Date.now() does not: floored, a file renamed in this millisecond is age 0.
const ageOf = (p: PartitionFiles, name: string, now: number): number =>
  now - Math.floor(statSync(join(p.dir, name), { throwIfNoEntry: false })?.ctimeMs ?? now);

/** True when `collect` would delete something (so readers do not take the lock for nothing). */
function hasGarbage(p: PartitionFiles, graceMs: number, now: number): boolean {
  const superseded = new Set(p.compactions.flatMap((c) => c.sources));
  const ripe = (c: Compaction): boolean => !superseded.has(c.parquet) && ageOf(p, c.parquet, now) >= graceMs;
  return (
    p.compactions.some((c) => c.sources.some((s) => p.names.has(s)) && ripe(c)) ||
    p.orphanSidecars.some((s) => ageOf(p, s, now) >= graceMs)
  );
}

/** Deletes what compactions replaced more than `graceMs` ago, sources before the file replacing them. */
function collect(p: PartitionFiles, graceMs: number, now: number): number {
  let removed = 0;
  const byParquet = new Map(p.compactions.map((c) => [c.parquet, c]));
  const superseded = new Set(p.compactions.flatMap((c) => c.sources));
  const age = (name: string): number => ageOf(p, name, now);
  const remove = (name: string): void => {
    // A compacted parquet's own sources go first: while it exists they stay dead, never counted twice.
    const compaction = byParquet.get(name);
    for (const source of compaction?.sources ?? []) if (p.names.has(source)) remove(source);
    rmSync(join(p.dir, name), { force: true });
    removed++;
    if (compaction) rmSync(join(p.dir, compaction.sidecar), { force: true });
  };
  for (const c of p.compactions) {
    // ctime: when it was renamed into the partition (a rolled-forward compaction counts from its recovery).
    if (superseded.has(c.parquet) || age(c.parquet) < graceMs) continue;
    for (const source of c.sources) if (p.names.has(source)) remove(source);
  }
  for (const sidecar of p.orphanSidecars) {
    if (age(sidecar) >= graceMs) {
      rmSync(join(p.dir, sidecar), { force: true });
      removed++;
    }
  }
  return removed;
}

/**
 * Compacts the lake at `lakeRoot` (see the module comment). Throws what DuckDB or the filesystem threw; partitions
 * rewritten before the failure stay rewritten, the others as they were (both are read the same).
 */
export async function compactLake(
  lakeRoot: string,
  columnsOf: (table: LakeTable) => Record<string, string>,
  options: CompactionOptions = {},
): Promise<CompactionReport> {
  const convert = options.convert ?? true;
  const smallBytes = options.smallBytes ?? DEFAULT_SMALL_BYTES;
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const report = { partitions: 0, filesIn: 0, rows: 0, legacyFiles: 0, removed: 0, busy: false };
  const work = (): Array<{ p: PartitionFiles; inputs: PartFile[] }> =>
    TABLES.flatMap((table) => listTable(lakeRoot, table))
      .map((p) => ({ p, inputs: needsRewrite(p, convert, smallBytes) }))
      .filter((w) => w.inputs.length > 0);
  const garbage = (): boolean =>
    TABLES.some((table) => listTable(lakeRoot, table).some((p) => hasGarbage(p, graceMs, Date.now())));
  if (work().length === 0 && !garbage()) return report;
  const held = await lock(lakeRoot, options.lockWaitMs ?? 0);
  if (!held) return { ...report, busy: true };
  let instance: DuckDBInstance | undefined;
  try {
    // A committed compaction of a killed process is finished first: its parts must not be compacted twice.
    recoverStaging(lakeRoot);
    for (const { p, inputs } of work()) {
      instance ??= await DuckDBInstance.create(':memory:', {
        ...lakeDuckDbOptions(lakeRoot),
        preserve_insertion_order: 'false',
      });
      const connection = await instance.connect();
      const tx = new StagedAppend(lakeRoot);
      try {
        const id = `${COMPACT_PREFIX}${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}`;
        const out = tx.stagedPath(p.table, p.day, `${id}.parquet`);
        const select = selectParts(inputs, columnsOf(p.table), false);
        const result = await connection.runAndReadAll(
          `COPY (${select}) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION snappy)`,
        );
        writeFileSync(
          tx.stagedPath(p.table, p.day, `${id}${SIDECAR_SUFFIX}`),
          `${JSON.stringify(inputs.map((f) => f.name))}\n`,
        );
        tx.commit();
        report.partitions++;
        report.filesIn += inputs.length;
        report.rows += Number(result.getRows()[0]?.[0] ?? 0);
        report.legacyFiles += inputs.filter((f) => f.format === 'ndjson' && !f.name.startsWith(APPEND_PREFIX)).length;
      } finally {
        tx.abort();
        connection.closeSync();
      }
    }
    const now = Date.now();
    for (const table of TABLES) for (const p of listTable(lakeRoot, table)) report.removed += collect(p, graceMs, now);
    return report;
  } finally {
    instance?.closeSync();
    rmSync(held, { force: true });
  }
}
