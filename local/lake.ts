import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { LabelEvent, Reading } from '../telemetry/reading';
import { parseSignalSet } from '../telemetry/signal-set-schema';
import { type SignalSet, signalSetById } from '../telemetry/signals';

/**
 * The local stand-in for S3 + Glue + Athena: telemetry and labels appended as NDJSON files
 * partitioned by day (`dt=YYYY-MM-DD`, as Firehose writes them), queried with DuckDB through views
 * that have the same columns as the Glue tables.
 */

export class LakeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LakeError';
  }
}

/** `signalSetDocument` is the whole set (a user's set lives only here); old manifests carry only the built-in's id. */
interface LakeManifest {
  readonly signalSet: string;
  readonly signalSetDocument?: unknown;
}

const DAY_MS = 86_400_000;

const dayPartition = (ts: number): string =>
  `dt=${new Date(Math.floor(ts / DAY_MS) * DAY_MS).toISOString().slice(0, 10)}`;

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

export interface AppendSummary {
  readonly rows: number;
  readonly files: number;
}

export class LocalLake {
  readonly root: string;
  private partSeq = 0;
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
   */
  static open(stateDir: string, signalSet?: SignalSet): LocalLake {
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
    const set = signalSet ?? signalSetById('thermostat');
    mkdirSync(root, { recursive: true });
    const manifest: LakeManifest = { signalSet: set.id, signalSetDocument: set };
    writeFileSync(join(root, 'manifest.json'), `${JSON.stringify(manifest)}\n`);
    return new LocalLake(stateDir, set);
  }

  /**
   * The signal set recorded by the lake in `stateDir` (its document; a built-in's id for an old manifest), or
   * undefined when there is no lake (nothing is created).
   */
  static signalSetOf(stateDir: string): SignalSet | undefined {
    const manifestPath = join(resolve(stateDir), 'lake', 'manifest.json');
    if (!existsSync(manifestPath)) return undefined;
    let manifest: LakeManifest;
    try {
      manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as LakeManifest;
    } catch (error) {
      throw new LakeError(`The lake manifest ${manifestPath} is not valid JSON`, { cause: error });
    }
    if (manifest.signalSetDocument !== undefined) {
      try {
        return parseSignalSet(manifest.signalSetDocument, `${manifestPath} (signalSetDocument)`);
      } catch (error) {
        throw new LakeError(`The lake manifest ${manifestPath} holds an invalid signal set`, { cause: error });
      }
    }
    if (typeof manifest.signalSet !== 'string' || manifest.signalSet === '') {
      throw new LakeError(`The lake manifest ${manifestPath} names no signal set`);
    }
    try {
      return signalSetById(manifest.signalSet);
    } catch (error) {
      throw new LakeError(`The lake manifest ${manifestPath} names an unknown signal set`, { cause: error });
    }
  }

  /** The signal set id recorded by the lake in `stateDir`, or undefined when there is no lake. */
  static signalSetIdOf(stateDir: string): string | undefined {
    return LocalLake.signalSetOf(stateDir)?.id;
  }

  /** True when a lake exists in `stateDir` (without creating one). */
  static exists(stateDir: string): boolean {
    return existsSync(join(resolve(stateDir), 'lake', 'manifest.json'));
  }

  /**
   * @param receivedAt `received_at` of every row, or one per reading in order (the IoT rule's `timestamp()` for
   *   each message: the export's de-duplication keeps the latest received copy of a reading).
   */
  appendReadings(readings: Iterable<Reading>, receivedAt: number | readonly number[] = Date.now()): AppendSummary {
    const signals = this.signalSet.signals;
    return this.appendByDay('telemetry', readings, (r, i) => {
      const at = typeof receivedAt === 'number' ? receivedAt : receivedAt[i];
      if (at === undefined) throw new LakeError(`No received_at for reading ${i} of ${r.thingName} at ${r.ts}`);
      const row: Record<string, string | number> = { thing_name: r.thingName, ts: r.ts, received_at: at };
      for (const signal of signals) {
        const value = r.values[signal.name];
        if (value === undefined)
          throw new LakeError(`Reading of ${r.thingName} at ${r.ts} lacks signal "${signal.name}"`);
        row[signal.name] = value;
      }
      return row;
    });
  }

  appendLabels(labels: Iterable<LabelEvent>): AppendSummary {
    return this.appendByDay('labels', labels, (l) => ({ thing_name: l.thingName, ts: l.ts, occupied: l.occupied }));
  }

  private appendByDay<T extends { ts: number }>(
    table: 'telemetry' | 'labels',
    items: Iterable<T>,
    toRow: (item: T, index: number) => Record<string, string | number | boolean>,
  ): AppendSummary {
    const byDay = new Map<string, string[]>();
    let rows = 0;
    const flush = (): void => {
      for (const [day, lines] of byDay) {
        const dir = join(this.root, table, day);
        mkdirSync(dir, { recursive: true });
        appendFileSync(join(dir, this.partName()), lines.join(''));
      }
      byDay.clear();
    };
    let buffered = 0;
    for (const item of items) {
      const day = dayPartition(item.ts);
      let lines = byDay.get(day);
      if (!lines) {
        lines = [];
        byDay.set(day, lines);
      }
      lines.push(`${JSON.stringify(toRow(item, rows))}\n`);
      rows++;
      if (++buffered >= 50_000) {
        flush();
        buffered = 0;
      }
    }
    const files = byDay.size;
    flush();
    this.invalidateViews();
    return { rows, files };
  }

  /** One part file per append call and day, so concurrent appenders never interleave lines. */
  private partName(): string {
    this.partSeq++;
    return `part-${process.pid}-${Date.now()}-${this.partSeq}.ndjson`;
  }

  private hasFiles(table: 'telemetry' | 'labels'): boolean {
    const dir = join(this.root, table);
    return existsSync(dir) && readdirSync(dir).some((d) => readdirSync(join(dir, d)).length > 0);
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
