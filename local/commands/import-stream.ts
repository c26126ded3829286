/**
 * The streaming core of `occupancy import`: a file's lines flow through a format's row parser into one
 * all-or-nothing lake append (LocalLake.beginAppend) in batches, so memory stays flat whatever the file size:
 * one read chunk, one batch of readings, the rejection tally (capped) and DuckDB's budget for resolving labels.
 * The lake is opened only once a row has been accepted (a wrong or binary file leaves it untouched), and the
 * append is committed only after the last line, so a failed or killed import adds nothing.
 */
import { statSync } from 'node:fs';
import type { SensorFaultRecord } from '../../health/types';
import { acceptedDeviceTime, sensorFaultOf } from '../../tasks/infer-occupancy/sensor-faults';
import { ImportFormatError, shorten, type TelemetryValidationError } from '../../telemetry/errors';
import { fileLines, type SourceLine } from '../../telemetry/import-lines';
import { parseLine, type RejectedRow, type RowParser } from '../../telemetry/importers';
import type { Reading } from '../../telemetry/reading';
import type { SignalSet } from '../../telemetry/signals';
import { progress } from '../args';
import { LocalLake } from '../lake';
import type { LakeAppend } from '../lake-transaction';
import { LabelResolver } from './import-labels';

/** Readings per lake append call. */
export const BATCH_ROWS = 10_000;
/** A progress line on stderr at most this often. */
const PROGRESS_MS = 5_000;
/** Distinct rejection reasons listed; the rest are counted under one "other reasons" entry. */
const MAX_REASONS = 20;
/** Rejected rows quoted with their line numbers. */
export const REJECTED_SAMPLE = 20;
const OTHER_REASONS = 'other reasons';

/** Rejections counted and grouped without keeping them all (a garbage file may reject millions of rows). */
export class RejectionTally {
  count = 0;
  readonly byReason: Record<string, number> = {};
  readonly sample: RejectedRow[] = [];
  private reasons = 0;

  add(r: RejectedRow): void {
    this.count++;
    if (this.sample.length < REJECTED_SAMPLE) this.sample.push(r);
    // Grouped by field and reason without the offending value ("got …"), so one cause is one entry.
    // JSON.parse's detail quotes the input at varying positions: one entry for "not valid JSON" whatever it says.
    const reason = r.reason
      .replace(/,? ?got .*$/s, '')
      .replace(/(is not valid JSON) \(.*$/s, '$1')
      .trim();
    let key = shorten(r.field && !reason.startsWith(`${r.field}:`) ? `${r.field}: ${reason}` : reason, 120);
    if (this.byReason[key] === undefined && this.reasons >= MAX_REASONS) key = OTHER_REASONS;
    if (this.byReason[key] === undefined) this.reasons++;
    this.byReason[key] = (this.byReason[key] ?? 0) + 1;
  }

  /** The most frequent reasons, for a one-line message. */
  top(n = 3): string {
    return Object.entries(this.byReason)
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([reason, k]) => `${k}× ${reason}`)
      .join('; ');
  }
}

export interface LineVisitOptions {
  readonly file: string;
  /** Expected format, for the binary-file message. */
  readonly what: string;
  /** Progress line prefix, e.g. "import" or "import (pass 1 of 2: inferring the signal set)". */
  readonly label: string;
  /** Rows done so far, for the progress line. */
  readonly rows: () => number;
}

/** Calls `visit` for every non-blank line of the file in order, printing progress to stderr every few seconds. */
export async function forEachLine(opts: LineVisitOptions, visit: (l: SourceLine) => void): Promise<void> {
  const totalMb = (statSync(opts.file).size / 1e6).toFixed(0);
  let last = Date.now();
  const onChunk = ({ bytesRead }: { bytesRead: number }): void => {
    const now = Date.now();
    if (now - last < PROGRESS_MS) return;
    last = now;
    progress(`${opts.label}: ${opts.rows()} rows, ${(bytesRead / 1e6).toFixed(0)} of ${totalMb} MB read`);
  };
  for await (const batch of fileLines(opts.file, { what: opts.what, onChunk })) {
    for (const l of batch) if (l.text.trim() !== '') visit(l);
  }
}

