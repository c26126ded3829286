import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { LabelEvent, Reading } from '../telemetry/reading';
import { type SignalSet, signalSetById } from '../telemetry/signals';
import { progress } from './args';
import { LakeError } from './lake-errors';
import { manifestAdvice, readLakeManifest, writeLakeManifest } from './lake-manifest';
import { type LakeTable, type RecoveryReport, recoverStaging } from './lake-staging';
import { LakeAppend } from './lake-transaction';

export { LakeError } from './lake-errors';
export type { RecoveryReport } from './lake-staging';
export { type AppendTotals, LakeAppend } from './lake-transaction';

/**
 * The local stand-in for S3 + Glue + Athena: telemetry and labels appended as NDJSON files
 * partitioned by day (`dt=YYYY-MM-DD`, as Firehose writes them), queried with DuckDB through views
 * that have the same columns as the Glue tables.
 *
 * Every append is all-or-nothing (local/lake-staging.ts): rows are staged outside the partitions, fsync'd and
 * renamed in at commit, so readers never see a torn file and a killed or failed append leaves the lake as it was.
 */

/**
 * A query error caused by an unreadable lake file (a torn line left by a version before all-or-nothing appends, or a
 * hand edit) as a LakeError naming the file and what to do; any other error unchanged.
 */
export function explainLakeReadError(error: unknown): unknown {
  const message = error instanceof Error ? error.message : String(error);
  const match = /Malformed JSON in file "([^"]+)",?\s*(.*?)\.?\s*$/s.exec(message);
  if (!match) return error;
  const [, file, where] = match;
  return new LakeError(
    `The lake file ${file} cannot be read (${where}): it was cut off or edited. ` +
      `Move it aside (mv "${file}" "${file}.bad"; its rows leave the lake) and re-run, or re-import its data.`,
    { cause: error },
  );
}

/** SQL column type per signal, the same as the Glue table's. */
function columnTypes(set: SignalSet): Record<string, string> {
  const columns: Record<string, string> = { thing_name: 'VARCHAR', ts: 'BIGINT', received_at: 'BIGINT' };
  for (const signal of set.signals) columns[signal.name] = signal.kind === 'numeric' ? 'DOUBLE' : 'VARCHAR';
  return columns;
}

const LABEL_COLUMNS: Record<string, string> = { thing_name: 'VARCHAR', ts: 'BIGINT', occupied: 'BOOLEAN' };

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

function duckColumnsStruct(columns: Record<string, string>): string {
  return `{${Object.entries(columns)
    .map(([name, type]) => `${sqlString(name)}: ${sqlString(type)}`)
    .join(', ')}}`;
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
    return tableHasFiles(root, 'telemetry') || tableHasFiles(root, 'labels');
  }

  /** Begins an all-or-nothing append of any number of batches (see LakeAppend for the contract). */
  beginAppend(): LakeAppend {
    return new LakeAppend(
      this.root,
      this.signalSet,
      () => this.invalidateViews(),
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

  private hasFiles(table: LakeTable): boolean {
    return tableHasFiles(this.root, table);
  }
  private viewsReady = false;

  private invalidateViews(): void {
    this.viewsReady = false;
  }

  private connecting: Promise<DuckDBConnection> | undefined;

  /** A DuckDB connection with `telemetry` and `labels` views over the lake (empty views when there is no data). */
  connect(): Promise<DuckDBConnection> {
    // One in-flight setup: concurrent callers (parallel export queries) share it instead of racing.
    if (!this.connecting || !this.viewsReady) {
      const previous = this.connecting;
      this.connecting = (async () => {
        await previous?.catch(() => undefined);
        if (!this.connection) {
          this.instance = await DuckDBInstance.create(':memory:');
          this.connection = await this.instance.connect();
        }
        if (!this.viewsReady) {
          await this.defineView('telemetry', columnTypes(this.signalSet));
          await this.defineView('labels', LABEL_COLUMNS);
          this.viewsReady = true;
        }
        return this.connection;
      })();
    }
    return this.connecting;
  }

  private async defineView(table: 'telemetry' | 'labels', columns: Record<string, string>): Promise<void> {
    const connection = this.connection;
    if (!connection) throw new LakeError('Lake is not connected');
    let source: string;
    if (this.hasFiles(table)) {
      const glob = join(this.root, table, '*', '*.ndjson');
      source = `SELECT * FROM read_json(${sqlString(glob)}, format = 'newline_delimited', columns = ${duckColumnsStruct(columns)})`;
    } else {
      const nulls = Object.entries(columns).map(([name, type]) => `CAST(NULL AS ${type}) AS "${name}"`);
      source = `SELECT ${nulls.join(', ')} WHERE false`;
    }
    await connection.run(`CREATE OR REPLACE VIEW ${table} AS ${source}`);
  }

  async count(table: 'telemetry' | 'labels'): Promise<number> {
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
    this.viewsReady = false;
  }
}
