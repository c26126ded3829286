import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEALTH_KINDS, HEALTH_REPORT_KEY, type SensorHealthReport, sensorHealthAlarmName } from '../../health/types';
import { LocalNotifier } from '../../local/adapters/approvals';
import { FolderObjectStore } from '../../local/adapters/s3';
import { LocalLake } from '../../local/lake';
import { AlarmEvaluator, MetricStore } from '../../local/metrics';
import { LocalSensorHealth } from '../../local/runtime/sensor-health';
import { synthesizePipeline } from '../../local/runtime/synth';
import {
  datumDimensions,
  METRICS_NAMESPACE,
  OccupancyMetrics,
  unhealthyDevicesDimensions,
} from '../../observability/metrics';
import { parsePipelineConfig } from '../../pipeline/config';
import type { Reading } from '../../telemetry/reading';

/**
 * Sensor health on the embedded runtime: the synthesized check over a local lake with a stuck device publishes
 * UnhealthyDevices into the local metric store, the synthesized stuck alarm goes to ALARM, the synthesized rule
 * invokes the notifier, and one notification names the device; a later check with the device healthy again puts
 * the alarm back to OK and sends nothing. Then a second stuck device while the first stays stuck: the alarm stays in
 * ALARM, and the check's report event names the new one.
 */
jest.setTimeout(120_000);

const MIN = 60_000;
const AT = Date.parse('2026-11-29T12:00:00Z');
const config = parsePipelineConfig({});
const pipeline = synthesizePipeline(config);
let dir: string;
let lake: LocalLake;
let metrics: MetricStore;
let alarms: AlarmEvaluator;
let health: LocalSensorHealth;

/** A reading a minute from `from` to `to`; `stuck` holds humidity at one value. */
function minutely(thing: string, from: number, to: number, stuck = false): Reading[] {
  const out: Reading[] = [];
  for (let ts = from, i = 0; ts <= to; ts += MIN, i++) {
    out.push({
      thingName: thing,
      ts,
      values: {
        temperature: 20 + (i % 7) * 0.1,
        humidity: stuck ? 41.25 : 40 + (i % 5) * 0.5,
        sound: i % 3,
        hvac_status: 'OFF',
      },
    });
  }
  return out;
}

const notifications = (): { subject: string; message: string }[] => {
  const file = join(dir, 'notifications.ndjson');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { subject: string; message: string });
};

const stateOf = (kind: (typeof HEALTH_KINDS)[number]) =>
  alarms.describeAlarms({ AlarmNames: [sensorHealthAlarmName(kind)] }).MetricAlarms[0]?.StateValue;

