import { closeSync, openSync, readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type CsvLayout,
  csvLayout,
  type GenericCsvResult,
  genericCsvParser,
  inferFromLines,
  mapColumns,
} from '../../telemetry/csv-import';
import { ImportFormatError } from '../../telemetry/errors';
import { BINARY_FIELD, type SourceLine } from '../../telemetry/import-lines';
import { formatHint } from '../../telemetry/import-sniff';
import {
  type ImportResult,
  iotAnalyticsCsvParser,
  ndjsonParser,
  type RowParser,
  uciOccupancyParser,
  uciRoomOccupancyParser,
} from '../../telemetry/importers';
import { type SignalSet, THERMOSTAT } from '../../telemetry/signals';
import { parseCommand, signalSetFlag, UsageError } from '../args';
import { writeFileAtomic } from '../fs';
import { forEachLine, REJECTED_SAMPLE, type StreamImportResult, streamImport } from './import-stream';
import { IMPORT, IMPORT_FORMATS } from './specs';

const FORMATS = IMPORT_FORMATS;
type ImportFormat = (typeof FORMATS)[number];

export interface ImportSummary {
  readonly file: string;
  readonly format: ImportFormat;
  readonly signalSet: string;
  readonly imported: number;
  /** Label events added: one per (device, time), the last in file order when the file holds several. */
  readonly labels: number;
  /** (device, time) pairs whose labels in this file disagreed; each resolved to the last one in file order. */
  readonly conflictingLabels: number;
  readonly rejected: number;
  /**
   * Rejected readings recorded as `sensor_faults` rows: those refused by the validator that name a valid thing and
   * carry a valid timestamp (what the inference Lambda records on AWS), so the sensor health check sees them.
   */
  readonly sensorFaults: number;
  /** Rejections grouped by reason (at most 20 reasons, then "other reasons"), so a bad file is diagnosed at a glance. */
  readonly rejectedByReason: Record<string, number>;
  /** The first rejected rows, with line numbers. */
  readonly rejectedSample: ImportResult['rejected'];
  /** `--format csv` without `--signal-set`: where the inferred set was written for review and re-use. */
  readonly inferredSignalSet?: string;
  /** `--format csv`: columns that became no signal, with why. */
  readonly skippedColumns?: GenericCsvResult['skippedColumns'];
}

/** `--format csv` column flags. */
export interface CsvColumns {
  readonly timestamp?: string;
  readonly target?: string;
  readonly device?: string;
}

interface Options {
  readonly signalSet?: string | SignalSet;
  readonly thingName?: string;
  readonly csv?: CsvColumns;
}

function parserFactory(
  format: Exclude<ImportFormat, 'csv'>,
  signalSet: SignalSet | undefined,
  thingName: string | undefined,
): (first: SourceLine | undefined) => RowParser {
  const opts = thingName ? { thingName } : {};
  switch (format) {
    case 'uci-occupancy':
      return (first) => uciOccupancyParser(first, opts);
    case 'uci-room-occupancy':
      return (first) => uciRoomOccupancyParser(first, opts);
    case 'ndjson':
      return () => ndjsonParser(signalSet ?? THERMOSTAT);
    case 'iot-analytics-csv':
      return (first) => iotAnalyticsCsvParser(first, { signalSet: signalSet ?? THERMOSTAT, thingName });
  }
}

/**
 * `--format csv`: with `--signal-set`, one pass; without, two passes over the file (pass 1 infers the set from
 * every row in bounded memory, pass 2 imports), so the inferred ranges hold for the whole file.
 */
async function importCsv(
  stateDir: string,
  file: string,
  signalSet: SignalSet | undefined,
  c: CsvColumns,
): Promise<StreamImportResult & Pick<ImportSummary, 'inferredSignalSet' | 'skippedColumns'>> {
  for (const flag of ['timestamp', 'target'] as const) {
    if (!c[flag]) throw new UsageError(`--format csv needs --${flag} COL (the name of a header column)`);
  }
  const opts = { timestamp: c.timestamp ?? '', target: c.target ?? '', device: c.device, fileName: file, signalSet };
  let inferred: ReturnType<ReturnType<typeof inferFromLines>['result']> | undefined;
  if (!signalSet) {
    let layout: CsvLayout | undefined;
    let inference: ReturnType<typeof inferFromLines> | undefined;
    let rows = 0;
    const label = 'import (pass 1 of 2: inferring the signal set)';
    await forEachLine({ file, what: 'a CSV file', label, rows: () => rows }, (l) => {
      if (!inference) {
        layout = csvLayout(l, opts);
        inference = inferFromLines(layout, file);
      } else {
        rows++;
        inference.add(l);
      }
    });
    if (!inference) csvLayout(undefined, opts);
    inferred = inference?.result();
  }
  let skippedColumns: GenericCsvResult['skippedColumns'] = inferred?.skipped ?? [];
  let inferredSignalSet: string | undefined;
  const result = await streamImport({
    file,
    stateDir,
    what: 'a CSV file',
    header: true,
    ...(inferred ? { progressLabel: 'import (pass 2 of 2)' } : {}),
    parserFor: (first) => {
      const layout = csvLayout(first, opts);
      if (inferred) return genericCsvParser(layout, inferred.set, inferred.columns);
      const set = signalSet ?? THERMOSTAT;
      const mapped = mapColumns(layout, set);
      skippedColumns = mapped.skipped;
      return genericCsvParser(layout, set, mapped.columns);
    },
    onCommitted: (set) => {
      if (!inferred) return;
      inferredSignalSet = join(resolve(stateDir), 'signal-set.json');
      writeFileAtomic(inferredSignalSet, `${JSON.stringify(set, null, 2)}\n`);
    },
  });
  return { ...result, skippedColumns, ...(inferredSignalSet ? { inferredSignalSet } : {}) };
}

