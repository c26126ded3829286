import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SensorHealthReport } from '../../health/types';
import { type ConsoleServer, startConsole } from '../../local/console';
import type { DashboardResponse } from '../../local/console/dashboard';
import type { SensorsView } from '../../local/console/sensors';
import { exportDataset } from '../../local/export';
import { type ServingStack, startServing } from '../../local/iot/serving';
import { LocalLake } from '../../local/lake';
import { inferenceEnv, loadLocalConfig } from '../../local/local-config';
import { LocalStack } from '../../local/runtime/local-stack';
import { synthesizePipeline } from '../../local/runtime/synth';
import { SENSOR_WIDGET_IDS } from '../../observability/widgets';
import { THERMOSTAT } from '../../telemetry/signals';
import { TEST_CONFIG } from './helpers';
import { FLEET, FLEET_END, plannedFaults, replayWithFaults, UNHEALTHY, writeFleet } from './sensor-health-fleet';

/**
 * Issue 22's done-when line on the embedded runtime: a simulated fleet with one stuck, one silent and one
 * out-of-range device (the simulator's --fault scenarios; the out-of-range device's last 6 h replayed over MQTT to
 * the serving stack, so its refused readings take the real path: shadow → rules → the inference Lambda's handler →
 * the local sensor_faults Firehose → the lake) → the local sensor health check (the synthesized check
 * Lambda over the local Athena stand-in) → the synthesized alarms in ALARM → their rule's notifier sends exactly one
 * notification naming exactly those three devices (<state>/notifications.ndjson) → the console's Sensors view lists
 * them → the next export leaves their flagged readings out and counts them.
 */
jest.setTimeout(300_000);

