import type { SensorFaultRecord } from '../../health/types';
import type { PredictionRecord } from '../../tasks/infer-occupancy/prediction-record';
import type { LocalDeliveryStream } from '../aws-endpoints/firehose';
import type { AppendSummary, LocalLake } from '../lake';
import { columnsOf, SENSOR_FAULT_DUCKDB } from '../lake-sql';

/**
 * The destination of a delivery stream the inference Lambda puts to (predictions, sensor_faults), locally: what
 * Firehose's record format conversion does (JSON → the Glue table's columns; a record that does not convert goes to
 * the error prefix, not the table), buffered and appended to the lake's table like the ingestion rules' rows
 * (local/iot/rules.ts). https://docs.aws.amazon.com/firehose/latest/dev/record-format-conversion.html
 */

export interface LakeDeliveryOptions {
  /** Flush buffered rows at least this often. @default 1000 */
  readonly flushIntervalMs?: number;
  /** …or when this many rows are buffered. @default 1000 */
  readonly maxBufferedRows?: number;
  /** Rows kept for a retry while appends fail; beyond it the oldest are dropped and counted. @default 200000 */
  readonly maxRetainedRows?: number;
}

export interface LakeDeliveryStats {
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
export function convertRecord(
  data: Uint8Array,
  columns: Readonly<Record<string, string>>,
): Record<string, string | number | null> | undefined {
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

/** A predictions record as converted against the predictions table's columns. */
export const convertPrediction = (
  data: Uint8Array,
  columns: Readonly<Record<string, string>>,
): PredictionRecord | undefined => convertRecord(data, columns);

/**
 * A sensor_faults record as converted against its table, when every column has a value: the Lambda always sends
 * them all, and the lake's rows are typed non-null (Firehose would write NULLs; counted as conversion failures here).
 */
export function convertSensorFault(data: Uint8Array): SensorFaultRecord | undefined {
  const row = convertRecord(data, SENSOR_FAULT_DUCKDB);
  if (row === undefined || Object.values(row).some((v) => v === null)) return undefined;
  const { thing_name, ts, received_at, kind, field, code } = row;
  if (typeof thing_name !== 'string' || typeof ts !== 'number' || typeof received_at !== 'number') return undefined;
  if (typeof field !== 'string' || typeof code !== 'string') return undefined;
  // A string column: Firehose keeps any kind; the check (health/) reads the two it knows.
  return { thing_name, ts, received_at, kind: kind as SensorFaultRecord['kind'], field, code };
}

/** What a delivery does with the records of its stream: convert each, append the converted rows. */
export interface LakeTableSink<T> {
  convert(data: Uint8Array): T | undefined;
  append(rows: readonly T[]): AppendSummary;
}

/** A delivery stream's destination in the lake: buffered, flushed on a timer or a size, retried while appends fail. */
export class LakeTableDelivery<T> implements LocalDeliveryStream {
  readonly stats: LakeDeliveryStats = { delivered: 0, conversionFailed: 0, failedFlushes: 0, dropped: 0 };
  private rows: T[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly maxBuffered: number;
  private readonly maxRetained: number;

  constructor(
    private readonly sink: LakeTableSink<T>,
    options: LakeDeliveryOptions = {},
  ) {
    this.maxBuffered = options.maxBufferedRows ?? 1000;
    this.maxRetained = options.maxRetainedRows ?? 200_000;
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  accept(records: readonly Uint8Array[]): void {
    for (const data of records) {
      const row = this.sink.convert(data);
      if (row === undefined) this.stats.conversionFailed++;
      else this.rows.push(row);
    }
    if (this.rows.length >= this.maxBuffered) this.flush();
  }

  /** Appends what is buffered in one all-or-nothing append; a failure keeps the rows for the next flush. */
  flush(): void {
    if (this.rows.length === 0) return;
    try {
      const { rows } = this.sink.append(this.rows);
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

/** The predictions stream's destination: the lake's `predictions` table. */
export class PredictionsDelivery extends LakeTableDelivery<PredictionRecord> {
  constructor(lake: LocalLake, options: LakeDeliveryOptions = {}) {
    const columns = columnsOf('predictions', lake.signalSet);
    super(
      { convert: (data) => convertPrediction(data, columns), append: (rows) => lake.appendPredictions(rows) },
      options,
    );
  }
}

/** The sensor_faults stream's destination: the lake's `sensor_faults` table (LocalLake.appendSensorFaults). */
export class SensorFaultsDelivery extends LakeTableDelivery<SensorFaultRecord> {
  constructor(lake: LocalLake, options: LakeDeliveryOptions = {}) {
    super({ convert: convertSensorFault, append: (rows) => lake.appendSensorFaults(rows) }, options);
  }
}
