/**
 * The shadow comparison of a run (issue 21 item 4), read from the CompareShadow state's output in the run's history
 * (pipeline/phases/shadow.ts puts it at `$.shadowComparison`): the candidate (shadow variant, answers from data
 * capture) vs the serving model on the same labelled readings of the bake, the paired ΔF1 with its confidence
 * interval, and whether it passed. Read defensively: the newest succeeded CompareShadow state holding an object
 * shaped like tasks/shadow-compare-decision.ts's ShadowComparison, else any later state about the shadow carrying
 * it. The allowed loss is the comparison's setting, read from the state machine's definition. Pure.
 */

export interface ShadowView {
  readonly state: string;
  readonly passed: boolean;
  readonly candidateF1: number | null;
  readonly servingF1: number | null;
  /** F1(candidate) − F1(serving) on the paired readings. */
  readonly delta: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
  readonly confidence: number;
  readonly pairedReadings: number;
  readonly unpaired: number;
  /** The comparison's own sentence with the figures. */
  readonly summary: string;
  /** The loss allowed (passes when the CI lower bound is above −maxF1Loss), when the state's input names it. */
  readonly maxF1Loss: number | null;
  /** The run ended `shadow-rejected`: the endpoint was left as it was. */
  readonly rejected: boolean;
  /** One line for a person, leading the section. */
  readonly verdict: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function looksLikeComparison(v: unknown): v is Record<string, unknown> {
  return isRecord(v) && typeof v.passed === 'boolean' && typeof v.pairedReadings === 'number';
}

/** The comparison in `value`, breadth first (the nearest to the top wins), to a bounded depth. */
function findComparison(value: unknown): Record<string, unknown> | undefined {
  let level: unknown[] = [value];
  for (let depth = 0; depth < 6 && level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const v of level) {
      if (looksLikeComparison(v)) return v;
      if (isRecord(v)) next.push(...Object.values(v));
      else if (Array.isArray(v)) next.push(...v);
    }
    level = next;
  }
  return undefined;
}

/** `maxF1Loss` anywhere in the state's input (the comparison's settings), to a bounded depth. */
function findMaxF1Loss(value: unknown, depth = 0): number | null {
  if (depth > 12 || !isRecord(value)) return null;
  const here = num(value.maxF1Loss);
  if (here !== null) return here;
  for (const child of Object.values(value)) {
    const found = findMaxF1Loss(child, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

const f3 = (v: number): string => v.toFixed(3);

function verdictOf(v: Omit<ShadowView, 'verdict'>): string {
  const where = `on ${v.pairedReadings} paired labelled reading${v.pairedReadings === 1 ? '' : 's'}`;
  if (v.delta === null || v.lower === null || v.upper === null || v.candidateF1 === null || v.servingF1 === null) {
    return `${v.passed ? 'Passed' : 'Not compared'}: ${v.summary}`;
  }
  const ci = `${Math.round(v.confidence * 1000) / 10}% CI ${f3(v.lower)} to ${f3(v.upper)}`;
  const figures = `candidate F1 ${f3(v.candidateF1)} vs serving ${f3(v.servingF1)}, ΔF1 ${v.delta >= 0 ? '+' : ''}${f3(v.delta)} (${ci}) ${where}`;
  const bar = v.maxF1Loss === null ? '' : ` (allowed loss ${v.maxF1Loss})`;
  return v.passed
    ? `Passed: ${figures}; not worse than serving${bar}.`
    : `Failed: ${figures}; worse than serving${bar}.`;
}

export interface ShadowStates {
  readonly name: string;
  readonly status: string;
  readonly input?: unknown;
  readonly output?: unknown;
}

/** The state that runs the comparison (pipeline/state-names.ts). */
export const COMPARE_STATE = 'CompareShadow';

function comparisonState(states: readonly ShadowStates[]): { state: ShadowStates; c: Record<string, unknown> } | null {
  for (const named of [true, false]) {
    for (let i = states.length - 1; i >= 0; i--) {
      const s = states[i] as ShadowStates;
      if (s.status !== 'succeeded' || !(named ? s.name === COMPARE_STATE : /shadow/i.test(s.name))) continue;
      const c = findComparison(s.output);
      if (c) return { state: s, c };
    }
  }
  return null;
}

/** `definition`: the state machine's ASL, whose CompareShadow parameters carry `settings.maxF1Loss`. */
export function shadowViewOf(
  states: readonly ShadowStates[],
  outcome: string,
  definition?: unknown,
): ShadowView | null {
  const found = comparisonState(states);
  if (!found) return null;
  const { state: s, c } = found;
  const view = {
    state: s.name,
    passed: c.passed === true,
    candidateF1: num(c.candidateF1),
    servingF1: num(c.servingF1),
    delta: num(c.delta),
    lower: num(c.lower),
    upper: num(c.upper),
    confidence: num(c.confidence) ?? 0.95,
    pairedReadings: num(c.pairedReadings) ?? 0,
    unpaired: num(c.unpaired) ?? 0,
    summary: typeof c.summary === 'string' ? c.summary : '',
    maxF1Loss: findMaxF1Loss(s.input) ?? findMaxF1Loss(definition),
    rejected: outcome === 'shadow-rejected',
  };
  return { ...view, verdict: verdictOf(view) };
}

/** Where a running run is in its shadow phase before the comparison: for the run page while it waits. */
export interface ShadowProgress {
  readonly stage: 'starting' | 'baking' | 'comparing';
  /** When the stage began (ms). */
  readonly since: number;
  readonly text: string;
}

export function shadowProgressOf(
  states: readonly (ShadowStates & { readonly enteredAt: number })[],
  status: string,
): ShadowProgress | null {
  const current = states.at(-1);
  if (status !== 'RUNNING' || !current || !/shadow/i.test(current.name) || comparisonState(states)) return null;
  const first = (name: string) => states.find((s) => s.name === name)?.enteredAt ?? current.enteredAt;
  if (current.name === COMPARE_STATE) {
    return {
      stage: 'comparing',
      since: current.enteredAt,
      text: 'Comparing the candidate with the serving model on the bake’s labelled readings.',
    };
  }
  if (current.name === 'BakeShadow') {
    return {
      stage: 'baking',
      since: first('BakeShadow'),
      text: 'The candidate answers a copy of live traffic as the shadow variant (its answers go to data capture only); the comparison on the labelled readings follows the bake.',
    };
  }
  return {
    stage: 'starting',
    since: current.enteredAt,
    text: 'Adding the candidate to the endpoint as a shadow variant, with data capture on.',
  };
}
