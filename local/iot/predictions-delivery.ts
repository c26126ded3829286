import type { PredictionRecord } from '../../tasks/infer-occupancy/prediction-record';
import type { LocalDeliveryStream } from '../aws-endpoints/firehose';
import type { LocalLake } from '../lake';
import { columnsOf } from '../lake-sql';

/**
 * The predictions delivery stream's destination, locally: what Firehose's record format conversion does (JSON →
 * the Glue table's columns; a record that does not convert goes to the error prefix, not the table), buffered and
 * appended to the lake's `predictions` table like the ingestion rules' rows (local/iot/rules.ts).
 * https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html
 */

export interface PredictionsDeliveryOptions {
  /** Flush buffered rows at least this often. @default 1000 */
  readonly flushIntervalMs?: number;
  /** …or when this many rows are buffered. @default 1000 */
  readonly maxBufferedRows?: number;
  /** Rows kept for a retry while appends fail; beyond it the oldest are dropped and counted. @default 200000 */
  readonly maxRetainedRows?: number;
}

export interface PredictionsDeliveryStats {
  /** Rows appended to the lake. */
  delivered: number;
  /** Records that are not a JSON object of the table's column types (Firehose's format-conversion-failed). */
  conversionFailed: number;
  failedFlushes: number;
  dropped: number;
  lastError?: string;
}

const decoder = new TextDecoder();

/**
 * One record as the OpenX JSON deserializer reads it against the table: keys matched to columns without regard to
 * case, keys that are no column ignored, a missing key NULL; a value of another type fails the record.
 */
export function convertPrediction(
  data: Uint8Array,
  columns: Readonly<Record<string, string>>,
): PredictionRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const byName = new Map(Object.entries(parsed).map(([key, value]) => [key.toLowerCase(), value as unknown]));
  const row: Record<string, string | number | null> = {};
  for (const [name, type] of Object.entries(columns)) {
    const value = byName.get(name);
    if (value === undefined || value === null) {
      row[name] = null;
    } else if (type === 'VARCHAR') {
      if (typeof value !== 'string') return undefined;
      row[name] = value;
    } else {
      if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
      if ((type === 'BIGINT' || type === 'INTEGER') && !Number.isInteger(value)) return undefined;
      row[name] = value;
    }
  }
  // Rows are partitioned by the reading's time: without it there is no row (Firehose would write it anyway).
  return typeof row.ts === 'number' ? row : undefined;
}

export class PredictionsDelivery implements LocalDeliveryStream {
  readonly stats: PredictionsDeliveryStats = { delivered: 0, conversionFailed: 0, failedFlushes: 0, dropped: 0 };
  private rows: PredictionRecord[] = [];
  private readonly columns: Readonly<Record<string, string>>;
  private readonly timer: NodeJS.Timeout;
  private readonly maxBuffered: number;
  private readonly maxRetained: number;

  constructor(
    private readonly lake: LocalLake,
    options: PredictionsDeliveryOptions = {},
  ) {
    this.columns = columnsOf('predictions', lake.signalSet);
    this.maxBuffered = options.maxBufferedRows ?? 1000;
    this.maxRetained = options.maxRetainedRows ?? 200_000;
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  accept(records: readonly Uint8Array[]): void {
    for (const data of records) {
      const row = convertPrediction(data, this.columns);
      if (row === undefined) this.stats.conversionFailed++;
      else this.rows.push(row);
    }
    if (this.rows.length >= this.maxBuffered) this.flush();
  }

  /** Appends what is buffered in one all-or-nothing append; a failure keeps the rows for the next flush. */
  flush(): void {
    if (this.rows.length === 0) return;
    try {
      const { rows } = this.lake.appendPredictions(this.rows);
      this.stats.delivered += rows;
      this.rows = [];
      delete this.stats.lastError;
    } catch (error) {
      this.stats.failedFlushes++;
      this.stats.lastError = error instanceof Error ? error.message : String(error);
      const over = this.rows.length - this.maxRetained;
      if (over > 0) {
        this.rows = this.rows.slice(over);
        this.stats.dropped += over;
      }
    }
  }

  /** Flushes and stops the timer (the lake stays open: its owner closes it). */
  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
