/**
 * The simulator's sensor failure scenarios (`occupancy simulate --fault <kind>:<thing>[@<ISO time>]`, issue 22):
 * what a misbehaving device reports from its fault time on. Pure: parsing, planning and the per-reading rewrite;
 * the commands decide what reaches the lake (batch) or the broker (live).
 *
 * - stuck: the device's fault signal (below) holds the value it reported at the fault time (its first reading at or
 *   after it), every reading; the other signals carry on.
 * - silent: no reading from the fault time on (ground-truth labels come from the calendar, not the device: kept).
 * - out-of-range: every other reading from the fault time on reports the fault signal one whole range above its
 *   maximum (max + (max − min)); the readings in between are good, as an intermittent fault looks.
 * - malformed: every other reading from the fault time on reports the fault signal as a string (`"12.5"`), the
 *   firmware bug the validator refuses as wrong_type.
 * The fault signal is the signal the static rule reads when it is numeric, else the set's first numeric signal (as
 * the `sensor-failure` drift picks it): the sensor the building relies on today.
 * Refused readings (out-of-range, malformed) become `sensor_faults` rows through the real validator
 * (`refusedRecord`), so their field and code are the ones the inference Lambda would record.
 */

import { type FaultKind, faultKindOf, HEALTH_KINDS, type HealthKind, type SensorFaultRecord } from '../health/types';
import { TelemetryValidationError } from './errors';
import type { Reading } from './reading';
import { type NumericSignal, numericSignals, type SignalSet } from './signals';
import { isValidThingName, parseReading, toWireReport } from './validate';

const HOUR_MS = 3_600_000;

/** Hours before the end of the simulated period a fault starts when its flag gives no time. */
export const DEFAULT_FAULT_HOURS_BEFORE_END = 6;

/** One `--fault` as typed: a kind, a device and optionally when. */
export interface FaultScenario {
  readonly kind: HealthKind;
  readonly thingName: string;
  /** Epoch ms; absent: DEFAULT_FAULT_HOURS_BEFORE_END before the end of the period. */
  readonly at?: number;
}

/** A scenario resolved for one fleet: its time and the signal it concerns. */
export interface PlannedFault {
  readonly kind: HealthKind;
  readonly thingName: string;
  readonly at: number;
  /** The signal that sticks, leaves its range or is malformed; absent for silent. */
  readonly signal?: string;
  readonly description: string;
}

