import { join, resolve } from 'node:path';
import { intFlag, parseCommand, UsageError } from '../args';
import { baselineReport } from '../baseline';
import { LocalLake } from '../lake';
import { loadLocalConfig } from '../local-config';
import { BASELINE } from './specs';

export async function baselineCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, BASELINE);
  const stateDir = values['state-dir'];
  if (!LocalLake.exists(stateDir)) {
    throw new UsageError(
      `No lake in ${resolve(stateDir)}: run \`npx occupancy simulate --state-dir ${stateDir}\` or \`npx occupancy import <file> --state-dir ${stateDir}\` first`,
    );
  }
  // config.json may name the static rule (or `null`: none); a signalSetId contradicting the lake's is refused.
  const { staticRule, trainingWindowDays: configured, sensorHealth } = loadLocalConfig(stateDir);
  const windowDays = intFlag(values['training-window-days'], 'training-window-days', configured, 0, 3650);
  const lake = LocalLake.open(stateDir);
  try {
    const out = values.out ?? join(stateDir, 'exports', 'baseline');
    const report = await baselineReport(lake, out, staticRule, windowDays, sensorHealth);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      process.stdout.write(
        `Signal set ${report.signalSet}; rows train ${report.rows.train}, validation ${report.rows.validation}, holdout ${report.rows.holdout}\n`,
      );
      const { days, startDay } = report.window;
      process.stdout.write(
        `Window: ${startDay === null ? 'all history' : `${days} days, from ${startDay} (UTC) to the newest labelled day`}\n`,
      );
      if (report.split) process.stdout.write(`Split: ${report.split}\n`);
      const flagged = report.readingsFlagged;
      if (flagged.total > 0) {
        process.stdout.write(
          `Sensor health: ${flagged.total} readings flagged (stuck ${flagged.stuck}, out of range ${flagged.outOfRange}), ${flagged.excluded ? 'left out of training' : 'kept (sensorHealth.excludeFromTraining false)'}\n`,
        );
      }
      for (const b of report.baselines) {
        const rule = `${b.rule.signal} ${b.rule.direction === 'above' ? '>' : '<'} ${Number(b.rule.level.toPrecision(6))}`;
        process.stdout.write(
          `  ${b.name.padEnd(22)} ${rule.padEnd(28)} F1 ${b.f1.toFixed(3)}  precision ${b.precision.toFixed(3)}  recall ${b.recall.toFixed(3)}  accuracy ${b.accuracy.toFixed(3)}\n`,
        );
      }
    }
  } finally {
    lake.close();
  }
  return 0;
}
