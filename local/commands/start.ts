import { join } from 'node:path';
import { intFlag, parseCommandArgs, progress, STATE_DIR_OPTION } from '../args';
import { baselineReport } from '../baseline';
import { LocalLake } from '../lake';
import { simulateIntoLake } from './simulate';

/**
 * `npm start`. Until the embedded Step Functions runtime lands, this runs what exists — simulate a
 * fleet (when the lake is empty) → export → baseline report — and says plainly what is not built.
 */
export async function startCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    ...STATE_DIR_OPTION,
    rooms: { type: 'string' },
    days: { type: 'string' },
    seed: { type: 'string' },
    'auto-approve': { type: 'boolean', default: false },
    once: { type: 'boolean', default: false },
  });
  const stateDir = values['state-dir'];
  if (!LocalLake.exists(stateDir)) {
    const rooms = intFlag(values.rooms, 'rooms', 10, 1, 10_000);
    const days = intFlag(values.days, 'days', 14, 1, 3650);
    progress(`start: no lake in ${stateDir}; simulating ${rooms} rooms × ${days} days`);
    simulateIntoLake(stateDir, rooms, days, intFlag(values.seed, 'seed', 1, 0, 2 ** 31 - 1));
  }
  const lake = LocalLake.open(stateDir);
  try {
    progress('start: exporting features and scoring the threshold baselines');
    const report = await baselineReport(lake, join(stateDir, 'exports', 'baseline'));
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    lake.close();
  }
  process.stdout.write(
    'Not built yet: the embedded retraining pipeline (AutoML → evaluate → approve → deploy) and live serving.\n',
  );
  return 0;
}