/** A `--fault` value that cannot be used; `field` is the flag (`fault`), named in the message and `cause`. */
export class FaultOptionsError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`, { cause: { field } });
    this.name = 'FaultOptionsError';
  }
}

const FLAG = 'fault';
/** A time with its zone: without one, `Date.parse` would read it in the machine's local time. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** `Date.parse` rolls 2026-02-30 over to March 2: the day must exist in its month. */
const realDate = (time: string): boolean => {
  const [y = 0, m = 0, d = 0] = time.slice(0, 10).split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d && m >= 1 && m <= 12;
};

const isHealthKind = (value: string): value is HealthKind => (HEALTH_KINDS as readonly string[]).includes(value);

/** Parses `<kind>:<thing>[@<ISO time>]`, e.g. `stuck:room-02@2026-01-20T06:00Z`. */
export function parseFaultScenario(value: string): FaultScenario {
  const colon = value.indexOf(':');
  if (colon < 0) throw new FaultOptionsError(FLAG, `expected <kind>:<thing>[@<ISO time>], got "${value}"`);
  const kind = value.slice(0, colon);
  if (!isHealthKind(kind)) {
    throw new FaultOptionsError(
      FLAG,
      `unknown kind "${kind}" in "${value}": expected one of ${HEALTH_KINDS.join(', ')}`,
    );
  }
  const rest = value.slice(colon + 1);
  const atSign = rest.indexOf('@');
  const thingName = atSign < 0 ? rest : rest.slice(0, atSign);
  if (!isValidThingName(thingName)) {
    throw new FaultOptionsError(FLAG, `"${thingName}" in "${value}" is not a thing name (1–128 of [a-zA-Z0-9:_-])`);
  }
  if (atSign < 0) return { kind, thingName };
  const time = rest.slice(atSign + 1);
  const at = ISO_TIME.test(time) && realDate(time) ? Date.parse(time) : Number.NaN;
  if (!Number.isFinite(at)) {
    throw new FaultOptionsError(
      FLAG,
      `bad time "${time}" in "${value}": expected ISO 8601 with a zone, e.g. 2026-01-20T06:00Z`,
    );
  }
  return { kind, thingName, at };
}

/** The signal a fault concerns: the static rule's when numeric, else the first numeric one. */
export function faultSignal(set: SignalSet): NumericSignal | undefined {
  const numeric = numericSignals(set);
  return numeric.find((s) => s.name === set.staticRule?.signal) ?? numeric[0];
}

/** The value an out-of-range fault reports: one whole range above the maximum. */
export const outOfRangeValue = (signal: NumericSignal): number => signal.max + (signal.max - signal.min);

const describe = (kind: HealthKind, signal: NumericSignal | undefined): string => {
  const name = signal?.name ?? '';
  switch (kind) {
    case 'stuck':
      return `${name} holds the value it reported at the fault time`;
    case 'silent':
      return 'no reading from the fault time on';
    case 'out-of-range':
      return signal
        ? `every other reading reports ${name} = ${outOfRangeValue(signal)} (range [${signal.min}, ${signal.max}])`
        : '';
    case 'malformed':
      return `every other reading reports ${name} as a string`;
  }
};

export interface FaultFleet {
  /** The devices of the fleet. */
  readonly things: readonly string[];
  readonly signalSet: SignalSet;
  /** Epoch ms of the period (end exclusive); `end` absent (live): a time is required or the fault starts at once. */
  readonly start: number;
  readonly end?: number;
}

/**
 * Resolves scenarios for a fleet: the default time, the thing and time checked against the fleet.
 * @throws FaultOptionsError naming the flag: an unknown thing, a time outside the period, a kind twice on one thing.
 */
export function planFaults(scenarios: readonly FaultScenario[], fleet: FaultFleet): PlannedFault[] {
  const things = new Set(fleet.things);
  const seen = new Set<string>();
  const signal = faultSignal(fleet.signalSet);
  const range = fleet.end === undefined ? '' : ` [${iso(fleet.start)}, ${iso(fleet.end)})`;
  return scenarios.map((s) => {
    if (!things.has(s.thingName)) {
      const [first = '', last = ''] = [fleet.things[0], fleet.things[fleet.things.length - 1]];
      const known = fleet.things.length <= 3 ? fleet.things.join(', ') : `${first} … ${last}`;
      throw new FaultOptionsError(FLAG, `unknown thing "${s.thingName}": the fleet has ${known}`);
    }
    const key = `${s.kind}:${s.thingName}`;
    if (seen.has(key)) throw new FaultOptionsError(FLAG, `"${key}" given twice`);
    seen.add(key);
    if (s.kind !== 'silent' && signal === undefined) {
      throw new FaultOptionsError(
        FLAG,
        `${s.kind} needs a numeric signal; signal set "${fleet.signalSet.id}" has none`,
      );
    }
    const fallback =
      fleet.end === undefined
        ? fleet.start
        : Math.max(fleet.start, fleet.end - DEFAULT_FAULT_HOURS_BEFORE_END * HOUR_MS);
    const at = s.at ?? fallback;
    if (at < fleet.start || (fleet.end !== undefined && at >= fleet.end)) {
      throw new FaultOptionsError(FLAG, `time ${iso(at)} of "${key}" is outside the simulated period${range}`);
    }
    const concerned = s.kind === 'silent' ? undefined : signal;
    return {
      kind: s.kind,
      thingName: s.thingName,
      at,
      ...(concerned && { signal: concerned.name }),
      description: describe(s.kind, concerned),
    };
  });
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** What a device sends instead of its simulated reading. */
export type FaultOutcome =
  | { readonly kind: 'reading'; readonly reading: Reading }
  | { readonly kind: 'silent' }
  /** A report the IoT rules and the inference Lambda refuse, in wire format (thingName included). */
  | { readonly kind: 'refused'; readonly report: Record<string, unknown>; readonly fault: PlannedFault };

export interface FaultInjector {
  /** Applies the device's faults to one reading (readings of a device in time order). */
  apply(reading: Reading): FaultOutcome;
}

/** A stateful rewriter for one fleet's readings (stuck values and every-other counters are per device). */
export function createFaultInjector(plans: readonly PlannedFault[], set: SignalSet): FaultInjector {
  const byThing = new Map<string, PlannedFault[]>();
  for (const p of plans) byThing.set(p.thingName, [...(byThing.get(p.thingName) ?? []), p]);
  const held = new Map<PlannedFault, number | string>();
  const counts = new Map<PlannedFault, number>();
  const numeric = new Map(numericSignals(set).map((s) => [s.name, s]));
  return {
    apply(reading: Reading): FaultOutcome {
      const active = (byThing.get(reading.thingName) ?? []).filter((p) => reading.ts >= p.at);
      if (active.length === 0) return { kind: 'reading', reading };
      if (active.some((p) => p.kind === 'silent')) return { kind: 'silent' };
      let values: Record<string, number | string> = { ...reading.values };
      let refused: PlannedFault | undefined;
      for (const p of active) {
        const signal = p.signal === undefined ? undefined : numeric.get(p.signal);
        if (!signal) continue;
        if (p.kind === 'stuck') {
          const value = held.get(p) ?? values[signal.name];
          if (value !== undefined) {
            held.set(p, value);
            values = { ...values, [signal.name]: value };
          }
          continue;
        }
        const n = counts.get(p) ?? 0;
        counts.set(p, n + 1);
        if (n % 2 !== 0) continue;
        const bad = p.kind === 'out-of-range' ? outOfRangeValue(signal) : String(values[signal.name]);
        values = { ...values, [signal.name]: bad };
        refused ??= p;
      }
      const faulted: Reading = { ...reading, values };
      if (!refused) return { kind: 'reading', reading: faulted };
      return { kind: 'refused', report: toWireReport(faulted, set), fault: refused };
    },
  };
}

/**
 * The `sensor_faults` row of a refused report, from the real validator (its first issue's field and code, kind by
 * faultKindOf), or undefined when the validator accepts it. `receivedAt` is when it was refused; the row's `ts` is
 * the report's own time when that is a valid one, else `receivedAt`.
 */
export function refusedRecord(
  report: Record<string, unknown>,
  set: SignalSet,
  receivedAt: number,
): SensorFaultRecord | undefined {
  try {
    parseReading(report, set, { now: receivedAt });
    return undefined;
  } catch (error) {
    if (!(error instanceof TelemetryValidationError)) throw error;
    const timeBad = error.issues.some((i) => i.field === 'timestamp');
    const ts = !timeBad && typeof report.timestamp === 'number' ? report.timestamp : receivedAt;
    const kind: FaultKind = faultKindOf(error.code);
    return {
      thing_name: String(report.thingName),
      ts,
      received_at: receivedAt,
      kind,
      field: error.field,
      code: error.code,
    };
  }
}

/** A plan for the command's JSON output. */
export const faultSummary = (p: PlannedFault) => ({
  kind: p.kind,
  thingName: p.thingName,
  at: iso(p.at),
  ...(p.signal !== undefined && { signal: p.signal }),
  description: p.description,
});
