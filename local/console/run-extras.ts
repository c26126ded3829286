import type { AutoMLCandidate } from '../../automl/job';
import type { EnsembleMember, FeatureStability, FoldSummary, ValidationReport } from '../../automl/report';

/**
 * What a run page shows beside its states: the AutoML leaderboard of the run's job, what approving deploys (read
 * from the synthesized definition, so it is what the state machine will really do), and the states table with
 * polling loops folded into one row per phase. Pure.
 */

export interface LeaderboardRow {
  readonly name: string;
  readonly family: string;
  readonly featureSubset: string;
  readonly features: string[];
  readonly status: string;
  readonly objective: { readonly name: string; readonly value: number | null };
  readonly foldValues: number[];
  /** Selection score (mean of the pooled objective and the worst fold's); null for jobs that did not report it. */
  readonly robustValue: number | null;
  /** Features it reads that the search found drifting between folds (empty when none or not reported). */
  readonly driftingFeatures: string[];
  /** An ensemble's members, heaviest first; null for a single model. */
  readonly ensemble: EnsembleMember[] | null;
  readonly threshold: number;
  readonly seconds: number;
  readonly winner: boolean;
  readonly isBaseline: boolean;
  /** Why it won or lost, in one sentence. */
  readonly why: string;
}

/** What the job's validation could say: its folds, how far apart the top candidates were, feature stability. */
export interface ValidationSummary {
  readonly folds: FoldSummary[];
  readonly gap: number;
  readonly spread: number;
  readonly separable: boolean;
  /** The engine's plain statement when validation could not separate the candidates, else gap vs spread. */
  readonly statement: string;
  /** Most drifting first (largest PSI). */
  readonly featureStability: FeatureStability[];
}

export interface Leaderboard {
  readonly jobName: string;
  readonly winner: string | null;
  /** Null for jobs that ended before the engine reported its validation (older jobs, running ones). */
  readonly validation: ValidationSummary | null;
  readonly rows: LeaderboardRow[];
}

