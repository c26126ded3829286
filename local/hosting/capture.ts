import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataCaptureConfig } from '@aws-sdk/client-sagemaker';
import { captureHourPrefix, captureLine, encodingOf, payload } from '../../tasks/shadow-compare-capture';

/**
 * Data capture of the local endpoint host: each captured invocation of a variant (production or shadow) becomes one
 * JSON line in SageMaker's format (tasks/shadow-compare-capture.ts) under
 * `<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/`, in the local S3 folder. InitialSamplingPercentage is
 * honoured exactly and without randomness (the n-th request is captured when ⌊n·p/100⌋ grows); a shadow's answer
 * is captured for the requests its production variant's was.
 * https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html
 */

/** Where a capture line goes: an s3:// object URI and the line (locally: appended to the object's file). */
export type CaptureSink = (objectUri: string, line: string) => void;

/** A sink over a folder-backed S3 (`pathOf` as local/adapters/s3.ts FolderObjectStore). */
export function folderCaptureSink(pathOf: (uri: string) => string): CaptureSink {
  return (uri, line) => {
    const path = pathOf(uri);
    mkdirSync(dirname(path), { recursive: true });
    appendFileSync(path, `${line}\n`);
  };
}

export interface CaptureExchange {
  readonly variantName: string;
  readonly requestContentType: string;
  readonly request: string;
  /** The variant's answer; undefined when it failed (nothing is captured for it). */
  readonly response?: string;
}

export class EndpointCapture {
  private requests = 0;
  /** One file per fleet and hour (SageMaker names its own; the reader takes any `.jsonl`). */
  private readonly fileId = randomUUID();

  constructor(
    private readonly endpointName: string,
    private readonly config: DataCaptureConfig,
    private readonly sink: CaptureSink,
  ) {}

  /** Captures the exchanges of one request (production first, then its shadow), if sampling takes it. */
  record(exchanges: readonly CaptureExchange[], now = Date.now()): void {
    if (this.config.EnableCapture === false) return;
    const pct = this.config.InitialSamplingPercentage ?? 0;
    const n = this.requests++;
    if (Math.floor(((n + 1) * pct) / 100) === Math.floor((n * pct) / 100)) return;
    const modes = new Set((this.config.CaptureOptions ?? []).map((o) => o.CaptureMode));
    const input = modes.has('Input') || modes.has('InputAndOutput');
    const output = modes.has('Output') || modes.has('InputAndOutput');
    const csv = this.config.CaptureContentTypeHeader?.CsvContentTypes ?? [];
    const json = this.config.CaptureContentTypeHeader?.JsonContentTypes ?? [];
    const eventId = randomUUID();
    for (const x of exchanges) {
      if (x.response === undefined) continue;
      const prefix = captureHourPrefix(this.config.DestinationS3Uri ?? '', this.endpointName, x.variantName, now);
      const responseType = 'text/csv';
      const line = captureLine(
        { eventId, inferenceTimeMs: now },
        input
          ? payload('INPUT', x.requestContentType, x.request, encodingOf(x.requestContentType, csv, json))
          : undefined,
        output ? payload('OUTPUT', responseType, x.response, encodingOf(responseType, csv, json)) : undefined,
      );
      this.sink(`${prefix}${this.fileId}.jsonl`, line);
    }
  }
}
