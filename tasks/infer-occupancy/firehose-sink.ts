import {
  type _Record,
  type FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandOutput,
} from '@aws-sdk/client-firehose';

/**
 * Where the handler sends rows of a lake table through a Firehose stream (JSON records → Parquet): the record of
 * every answer (predictions.ts), the record of every refused reading (sensor-faults.ts).
 */
export interface RecordSink<T> {
  /** @throws FirehoseDeliveryError when some records could not be put after the retries. */
  put(records: readonly T[]): Promise<void>;
}

/** Some records were not accepted by the stream (after the retries); `failed` of `total`. */
export class FirehoseDeliveryError extends Error {
  constructor(
    message: string,
    readonly streamName: string,
    readonly failed: number,
    readonly total: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FirehoseDeliveryError';
  }
}

/** PutRecordBatch's hard limits (they "cannot be changed"): 500 records, 4 MiB a request, 1,000 KiB a record. */
export const FIREHOSE_BATCH_LIMITS = {
  maxRecords: 500,
  maxRequestBytes: 4 * 1024 * 1024,
  maxRecordBytes: 1000 * 1024,
} as const;

export interface FirehoseRecordSinkOptions {
  readonly streamName: string;
  /** What a record is, in error messages. @default 'record' */
  readonly noun?: string;
  /** Puts of the records a response reports failed (FailedPutCount > 0), the first included. @default 3 */
  readonly maxAttempts?: number;
}

const encoder = new TextEncoder();

/** Newline-delimited JSON: the OpenX deserializer reads one object per record, the newline keeps S3 text readable. */
export const encodeRecord = (record: object): Uint8Array => encoder.encode(`${JSON.stringify(record)}\n`);

/** Splits encoded records into batches within PutRecordBatch's count and size limits. */
export function batchesOf(data: readonly Uint8Array[]): Uint8Array[][] {
  const batches: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let bytes = 0;
  for (const item of data) {
    if (item.byteLength > FIREHOSE_BATCH_LIMITS.maxRecordBytes) {
      throw new RangeError(`a record of ${item.byteLength} bytes is over Firehose's 1,000 KiB`);
    }
    if (
      current.length === FIREHOSE_BATCH_LIMITS.maxRecords ||
      bytes + item.byteLength > FIREHOSE_BATCH_LIMITS.maxRequestBytes
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.byteLength;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * PutRecordBatch of JSON records to a stream. A call can succeed with some records failed: FailedPutCount > 0 and
 * those entries of RequestResponses (same index as the request) carry ErrorCode; Firehose says to resend exactly
 * those. Whole-call failures (throttling, 5xx, timeouts) are the SDK client's retries (clients.ts).
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html
 */
export class FirehoseRecordSink<T extends object> implements RecordSink<T> {
  private readonly maxAttempts: number;

  constructor(
    private readonly client: FirehoseClient,
    private readonly options: FirehoseRecordSinkOptions,
  ) {
    this.maxAttempts = options.maxAttempts ?? 3;
  }

  async put(records: readonly T[]): Promise<void> {
    for (const batch of batchesOf(records.map(encodeRecord))) await this.putBatch(batch);
  }

  private async putBatch(batch: readonly Uint8Array[]): Promise<void> {
    const { streamName } = this.options;
    let pending: _Record[] = batch.map((Data) => ({ Data }));
    let lastError = '';
    for (let attempt = 1; attempt <= this.maxAttempts && pending.length > 0; attempt++) {
      let output: PutRecordBatchCommandOutput;
      try {
        output = await this.client.send(
          new PutRecordBatchCommand({ DeliveryStreamName: streamName, Records: pending }),
        );
      } catch (error) {
        throw new FirehoseDeliveryError(
          `PutRecordBatch to ${streamName} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
          streamName,
          pending.length,
          batch.length,
          { cause: error },
        );
      }
      if (!output.FailedPutCount) return;
      const responses = output.RequestResponses ?? [];
      const failed = pending.filter((_, i) => responses[i]?.ErrorCode !== undefined);
      const first = responses.find((r) => r.ErrorCode !== undefined);
      lastError = `${first?.ErrorCode ?? 'unknown'}: ${first?.ErrorMessage ?? ''}`;
      // A count without entries to tell which: resend them all (Firehose de-duplicates nothing, so rows may repeat).
      pending = failed.length > 0 ? failed : pending;
    }
    if (pending.length > 0) {
      throw new FirehoseDeliveryError(
        `${pending.length} of ${batch.length} ${this.options.noun ?? 'record'}(s) not accepted by ${streamName} after ${this.maxAttempts} attempt(s) (${lastError})`,
        streamName,
        pending.length,
        batch.length,
      );
    }
  }
}