let dir: string;
let stack: LocalStack | undefined;
let serving: ServingStack | undefined;
/** The device whose faulty readings go through MQTT. */
const LIVE_THING = 'room-03';
let console_: ConsoleServer | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sensor-health-'));
});
afterAll(async () => {
  await console_?.close();
  await serving?.close();
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A GET on the console as a browser on this machine sends it. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

const THINGS = Array.from({ length: FLEET.rooms }, (_, i) => `room-${String(i + 1).padStart(2, '0')}`);

it('one stuck, one silent and one out-of-range device: alarmed, notified once by name, listed, left out of the export', async () => {
  writeFileSync(join(dir, 'config.json'), JSON.stringify(TEST_CONFIG));
  const faults = plannedFaults();
  const written = writeFleet(dir, LIVE_THING);
  expect(written.refused).toBe(0);
  expect(written.live?.readings).toHaveLength(360);

  const config = loadLocalConfig(dir);
  stack = await LocalStack.start({ stateDir: dir, config, pipeline: synthesizePipeline(config), timeScale: 0.01 });

  // room-03's last 6 h as its device sends them: every other reading out of range, refused by the Lambda.
  serving = await startServing({ stateDir: dir, hosting: stack.hosting, env: inferenceEnv(config) });
  if (!written.live) throw new Error('no live readings');
  const replay = await replayWithFaults(serving.connection.mqttUrl, written.live);
  expect(replay).toEqual({ sent: 360, refused: 180, answered: 180 });
  // The Lambda's PutRecordBatch of a refusal may still be on its way when the next reading is answered.
  const deadline = Date.now() + 10_000;
  do {
    serving.ingestion?.flush();
    serving.sensorFaults?.flush();
    if ((serving.stats().sensorFaults?.delivered ?? 0) >= 180) break;
    await new Promise((r) => setTimeout(r, 50));
  } while (Date.now() < deadline);
  const lakeNow = LocalLake.open(dir, THERMOSTAT);
  try {
    const c = await lakeNow.connect();
    const rows = (
      await c.runAndReadAll(`SELECT kind, field, code, count(*)::INT FROM sensor_faults GROUP BY ALL`)
    ).getRows();
    expect(rows).toEqual([['out-of-range', 'sound', 'out_of_range', 180]]);
  } finally {
    lakeNow.close();
  }

  const health = stack.sensorHealth;
  if (!health) throw new Error('the synthesized stacks have no sensor health check');

  // The scheduled check, at the end of the simulated period.
  const run = await health.runCheck({ at: FLEET_END });
  if (!run.output.checked) throw new Error(`the check did not run: ${run.output.reason}`);
  const report: SensorHealthReport = run.output.report;
  expect(report.checkedAt).toBe(FLEET_END);
  expect(report.devicesKnown).toBe(FLEET.rooms);
  expect(report.unhealthy.map((d) => [d.kind, d.thingName])).toEqual(UNHEALTHY);
  expect(report.counts).toEqual({ stuck: 1, silent: 1, 'out-of-range': 1, malformed: 0 });
  for (const d of report.unhealthy) {
    const fault = faults.find((f) => f.thingName === d.thingName);
    // Since the fault, give or take the reading before it (the stuck run holds the value the fault time read).
    expect(Math.abs(d.since - (fault?.at ?? 0))).toBeLessThanOrEqual(60_000);
    if (d.lastGoodReading !== null) expect(d.lastGoodReading).toBeLessThanOrEqual(FLEET_END);
  }

  // The alarm per kind found: ALARM for the three, OK for malformed; one notification, naming exactly the three.
  const alarms = stack.alarms.describeAlarms({ AlarmNames: health.alarmNames }).MetricAlarms ?? [];
  expect(alarms).toHaveLength(4);
  const stateOf = (kind: string) =>
    alarms.find((a) => a.Dimensions?.some((d) => d.Name === 'Kind' && d.Value === kind))?.StateValue;
  expect(['stuck', 'silent', 'out-of-range', 'malformed'].map(stateOf)).toEqual(['ALARM', 'ALARM', 'ALARM', 'OK']);
  expect(run.notified.filter((n) => n.notified)).toHaveLength(1);
  const log = join(dir, 'notifications.ndjson');
  expect(existsSync(log)).toBe(true);
  const notifications = readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { subject: string; message: string });
  expect(notifications).toHaveLength(1);
  const [notification] = notifications;
  const named = THINGS.filter((t) => notification?.message.includes(t));
  expect(named).toEqual(['room-01', 'room-02', 'room-03']);

  // The console's Sensors view lists them, by kind.
  console_ = await startConsole(stack);
  const page = await get(`${console_.url}/sensors`);
  expect(page.status).toBe(200);
  const api = await get(`${console_.url}/api/sensors`);
  expect(api.status).toBe(200);
  const view = JSON.parse(api.body) as SensorsView;
  if (view.state !== 'report') throw new Error(`the Sensors view has no report: ${api.body}`);
  expect(view.report.reportId).toBe(report.reportId);
  expect(view.byKind.flatMap((g) => g.devices.map((d) => [g.kind, d.thingName]))).toEqual(UNHEALTHY);
  // …and so does the dashboard's device table (the shared widget list's 'device-table').
  const dashboard = JSON.parse((await get(`${console_.url}/api/dashboard`)).body) as DashboardResponse;
  const table = dashboard.widgets.find((w) => w.id === SENSOR_WIDGET_IDS.devices)?.table;
  expect(table?.devices.map((d) => [d.kind, d.thingName])).toEqual(UNHEALTHY);

  // The next export leaves their flagged readings out, and counts them.
  const lake = LocalLake.open(dir, THERMOSTAT);
  try {
    const manifest = await exportDataset(lake, {
      outDir: join(dir, 'export'),
      trainingWindowDays: 0,
      sensorHealth: config.sensorHealth,
    });
    const { stuck, outOfRange, total, excluded } = manifest.readingsFlagged;
    // room-01's last 6 h of one-minute readings (360, and the reading before when it held the same value);
    // room-03's 180 good readings between its refusals, each within 60 min of one.
    expect(stuck).toBeGreaterThanOrEqual(360);
    expect(stuck).toBeLessThanOrEqual(362);
    expect(outOfRange).toBe(180);
    expect({ total, excluded }).toEqual({ total: stuck + outOfRange, excluded: true });
    expect(manifest.readingsLeftOut).toBeGreaterThanOrEqual(total);
    console.log(
      `sensor health e2e: ${JSON.stringify({ unhealthy: report.unhealthy.map((d) => d.detail), readingsFlagged: manifest.readingsFlagged, readingsLeftOut: manifest.readingsLeftOut, rows: manifest.rows })}`,
    );
    const exported = manifest.rows.train + manifest.rows.validation + manifest.rows.holdout;
    const inLake = FLEET.rooms * FLEET.days * 1440 - 360 - 180; // silent withheld, refused not in telemetry
    expect(exported).toBe(inLake - manifest.readingsLeftOut);
  } finally {
    lake.close();
  }
});
