import type { SensorFaultRecord } from '../health/types';
import type { PredictionRecord } from '../tasks/infer-occupancy/prediction-record';
import type { LabelEvent, Reading } from '../telemetry/reading';
import type { SignalSet } from '../telemetry/signals';
import { LakeError } from './lake-errors';
import { type LakeTable, StagedAppend } from './lake-staging';

const DAY_MS = 86_400_000;

/** The Firehose-style day partition of a timestamp. */
export const dayPartition = (ts: number): string =>
  `dt=${new Date(Math.floor(ts / DAY_MS) * DAY_MS).toISOString().slice(0, 10)}`;

/** Rows buffered per day before they go to the staged file, so a huge batch never sits whole in memory. */
const FLUSH_ROWS = 50_000;

export interface AppendTotals {
  /** Telemetry rows made visible. */
  readonly readings: number;
  /** Label rows made visible. */
  readonly labels: number;
  /** Prediction rows made visible. */
  readonly predictions: number;
  /** sensor_faults rows made visible. */
  readonly sensorFaults: number;
  /** Part files added to the partitions (one per table and day). */
  readonly files: number;
}

/**
 * One all-or-nothing append to the lake, begun with `LocalLake.beginAppend()`:
 *
 * ```ts
 * const tx = lake.beginAppend();
 * try {
 *   for (const batch of batches) tx.appendReadings(batch.readings, receivedAt); // and/or tx.appendLabels(…)
 *   const totals = tx.commit(); // { readings, labels, files }: now visible to every reader, or throws
 * } catch (error) {
 *   tx.abort(); // nothing of it is visible; a no-op if commit already succeeded
 *   throw error;
 * }
 * ```
 *
 * - Each `append*` call writes its batch to the staging area at once (memory is bounded by the batch, not the
 *   import), so call it as many times as needed; rows stay invisible to readers until `commit`.
 * - A failing `append*` or `commit` (a row lacking a signal, a full disk: LakeError naming the cause) aborts the
 *   transaction itself: nothing of it becomes visible, and later calls throw. `abort()` is then a no-op.
 * - If the process dies before `commit` returns, the next `LocalLake.open` (any process) discards the staged
 *   rows, or finishes the commit if its commit point was reached: the lake holds all of the append or none.
 * - Readers never see a partial file. A reader running while `commit` renames the files in may see some day
 *   partitions of the append before others (each file whole); one that starts after `commit` returns sees it all.
 * - Everything is synchronous; one transaction is used by one caller at a time.
 */
export class LakeAppend {
  private readonly staged: StagedAppend;
  private readings = 0;
  private labels = 0;
  private predictions = 0;
  private sensorFaults = 0;

  constructor(
    lakeRoot: string,
    private readonly signalSet: SignalSet,
    private readonly onCommit: () => void,
    private readonly beforeCommit: () => void = () => undefined,
  ) {
    this.staged = new StagedAppend(lakeRoot);
  }

  /** 'open' until `commit` or `abort` (or a failure, which aborts). */
  get status(): 'open' | 'committed' | 'aborted' {
    return this.staged.status;
  }

  /**
   * Stages telemetry rows; returns how many this call staged.
   * @param receivedAt `received_at` of every row, or one per reading of this batch in order (the IoT rule's
   *   `timestamp()` for each message: the export's de-duplication keeps the latest received copy of a reading).
   */
  appendReadings(readings: Iterable<Reading>, receivedAt: number | readonly number[] = Date.now()): number {
    const signals = this.signalSet.signals;
    const n = this.stage('telemetry', readings, (r, i) => {
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
    this.readings += n;
    return n;
  }

  /** Stages label rows; returns how many this call staged. */
  appendLabels(labels: Iterable<LabelEvent>): number {
    const n = this.stage('labels', labels, (l) => ({ thing_name: l.thingName, ts: l.ts, occupied: l.occupied }));
    this.labels += n;
    return n;
  }

  /**
   * Stages prediction rows (already in the table's columns: the local Firehose stand-in converts them), partitioned
   * by the reading's `ts` like telemetry; returns how many this call staged.
   */
  appendPredictions(rows: Iterable<PredictionRecord>): number {
    const dated = (function* () {
      for (const row of rows) {
        if (typeof row.ts !== 'number')
          throw new LakeError(`Prediction of ${String(row.thing_name)} has no numeric ts`);
        yield { ts: row.ts, row };
      }
    })();
    const n = this.stage('predictions', dated, (item) => {
      const out: Record<string, string | number | boolean> = {};
      // NDJSON parts keep nulls out: a missing key reads as NULL, as in Parquet.
      for (const [key, value] of Object.entries(item.row)) if (value !== null) out[key] = value;
      return out;
    });
    this.predictions += n;
    return n;
  }

  /**
   * Stages sensor_faults rows (readings the inference Lambda refused), partitioned by `ts` like telemetry; returns how
   * many this call staged. A row whose `ts` or `received_at` is not an integer is refused (LakeError, the append
   * aborts), as Firehose's conversion to the Glue table's bigint would fail it.
   */
  appendSensorFaults(rows: Iterable<SensorFaultRecord>): number {
    const checked = (function* () {
      for (const r of rows) {
        if (!Number.isInteger(r.ts) || !Number.isInteger(r.received_at))
          throw new LakeError(`Sensor fault of ${String(r.thing_name)} has no integer ts/received_at`);
        yield r;
      }
    })();
    const n = this.stage('sensor_faults', checked, (r) => {
      return {
        thing_name: r.thing_name,
        ts: r.ts,
        received_at: r.received_at,
        kind: r.kind,
        field: r.field,
        code: r.code,
      };
    });
    this.sensorFaults += n;
    return n;
  }

  /** Makes every staged row visible at once (see the class comment); throws a LakeError when it cannot. */
  commit(): AppendTotals {
    try {
      this.beforeCommit();
    } catch (error) {
      this.staged.abort();
      throw error;
    }
    const files = this.staged.commit();
    this.onCommit();
    return {
      readings: this.readings,
      labels: this.labels,
      predictions: this.predictions,
      sensorFaults: this.sensorFaults,
      files,
    };
  }

  /** Discards the staged rows. A no-op once committed or aborted. */
  abort(): void {
    this.staged.abort();
  }

  private stage<T extends { ts: number }>(
    table: LakeTable,
    items: Iterable<T>,
    toRow: (item: T, index: number) => Record<string, string | number | boolean>,
  ): number {
    if (this.staged.status !== 'open') {
      throw new LakeError(`This lake append is already ${this.staged.status}; begin a new one`);
    }
    const byDay = new Map<string, string[]>();
    let rows = 0;
    let buffered = 0;
    const flush = (): void => {
      for (const [day, lines] of byDay) this.staged.write(table, day, lines.join(''));
      byDay.clear();
      buffered = 0;
    };
    try {
      for (const item of items) {
        const day = dayPartition(item.ts);
        let lines = byDay.get(day);
        if (!lines) {
          lines = [];
          byDay.set(day, lines);
        }
        lines.push(`${JSON.stringify(toRow(item, rows))}\n`);
        rows++;
        if (++buffered >= FLUSH_ROWS) flush();
      }
      flush();
    } catch (error) {
      this.staged.abort();
      throw error;
    }
    return rows;
  }
}