export interface AutoMLSource {
  listCandidates(name: string): AutoMLCandidate[];
  describe(name: string): {
    readonly BestCandidate?: { readonly CandidateName?: string };
    readonly Validation?: ValidationReport;
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The first string under `key` anywhere in `value` (depth-first). */
function findString(value: unknown, key: string, depth = 0): string | undefined {
  if (depth > 8) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findString(item, key, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  if (typeof value[key] === 'string') return value[key];
  for (const child of Object.values(value)) {
    const found = findString(child, key, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** The AutoML job a run started: the AutoMLJobName its states passed to or got from SageMaker. */
export function autoMLJobNameOf(states: readonly { input?: unknown; output?: unknown }[]): string | undefined {
  for (const s of states) {
    const name = findString(s.input, 'AutoMLJobName') ?? findString(s.output, 'AutoMLJobName');
    if (name) return name;
  }
  return undefined;
}

const f = (v: number): string => v.toFixed(3);
/** Two scores side by side, with as many digits (3 to 6) as it takes to tell them apart. */
function versus(a: number, b: number): string {
  let digits = 3;
  while (digits < 6 && a !== b && a.toFixed(digits) === b.toFixed(digits)) digits++;
  return `(${a.toFixed(digits)} vs ${b.toFixed(digits)})`;
}

/** An ensemble's members in one line, heaviest first: "sound·gbt 0.55, co2·logistic 0.45". */
export function membersText(members: readonly EnsembleMember[]): string {
  return [...members]
    .sort((a, b) => b.weight - a.weight)
    .map((m) => `${m.featureSubset}·${m.family} ${m.weight.toFixed(2)}`)
    .join(', ');
}

/** The sentence the page leads with: the engine's statement, or why the ranking can be trusted. */
function validationStatement(report: ValidationReport): string {
  const figures = `gap ${f(report.gap)} ${report.separable ? '>' : '≤'} spread ${f(report.spread)}`;
  if (report.separable) return `Validation separates the top candidates (${figures}).`;
  if (report.statement) return report.statement;
  const folds = report.folds.length;
  return `Validation could not separate the top candidates (${folds} fold${folds === 1 ? '' : 's'}, ${figures}).`;
}

export function validationSummaryOf(report: ValidationReport): ValidationSummary {
  return {
    folds: report.folds,
    gap: report.gap,
    spread: report.spread,
    separable: report.separable,
    statement: validationStatement(report),
    featureStability: [...report.featureStability].sort((a, b) => b.psi - a.psi || b.ks - a.ks),
  };
}

interface Context {
  readonly candidates: readonly AutoMLCandidate[];
  readonly winner: AutoMLCandidate | undefined;
  readonly validation: ValidationSummary | null;
}

const drifts = (c: AutoMLCandidate | undefined): boolean => (c?.Leaderboard.driftingFeatures?.length ?? 0) > 0;
/** What the search ranked on: the robust value when the job reported it, else the pooled objective. */
const rankValue = (c: AutoMLCandidate): number | undefined =>
  c.Leaderboard.robustValue ?? c.FinalAutoMLJobObjectiveMetric?.Value;

/** For a winner reading drifting features: how far it is ahead of the best completed candidate free of them. */
function driftNote(c: AutoMLCandidate, candidates: readonly AutoMLCandidate[]): string {
  if (!drifts(c)) return '';
  let stable: AutoMLCandidate | undefined;
  for (const other of candidates) {
    if (other === c || other.CandidateStatus !== 'Completed' || drifts(other)) continue;
    if (!stable || (rankValue(other) ?? -1) > (rankValue(stable) ?? -1)) stable = other;
  }
  const mine = rankValue(c);
  const theirs = stable && rankValue(stable);
  if (!stable || mine === undefined || theirs === undefined)
    return '; it reads drifting features (no candidate free of them completed)';
  return `; it reads drifting features, yet beats the best candidate free of them (${stable.CandidateName}, ${f(theirs)}) by ${f(mine - theirs)}`;
}

function winnerWhy(c: AutoMLCandidate, context: Context): string {
  const lb = c.Leaderboard;
  const baseline = lb.isBaseline
    ? 'it is the single-signal threshold itself'
    : `${lb.beatsBaseline ? 'beats' : 'does not beat'} the single-signal threshold on validation`;
  const what =
    lb.ensemble && lb.ensemble.length > 0
      ? `chosen: an ensemble of ${lb.ensemble.length} candidates across feature views (${membersText(lb.ensemble)}), weights chosen on out-of-fold predictions; ${baseline}`
      : `chosen: best score robust across folds (mean of pooled and worst fold), ${baseline}`;
  const validation = context.validation;
  // The statement itself leads the page; the winner's row only says the ranking was not evidence.
  const folds = validation?.folds.length ?? 0;
  const caveat =
    validation && !validation.separable
      ? `; validation could not rank the top candidates (gap ${f(validation.gap)} ≤ spread ${f(validation.spread)}, ${folds} fold${folds === 1 ? '' : 's'})`
      : '';
  return `${what}${driftNote(c, context.candidates)}${caveat}`;
}

/** Why a completed candidate lost, on the robust value the search ranked by (older jobs: the pooled score). */
function loserWhy(c: AutoMLCandidate, winner: AutoMLCandidate | undefined): string {
  const value = c.FinalAutoMLJobObjectiveMetric?.Value;
  const best = winner?.FinalAutoMLJobObjectiveMetric?.Value;
  const robust = c.Leaderboard.robustValue;
  const bestRobust = winner?.Leaderboard.robustValue;
  if (robust !== undefined && bestRobust !== undefined) {
    const scores = versus(robust, bestRobust);
    if (robust > bestRobust) {
      return drifts(c) && !drifts(winner)
        ? `higher robust score ${scores} but reads features drifting between folds without clearly beating the chosen one, which reads none`
        : `higher robust score ${scores} but within one standard error of the chosen one, which is simpler`;
    }
    if (value !== undefined && best !== undefined && value > best) {
      return `higher pooled score ${versus(value, best)} but lower robust score ${scores}: weaker on its worst fold`;
    }
    return `lower robust score ${scores}`;
  }
  if (value !== undefined && best !== undefined && value > best) {
    return `higher pooled score ${versus(value, best)} but weaker on its worst fold or not simpler within one standard error`;
  }
  return best !== undefined && value !== undefined ? `lower score ${versus(value, best)}` : 'not chosen';
}

function why(c: AutoMLCandidate, isWinner: boolean, context: Context): string {
  const lb = c.Leaderboard;
  if (isWinner) return winnerWhy(c, context);
  if (c.CandidateStatus !== 'Completed')
    return `${(c.CandidateStatus ?? 'unknown').toLowerCase()}: ${c.FailureReason ?? 'no score'}`;
  if (lb.isBaseline) return 'the single-signal threshold every candidate is compared with';
  const member = context.winner?.Leaderboard.ensemble?.find((m) => m.candidateName === c.CandidateName);
  if (member) return `member of the chosen ensemble (weight ${member.weight.toFixed(2)})`;
  if (!lb.beatsBaseline) return 'no better than the single-signal threshold on validation';
  return loserWhy(c, context.winner);
}

export function leaderboardOf(jobName: string, automl: AutoMLSource): Leaderboard {
  const candidates = automl.listCandidates(jobName);
  const description = automl.describe(jobName);
  const winnerName = description.BestCandidate?.CandidateName ?? null;
  const winner = candidates.find((c) => c.CandidateName === winnerName);
  const validation = description.Validation ? validationSummaryOf(description.Validation) : null;
  return {
    jobName,
    winner: winnerName,
    validation,
    rows: candidates.map((c) => {
      const lb = c.Leaderboard;
      const isWinner = c.CandidateName === winnerName;
      const started = c.CreationTime?.getTime() ?? 0;
      const ended = c.EndTime?.getTime() ?? started;
      return {
        name: c.CandidateName ?? '',
        family: lb.family,
        featureSubset: lb.featureSubset,
        features: lb.features,
        status: c.CandidateStatus ?? 'Unknown',
        objective: {
          name: c.FinalAutoMLJobObjectiveMetric?.MetricName ?? 'F1',
          value: c.FinalAutoMLJobObjectiveMetric?.Value ?? null,
        },
        foldValues: lb.foldValues,
        robustValue: lb.robustValue ?? null,
        driftingFeatures: lb.driftingFeatures ?? [],
        ensemble: lb.ensemble && lb.ensemble.length > 0 ? [...lb.ensemble].sort((a, b) => b.weight - a.weight) : null,
        threshold: lb.threshold,
        seconds: Math.max(0, (ended - started) / 1000),
        winner: isWinner,
        isBaseline: lb.isBaseline,
        why: why(c, isWinner, { candidates, winner, validation }),
      };
    }),
  };
}

/** What approving does: the blue/green canary UpdateEndpoint's deployment config. */
export interface DeploymentPlan {
  readonly canary: string | null;
  readonly bakeSeconds: number | null;
  readonly terminationWaitSeconds: number | null;
  readonly rollbackAlarms: string[];
}

function findRecord(value: unknown, key: string, depth = 0): Record<string, unknown> | undefined {
  if (depth > 12) return undefined;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findRecord(item, key, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  if (isRecord(value[key])) return value[key];
  for (const child of Object.values(value)) {
    const found = findRecord(child, key, depth + 1);
    if (found) return found;
  }
  return undefined;
}

export function deploymentPlanOf(definition: unknown): DeploymentPlan | null {
  const config = findRecord(definition, 'DeploymentConfig');
  if (!config) return null;
  const policy = isRecord(config.BlueGreenUpdatePolicy) ? config.BlueGreenUpdatePolicy : {};
  const routing = isRecord(policy.TrafficRoutingConfiguration) ? policy.TrafficRoutingConfiguration : {};
  const size = isRecord(routing.CanarySize) ? routing.CanarySize : undefined;
  const canary = size
    ? `${String(size.Value)}${size.Type === 'CAPACITY_PERCENT' ? ' % of capacity' : ' instance(s)'}`
    : typeof routing.Type === 'string'
      ? routing.Type
      : null;
  const rollback = isRecord(config.AutoRollbackConfiguration) ? config.AutoRollbackConfiguration : {};
  const alarms = Array.isArray(rollback.Alarms) ? rollback.Alarms : [];
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  return {
    canary,
    bakeSeconds: num(routing.WaitIntervalInSeconds),
    terminationWaitSeconds: num(policy.TerminationWaitInSeconds),
    rollbackAlarms: alarms.flatMap((a) => (isRecord(a) && typeof a.AlarmName === 'string' ? [a.AlarmName] : [])),
  };
}

export interface PhaseRow {
  /** The states of the row, in the order first entered (one name unless a loop was folded). */
  readonly names: string[];
  readonly type: string;
  readonly status: string;
  readonly enteredAt: number;
  readonly durationMs: number;
  /** How many times the loop went round (1 for a state visited once). */
  readonly count: number;
  /** Index of the first visit in the run's states (for input / output). */
  readonly first: number;
  readonly last: number;
}

interface Visit {
  readonly name: string;
  readonly type: string;
  readonly status: string;
  readonly enteredAt: number;
  readonly exitedAt: number | null;
}

/**
 * Folds polling loops: a stretch from a state's first visit to its last one (extended while states inside it
 * come round again) becomes one row with the loop's count and total duration.
 */
export function foldLoops(states: readonly Visit[], now: number): PhaseRow[] {
  const lastIndex = new Map<string, number>();
  states.forEach((s, i) => {
    lastIndex.set(s.name, i);
  });
  const rows: PhaseRow[] = [];
  let i = 0;
  while (i < states.length) {
    const start = states[i] as Visit;
    let end = lastIndex.get(start.name) ?? i;
    for (let j = i; j <= end; j++) end = Math.max(end, lastIndex.get((states[j] as Visit).name) ?? j);
    const block = states.slice(i, end + 1);
    const names = [...new Set(block.map((s) => s.name))];
    const lastVisit = block.at(-1) as Visit;
    const failed = block.find((s) => s.status === 'failed');
    rows.push({
      names,
      type: names.length > 1 ? 'loop' : start.type,
      status: failed && failed === lastVisit ? 'failed' : lastVisit.status,
      enteredAt: start.enteredAt,
      durationMs: Math.max(0, (lastVisit.exitedAt ?? now) - start.enteredAt),
      count: block.filter((s) => s.name === start.name).length,
      first: i,
      last: end,
    });
    i = end + 1;
  }
  return rows;
}
