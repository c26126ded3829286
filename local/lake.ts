import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { SensorFaultRecord } from '../health/types';
import type { PredictionRecord } from '../tasks/infer-occupancy/prediction-record';
import type { LabelEvent, Reading } from '../telemetry/reading';
import { type SignalSet, signalSetById } from '../telemetry/signals';
import { progress } from './args';
import { type CompactionOptions, type CompactionReport, compactLake, removeStaleLocks } from './lake-compaction';
import { describeWriteError, LakeError } from './lake-errors';
import { liveFiles } from './lake-files';
import { manifestAdvice, readLakeManifest, writeLakeManifest } from './lake-manifest';
import { columnsOf, lakeDuckDbOptions, selectParts } from './lake-sql';
import { LAKE_TABLES, type LakeTable, type RecoveryReport, recoverStaging } from './lake-staging';
import { LakeAppend } from './lake-transaction';

export type { CompactionOptions, CompactionReport } from './lake-compaction';
export { LakeError } from './lake-errors';
export { LAKE_TABLES, type LakeTable, type RecoveryReport } from './lake-staging';
export { type AppendTotals, LakeAppend } from './lake-transaction';

/**
 * The local stand-in for S3 + Glue + Athena: telemetry and labels as Parquet files partitioned by day
 * (`dt=YYYY-MM-DD`, as Firehose writes them), queried with DuckDB through views that have the same columns as the
 * Glue tables, plus the partition column `dt` (VARCHAR, last).
 *
 * Every append is all-or-nothing (local/lake-staging.ts): rows are staged as NDJSON outside the partitions, fsync'd
 * and renamed in at commit, so readers never see a torn file and a killed or failed append leaves the lake as it
 * was. Compaction (local/lake-compaction.ts) then rewrites NDJSON parts and small Parquet parts as one Parquet
 * file per partition, atomically for readers; NDJSON parts (of this version, or of an earlier one) are read too.
 */

/**
 * A query error caused by an unreadable lake file (a torn line left by a version before all-or-nothing appends, or a
 * hand edit) as a LakeError naming the file and what to do; any other error unchanged.
 */
export function explainLakeReadError(error: unknown): unknown {
  const message = error instanceof Error ? error.message : String(error);
  const unreadable = (file: string, why: string): LakeError =>
    new LakeError(
      `The lake file ${file} cannot be read (${why}): it was cut off or edited. ` +
        `Move it aside (mv "${file}" "${file}.bad"; its rows leave the lake) and re-run, or re-import its data.`,
      { cause: error },
    );
  // DuckDB's words for a Parquet file that is not one (cut off, overwritten, or not Parquet at all).
  const parquet: ReadonlyArray<readonly [RegExp, string]> = [
    [/No magic bytes found at end of file '([^']+)'/, 'no Parquet footer at its end'],
    [/File '([^']+)' too small to be a Parquet file/, 'too small to be a Parquet file'],
    [/Failed to read file "([^"]+\.parquet)": ([^\n]+)/, ''],
  ];
  for (const [pattern, why] of parquet) {
    const match = pattern.exec(message);
    if (match?.[1]) return unreadable(match[1], why || (match[2] ?? '').toLowerCase());
  }
  const json = /Malformed JSON in file "([^"]+)",?\s*(.*?)\.?\s*$/s.exec(message);
  return json ? unreadable(json[1] ?? '', json[2] ?? '') : error;
}

function tableHasFiles(root: string, table: LakeTable): boolean {
  const dir = join(root, table);
  return existsSync(dir) && readdirSync(dir).some((day) => readdirSync(join(dir, day)).length > 0);
}

export interface AppendSummary {
  readonly rows: number;
  readonly files: number;
}

export class LocalLake {
  readonly root: string;
  private recovery: RecoveryReport = { rolledForward: 0, rolledBack: 0 };
  /** A new lake's manifest is written by its first commit, so a failed first import leaves no lake behind. */
  private manifestPending = false;
  private instance: DuckDBInstance | undefined;
  private connection: DuckDBConnection | undefined;

  private constructor(
    stateDir: string,
    readonly signalSet: SignalSet,
  ) {
    this.root = join(resolve(stateDir), 'lake');
  }

