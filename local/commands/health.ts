import { HEALTH_KINDS, type SensorHealthReport } from '../../health/types';
import { parseCommand, progress, UsageError } from '../args';
import { LocalLake } from '../lake';
import { loadLocalConfig } from '../local-config';
import { LocalStack } from '../runtime/local-stack';
import { assertStateFilesReadable } from '../state-check';
import { HEALTH } from './specs';

/** An ISO time with its zone: a zoneless time would be read in this machine's zone, which the lake never uses. */
const ZONED_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The lake's newest reading (telemetry or a refused one), epoch ms; undefined when it holds none. */
async function newestReading(stateDir: string): Promise<number | undefined> {
  const lake = LocalLake.open(stateDir);
  try {
    const connection = await lake.connect();
    const reader = await connection.runAndReadAll(
      'SELECT greatest((SELECT max(ts) FROM telemetry), (SELECT max(ts) FROM sensor_faults)) AS newest',
    );
    const newest = reader.getRowObjects()[0]?.newest;
    return newest === null || newest === undefined ? undefined : Number(newest);
  } finally {
    lake.close();
  }
}

/** `--at` as given: a time (epoch ms), `newest`, or now when absent. Checked before anything is read. */
function parseAt(at: string | undefined): number | 'newest' {
  if (at === undefined) return Date.now();
  if (at === 'newest') return at;
  const ms = ZONED_ISO.test(at) ? Date.parse(at) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new UsageError(`--at must be an ISO time with its zone (2026-01-08T12:00:00Z) or "newest", got "${at}"`);
  }
  return ms;
}

async function checkTime(stateDir: string, at: number | 'newest'): Promise<number> {
  if (at !== 'newest') return at;
  const newest = await newestReading(stateDir);
  if (newest === undefined) throw new UsageError(`--at newest: the lake in ${stateDir} holds no reading`);
  return newest;
}

const iso = (ms: number | null): string => (ms === null ? 'none' : new Date(ms).toISOString().replace('.000Z', 'Z'));

function reportText(report: SensorHealthReport): string {
  const lines = [
    `Checked ${iso(report.checkedAt)} over the last ${report.lookbackHours} h: ${report.devicesKnown} devices known, ${report.unhealthy.length} unhealthy (${HEALTH_KINDS.map((k) => `${k} ${report.counts[k]}`).join(', ')})`,
  ];
  for (const d of report.unhealthy) {
    lines.push(
      `  ${d.kind.padEnd(12)} ${d.thingName.padEnd(16)} since ${iso(d.since)}  last good ${iso(d.lastGoodReading)}  ${d.detail}`,
    );
  }
  if (report.devicesKnown === 0) {
    lines.push('No device sent anything in the lookback: for a simulated or imported history, pass --at newest.');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `occupancy health [--at TIME|newest]`: one run of the synthesized sensor health check on the local lake, as its
 * schedule runs it (the report into the local store, UnhealthyDevices into the metric store, the alarms evaluated,
 * the notifier invoked for each change to ALARM), then the report. Exit 0 whatever it finds: the report is data.
 */
export async function healthCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, HEALTH);
  const stateDir = values['state-dir'];
  const given = parseAt(values.at);
  assertStateFilesReadable(stateDir);
  if (!LocalLake.exists(stateDir)) {
    throw new UsageError(`no lake in ${stateDir}: simulate or import first`);
  }
  const at = await checkTime(stateDir, given);
  const config = loadLocalConfig(stateDir);
  progress('synthesizing the stacks (CDK)…');
  const stack = await LocalStack.start({ stateDir, config, onProgress: progress });
  try {
    const health = stack.sensorHealth;
    if (health === undefined) throw new UsageError('the synthesized Pipeline stack has no sensor health check');
    const run = await health.runCheck({ at });
    if (!run.output.checked) {
      process.stdout.write(values.json ? `${JSON.stringify(run.output)}\n` : `${run.output.reason}\n`);
      return 0;
    }
    const { report, reportUri } = run.output;
    if (values.json) process.stdout.write(`${JSON.stringify({ reportUri, report, notified: run.notified })}\n`);
    else process.stdout.write(`${reportText(report)}Report: ${reportUri}\n`);
    return 0;
  } finally {
    await stack.close();
  }
}
