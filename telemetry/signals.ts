/**
 * Signal sets: which sensor signals a fleet or dataset reports. Everything downstream (validation,
 * features, lake columns, baselines) is generated from a signal set, so one pipeline serves the
 * thermostat fleet and the public datasets alike.
 *
 * Signal names are snake_case and double as lake column names and raw feature names.
 */

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

const numeric = (
  name: string,
  unit: string,
  min: number,
  max: number,
  extra: Partial<Pick<NumericSignal, 'crossingLevel' | 'reportedKey'>> = {},
): NumericSignal => ({ name, kind: 'numeric', unit, min, max, ...extra });

export const HVAC_STATUSES = ['OFF', 'HEATING', 'COOLING', 'FAN'] as const;

export const THERMOSTAT: SignalSet = {
  id: 'thermostat',
  description: 'IoT thermostat fleet: temperature, humidity, sound level, HVAC status',
  signals: [
    numeric('temperature', '°C', -40, 85),
    numeric('humidity', '%', 0, 100),
    numeric('sound', 'level', 0, 200, { crossingLevel: 10 }),
    { name: 'hvac_status', kind: 'enum', values: HVAC_STATUSES, reportedKey: 'hvacStatus' },
  ],
  staticRule: { signal: 'sound', level: 10 },
};

/** UCI Occupancy Detection (Candanedo & Feldheim 2016): one office, one reading a minute. No sound sensor. */
export const UCI_OCCUPANCY: SignalSet = {
  id: 'uci-occupancy',
  description: 'UCI Occupancy Detection: temperature, humidity, light, CO2, humidity ratio',
  signals: [
    numeric('temperature', '°C', -40, 85),
    numeric('humidity', '%', 0, 100),
    numeric('light', 'lux', 0, 100000, { crossingLevel: 365 }),
    numeric('co2', 'ppm', 0, 20000),
    numeric('humidity_ratio', 'kg/kg', 0, 0.1),
  ],
};

/** UCI Room Occupancy Estimation (Singh et al. 2018): four nodes, CO2, two PIR sensors. */
export const UCI_ROOM_OCCUPANCY: SignalSet = {
  id: 'uci-room-occupancy',
  description: 'UCI Room Occupancy Estimation: 4 temperature/light/sound nodes, CO2 and slope, 2 PIR',
  signals: [
    ...[1, 2, 3, 4].map((i) => numeric(`s${i}_temp`, '°C', -40, 85)),
    ...[1, 2, 3, 4].map((i) => numeric(`s${i}_light`, 'lux', 0, 100000)),
    ...[1, 2, 3, 4].map((i) => numeric(`s${i}_sound`, 'V', 0, 10)),
    numeric('s5_co2', 'ppm', 0, 20000),
    numeric('s5_co2_slope', 'ppm/min', -1000, 1000),
    numeric('s6_pir', 'binary', 0, 1, { crossingLevel: 0.5 }),
    numeric('s7_pir', 'binary', 0, 1, { crossingLevel: 0.5 }),
  ],
};

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
