import { faultSummary } from '../../telemetry/faults';
import { intFlag, parseCommand, progress, UsageError } from '../args';
import { LiveFleet } from '../iot/fleet';
import { readServeConnection } from '../iot/serving';
import { faultFlags } from './fault-flag';
import { SIMULATE_LIVE } from './specs';

/**
 * `occupancy simulate --live --rooms N --rate R`: a fleet of MQTT thermostats against a running `occupancy serve`
 * (found through `<state-dir>/iot/serve.json`, or `--broker`). R is reports per second per room. Runs for
 * `--duration` seconds or until SIGINT, then prints a summary (answers, sources, report → answer latency).
 */
export async function simulateLiveCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, SIMULATE_LIVE);
  const rate = Number(values.rate);
  if (!(rate > 0 && rate <= 1000)) throw new UsageError(`--rate must be in (0, 1000] per room, got "${values.rate}"`);
  const brokerUrl = values.broker ?? readServeConnection(values['state-dir'])?.mqttUrl;
  if (brokerUrl === undefined) {
    throw new UsageError(
      `no broker: start \`npx occupancy serve --state-dir ${values['state-dir']}\` (or \`npm start\`) in another terminal, or pass --broker mqtt://HOST:PORT`,
    );
  }
  const rooms = intFlag(values.rooms, 'rooms', 20, 1, 10_000);
  const durationSeconds = values.duration === undefined ? undefined : intFlag(values.duration, 'duration', 60, 1);
  // Live readings carry the wall clock: a fault without a time starts at once.
  const faults = faultFlags(values.fault, rooms, undefined, undefined, Date.now());
  const fleet = await LiveFleet.start({
    brokerUrl,
    rooms,
    ratePerRoom: rate,
    seed: intFlag(values.seed, 'seed', 1, 0, 2 ** 31 - 1),
    faults,
  });
  progress(`simulate --live: ${rooms} rooms × ${rate}/s → ${brokerUrl}`);
  const ticker = setInterval(() => {
    const s = fleet.summary();
    progress(
      `simulate --live: ${s.reports} reports, ${s.answered} answered (model ${s.bySource.model}, fallback ${s.bySource.fallback}), p99 ${s.latency.p99_ms} ms`,
    );
  }, 5000);
  await new Promise<void>((resolve) => {
    const timer = durationSeconds === undefined ? undefined : setTimeout(resolve, durationSeconds * 1000);
    const stop = () => {
      clearTimeout(timer);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  clearInterval(ticker);
  const summary = { ...(await fleet.stop()), ...(faults.length > 0 && { faults: faults.map(faultSummary) }) };
  if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else
    process.stdout.write(
      `${summary.reports} reports from ${summary.rooms} rooms: ${summary.answered} answered (model ${summary.bySource.model}, fallback ${summary.bySource.fallback}), ${summary.unanswered} unanswered; latency p50 ${summary.latency.p50_ms} ms, p99 ${summary.latency.p99_ms} ms` +
        (summary.withheld + summary.refused > 0
          ? `; faults: ${summary.withheld} withheld (silent), ${summary.refused} refused (out-of-range / malformed)`
          : '') +
        '\n',
    );
  return summary.unanswered === 0 ? 0 : 1;
}
