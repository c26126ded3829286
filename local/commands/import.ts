import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type GenericCsvResult, importGenericCsv } from '../../telemetry/csv-import';
import { ImportFormatError } from '../../telemetry/errors';
import {
  type ImportResult,
  importIotAnalyticsCsv,
  importNdjson,
  importUciOccupancy,
  importUciRoomOccupancy,
} from '../../telemetry/importers';
import { type SignalSet, THERMOSTAT } from '../../telemetry/signals';
import { parseCommandArgs, STATE_DIR_OPTION, signalSetFlag, UsageError } from '../args';
import { LocalLake } from '../lake';

const FORMATS = ['uci-occupancy', 'uci-room-occupancy', 'ndjson', 'iot-analytics-csv', 'csv'] as const;
type ImportFormat = (typeof FORMATS)[number];

export interface ImportSummary {
  readonly file: string;
  readonly format: ImportFormat;
  readonly signalSet: string;
  readonly imported: number;
  readonly labels: number;
  readonly rejected: number;
  /** Rejections grouped by reason, so a bad file is diagnosed at a glance. */
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

function runGenericCsv(file: string, text: string, signalSet: SignalSet | undefined, c: CsvColumns): GenericCsvResult {
  for (const flag of ['timestamp', 'target'] as const) {
    if (!c[flag]) throw new UsageError(`--format csv needs --${flag} COL (the name of a header column)`);
  }
  try {
    return importGenericCsv(text, {
      timestamp: c.timestamp ?? '',
      target: c.target ?? '',
      device: c.device,
      fileName: file,
      signalSet,
    });
  } catch (error) {
    if (error instanceof ImportFormatError) throw new UsageError(`${file}: ${error.message}`, { cause: error });
    throw error;
  }
}

function runImporter(
  format: ImportFormat,
  text: string,
  signalSet: SignalSet | undefined,
  thingName?: string,
): ImportResult {
  switch (format) {
    case 'uci-occupancy':
      return importUciOccupancy(text, thingName ? { thingName } : undefined);
    case 'uci-room-occupancy':
      return importUciRoomOccupancy(text, thingName ? { thingName } : undefined);
    case 'ndjson':
      return importNdjson(text, signalSet ?? THERMOSTAT);
    case 'iot-analytics-csv':
      return importIotAnalyticsCsv(text, { signalSet: signalSet ?? THERMOSTAT, thingName });
    case 'csv':
      throw new UsageError('--format csv is imported by runGenericCsv');
  }
}

export function importIntoLake(
  stateDir: string,
  file: string,
  format: ImportFormat,
  options: { signalSet?: string | SignalSet; thingName?: string; csv?: CsvColumns } = {},
): ImportSummary {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const signalSet = typeof options.signalSet === 'string' ? signalSetFlag(options.signalSet) : options.signalSet;
  const csv = format === 'csv' ? runGenericCsv(file, text, signalSet, options.csv ?? {}) : undefined;
  const result = csv ?? runImporter(format, text, signalSet, options.thingName);
  const lake = LocalLake.open(stateDir, result.signalSet);
  let inferredSignalSet: string | undefined;
  if (csv?.inferred) {
    inferredSignalSet = join(resolve(stateDir), 'signal-set.json');
    writeFileSync(inferredSignalSet, `${JSON.stringify(csv.signalSet, null, 2)}\n`);
  }
  const imported = lake.appendReadings(result.readings).rows;
  const labels = lake.appendLabels(result.labels).rows;
  lake.close();
  const rejectedByReason: Record<string, number> = {};
  for (const r of result.rejected) {
    const key = r.field ? `${r.field}: ${r.reason.replace(/got .*$/, '').trim()}` : r.reason;
    rejectedByReason[key] = (rejectedByReason[key] ?? 0) + 1;
  }
  return {
    file,
    format,
    signalSet: result.signalSet.id,
    imported,
    labels,
    rejected: result.rejected.length,
    rejectedByReason,
    rejectedSample: result.rejected.slice(0, 20),
    ...(inferredSignalSet ? { inferredSignalSet } : {}),
    ...(csv ? { skippedColumns: csv.skippedColumns } : {}),
  };
}

export async function importCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      ...STATE_DIR_OPTION,
      format: { type: 'string' },
      'signal-set': { type: 'string' },
      'thing-name': { type: 'string' },
      timestamp: { type: 'string' },
      target: { type: 'string' },
      device: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    true,
  );
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0)
    throw new UsageError(
      'usage: occupancy import <file> --format <format> [--timestamp COL --target COL [--device COL]] [--signal-set FILE] [--state-dir D]',
    );
  const format = values.format as ImportFormat | undefined;
  if (!format || !FORMATS.includes(format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}${format ? `, got "${format}"` : ''}`);
  }
  const summary = importIntoLake(values['state-dir'], file, format, {
    signalSet: values['signal-set'],
    thingName: values['thing-name'],
    csv: { timestamp: values.timestamp, target: values.target, device: values.device },
  });
  if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    process.stdout.write(
      `Imported ${summary.imported} readings and ${summary.labels} labels (${summary.signalSet}) from ${file}; rejected ${summary.rejected}\n`,
    );
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
