import type { LabelEvent, Reading } from '../../telemetry/reading';
import { type SignalSet, THERMOSTAT } from '../../telemetry/signals';
import { DEFAULT_SIM_START, simulateFleet } from '../../telemetry/simulator';
import { intFlag, parseCommand, progress, signalSetFlag } from '../args';
import { LocalLake } from '../lake';
import { SIMULATE } from './specs';

export interface SimulateSummary {
  readonly stateDir: string;
  readonly rooms: number;
  readonly days: number;
  readonly seed: number;
  readonly readings: number;
  readonly labels: number;
}

/** Simulates a fleet (thermostat, or any signal set) into the local lake, streaming in batches so memory stays flat. */
export function simulateIntoLake(
  stateDir: string,
  rooms: number,
  days: number,
  seed: number,
  start: number = DEFAULT_SIM_START,
  signalSet: SignalSet = THERMOSTAT,
): SimulateSummary {
  const lake = LocalLake.open(stateDir, signalSet);
  const tx = lake.beginAppend(); // one all-or-nothing append: a simulation cut short adds nothing to the lake
  let readings: Reading[] = [];
  let labels: LabelEvent[] = [];
  let readingCount = 0;
  let labelCount = 0;
  const total = rooms * days * 1440;
  const flush = (): void => {
    readingCount += tx.appendReadings(readings);
    labelCount += tx.appendLabels(labels);
    readings = [];
    labels = [];
    progress(`simulate: ${readingCount.toLocaleString()} / ~${total.toLocaleString()} readings`);
  };
  try {
    for (const event of simulateFleet({ rooms, days, seed, start, signalSet })) {
      if (event.kind === 'reading') readings.push(event.reading);
      else labels.push(event.label);
      if (readings.length >= 100_000) flush();
    }
    flush();
    tx.commit();
  } finally {
    tx.abort();
    lake.close();
  }
  return { stateDir, rooms, days, seed, readings: readingCount, labels: labelCount };
}

export async function simulateCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, SIMULATE);
  const rooms = intFlag(values.rooms, 'rooms', 10, 1, 10_000);
  const days = intFlag(values.days, 'days', 14, 1, 3650);
  const seed = intFlag(values.seed, 'seed', 1, 0, 2 ** 31 - 1);
  const summary = simulateIntoLake(
    values['state-dir'],
    rooms,
    days,
    seed,
    DEFAULT_SIM_START,
    signalSetFlag(values['signal-set']),
  );
  await LocalLake.compactIn(values['state-dir'], { convert: false, lockWaitMs: 2_000 });
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    process.stdout.write(
      `Simulated ${summary.rooms} rooms × ${summary.days} days: ${summary.readings} readings, ${summary.labels} label events → ${summary.stateDir}\n`,
    );
  return 0;
}
