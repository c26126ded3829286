import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileLines } from '../../telemetry/import-lines';
import type { LabelEvent } from '../../telemetry/reading';
import { STAGING_DIR } from '../lake-staging';

/**
 * Conflicting labels within one import: "last received wins". When a file holds several labels for one
 * (device, time), the one latest in file order is kept and the others dropped; a (device, time) whose labels
 * disagree counts as one conflict in the import's report. Identical repeats are dropped silently.
 *
 * Memory stays bounded whatever the file size (a grace hash join, by hand): labels are staged to a file in file
 * order; at the end, when there are more than BUCKET_LABELS, they are split by a hash of (device, time) into
 * bucket files of about BUCKET_LABELS each (order kept within a bucket), and each bucket is resolved with a Map of
 * its own. (A DuckDB GROUP BY was tried first: under a 128 MB memory_limit it ran out of memory on 1.6 M labels and
 * cost ~150 MB of RSS more than this at 64 MB.) The stage lives in the lake's staging directory under a
 * `tx-<pid>-…` name without a commit marker, so if the process dies, the next `LocalLake.open` removes it.
 */

/** Labels resolved in memory at once: small enough that resolving keeps the heap near the reading phase's (~8 MB of Map). */
export const BUCKET_LABELS = 50_000;
/** At most this many bucket files open at once (file descriptor limits); beyond, buckets grow past BUCKET_LABELS. */
const MAX_BUCKETS = 512;
const WRITE_BUFFER_BYTES = 16 * 1024;
/** Winners handed to the sink at once. */
const SINK_BATCH_ROWS = 10_000;

/** FNV-1a over the (device, time) key: spreads keys evenly over the buckets. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Buffered appends to one file, buffered in bytes: a string buffer of many small lines would be a tree of heap
 * strings, promoted and left for the old generation's GC, which with hundreds of buckets grew the heap by ~100 MB.
 */
class Appender {
  private fd: number | undefined;
  private buffer: Buffer | undefined;
  private length = 0;

  constructor(readonly path: string) {}

  /** `text` is ASCII (thing names are [a-zA-Z0-9:_-]). */
  write(text: string): void {
    this.buffer ??= Buffer.allocUnsafe(WRITE_BUFFER_BYTES);
    if (this.length + text.length > this.buffer.length) this.flush();
    if (text.length > this.buffer.length) {
      this.writeOut(Buffer.from(text, 'latin1'));
      return;
    }
    this.length += this.buffer.write(text, this.length, 'latin1');
  }

  flush(): void {
    if (!this.buffer || this.length === 0) return;
    this.writeOut(this.buffer.subarray(0, this.length));
    this.length = 0;
  }

  private writeOut(bytes: Buffer): void {
    this.fd ??= openSync(this.path, 'a');
    writeSync(this.fd, bytes);
  }

  close(): void {
    this.flush();
    this.buffer = undefined;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export class LabelResolver {
  private readonly dir: string;
  private stage: Appender | undefined;
  private count = 0;

  /** @param bucketLabels labels per bucket (tests make it small to exercise the bucketed path) */
  constructor(
    lakeRoot: string,
    private readonly bucketLabels = BUCKET_LABELS,
  ) {
    this.dir = join(lakeRoot, STAGING_DIR, `tx-${process.pid}-labels-${randomBytes(4).toString('hex')}`);
  }

  /** Labels staged so far (before resolution). */
  get staged(): number {
    return this.count;
  }

  add(label: LabelEvent): void {
    if (!this.stage) {
      mkdirSync(this.dir, { recursive: true });
      this.stage = new Appender(join(this.dir, 'labels.csv'));
    }
    // Thing names are [a-zA-Z0-9:_-] (validated), so commas cannot occur in them.
    this.stage.write(`${label.thingName},${label.ts},${label.occupied ? 1 : 0}\n`);
    this.count++;
  }

  /**
   * Streams the winning label of each (device, time) to `sink` in batches; returns how many were kept and how
   * many (device, time) had disagreeing labels.
   */
  async resolve(sink: (batch: LabelEvent[]) => void): Promise<{ labels: number; conflicting: number }> {
    const stage = this.stage;
    if (!stage) return { labels: 0, conflicting: 0 };
    stage.close();
    const total = { labels: 0, conflicting: 0 };
    if (this.count <= this.bucketLabels) {
      this.resolveBucket(stage.path, sink, total);
      return total;
    }
    const buckets = Array.from(
      { length: Math.min(MAX_BUCKETS, Math.ceil(this.count / this.bucketLabels)) },
      (_, i) => new Appender(join(this.dir, `bucket-${i}.csv`)),
    );
    try {
      for await (const batch of fileLines(stage.path, { what: 'staged labels' })) {
        for (const { text } of batch) {
          const key = text.slice(0, text.lastIndexOf(','));
          buckets[hash(key) % buckets.length]?.write(`${text}\n`);
        }
      }
    } finally {
      for (const bucket of buckets) bucket.close();
    }
    rmSync(stage.path, { force: true });
    for (const bucket of buckets) {
      this.resolveBucket(bucket.path, sink, total);
      rmSync(bucket.path, { force: true });
    }
    return total;
  }

  /** Resolves one bucket (all labels of its keys, in file order) in memory. */
  private resolveBucket(
    path: string,
    sink: (batch: LabelEvent[]) => void,
    total: { labels: number; conflicting: number },
  ): void {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // an empty bucket was never written
      throw error;
    }
    // key → 0/1 (occupied), +2 once two labels of the key disagreed.
    const winners = new Map<string, number>();
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const key = text.slice(start, nl - 2);
      const occupied = text.charCodeAt(nl - 1) === 0x31 ? 1 : 0;
      start = nl + 1;
      const previous = winners.get(key);
      const conflict = previous !== undefined && (previous >= 2 || (previous & 1) !== occupied) ? 2 : 0;
      winners.set(key, occupied | conflict);
    }
    let batch: LabelEvent[] = [];
    for (const [key, value] of winners) {
      const comma = key.lastIndexOf(',');
      batch.push({ thingName: key.slice(0, comma), ts: Number(key.slice(comma + 1)), occupied: (value & 1) === 1 });
      if (value >= 2) total.conflicting++;
      if (batch.length >= SINK_BATCH_ROWS) {
        total.labels += batch.length;
        sink(batch);
        batch = [];
      }
    }
    total.labels += batch.length;
    if (batch.length > 0) sink(batch);
  }

  /** Removes the stage (always call, success or not). */
  dispose(): void {
    this.stage?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
