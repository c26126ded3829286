/**
 * bench:automl's child mode for the project's own engines: train one engine on one dataset (in its own process,
 * so its peak RSS is its own) and print a JSON line per holdout. The engine runs as the job runs it: candidates on a
 * pool of worker threads (`runSearchPool`), the winner refitted and calibrated; `train_seconds` is that wall time.
 */
import { loadPredictor } from '../automl/artifact';
import { runSearchPool } from '../automl/pool';
import { concatTables, type SearchResult } from '../automl/search';
import { applyThreshold, classificationMetrics, fitBestThreshold } from '../evaluation';
import type { Dataset } from './automl-data';

export const peakRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
const r4 = (x: number | undefined): number | null =>
  x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(4));

export type LineExtra = Record<string, number | string | boolean | null>;

/** One engine's figures on one holdout; `brier` is null for an engine that gives hard labels only. */
export function engineLine(
  d: Dataset,
  holdout: string,
  engine: string,
  m: ReturnType<typeof classificationMetrics>,
  seconds: number,
  extra: LineExtra = {},
): string {
  return JSON.stringify({
    dataset: `${d.name}/${holdout}`,
    engine,
    f1: r4(m.f1),
    accuracy: r4(m.accuracy),
    auc: r4(m.rocAuc),
    brier: r4(m.brier),
    train_seconds: Number(seconds.toFixed(2)),
    peak_rss_mb: peakRssMb(),
    ...extra,
  });
}

/**
 * The validation evidence of a search, when the search reports it (`SearchResult.validation`, issue 20 item 1):
 * read structurally so the bench runs before and after that field lands.
 */
export function validationFigures(result: SearchResult): { folds: number | null; separable: boolean | null } {
  const report: unknown = Reflect.get(result, 'validation');
  if (typeof report !== 'object' || report === null) return { folds: null, separable: null };
  const folds: unknown = Reflect.get(report, 'folds');
  const separable: unknown = Reflect.get(report, 'separable');
  return {
    folds: Array.isArray(folds) ? folds.length : null,
    separable: typeof separable === 'boolean' ? separable : null,
  };
}

export interface EngineOptions {
  /** Undefined: the engine's default plan count. */
  readonly maxCandidates: number | undefined;
  /** The job runtime budget, as `occupancy automl --max-seconds`; undefined = none. */
  readonly maxSeconds: number | undefined;
  readonly poolSize: number | undefined;
}

export async function automlLines(d: Dataset, options: EngineOptions): Promise<string[]> {
  const start = performance.now();
  const result = await runSearchPool(d.train, d.validation, {
    jobName: 'bench',
    ...(options.maxCandidates !== undefined ? { maxCandidates: options.maxCandidates } : {}),
    seed: 1,
    ...(options.maxSeconds !== undefined ? { maxJobRuntimeSeconds: options.maxSeconds } : {}),
    ...(options.poolSize !== undefined ? { poolSize: options.poolSize } : {}),
  });
  const seconds = (performance.now() - start) / 1000;
  if (!result.best) throw new Error('no candidate completed');
  const { artifact, candidate } = result.best;
  const predictor = loadPredictor(artifact);
  const validation = validationFigures(result);
  process.stderr.write(
    `[bench] ${d.name}: best ${candidate.name} [${artifact.usedFeatures.join(', ')}] F1(validation) ${candidate.objective.value.toFixed(4)} robust ${(candidate.robustValue ?? 0).toFixed(4)}; baseline ${result.baseline.name} ${result.baseline.objective.value.toFixed(4)}; ${result.candidates.length} candidates${result.timedOut ? ' (budget reached)' : ''}\n`,
  );
  return d.holdouts.map((h) => {
    const scored = predictor.predictTable(h.table);
    const m = classificationMetrics(h.table.target, scored.label, scored.probability);
    return engineLine(d, h.name, 'automl', m, seconds, {
      max_seconds: options.maxSeconds ?? null,
      // The job budget ended the search before every candidate ran: the figures are not the engine's best.
      budget_cut: result.timedOut,
      candidates: result.candidates.length,
      winner: candidate.name,
      winner_family: artifact.family,
      calibration: artifact.calibration?.method ?? null,
      folds: validation.folds,
      separable: validation.separable,
    });
  });
}

/** The best single-signal threshold fitted on train + validation, as the engines see them. */
export function thresholdLines(d: Dataset): string[] {
  const start = performance.now();
  const rule = fitBestThreshold(concatTables(d.train, d.validation));
  const seconds = (performance.now() - start) / 1000;
  process.stderr.write(`[bench] ${d.name}: best threshold ${rule.signal} ${rule.direction} ${rule.level}\n`);
  return d.holdouts.map((h) =>
    engineLine(
      d,
      h.name,
      `threshold-${rule.signal}`,
      classificationMetrics(h.table.target, applyThreshold(rule, h.table)),
      seconds,
    ),
  );
}
