import type { AutoMLCandidate } from '../../automl/job';

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
  readonly threshold: number;
  readonly seconds: number;
  readonly winner: boolean;
  readonly isBaseline: boolean;
  /** Why it won or lost, in one sentence. */
  readonly why: string;
}

export interface Leaderboard {
  readonly jobName: string;
  readonly winner: string | null;
  readonly rows: LeaderboardRow[];
}

export interface AutoMLSource {
  listCandidates(name: string): AutoMLCandidate[];
  describe(name: string): { readonly BestCandidate?: { readonly CandidateName?: string } };
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

function why(c: AutoMLCandidate, winner: AutoMLCandidate | undefined, isWinner: boolean): string {
  const lb = c.Leaderboard;
  const value = c.FinalAutoMLJobObjectiveMetric?.Value;
  if (isWinner) {
    return `chosen: best score robust across folds (mean of pooled and worst fold), ${lb.beatsBaseline ? 'beats' : 'does not beat'} the single-signal threshold on validation`;
  }
  if (c.CandidateStatus !== 'Completed')
    return `${(c.CandidateStatus ?? 'unknown').toLowerCase()}: ${c.FailureReason ?? 'no score'}`;
  if (lb.isBaseline) return 'the single-signal threshold every candidate is compared with';
  if (!lb.beatsBaseline) return 'no better than the single-signal threshold on validation';
  const best = winner?.FinalAutoMLJobObjectiveMetric?.Value;
  if (value !== undefined && best !== undefined && value > best) {
    return `higher pooled score (${f(value)} vs ${f(best)}) but weaker on its worst fold or not simpler within one standard error`;
  }
  return best !== undefined && value !== undefined ? `lower score (${f(value)} vs ${f(best)})` : 'not chosen';
}

export function leaderboardOf(jobName: string, automl: AutoMLSource): Leaderboard {
  const candidates = automl.listCandidates(jobName);
  const winnerName = automl.describe(jobName).BestCandidate?.CandidateName ?? null;
  const winner = candidates.find((c) => c.CandidateName === winnerName);
  return {
    jobName,
    winner: winnerName,
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
        threshold: lb.threshold,
        seconds: Math.max(0, (ended - started) / 1000),
        winner: isWinner,
        isBaseline: lb.isBaseline,
        why: why(c, winner, isWinner),
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
