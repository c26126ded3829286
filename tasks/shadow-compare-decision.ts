/**
 * The shadow comparison's maths (issue 21 item 4): the candidate (shadow variant) and the serving model on the SAME
 * labelled readings of the bake period, with the offline gate's paired bootstrap CI of ΔF1 (evaluation/bootstrap.ts).
 * The serving model's answers and labels come from the `predictions` lake table; the candidate's answers from data
 * capture (a shadow's answers are never returned to the caller). Both saw the same request body, so a reading is
 * paired with the shadow's answer to the same feature row (a deterministic model answers a row one way).
 * Pure: rows in, decision out.
 */
import { pairedBootstrapDeltaF1 } from '../evaluation/bootstrap';
import { f1Score } from '../evaluation/metrics';
import { parseModelAnswer } from './infer-occupancy/endpoint';

/** One labelled reading the serving model answered during the bake. */
export interface ServedReading {
  /** The feature values of the request (NaN/null: missing), in the request's column order. */
  readonly vector: readonly (number | null)[];
  readonly label: 0 | 1;
  readonly servingDecision: 0 | 1;
}

/**
 * The key of a feature row: each value as the shortest text that reads back as the same double ('' when missing),
 * comma-joined: what tasks/infer-occupancy/endpoint.ts featureCsvLine sends, whatever text a store gave the value.
 */
export function rowKey(values: readonly (number | string | null)[]): string {
  return values
    .map((v) => {
      if (v === null) return '';
      const n = typeof v === 'number' ? v : v.trim() === '' ? Number.NaN : Number(v);
      return Number.isFinite(n) ? String(n) : '';
    })
    .join(',');
}

/** Shadow decisions by request row, from captured (input CSV, output CSV) pairs; each body's lines pair up. */
export function shadowAnswersByRow(
  captured: readonly { readonly input?: string; readonly output?: string }[],
): Map<string, 0 | 1> {
  const answers = new Map<string, 0 | 1>();
  for (const c of captured) {
    if (c.input === undefined || c.output === undefined) continue;
    const inputs = c.input.split('\n').filter((l) => l.trim() !== '');
    const outputs = c.output.split('\n').filter((l) => l.trim() !== '');
    if (inputs.length !== outputs.length) continue;
    inputs.forEach((line, i) => {
      const answer = parseModelAnswer(outputs[i] ?? '');
      if (answer) answers.set(rowKey(line.split(',')), answer.occupied ? 1 : 0);
    });
  }
  return answers;
}

export interface ShadowSettings {
  /** Pass when the CI lower bound of F1(candidate) − F1(serving) is above −maxF1Loss. */
  readonly maxF1Loss: number;
  readonly minPairedReadings: number;
  readonly resamples: number;
  readonly seed: number;
  /** @default 0.95 */
  readonly confidence?: number;
}

export interface ShadowComparison {
  readonly passed: boolean;
  /** Labelled readings both models answered. */
  readonly pairedReadings: number;
  /** Labelled serving answers with no captured shadow answer (sampling, or outside the capture). */
  readonly unpaired: number;
  readonly candidateF1: number | null;
  readonly servingF1: number | null;
  readonly delta: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
  readonly confidence: number;
  /** One sentence with the figures: the notification and the report carry it. */
  readonly summary: string;
}

const fmt = (v: number): string => v.toFixed(3);

/** Pairs the readings with the shadow's answers and decides. */
export function compareShadow(
  readings: readonly ServedReading[],
  shadow: ReadonlyMap<string, 0 | 1>,
  settings: ShadowSettings,
): ShadowComparison {
  const confidence = settings.confidence ?? 0.95;
  const y: number[] = [];
  const candidate: number[] = [];
  const serving: number[] = [];
  let unpaired = 0;
  for (const r of readings) {
    const answer = shadow.get(rowKey(r.vector));
    if (answer === undefined) {
      unpaired++;
      continue;
    }
    y.push(r.label);
    candidate.push(answer);
    serving.push(r.servingDecision);
  }
  const n = y.length;
  const positives = y.reduce((s, v) => s + v, 0);
  const base = { pairedReadings: n, unpaired, confidence };
  const refuse = (why: string): ShadowComparison => ({
    ...base,
    passed: false,
    candidateF1: null,
    servingF1: null,
    delta: null,
    lower: null,
    upper: null,
    summary: `shadow comparison refused: ${why} (${n} paired labelled readings, ${unpaired} unpaired)`,
  });
  if (n < settings.minPairedReadings) return refuse(`fewer than ${settings.minPairedReadings} paired readings`);
  if (positives === 0 || positives === n) return refuse('the paired readings hold one class only (F1 undefined)');
  const interval = pairedBootstrapDeltaF1(y, candidate, serving, {
    resamples: settings.resamples,
    seed: settings.seed,
    confidence,
  });
  const candidateF1 = f1Score(y, candidate);
  const servingF1 = f1Score(y, serving);
  const passed = interval.lower > -settings.maxF1Loss;
  const ci = `${Math.round(confidence * 1000) / 10}% CI ${fmt(interval.lower)}..${fmt(interval.upper)}`;
  const verdict = passed
    ? `not worse than serving by more than ${settings.maxF1Loss}`
    : `CI lower bound ${fmt(interval.lower)} ≤ −${settings.maxF1Loss}: worse than serving`;
  return {
    ...base,
    passed,
    candidateF1,
    servingF1,
    delta: interval.delta,
    lower: interval.lower,
    upper: interval.upper,
    summary: `shadow: candidate F1 ${fmt(candidateF1)} vs serving ${fmt(servingF1)}, ΔF1 ${fmt(interval.delta)} (${ci}) on ${n} paired labelled readings; ${verdict}`,
  };
}