export interface StreamImportOptions {
  readonly file: string;
  readonly stateDir: string;
  readonly what: string;
  /** True when the first non-blank line is a header that `parserFor` takes; false: `parserFor(undefined)`. */
  readonly header: boolean;
  readonly parserFor: (first: SourceLine | undefined) => RowParser;
  /** Progress line prefix. @default "import" */
  readonly progressLabel?: string;
  /** Called after the commit with the lake's set (the generic csv writes its inferred set out then). */
  readonly onCommitted?: (set: SignalSet) => void;
}

export interface StreamImportResult {
  readonly signalSet: SignalSet;
  readonly imported: number;
  /** Refused readings recorded as sensor_faults rows (valid thing name and timestamp: what the AWS path records). */
  readonly sensorFaults: number;
  readonly labels: number;
  readonly conflictingLabels: number;
  readonly rejected: RejectionTally;
}

/**
 * The sensor_faults row of a reading the validator refused, as the inference Lambda records it
 * (tasks/infer-occupancy/sensor-faults.ts), when it names a valid thing and carries a valid timestamp; else undefined.
 */
export function importedFault(refused: TelemetryValidationError, receivedAt: number): SensorFaultRecord | undefined {
  const thingName = refused.input?.thingName;
  const deviceTs = acceptedDeviceTime(refused, refused.input?.timestamp);
  if (deviceTs === undefined || typeof thingName !== 'string') return undefined;
  return sensorFaultOf({ thingName, deviceTs, receivedAt, error: refused });
}

/** Imports a file into the lake as one all-or-nothing append (see the module comment). */
export async function streamImport(opts: StreamImportOptions): Promise<StreamImportResult> {
  let parser: RowParser | undefined = opts.header ? undefined : opts.parserFor(undefined);
  let lake: LocalLake | undefined;
  let tx: LakeAppend | undefined;
  let labels: LabelResolver | undefined;
  let readings: Reading[] = [];
  let faults: SensorFaultRecord[] = [];
  let imported = 0;
  let sensorFaults = 0;
  // When the import refused its readings: the rows' received_at, as the Lambda's clock is theirs on AWS.
  const receivedAt = Date.now();
  const rejected = new RejectionTally();
  const open = (set: SignalSet): LakeAppend => {
    if (!tx) {
      lake = LocalLake.open(opts.stateDir, set);
      tx = lake.beginAppend();
      labels = new LabelResolver(lake.root);
    }
    return tx;
  };
  const flush = (set: SignalSet): void => {
    if (readings.length > 0) imported += open(set).appendReadings(readings);
    if (faults.length > 0) sensorFaults += open(set).appendSensorFaults(faults);
    readings = [];
    faults = [];
  };
  try {
    await forEachLine(
      { ...opts, label: opts.progressLabel ?? 'import', rows: () => imported + readings.length },
      (l) => {
        if (!parser) {
          parser = opts.parserFor(l);
          return;
        }
        const outcome = parseLine(parser, l);
        if ('rejected' in outcome) {
          rejected.add(outcome.rejected);
          const fault = outcome.refused && importedFault(outcome.refused, receivedAt);
          if (fault) faults.push(fault);
          if (faults.length >= BATCH_ROWS) flush(parser.signalSet);
          return;
        }
        readings.push(outcome.reading);
        if (outcome.label) {
          open(parser.signalSet);
          labels?.add(outcome.label);
        }
        if (readings.length >= BATCH_ROWS) flush(parser.signalSet);
      },
    );
    if (!parser) parser = opts.parserFor(undefined);
    const set = parser.signalSet;
    flush(set);
    if (imported === 0 && rejected.count > 0) {
      throw new ImportFormatError(
        `none of its ${rejected.count} data rows could be imported as ${opts.what} (${rejected.top()}); nothing was added to the lake.`,
      );
    }
    const append = open(set);
    let labelCount = 0;
    let conflictingLabels = 0;
    if (labels) {
      ({ labels: labelCount, conflicting: conflictingLabels } = await labels.resolve((batch) => {
        append.appendLabels(batch);
      }));
    }
    append.commit();
    opts.onCommitted?.(set);
    // Committed: merge the partitions it added to into Parquet (a failure is only said; nothing is lost).
    await lake?.compact({ convert: false, lockWaitMs: 2_000 });
    return { signalSet: set, imported, sensorFaults, labels: labelCount, conflictingLabels, rejected };
  } finally {
    labels?.dispose();
    tx?.abort();
    lake?.close();
  }
}