  /**
   * Opens the lake in `stateDir`. A new lake takes `signalSet` (default: thermostat); an existing lake
   * keeps the set it was created with, and appending another set is refused (one lake, one schema).
   * Appends left by a process that died are first finished or discarded (see LakeAppend).
   */
  static open(stateDir: string, signalSet?: SignalSet): LocalLake {
    const lake = LocalLake.openManifest(stateDir, signalSet);
    lake.recovery = recoverStaging(lake.root);
    const { rolledBack, rolledForward } = lake.recovery;
    // Said once, by whichever command opens the lake first: the user learns an import of theirs did not land.
    if (rolledBack > 0)
      progress(
        `lake: discarded ${rolledBack} append(s) cut off before they committed (an import or simulation was killed); nothing of them was added — run that import again`,
      );
    if (rolledForward > 0)
      progress(`lake: finished ${rolledForward} committed append(s) a killed process left half-moved`);
    removeStaleLocks(lake.root);
    return lake;
  }

  /** What opening the lake did with appends left by processes that died mid-way. */
  get recovered(): RecoveryReport {
    return this.recovery;
  }

  private static openManifest(stateDir: string, signalSet?: SignalSet): LocalLake {
    const root = join(resolve(stateDir), 'lake');
    const existing = LocalLake.signalSetOf(stateDir);
    if (existing) {
      if (signalSet && (signalSet.id !== existing.id || !isDeepStrictEqual(signalSet, existing))) {
        const what = signalSet.id === existing.id ? 'a different document of the same id' : `"${signalSet.id}"`;
        throw new LakeError(
          `The lake in ${root} holds signal set "${existing.id}"; cannot add ${what}. Use another --state-dir.`,
        );
      }
      return new LocalLake(stateDir, existing);
    }
    if (LocalLake.holdsData(root)) {
      // Data without its manifest (deleted or moved aside): a new manifest could name the wrong columns.
      throw new LakeError(
        `The lake in ${root} holds data but no manifest.json. ${manifestAdvice(join(root, 'manifest.json'))}`,
      );
    }
    const lake = new LocalLake(stateDir, signalSet ?? signalSetById('thermostat'));
    lake.manifestPending = true;
    return lake;
  }

  /**
   * The signal set recorded by the lake in `stateDir` (its document; a built-in's id for an old manifest), or
   * undefined when there is no lake (nothing is created).
   */
  static signalSetOf(stateDir: string): SignalSet | undefined {
    return readLakeManifest(join(resolve(stateDir), 'lake', 'manifest.json'));
  }

  /** The signal set id recorded by the lake in `stateDir`, or undefined when there is no lake. */
  static signalSetIdOf(stateDir: string): string | undefined {
    return LocalLake.signalSetOf(stateDir)?.id;
  }

  /** True when a lake exists in `stateDir` (a manifest, or data without one: never simulated over). */
  static exists(stateDir: string): boolean {
    const root = join(resolve(stateDir), 'lake');
    return existsSync(join(root, 'manifest.json')) || LocalLake.holdsData(root);
  }

  private static holdsData(root: string): boolean {
    return LAKE_TABLES.some((table) => tableHasFiles(root, table));
  }

  /** Begins an all-or-nothing append of any number of batches (see LakeAppend for the contract). */
  beginAppend(): LakeAppend {
    // Views need no invalidation: every `connect` lists the partitions again.
    return new LakeAppend(
      this.root,
      this.signalSet,
      () => undefined,
      () => this.writePendingManifest(),
    );
  }

  /** Written before the first commit's files move in, so data is never seen without its manifest. */
  private writePendingManifest(): void {
    if (!this.manifestPending) return;
    mkdirSync(this.root, { recursive: true });
    writeLakeManifest(join(this.root, 'manifest.json'), this.signalSet);
    this.manifestPending = false;
  }

  /**
   * Appends readings in one all-or-nothing transaction (`beginAppend` + `appendReadings` + `commit`).
   * @param receivedAt `received_at` of every row, or one per reading in order (the IoT rule's `timestamp()` for
   *   each message: the export's de-duplication keeps the latest received copy of a reading).
   */
  appendReadings(readings: Iterable<Reading>, receivedAt: number | readonly number[] = Date.now()): AppendSummary {
    const tx = this.beginAppend();
    try {
      const rows = tx.appendReadings(readings, receivedAt);
      return { rows, files: tx.commit().files };
    } finally {
      tx.abort();
    }
  }

  /** Appends prediction records (the predictions table's columns) in one all-or-nothing transaction. */
  appendPredictions(rows: Iterable<PredictionRecord>): AppendSummary {
    const tx = this.beginAppend();
    try {
      const n = tx.appendPredictions(rows);
      return { rows: n, files: tx.commit().files };
    } finally {
      tx.abort();
    }
  }

