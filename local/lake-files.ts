import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LakeError } from './lake-errors';
import type { LakeTable } from './lake-staging';

/**
 * Which files of a partition readers see. Readers never glob: a compaction (local/lake-compaction.ts) writes
 * `part-compact-<id>.parquet` and its sidecar `part-compact-<id>.sources` (a JSON array of the file names it
 * replaces), renaming the sidecar into the partition BEFORE the parquet. A file is dead when it is listed by the
 * sidecar of a compacted parquet present in the same directory, so a listing taken at any moment holds every row
 * exactly once: before the parquet's rename its sources are live, after it the parquet is. Dead files are deleted
 * later, after a grace period, so a query that listed them still finds them.
 */

export const SIDECAR_SUFFIX = '.sources';
export const COMPACT_PREFIX = 'part-compact-';
/** Part files this version's appends write; an `.ndjson` part named otherwise comes from an earlier version. */
export const APPEND_PREFIX = 'part-append-';

export type PartFormat = 'parquet' | 'ndjson';

export interface PartFile {
  readonly name: string;
  readonly path: string;
  readonly format: PartFormat;
}

export interface Compaction {
  /** `part-compact-<id>.parquet` */
  readonly parquet: string;
  readonly sidecar: string;
  readonly sources: readonly string[];
}

export interface PartitionFiles {
  readonly table: LakeTable;
  /** `dt=YYYY-MM-DD` */
  readonly day: string;
  readonly dir: string;
  /** Files a reader reads now. */
  readonly live: readonly PartFile[];
  /** Compactions whose parquet is present (their sources are dead). */
  readonly compactions: readonly Compaction[];
  /** Sidecars without their parquet (a compaction cut off between its two renames, or a removed parquet). */
  readonly orphanSidecars: readonly string[];
  /** Every name in the directory. */
  readonly names: ReadonlySet<string>;
}

const formatOf = (name: string): PartFormat | undefined =>
  name.endsWith('.parquet') ? 'parquet' : name.endsWith('.ndjson') ? 'ndjson' : undefined;

/** The names a sidecar lists; a LakeError naming it when it cannot be read (its parquet would duplicate rows). */
export function readSidecar(path: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new LakeError(
      `The lake file ${path} (the list of part files a compacted Parquet file replaces) cannot be read: ` +
        `${(error as Error).message}. Restore it, or move it and its .parquet file aside and re-import their rows.`,
      { cause: error },
    );
  }
  if (!Array.isArray(parsed) || !parsed.every((n) => typeof n === 'string')) {
    throw new LakeError(`The lake file ${path} is not a JSON array of part file names`, { cause: parsed });
  }
  return parsed;
}

/** The files of one partition directory, live and dead. */
export function listPartition(table: LakeTable, day: string, dir: string): PartitionFiles {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') entries = [];
    else throw error;
  }
  const names = new Set(entries);
  const dead = new Set<string>();
  const compactions: Compaction[] = [];
  const orphanSidecars: string[] = [];
  for (const name of entries) {
    if (!name.endsWith(SIDECAR_SUFFIX)) continue;
    const parquet = `${name.slice(0, -SIDECAR_SUFFIX.length)}.parquet`;
    if (!names.has(parquet)) {
      orphanSidecars.push(name);
      continue;
    }
    let sources: string[];
    try {
      sources = readSidecar(join(dir, name));
    } catch (error) {
      // Removed between the listing and the read (a later compaction's clean-up): its parquet went first.
      if (!existsSync(join(dir, parquet))) continue;
      throw error;
    }
    compactions.push({ parquet, sidecar: name, sources });
    for (const source of sources) dead.add(source);
  }
  const live: PartFile[] = [];
  for (const name of entries.sort()) {
    const format = formatOf(name);
    if (format && !dead.has(name)) live.push({ name, path: join(dir, name), format });
  }
  return { table, day, dir, live, compactions, orphanSidecars, names };
}

/** Every partition of `table`, newest day first (a reader binds the schema from the first file: the newest). */
export function listTable(root: string, table: LakeTable): PartitionFiles[] {
  const tableDir = join(root, table);
  if (!existsSync(tableDir)) return [];
  return readdirSync(tableDir)
    .filter((day) => day.startsWith('dt=') && statSync(join(tableDir, day), { throwIfNoEntry: false })?.isDirectory())
    .sort()
    .reverse()
    .map((day) => listPartition(table, day, join(tableDir, day)));
}

/** The live files of `table`, newest partition first. */
export function liveFiles(root: string, table: LakeTable): PartFile[] {
  return listTable(root, table).flatMap((p) => p.live);
}