/** The newest UnhealthyDevices datapoint of a kind (Maximum over the store's whole span). */
function unhealthy(kind: (typeof HEALTH_KINDS)[number]): number | undefined {
  const { Datapoints } = metrics.getMetricStatistics({
    Namespace: METRICS_NAMESPACE,
    MetricName: OccupancyMetrics.UnhealthyDevices.name,
    Dimensions: datumDimensions(unhealthyDevicesDimensions(kind)),
    StartTime: new Date(Date.now() - 3_600_000),
    EndTime: new Date(Date.now() + 60_000),
    Period: 1,
    Statistics: ['Maximum'],
  });
  return [...Datapoints].sort((a, b) => Number(a.Timestamp) - Number(b.Timestamp)).at(-1)?.Maximum;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sensor-health-'));
  lake = LocalLake.open(dir);
  metrics = new MetricStore({ stateDir: dir });
  // The 15-minute alarm period lasts 1 s here: a check's datapoint is in the newest period when it is evaluated.
  alarms = new AlarmEvaluator(metrics, { stateDir: dir, timeScale: 1 / 900 });
  const sensorHealth = pipeline.sensorHealth;
  if (!sensorHealth) throw new Error('the synthesized pipeline has no sensor health check');
  health = new LocalSensorHealth({
    sensorHealth,
    lake,
    store: new FolderObjectStore(dir),
    metrics,
    alarms,
    notifier: new LocalNotifier(dir, () => undefined),
  });
});
afterAll(() => {
  metrics.close();
  lake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('sensor health (local runtime)', () => {
  it('loads the synthesized check, its schedule, the alarm per kind and the rule invoking the notifier', () => {
    const s = pipeline.sensorHealth;
    expect(s?.check.scheduleExpression).toBe('rate(15 minutes)');
    expect(s?.check.scheduleEnabled).toBe(true);
    expect(s?.check.environment).toMatchObject({ TELEMETRY_TABLE: 'telemetry', SENSOR_FAULTS_TABLE: 'sensor_faults' });
    expect(s?.alarms.map((a) => a.AlarmName)).toEqual(HEALTH_KINDS.map(sensorHealthAlarmName));
    expect(s?.alarms.map((a) => [a.MetricName, a.Statistic, a.Period, a.Threshold])).toEqual(
      HEALTH_KINDS.map(() => ['UnhealthyDevices', 'Maximum', 900, 1]),
    );
    expect(s?.rules).toHaveLength(1);
    expect(s?.rules[0]?.targets).toEqual([expect.objectContaining({ type: 'lambda', arn: s?.notifier.arn })]);
    expect(s?.notifier.reservedConcurrency).toBe(1);
    expect(s?.notifier.environment.TOPIC_ARN).toMatch(/^arn:aws:sns:/);
    expect(s?.check.environment.NOTIFY_FUNCTION_ARN).toBe(s?.notifier.arn);
    // The evidence rules and alarms stay the retraining's own.
    expect(pipeline.alarmRules?.every((r) => r.targets.every((t) => t.type === 'stateMachine'))).toBe(true);
    expect(pipeline.evidenceAlarms?.some((a) => String(a.AlarmName).includes('sensor-health'))).toBe(false);
    expect(pipeline.monitor?.environment.PREDICTIONS_TABLE).toBe('predictions');
    for (const kind of HEALTH_KINDS) expect(alarms.has(sensorHealthAlarmName(kind))).toBe(true);
  });

  it('a stuck device: UnhealthyDevices in the metric store, the stuck alarm in ALARM, one notification naming it', async () => {
    lake.appendReadings([
      ...minutely('healthy-1', AT - 6 * 60 * MIN, AT - MIN),
      ...minutely('stuck-1', AT - 6 * 60 * MIN, AT - 241 * MIN),
      ...minutely('stuck-1', AT - 240 * MIN, AT - MIN, true),
    ]);
    const run = await health.runCheck({ at: AT });
    expect(run.output.checked).toBe(true);
    const report = run.output.checked ? run.output.report : undefined;
    expect(report?.unhealthy.map((u) => [u.thingName, u.kind])).toEqual([['stuck-1', 'stuck']]);
    expect(report?.devicesKnown).toBe(2);
    expect(unhealthy('stuck')).toBe(1);
    for (const kind of ['silent', 'out-of-range', 'malformed'] as const) expect(unhealthy(kind)).toBe(0);
    expect(stateOf('stuck')).toBe('ALARM');
    expect(stateOf('silent')).toBe('OK');
    // The report event first (the first report: its alarm's change notifies), then the alarm's change to ALARM.
    expect(run.notified).toEqual([
      expect.objectContaining({ notified: false, reason: expect.stringContaining('do not stay in ALARM') }),
      expect.objectContaining({ notified: true, reportId: report?.reportId }),
    ]);
    const sent = notifications();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.subject).toContain('1 unhealthy sensor');
    expect(sent[0]?.message).toContain('stuck-1');
    expect(sent[0]?.message).not.toContain('healthy-1');
    // The report the notifier read is the check's, in the synthesized artifacts bucket of the local store.
    const bucket = pipeline.sensorHealth?.check.environment.REPORT_BUCKET;
    const latest = JSON.parse(readFileSync(join(dir, 's3', String(bucket), HEALTH_REPORT_KEY), 'utf8'));
    expect((latest as SensorHealthReport).reportId).toBe(report?.reportId);
  });

  it('a later check with the device healthy again: the alarm back to OK, no new notification', async () => {
    // One alarm period (1 s here) later, so the stuck check's datapoint is no longer in the newest period.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // No check in the newest period (a late or failed run): missing data keeps the alarm's state (ignore).
    expect(stateOf('stuck')).toBe('ALARM');
    expect(
      alarms.describeAlarms({ AlarmNames: [sensorHealthAlarmName('stuck')] }).MetricAlarms[0]?.StateReason,
    ).toMatch(/state kept/);
    lake.appendReadings([...minutely('healthy-1', AT, AT + 60 * MIN), ...minutely('stuck-1', AT, AT + 60 * MIN)]);
    const run = await health.runCheck({ at: AT + 61 * MIN });
    expect(run.output.checked && run.output.report.unhealthy).toEqual([]);
    expect(unhealthy('stuck')).toBe(0);
    expect(stateOf('stuck')).toBe('OK');
    expect(run.notified).toEqual([
      expect.objectContaining({ notified: false, reason: 'no device went unhealthy since the previous check' }),
    ]);
    expect(notifications()).toHaveLength(1);
  });

  it('a second stuck device while the first stays stuck: the alarm stays in ALARM, the report event names it', async () => {
    const t1 = AT + 6 * 60 * MIN;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    lake.appendReadings([...minutely('healthy-1', AT + 61 * MIN, t1), ...minutely('stuck-1', AT + 61 * MIN, t1, true)]);
    const first = await health.runCheck({ at: t1 + MIN });
    expect(stateOf('stuck')).toBe('ALARM');
    expect(first.notified.filter((n) => n.notified)).toHaveLength(1);
    expect(notifications()).toHaveLength(2);

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // healthy-1 goes stuck from t1 on; stuck-1 stays stuck.
    const t2 = t1 + 4 * 60 * MIN;
    lake.appendReadings([...minutely('healthy-1', t1 + MIN, t2, true), ...minutely('stuck-1', t1 + MIN, t2, true)]);
    const second = await health.runCheck({ at: t2 + MIN });
    expect(second.output.checked && second.output.report.unhealthy.map((u) => u.thingName)).toEqual([
      'healthy-1',
      'stuck-1',
    ]);
    expect(stateOf('stuck')).toBe('ALARM');
    expect(second.notified).toEqual([expect.objectContaining({ notified: true })]);
    const sent = notifications();
    expect(sent).toHaveLength(3);
    expect(sent[2]?.subject).toBe('occupancy: 1 new unhealthy sensor, 2 in all (stuck 2)');
    expect(sent[2]?.message).toContain('  - (new) healthy-1: humidity held 41.25 %');
    expect(sent[2]?.message).toMatch(/^ {2}- stuck-1: /m);

    // A third check with the same two: nothing new, nothing sent.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const third = await health.runCheck({ at: t2 + 2 * MIN });
    expect(third.notified).toEqual([
      expect.objectContaining({ notified: false, reason: 'no device went unhealthy since the previous check' }),
    ]);
    expect(notifications()).toHaveLength(3);
  });
});
