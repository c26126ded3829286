import { type BaselineResult, evaluateBaselines } from '../evaluation';
import type { StaticRule } from '../pipeline/config';
import { numericSignals } from '../telemetry/signals';
import { type ExportManifest, type ExportOptions, exportDataset, readExportSplit } from './export';
import type { LocalLake } from './lake';

export interface BaselineReport {
  readonly signalSet: string;
  readonly rows: ExportManifest['rows'];
  readonly timeRange: ExportManifest['timeRange'];
  /** The time cutoffs chosen (the split plan's message). */
  readonly split?: string;
  /** The training window the export read (days, first day; null: all history). */
  readonly window: ExportManifest['window'];
  /** Readings the sensor health rule flagged, and whether the export left them out (local/export.ts). */
  readonly readingsFlagged: ExportManifest['readingsFlagged'];
  readonly baselines: Array<
    Pick<BaselineResult, 'name' | 'description' | 'rule'> & BaselineResult['metrics'] & { readonly split: 'holdout' }
  >;
}

/**
 * Exports the lake and scores every threshold baseline on the holdout: the bar a learned model must clear.
 * @param staticRule the rule in force (`null`: none); @default the lake's signal set's own rule, if it has one
 */
export async function baselineReport(
  lake: LocalLake,
  outDir: string,
  staticRule: StaticRule | null = lake.signalSet.staticRule ?? null,
  trainingWindowDays?: number,
  sensorHealth?: ExportOptions['sensorHealth'],
): Promise<BaselineReport> {
  const manifest = await exportDataset(lake, {
    outDir,
    ...(trainingWindowDays === undefined ? {} : { trainingWindowDays }),
    ...(sensorHealth === undefined ? {} : { sensorHealth }),
  });
  const train = await readExportSplit(lake, manifest.files.train);
  const holdout = await readExportSplit(lake, manifest.files.holdout);
  const set = lake.signalSet;
  const hasSound = set.signals.some((s) => s.name === 'sound');
  const results = evaluateBaselines({
    train,
    holdout,
    staticRule,
    soundSignal: hasSound ? 'sound' : undefined,
    signals: numericSignals(set).map((s) => s.name),
  });
  return {
    signalSet: set.id,
    rows: manifest.rows,
    timeRange: manifest.timeRange,
    ...(manifest.split === undefined ? {} : { split: manifest.split }),
    window: manifest.window,
    readingsFlagged: manifest.readingsFlagged,
    baselines: results.map((b) => ({
      name: b.name,
      description: b.description,
      rule: b.rule,
      split: 'holdout' as const,
      ...b.metrics,
    })),
  };
}
