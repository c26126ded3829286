import type { VerdictReason } from '../../monitoring/verdicts';

/**
 * Why a retraining run started, read defensively from its execution input (and, when the input says nothing, the
 * `trigger` its final output carries). The shapes accepted (pipeline/phases/cooldown.ts decides the same way):
 * - `{ trigger: "evidence", reason, alarmName, stateReason, time }` (the monitor's alarms through EventBridge,
 *   infra/stacks/retrain-on-evidence.ts), or any input with a string `reason`: started by evidence, the alarm's
 *   `stateReason` (or a `detail` sentence) shown as its figures;
 * - a CloudWatch "Alarm State Change" event passed through as is (`detail.alarmName`, `detail.state.reason`);
 * - `{ trigger: "schedule" }` (EventBridge Scheduler): the schedule; any other string `trigger`: that kind;
 * - anything else (`{}`, a manual start): manual.
 * Pure.
 */

export interface RunTrigger {
  /** `evidence`, `schedule`, `manual`, or the kind another starter named. */
  readonly kind: string;
  /** The monitor's reason (e.g. `live-f1-below-static-rule`), null when none was given. */
  readonly reason: string | null;
  readonly alarmName: string | null;
  /** The figures the monitor gave with its reason, when the input carries them. */
  readonly detail: string | null;
  /** One line for a person: "live F1 below the static rule (alarm occupancy-live-f1)". */
  readonly text: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A short, printable string or null (an input is user data: long or odd values are cut, not trusted). */
function str(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const text = value.replace(/\s+/g, ' ').trim();
  if (text === '' || text === 'none') return null;
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

const REASONS: Record<VerdictReason, string> = {
  'live-f1-below-static-rule': 'live F1 below the static rule',
  'sustained-drift': 'sustained feature drift',
  'fallback-rate': 'fallback rate over the limit',
};

/** The monitor's reason in words; an unknown reason is shown as given. */
export function reasonWords(reason: string): string {
  return Object.hasOwn(REASONS, reason) ? REASONS[reason as VerdictReason] : reason;
}

function describe(kind: string, reason: string | null, alarmName: string | null): string {
  if (kind === 'evidence') {
    const why = reason ? reasonWords(reason) : 'a monitor alarm';
    return alarmName ? `${why} (alarm ${alarmName})` : why;
  }
  if (kind === 'schedule') return 'schedule';
  if (kind === 'manual') return 'manual start';
  return reason ? `${kind}: ${reasonWords(reason)}` : kind;
}

function trigger(kind: string, reason: string | null, alarmName: string | null, detail: string | null): RunTrigger {
  return { kind, reason, alarmName, detail, text: describe(kind, reason, alarmName) };
}

export function runTriggerOf(input: unknown, output?: unknown): RunTrigger {
  const given = isRecord(input) ? input : {};
  const reason = str(given.reason);
  const alarmName = str(given.alarmName);
  const detail = str(given.stateReason) ?? str(given.detail);
  const kind = str(given.trigger);
  if (reason) return trigger(kind && kind !== 'schedule' ? kind : 'evidence', reason, alarmName, detail);
  // An alarm's own state-change event, if a rule passes it on unchanged.
  const event = isRecord(given.detail) ? given.detail : undefined;
  const eventAlarm = event ? str(event.alarmName) : null;
  if (eventAlarm) {
    const state = event && isRecord(event.state) ? event.state : {};
    return trigger('evidence', null, eventAlarm, str(state.reason));
  }
  if (kind) return trigger(kind, null, alarmName, detail);
  // The run's own record of it (its final output's `trigger`), for inputs this reader does not know.
  const recorded = isRecord(output) && isRecord(output.trigger) ? output.trigger : undefined;
  const recordedKind = recorded ? str(recorded.kind) : null;
  if (recorded && recordedKind) return trigger(recordedKind, str(recorded.reason), null, null);
  return trigger('manual', null, null, null);
}

/**
 * A run the retraining cooldown stopped (outcome `cooldown`, pipeline/phases/cooldown.ts): which evidence-started
 * run it counted from and when the next may start, from the output's `cooldown`. Null for any other run.
 */
export function cooldownOf(output: unknown): string | null {
  if (!isRecord(output) || output.outcome !== 'cooldown') return null;
  const c = isRecord(output.cooldown) ? output.cooldown : {};
  const last = str(c.lastExecutionArn);
  const name = last ? (last.split(':').at(-1) ?? last) : null;
  const reason = str(c.lastReason);
  const at = str(c.lastStartedAt);
  const until = str(c.cooldownUntil);
  const since = name
    ? `the last run started by evidence, ${name}${reason ? ` (${reasonWords(reason)})` : ''}${at ? `, began ${at}` : ''}`
    : 'another run started by evidence began within it';
  return `Nothing done: within the retraining cooldown (monitoring.retrainingCooldownMinutes); ${since}${until ? `; the next may start from ${until}` : ''}.`;
}
