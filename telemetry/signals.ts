/**
 * Signal sets: which sensor signals a fleet or dataset reports. Everything downstream (validation,
 * features, lake columns, baselines) is generated from a signal set, so one pipeline serves the
 * thermostat fleet and the public datasets alike.
 *
 * Signal names are snake_case and double as lake column names and raw feature names.
 */
import { parseSignalSet } from './signal-set-schema';
import thermostatJson from './signal-sets/thermostat.json';
import uciOccupancyJson from './signal-sets/uci-occupancy.json';
import uciRoomOccupancyJson from './signal-sets/uci-room-occupancy.json';

/** How long a numeric signal may hold one value before it counts as stuck, unless it says otherwise (sensor health). */
export const DEFAULT_STUCK_MINUTES = 180;

export interface NumericSignal {
  readonly name: string;
  readonly kind: 'numeric';
  readonly unit: string;
  /** Physical range; readings outside it are rejected as sensor faults. */
  readonly min: number;
  readonly max: number;
  /**
   * Level whose crossings feed the "time since last crossing" feature.
   * @default undefined (no crossing feature for this signal)
   */
  readonly crossingLevel?: number;
  /** Key of this signal in a device shadow's `reported` state, when it differs from `name`. */
  readonly reportedKey?: string;
  /**
   * How long a healthy sensor may hold one value (a light sensor in a dark night) before it counts as stuck.
   * @default the config's sensorHealth.stuckMinutes
   */
  readonly stuckAfterMinutes?: number;
}

export interface EnumSignal {
  readonly name: string;
  readonly kind: 'enum';
  readonly values: readonly string[];
  readonly reportedKey?: string;
}

export type Signal = NumericSignal | EnumSignal;

/** The rule the system replaces: `signal > level` means occupied. */
export interface ThresholdRule {
  readonly signal: string;
  readonly level: number;
}

export interface SignalSet {
  readonly id: string;
  readonly description: string;
  readonly signals: readonly Signal[];
  /** The static rule in force today, if this signal set has its signal. */
  readonly staticRule?: ThresholdRule;
}

export const HVAC_STATUSES = ['OFF', 'HEATING', 'COOLING', 'FAN'] as const;

/** IoT thermostat fleet (telemetry/signal-sets/thermostat.json). */
export const THERMOSTAT: SignalSet = parseSignalSet(thermostatJson, 'telemetry/signal-sets/thermostat.json');

/** UCI Occupancy Detection (Candanedo & Feldheim 2016): one office, one reading a minute. No sound sensor. */
export const UCI_OCCUPANCY: SignalSet = parseSignalSet(uciOccupancyJson, 'telemetry/signal-sets/uci-occupancy.json');

/** UCI Room Occupancy Estimation (Singh et al. 2018): four nodes, CO2, two PIR sensors. */
export const UCI_ROOM_OCCUPANCY: SignalSet = parseSignalSet(
  uciRoomOccupancyJson,
  'telemetry/signal-sets/uci-room-occupancy.json',
);

export const SIGNAL_SETS: Readonly<Record<string, SignalSet>> = {
  [THERMOSTAT.id]: THERMOSTAT,
  [UCI_OCCUPANCY.id]: UCI_OCCUPANCY,
  [UCI_ROOM_OCCUPANCY.id]: UCI_ROOM_OCCUPANCY,
};

export function signalSetById(id: string): SignalSet {
  const set = SIGNAL_SETS[id];
  if (!set) {
    throw new Error(`Unknown signal set "${id}"; known: ${Object.keys(SIGNAL_SETS).join(', ')}`);
  }
  return set;
}

export const numericSignals = (set: SignalSet): NumericSignal[] =>
  set.signals.filter((s): s is NumericSignal => s.kind === 'numeric');

export const enumSignals = (set: SignalSet): EnumSignal[] =>
  set.signals.filter((s): s is EnumSignal => s.kind === 'enum');
