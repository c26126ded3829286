import type { SensorFaultRecord } from '../../health/types';
import { DriftOptionsError, type DriftPlan, parseDriftScenario, planDrift } from '../../telemetry/drift';
import { createFaultInjector, faultSummary, type PlannedFault, refusedRecord } from '../../telemetry/faults';
import type { LabelEvent, Reading } from '../../telemetry/reading';
import { type SignalSet, THERMOSTAT } from '../../telemetry/signals';
import { DEFAULT_SIM_START, simulateFleet } from '../../telemetry/simulator';
import { intFlag, parseCommand, progress, signalSetFlag, UsageError } from '../args';
import { LocalLake } from '../lake';
import { faultFlags } from './fault-flag';
import { SIMULATE } from './specs';

export interface SimulateSummary {
  readonly stateDir: string;
  readonly rooms: number;
  readonly days: number;
  readonly seed: number;
  readonly readings: number;
  readonly labels: number;
  /** With --drift: the scenario, the change (ISO time and days from the start) and the signal it changes. */
  readonly drift?: {
    readonly scenario: string;
    readonly change: string;
    readonly changeDay: number;
    readonly signal?: string;
    readonly description: string;
  };
  /**
   * With --fault: each fault applied, with the readings it withheld (silent) or had refused (out-of-range,
   * malformed: written as sensor_faults rows, not telemetry).
   */
  readonly faults?: readonly (ReturnType<typeof faultSummary> & {
    readonly withheld: number;
    readonly refused: number;
  })[];
  /** sensor_faults rows written (readings the IoT rule and the inference Lambda would have refused). */
  readonly sensorFaults?: number;
}

/** Simulates a fleet (thermostat, or any signal set) into the local lake, streaming in batches so memory stays flat. */
export function simulateIntoLake(
  stateDir: string,
  rooms: number,
  days: number,
  seed: number,
  start: number = DEFAULT_SIM_START,
  signalSet: SignalSet = THERMOSTAT,
  drift?: DriftPlan,
  faults: readonly PlannedFault[] = [],
): SimulateSummary {
  const lake = LocalLake.open(stateDir, signalSet);
  const tx = lake.beginAppend(); // one all-or-nothing append: a simulation cut short adds nothing to the lake
  let readings: Reading[] = [];
  let labels: LabelEvent[] = [];
  let refused: SensorFaultRecord[] = [];
  let readingCount = 0;
  let labelCount = 0;
  let faultCount = 0;
  const injector = createFaultInjector(faults, signalSet);
  const effects = new Map(faults.map((f) => [f, { withheld: 0, refused: 0 }]));
  const total = rooms * days * 1440;
  const flush = (): void => {
    readingCount += tx.appendReadings(readings);
    labelCount += tx.appendLabels(labels);
    if (refused.length > 0) faultCount += tx.appendSensorFaults(refused);
    readings = [];
    labels = [];
    refused = [];
    progress(`simulate: ${readingCount.toLocaleString()} / ~${total.toLocaleString()} readings`);
  };
  try {
    for (const event of simulateFleet({ rooms, days, seed, start, signalSet, ...(drift && { drift }) })) {
      if (event.kind === 'label') labels.push(event.label);
      else {
        const out = injector.apply(event.reading);
        if (out.kind === 'reading') readings.push(out.reading);
        else if (out.kind === 'silent') {
          const silent = faults.find((f) => f.kind === 'silent' && f.thingName === event.reading.thingName);
          if (silent) (effects.get(silent) ?? { withheld: 0 }).withheld++;
        } else {
          // What the AWS path records: the IoT rule drops it, the inference Lambda writes its sensor_faults row.
          const record = refusedRecord(out.report, signalSet, event.reading.ts);
          if (record) refused.push(record);
          (effects.get(out.fault) ?? { refused: 0 }).refused++;
        }
      }
      if (readings.length >= 100_000) flush();
    }
    flush();
    tx.commit();
  } finally {
    tx.abort();
    lake.close();
  }
  const applied =
    faults.length === 0
      ? {}
      : {
          faults: faults.map((f) => ({ ...faultSummary(f), withheld: 0, refused: 0, ...effects.get(f) })),
          sensorFaults: faultCount,
        };
  const summary = { stateDir, rooms, days, seed, readings: readingCount, labels: labelCount, ...applied };
  if (!drift) return summary;
  const { scenario, changeAt, changeDay, signal, description } = drift;
  const change = new Date(changeAt).toISOString();
  return { ...summary, drift: { scenario, change, changeDay, ...(signal && { signal }), description } };
}

export async function simulateCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, SIMULATE);
  const rooms = intFlag(values.rooms, 'rooms', 10, 1, 10_000);
  const days = intFlag(values.days, 'days', 14, 1, 3650);
  const seed = intFlag(values.seed, 'seed', 1, 0, 2 ** 31 - 1);
  const signalSet = signalSetFlag(values['signal-set']);
  const drift = driftFlag(values.drift, days, signalSet);
  const faults = faultFlags(values.fault, rooms, days, signalSet);
  const summary = simulateIntoLake(values['state-dir'], rooms, days, seed, DEFAULT_SIM_START, signalSet, drift, faults);
  await LocalLake.compactIn(values['state-dir'], { convert: false, lockWaitMs: 2_000 });
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    process.stdout.write(
      `Simulated ${summary.rooms} rooms × ${summary.days} days: ${summary.readings} readings, ${summary.labels} label events → ${summary.stateDir}\n` +
        (summary.drift
          ? `Drift "${summary.drift.scenario}" at ${summary.drift.change} (day ${summary.drift.changeDay.toFixed(3)}` +
            `${summary.drift.signal ? `, signal ${summary.drift.signal}` : ''}): ${summary.drift.description}\n`
          : '') +
        (summary.faults ?? [])
          .map(
            (f) =>
              `Fault ${f.kind} on ${f.thingName} from ${f.at}: ${f.description}` +
              (f.kind === 'silent' ? ` (${f.withheld} readings withheld)` : '') +
              (f.refused > 0 ? ` (${f.refused} readings refused → sensor_faults)` : '') +
              '\n',
          )
          .join(''),
    );
  return 0;
}

/** `--drift <scenario>`: the scenario planned for this fleet, or a UsageError (exit 2) naming the flag and the valid names. */
function driftFlag(value: string | undefined, days: number, signalSet: SignalSet | undefined): DriftPlan | undefined {
  if (value === undefined) return undefined;
  try {
    return planDrift({ scenario: parseDriftScenario(value) }, { days, start: DEFAULT_SIM_START, signalSet });
  } catch (error) {
    if (error instanceof DriftOptionsError) throw new UsageError(`--${error.message}`, { cause: error });
    throw error;
  }
}
