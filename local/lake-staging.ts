import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { describeWriteError, LakeError } from './lake-errors';
import { processAlive } from './process-alive';

/**
 * Staged, all-or-nothing appends to the lake's partition directories.
 *
 * Layout: rows are appended to `<lake>/_staging/tx-<pid>-<id>/<table>/dt=…/part-….ndjson` (same filesystem as
 * the partitions; readers never look there: they read the partitions' live files, local/lake-files.ts). Commit
 * fsyncs every staged file, then creates the `COMMITTED` marker (its existence is the commit point, made durable by
 * fsyncing the directory), then renames each file into its partition and removes the staging directory. A rename is atomic, so a reader
 * sees a part file whole or not at all.
 *
 * Recovery (at every `LocalLake.open`): a staging directory whose process is gone is rolled forward when it has
 * the marker (the renames are finished) and deleted when it has none, so a killed import leaves the lake as it
 * was, or complete. The recovering process first claims the directory by renaming it to its own pid, so two
 * processes opening the lake at once never both act on it.
 */

/** The lake's tables, each a folder of `dt=` partitions (sensor_faults: health/types.ts SENSOR_FAULTS_TABLE). */
export const LAKE_TABLES = ['telemetry', 'labels', 'predictions', 'sensor_faults'] as const;
export type LakeTable = (typeof LAKE_TABLES)[number];

export const STAGING_DIR = '_staging';
const MARKER = 'COMMITTED';

/** fsync a directory so a rename or create inside it survives a power loss (Linux; a no-op where unsupported). */
function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

let partSeq = 0;

/** A unique part name: pid + time + sequence + random, so appenders in any process never collide. */
function partName(): string {
  partSeq++;
  return `part-append-${process.pid}-${Date.now()}-${partSeq}-${randomBytes(3).toString('hex')}.ndjson`;
}

export class StagedAppend {
  private readonly dir: string;
  /** `<table>/dt=…` → the staged file's path relative to the transaction directory. */
  private readonly files = new Map<string, string>();
  /** Files written by others (a compaction's DuckDB COPY) into `stagedPath`s, relative to the transaction dir. */
  private readonly adopted: string[] = [];
  private state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(private readonly lakeRoot: string) {
    this.dir = join(lakeRoot, STAGING_DIR, `tx-${process.pid}-${Date.now()}-${randomBytes(4).toString('hex')}`);
  }

  get status(): 'open' | 'committed' | 'aborted' {
    return this.state;
  }

  get fileCount(): number {
    return this.files.size;
  }

  /** Appends `text` (whole NDJSON lines) to the staged file of `table`/`day`; on failure the append is aborted. */
  write(table: LakeTable, day: string, text: string): void {
    this.assertOpen();
    const key = `${table}/${day}`;
    let rel = this.files.get(key);
    try {
      if (!rel) {
        rel = join(table, day, partName());
        mkdirSync(join(this.dir, table, day), { recursive: true });
        this.files.set(key, rel);
      }
      appendFileSync(join(this.dir, rel), text);
    } catch (error) {
      this.abort();
      throw new LakeError(
        `Cannot write ${table} rows to the lake in ${this.lakeRoot}: ${describeWriteError(error)}. ` +
          'Nothing from this append was added to the lake; fix the cause (e.g. free disk space) and run it again.',
        { cause: error },
      );
    }
  }

  /**
   * A path in the staging area where the caller writes a whole file `name` for `table`/`day` itself; it is fsync'd
   * and renamed in by `commit` like the staged part files.
   */
  stagedPath(table: LakeTable, day: string, name: string): string {
    this.assertOpen();
    mkdirSync(join(this.dir, table, day), { recursive: true });
    const rel = join(table, day, name);
    this.adopted.push(rel);
    return join(this.dir, rel);
  }