  /**
   * Appends sensor_faults rows (readings the inference Lambda refused: what the local Firehose delivers) in one
   * all-or-nothing transaction, partitioned by each row's `ts`.
   */
  appendSensorFaults(records: readonly SensorFaultRecord[]): AppendSummary {
    const tx = this.beginAppend();
    try {
      const n = tx.appendSensorFaults(records);
      return { rows: n, files: tx.commit().files };
    } finally {
      tx.abort();
    }
  }

  /** Appends labels in one all-or-nothing transaction. */
  appendLabels(labels: Iterable<LabelEvent>): AppendSummary {
    const tx = this.beginAppend();
    try {
      const rows = tx.appendLabels(labels);
      return { rows, files: tx.commit().files };
    } finally {
      tx.abort();
    }
  }

  /**
   * Compacts the lake (local/lake-compaction.ts). Never throws: the appends it works on are already committed, so a
   * failure (a full disk, an unreadable part) is said in plain words and leaves those parts as they are, still read.
   * Converting an earlier version's NDJSON parts says so once, with how many.
   */
  async compact(options: CompactionOptions = {}): Promise<CompactionReport | { readonly error: LakeError }> {
    try {
      const report = await compactLake(this.root, (table) => columnsOf(table, this.signalSet), options);
      if (report.legacyFiles > 0)
        progress(
          `lake: converted ${report.legacyFiles} NDJSON part file(s) of an earlier version to Parquet ` +
            `(${report.rows.toLocaleString()} rows in ${report.partitions} partition(s))`,
        );
      return report;
    } catch (failure) {
      const explained = explainLakeReadError(failure);
      const reason =
        explained instanceof LakeError
          ? explained.message
          : /No space left on device/i.test(String(failure))
            ? describeWriteError({ code: 'ENOSPC' })
            : describeWriteError(failure);
      const error = new LakeError(
        `lake: could not rewrite part files as Parquet (${reason}). They stay as they are and are still read: ` +
          'nothing was lost, and the next command tries again.',
        { cause: failure },
      );
      progress(error.message);
      return { error };
    }
  }

  /** `compact` on the lake in `stateDir` (for commands whose append happened through another lake object). */
  static async compactIn(stateDir: string, options: CompactionOptions = {}): Promise<void> {
    const lake = LocalLake.open(stateDir);
    try {
      await lake.compact(options);
    } finally {
      lake.close();
    }
  }

  /** Live files per table when the views were last defined (views are redefined when a compaction changed them). */
  private viewFiles = '';
  private converted = false;
  private connecting: Promise<DuckDBConnection> | undefined;

  /**
   * A DuckDB connection with a view per lake table (`telemetry`, `labels`, `predictions`, `sensor_faults`) over the
   * lake's live part files (empty views when there is no data). Each call lists the partitions again (a directory read), so a reader sees appends and compactions
   * made since; the first call of this lake object converts NDJSON parts to Parquet first (see `compact`).
   */
  connect(): Promise<DuckDBConnection> {
    // One in-flight setup at a time: concurrent callers (parallel export queries) share it instead of racing.
    const previous = this.connecting;
    const setup = (async () => {
      await previous?.catch(() => undefined);
      if (!this.converted) {
        this.converted = true;
        if (existsSync(this.root)) await this.compact();
      }
      if (!this.connection) {
        this.instance = await DuckDBInstance.create(':memory:', lakeDuckDbOptions(this.root));
        this.connection = await this.instance.connect();
      }
      const files = LAKE_TABLES.map((table) => ({ table, live: liveFiles(this.root, table) }));
      const signature = JSON.stringify(files.map(({ live }) => live.map((f) => f.path)));
      if (signature !== this.viewFiles) {
        for (const { table, live } of files) {
          const source = selectParts(live, columnsOf(table, this.signalSet), true);
          await this.connection.run(`CREATE OR REPLACE VIEW ${table} AS ${source}`);
        }
        this.viewFiles = signature;
      }
      return this.connection;
    })();
    this.connecting = setup;
    return setup;
  }

  async count(table: LakeTable): Promise<number> {
    const connection = await this.connect();
    const reader = await connection.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${table}`);
    return Number(reader.getRows()[0]?.[0] ?? 0);
  }

  close(): void {
    this.connection?.closeSync();
    this.instance?.closeSync();
    this.connection = undefined;
    this.instance = undefined;
    this.connecting = undefined;
    this.viewFiles = '';
  }
}
