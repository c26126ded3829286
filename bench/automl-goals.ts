/**
 * Issue 20's bench goals, judged on the JSON lines of one bench:automl run (pure: lines in, one `goals` line out).
 * A goal whose figures are missing from the run (a skipped dataset, a failed engine) is not met and names what is
 * missing.
 */

/** The fields of a bench line the goals read. */
export interface BenchLine {
  readonly dataset: string;
  readonly engine: string;
  readonly f1: number | null;
  readonly trainSeconds: number | null;
  readonly peakRssMb: number | null;
  readonly budgetCut: boolean | null;
  readonly ratio: number | null;
}

const numberOrNull = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** A printed line as the goals see it; undefined for a line that is not an engine's JSON object. */
export function parseBenchLine(text: string): BenchLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const get = (key: string): unknown => Reflect.get(value, key);
  const dataset = get('dataset');
  const engine = get('engine');
  if (typeof dataset !== 'string' || typeof engine !== 'string') return undefined;
  const budgetCut = get('budget_cut');
  return {
    dataset,
    engine,
    f1: numberOrNull(get('f1')),
    trainSeconds: numberOrNull(get('train_seconds')),
    peakRssMb: numberOrNull(get('peak_rss_mb')),
    budgetCut: typeof budgetCut === 'boolean' ? budgetCut : null,
    ratio: numberOrNull(get('ratio')),
  };
}

export const GOALS = {
  uciDatatestF1: 0.975,
  uciDatatest2F1: 0.985,
  fleetF1OverHgb: 0.005,
  fleetRssMb: 2048,
  poolRatio: 0.65,
} as const;

export type Figure = number | boolean | null;

export interface Goal {
  readonly goal: string;
  readonly target: string;
  readonly figures: Record<string, Figure>;
  /** Figures the run did not produce (the goal is then not met). */
  readonly missing: string[];
  readonly met: boolean;
}

const HGB = 'sklearn-HistGradientBoosting';

function find(lines: readonly BenchLine[], dataset: string, engine: (e: string) => boolean): BenchLine | undefined {
  return lines.find((l) => l.dataset === dataset && engine(l.engine));
}

/** A goal from named figures and a test that holds when every figure is present. */
function judge(goal: string, target: string, figures: Record<string, Figure>, holds: () => boolean): Goal {
  const missing = Object.entries(figures)
    .filter(([, v]) => v === null)
    .map(([k]) => k);
  return { goal, target, figures, missing, met: missing.length === 0 && holds() };
}

const f1Of = (l: BenchLine | undefined): number | null => l?.f1 ?? null;
const isThreshold = (e: string) => e.startsWith('threshold-');

function uciGoal(lines: readonly BenchLine[], holdout: string, floor: number): Goal {
  const dataset = `uci-occupancy/${holdout}`;
  const automl = f1Of(find(lines, dataset, (e) => e === 'automl'));
  const threshold = f1Of(find(lines, dataset, isThreshold));
  return judge(
    dataset,
    `automl F1 ≥ ${floor} and > the best single-signal threshold's`,
    { automl_f1: automl, threshold_f1: threshold },
    () => (automl ?? 0) >= floor && (automl ?? 0) > (threshold ?? 1),
  );
}

function fleetGoal(lines: readonly BenchLine[]): Goal {
  const dataset = 'fleet-1m/holdout';
  const automl = find(lines, dataset, (e) => e === 'automl');
  const hgb = find(lines, dataset, (e) => e === HGB);
  const figures = {
    automl_f1: f1Of(automl),
    hgb_f1: f1Of(hgb),
    automl_train_seconds: automl?.trainSeconds ?? null,
    hgb_train_seconds: hgb?.trainSeconds ?? null,
    automl_peak_rss_mb: automl?.peakRssMb ?? null,
    budget_cut: automl?.budgetCut ?? null,
  };
  return judge(
    dataset,
    `automl F1 ≥ HGB's + ${GOALS.fleetF1OverHgb}, train time ≤ HGB's, peak RSS ≤ ${GOALS.fleetRssMb} MB, no budget cut`,
    figures,
    () =>
      (figures.automl_f1 ?? 0) >= (figures.hgb_f1 ?? 1) + GOALS.fleetF1OverHgb &&
      (figures.automl_train_seconds ?? Number.POSITIVE_INFINITY) <= (figures.hgb_train_seconds ?? 0) &&
      (figures.automl_peak_rss_mb ?? Number.POSITIVE_INFINITY) <= GOALS.fleetRssMb &&
      figures.budget_cut === false,
  );
}

function driftGoal(lines: readonly BenchLine[], dataset: string): Goal {
  const automl = f1Of(find(lines, dataset, (e) => e === 'automl'));
  const threshold = f1Of(find(lines, dataset, isThreshold));
  const hgb = f1Of(find(lines, dataset, (e) => e === HGB));
  return judge(
    dataset,
    "automl F1 ≥ the best threshold's fitted on the same training data, and ≥ HGB's",
    { automl_f1: automl, threshold_f1: threshold, hgb_f1: hgb },
    () => (automl ?? 0) >= (threshold ?? 1) && (automl ?? 0) >= (hgb ?? 1),
  );
}

function poolGoal(lines: readonly BenchLine[]): Goal {
  const ratio = lines.find((l) => l.engine === 'automl-pool')?.ratio ?? null;
  return judge(
    'automl-pool',
    `wall time of the fixed search on the cores ≤ ${GOALS.poolRatio}× one worker's`,
    { ratio },
    () => (ratio ?? 1) <= GOALS.poolRatio,
  );
}

/**
 * Every goal of the issue: UCI (both test files), the 1 M fleet, each drift scenario given, and the pool ratio.
 * Goals are listed even when the run skipped their dataset, so a partial run never reads as all met.
 */
export function judgeGoals(lines: readonly BenchLine[], driftDatasets: readonly string[]): Goal[] {
  return [
    uciGoal(lines, 'datatest', GOALS.uciDatatestF1),
    uciGoal(lines, 'datatest2', GOALS.uciDatatest2F1),
    fleetGoal(lines),
    ...driftDatasets.map((d) => driftGoal(lines, `${d}/holdout`)),
    poolGoal(lines),
  ];
}

export function goalsLine(goals: readonly Goal[]): string {
  return JSON.stringify({
    engine: 'goals',
    met: goals.filter((g) => g.met).length,
    of: goals.length,
    all_met: goals.every((g) => g.met),
    goals,
  });
}
