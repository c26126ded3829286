import type { FirehoseClient } from '@aws-sdk/client-firehose';
import { encodeRecord, FirehoseRecordSink, type RecordSink } from './firehose-sink';
import type { PredictionRecord } from './prediction-record';

/** Where the handler sends the records of its answers (the predictions Firehose stream). */
export type PredictionSink = RecordSink<PredictionRecord>;

/** One prediction record as the stream receives it (newline-delimited JSON). */
export const encodePrediction = (record: PredictionRecord): Uint8Array => encodeRecord(record);

/** PutRecordBatch of prediction records to the predictions stream (see FirehoseRecordSink). */
export const firehosePredictionSink = (
  client: FirehoseClient,
  options: { readonly streamName: string; readonly maxAttempts?: number },
): PredictionSink => new FirehoseRecordSink<PredictionRecord>(client, { ...options, noun: 'prediction record' });