  /** Makes every staged row visible; returns the number of part files added. */
  commit(): number {
    this.assertOpen();
    if (this.files.size === 0 && this.adopted.length === 0) {
      this.state = 'committed';
      this.removeDir();
      return 0;
    }
    try {
      for (const rel of [...this.files.values(), ...this.adopted]) fsyncFile(join(this.dir, rel));
      for (const rel of [...this.files.values(), ...this.adopted]) fsyncDir(dirname(join(this.dir, rel)));
      const marker = join(this.dir, MARKER);
      writeFileSync(marker, '');
      fsyncFile(marker);
      fsyncDir(this.dir);
    } catch (error) {
      this.abort();
      throw new LakeError(
        `Cannot commit the append to the lake in ${this.lakeRoot}: ${describeWriteError(error)}. ` +
          'Nothing from this append was added to the lake; fix the cause (e.g. free disk space) and run it again.',
        { cause: error },
      );
    }
    this.state = 'committed';
    try {
      rollForward(this.lakeRoot, this.dir);
    } catch (error) {
      throw new LakeError(
        `The append to the lake in ${this.lakeRoot} is committed but not all its files reached their partitions ` +
          `(${describeWriteError(error)}); they are kept in ${this.dir} and moved in when the lake is next opened.`,
        { cause: error },
      );
    }
    return this.files.size;
  }

  /** Discards every staged row (nothing becomes visible). A no-op after commit or abort. */
  abort(): void {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    this.removeDir();
  }

  private removeDir(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new LakeError(`This lake append is already ${this.state}; begin a new one`);
  }
}

const sidecarFirst = (name: string): number => (name.endsWith('.sources') ? 1 : 0);

/** Renames every staged file of a committed transaction into its partition, then removes the transaction dir. */
function rollForward(lakeRoot: string, txDir: string): void {
  const touched = new Set<string>();
  for (const table of LAKE_TABLES) {
    const tableDir = join(txDir, table);
    if (!existsSync(tableDir)) continue;
    for (const day of readdirSync(tableDir)) {
      const target = join(lakeRoot, table, day);
      mkdirSync(target, { recursive: true });
      // A compaction's sidecar (`*.sources`) goes in before its parquet: readers never see both it and its sources.
      const parts = readdirSync(join(tableDir, day)).sort((a, b) => sidecarFirst(b) - sidecarFirst(a));
      for (const part of parts) {
        renameSync(join(tableDir, day, part), join(target, part));
        touched.add(target);
      }
    }
  }
  for (const dir of touched) fsyncDir(dir);
  for (const dir of new Set([...touched].map((d) => dirname(d)))) fsyncDir(dir);
  rmSync(txDir, { recursive: true, force: true });
}

const TX_NAME = /^tx-(\d+)-(.+)$/;

export interface RecoveryReport {
  readonly rolledForward: number;
  readonly rolledBack: number;
}

/**
 * Finishes or discards the appends of processes that died mid-way (see the module comment), and removes
 * temporary files left by an interrupted atomic write in the lake root (`*.<pid>.tmp`).
 */
export function recoverStaging(lakeRoot: string): RecoveryReport {
  let rolledForward = 0;
  let rolledBack = 0;
  const stagingRoot = join(lakeRoot, STAGING_DIR);
  const entries = existsSync(stagingRoot) ? readdirSync(stagingRoot) : [];
  for (const name of entries) {
    const match = TX_NAME.exec(name);
    if (!match || processAlive(Number(match[1]))) continue;
    // Claim it: only the process whose rename succeeds recovers it (a pid of ours marks it live for others).
    const claimed = join(stagingRoot, `tx-${process.pid}-${match[2]}`);
    try {
      renameSync(join(stagingRoot, name), claimed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    if (existsSync(join(claimed, MARKER))) {
      rollForward(lakeRoot, claimed);
      rolledForward++;
    } else {
      rmSync(claimed, { recursive: true, force: true });
      rolledBack++;
    }
  }
  if (existsSync(lakeRoot)) {
    for (const name of readdirSync(lakeRoot)) {
      const tmp = /\.(\d+)\.tmp$/.exec(name);
      if (tmp && !processAlive(Number(tmp[1]))) rmSync(join(lakeRoot, name), { force: true });
    }
  }
  return { rolledForward, rolledBack };
}