/** The file's first KB as text, for the format hint (never more: the first line may be huge). */
function firstLineOf(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return (buf.subarray(0, n).toString('utf8').split(/\r?\n/)[0] ?? '').slice(0, 1024);
  } finally {
    closeSync(fd);
  }
}

/**
 * Imports `file` into the lake in `stateDir`, streamed (memory bounded whatever the size) and all-or-nothing.
 * A file that is not of `format` (wrong header, binary, no row importable) is a UsageError saying what was
 * expected and which format the file looks like; the lake is then left as it was.
 */
export async function importIntoLake(
  stateDir: string,
  file: string,
  format: ImportFormat,
  options: Options = {},
): Promise<ImportSummary> {
  try {
    closeSync(openSync(file, 'r'));
  } catch (error) {
    throw new UsageError(`Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const signalSet = typeof options.signalSet === 'string' ? signalSetFlag(options.signalSet) : options.signalSet;
  let result: StreamImportResult & Pick<ImportSummary, 'inferredSignalSet' | 'skippedColumns'>;
  try {
    result =
      format === 'csv'
        ? await importCsv(stateDir, file, signalSet, options.csv ?? {})
        : await streamImport({
            file,
            stateDir,
            what: format,
            header: format !== 'ndjson',
            parserFor: parserFactory(format, signalSet, options.thingName),
          });
  } catch (error) {
    if (error instanceof ImportFormatError) {
      const hint = error.field === BINARY_FIELD ? '' : formatHint(firstLineOf(file), format);
      const message = hint && !error.message.endsWith('.') ? `${error.message}.` : error.message;
      throw new UsageError(`${file}: ${message}${hint}`, { cause: error });
    }
    throw error;
  }
  return {
    file,
    format,
    signalSet: result.signalSet.id,
    imported: result.imported,
    labels: result.labels,
    conflictingLabels: result.conflictingLabels,
    rejected: result.rejected.count,
    sensorFaults: result.sensorFaults,
    rejectedByReason: result.rejected.byReason,
    rejectedSample: result.rejected.sample.slice(0, REJECTED_SAMPLE),
    ...(result.inferredSignalSet ? { inferredSignalSet: result.inferredSignalSet } : {}),
    ...(format === 'csv' ? { skippedColumns: result.skippedColumns } : {}),
  };
}

export async function importCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, IMPORT);
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0)
    throw new UsageError(
      'name one file: npx occupancy import <file> --format <format> (`npx occupancy import --help` lists the formats and flags)',
    );
  const format = values.format as ImportFormat | undefined;
  if (!format || !FORMATS.includes(format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}${format ? `, got "${format}"` : ''}`);
  }
  const summary = await importIntoLake(values['state-dir'], file, format, {
    signalSet: values['signal-set'],
    thingName: values['thing-name'],
    csv: { timestamp: values.timestamp, target: values.target, device: values.device },
  });
  if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    process.stdout.write(
      `Imported ${summary.imported} readings and ${summary.labels} labels (${summary.signalSet}) from ${file}; rejected ${summary.rejected}` +
        `${summary.sensorFaults > 0 ? ` (${summary.sensorFaults} recorded as sensor faults)` : ''}\n`,
    );
    if (summary.conflictingLabels > 0) {
      process.stdout.write(
        `  ${summary.conflictingLabels} (device, time) had conflicting labels: the last one in the file was kept\n`,
      );
    }
    for (const [reason, n] of Object.entries(summary.rejectedByReason))
      process.stdout.write(`  rejected ${n}: ${reason}\n`);
    for (const { column, reason } of summary.skippedColumns ?? [])
      process.stdout.write(`  column "${column}" skipped: ${reason}\n`);
    if (summary.inferredSignalSet) {
      process.stdout.write(
        `Inferred signal set written to ${summary.inferredSignalSet}; review it and re-use it with --signal-set ${summary.inferredSignalSet}\n`,
      );
    }
  }
  return 0;
}
