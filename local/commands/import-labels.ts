import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { LabelEvent } from '../../telemetry/reading';
import { STAGING_DIR } from '../lake-staging';

/**
 * Conflicting labels within one import: "last received wins". When a file holds several labels for one
 * (device, time), the one latest in file order is kept and the others dropped; a (device, time) whose labels
 * disagree counts as one conflict in the import's report. Identical repeats are dropped silently.
 *
 * Memory stays bounded whatever the file size: labels are staged to a CSV file with their sequence number, then
 * resolved by one DuckDB GROUP BY (arg_max over the sequence) under a memory limit that spills to disk, and the
 * winners are streamed back chunk by chunk. The stage lives in the lake's staging directory under a
 * `tx-<pid>-…` name without a commit marker, so if the process dies, the next `LocalLake.open` removes it.
 */

/** DuckDB's budget for the resolution; beyond it the GROUP BY spills to the stage directory. */
const DUCKDB_MEMORY_LIMIT = '128MB';
const WRITE_BUFFER_ROWS = 10_000;
/** Winners handed to the sink at once (DuckDB yields chunks of 2 048 rows; fewer, larger lake appends are cheaper). */
const SINK_BATCH_ROWS = 50_000;

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export class LabelResolver {
  private readonly dir: string;
  private readonly file: string;
  private fd: number | undefined;
  private seq = 0;
  private buffer: string[] = [];

  constructor(lakeRoot: string) {
    this.dir = join(lakeRoot, STAGING_DIR, `tx-${process.pid}-labels-${randomBytes(4).toString('hex')}`);
    this.file = join(this.dir, 'labels.csv');
  }

  /** Labels staged so far (before resolution). */
  get staged(): number {
    return this.seq;
  }

  add(label: LabelEvent): void {
    // Thing names are [a-zA-Z0-9:_-] (validated), so no CSV quoting is needed.
    this.buffer.push(`${this.seq++},${label.thingName},${label.ts},${label.occupied ? 1 : 0}\n`);
    if (this.buffer.length >= WRITE_BUFFER_ROWS) this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    if (this.fd === undefined) {
      mkdirSync(this.dir, { recursive: true });
      this.fd = openSync(this.file, 'a');
    }
    writeSync(this.fd, this.buffer.join(''));
    this.buffer = [];
  }

  /**
   * Streams the winning label of each (device, time) to `sink` in batches; returns how many were kept and how
   * many (device, time) had disagreeing labels.
   */
  async resolve(sink: (batch: LabelEvent[]) => void): Promise<{ labels: number; conflicting: number }> {
    this.flush();
    if (this.fd === undefined) return { labels: 0, conflicting: 0 };
    closeSync(this.fd);
    this.fd = undefined;
    const instance = await DuckDBInstance.create(':memory:', {
      memory_limit: DUCKDB_MEMORY_LIMIT,
      threads: '1',
      temp_directory: join(this.dir, 'spill'),
      preserve_insertion_order: 'false',
    });
    const connection = await instance.connect();
    let labels = 0;
    let conflicting = 0;
    try {
      const source = `read_csv(${sqlString(this.file)}, header = false, delim = ',', columns = {'seq': 'BIGINT', 'thing_name': 'VARCHAR', 'ts': 'BIGINT', 'occupied': 'INTEGER'})`;
      const result = await connection.stream(
        `SELECT thing_name, ts, arg_max(occupied, seq) AS occupied, min(occupied) <> max(occupied) AS conflict
         FROM ${source} GROUP BY thing_name, ts`,
      );
      let batch: LabelEvent[] = [];
      for await (const rows of result.yieldRows()) {
        for (const [thingName, ts, occupied, conflict] of rows) {
          batch.push({ thingName: String(thingName), ts: Number(ts), occupied: Number(occupied) === 1 });
          if (conflict === true) conflicting++;
        }
        if (batch.length >= SINK_BATCH_ROWS) {
          labels += batch.length;
          sink(batch);
          batch = [];
        }
      }
      labels += batch.length;
      if (batch.length > 0) sink(batch);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    return { labels, conflicting };
  }

  /** Removes the stage (always call, success or not). */
  dispose(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.buffer = [];
    rmSync(this.dir, { recursive: true, force: true });
  }
}
