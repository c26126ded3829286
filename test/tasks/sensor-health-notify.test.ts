import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HEALTH_REPORT_KEY,
  healthReportEvent,
  type SensorHealthReport,
  sensorHealthAlarmName,
  type UnhealthyDevice,
} from '../../health/types';
import { LocalAthena } from '../../local/adapters/athena';
import { FolderObjectStore } from '../../local/adapters/s3';
import { lambdaContext } from '../../local/aws-endpoints/lambda-context';
import { LocalLake } from '../../local/lake';
import { alarmStateChangeEvent } from '../../local/runtime/alarm-rules';
import { parsePipelineConfig } from '../../pipeline/config';
import { ArtifactError, ConfigError, TaskInputError } from '../../tasks/errors';
import type { AlarmStates } from '../../tasks/ports/alarm-states';
import { AthenaLakeQuery } from '../../tasks/ports/lake-query';
import type { Notifier } from '../../tasks/ports/notifier';
import { MemoryObjectStore } from '../../tasks/ports/object-store';
import { powertools } from '../../tasks/powertools';
import { createHandler as createCheck } from '../../tasks/sensor-health';
import {
  createHandler,
  defaultDeps,
  HEALTH_NOTIFIED_KEY,
  isMissingObject,
  type NotifyOutput,
} from '../../tasks/sensor-health-notify';
import { THERMOSTAT } from '../../telemetry/signals';
import { AT, fillLake } from '../health/fleet-fixture';
import { captureOutput, standInClient } from '../health/stand-in';

const BUCKET = 'occupancy-artifacts';
const LATEST = `s3://${BUCKET}/${HEALTH_REPORT_KEY}`;

class RecordingNotifier implements Notifier {
  readonly sent: { subject: string; message: string }[] = [];
  async publish(subject: string, message: string): Promise<void> {
    this.sent.push({ subject, message });
  }
}

const alarm = (kind: string, to: 'ALARM' | 'OK' = 'ALARM') =>
  alarmStateChangeEvent({
    alarmName: `occupancy-unhealthy-devices-${kind}`,
    from: to === 'ALARM' ? 'OK' : 'ALARM',
    to,
    reason: 'Threshold Crossed',
    time: AT,
  });

/** The alarms' states a test sets (the port's CloudWatch and local answers have their own tests). */
class SetAlarmStates implements AlarmStates {
  readonly asked: string[][] = [];
  constructor(
    readonly states: Map<string, 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'> = new Map(),
    readonly threshold = 1,
  ) {}
  async statesOf(names: readonly string[]) {
    this.asked.push([...names]);
    return new Map(
      [...this.states]
        .filter(([name]) => names.includes(name))
        .map(([name, state]) => [name, { state, threshold: this.threshold }] as const),
    );
  }
}

function notifier(store: FolderObjectStore | MemoryObjectStore, sink: Notifier, alarms = new SetAlarmStates()) {
  const h = createHandler({
    ...powertools('sensor-health-notify'),
    store,
    notifier: sink,
    reportBucket: BUCKET,
    alarms,
  });
  return async (event: unknown): Promise<NotifyOutput> => {
    let out: NotifyOutput | undefined;
    await captureOutput(async () => {
      out = await h(event, lambdaContext('SensorHealthNotify'));
    });
    if (!out) throw new Error('no output');
    return out;
  };
}

describe('sensor health notifier after a check of a local lake', () => {
  let dir: string;
  let lake: LocalLake;
  let store: FolderObjectStore;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sensor-health-notify-'));
    lake = LocalLake.open(dir, THERMOSTAT);
    fillLake(lake);
    store = new FolderObjectStore(dir);
  });
  afterAll(() => {
    lake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function check(reportId: string, at = AT) {
    const h = createCheck({
      ...powertools('sensor-health'),
      config: parsePipelineConfig({}),
      dialect: 'athena',
      reportBucket: BUCKET,
      store,
      lake: new AthenaLakeQuery(standInClient(new LocalAthena(lake, store)), {
        database: 'occupancy',
        workGroup: 'occupancy',
        outputLocation: 's3://athena-results/sensor-health/',
      }),
      newReportId: () => reportId,
    });
    await captureOutput(async () => {
      await h({ at }, lambdaContext('SensorHealth'));
    });
  }

  it('sends one message for the alarms of one check, naming every unhealthy device; a new check, a new message', async () => {
    const sink = new RecordingNotifier();
    const notify = notifier(store, sink);
    await check('check-1');
    const first = await notify(alarm('stuck'));
    const second = await notify(alarm('silent'));
    expect(first).toMatchObject({ notified: true, reportId: 'check-1' });
    expect(second).toEqual({
      notified: false,
      reportId: 'check-1',
      reason: expect.stringContaining('already notified'),
    });
    expect(sink.sent).toHaveLength(1);
    const { subject, message } = sink.sent[0] ?? { subject: '', message: '' };
    expect(subject).toBe('occupancy: 4 unhealthy sensors (stuck 1, silent 1, out-of-range 1, malformed 1)');
    const named = [...message.matchAll(/^ {2}- ([\w-]+): /gm)].map((m) => m[1]);
    expect(named).toEqual(['stuck-1', 'silent-1', 'oor-1', 'malformed-1']);
    expect(message).toContain(
      '  - stuck-1: humidity held 41.25 % since 08:00 UTC (3 h 59 min). Since 08:00 UTC; last good reading 07:59 UTC.',
    );
    expect(message).toContain('What to do:');
    expect(JSON.parse(await store.getText(`s3://${BUCKET}/${HEALTH_NOTIFIED_KEY}`))).toMatchObject({
      reportId: 'check-1',
      alarmName: 'occupancy-unhealthy-devices-stuck',
    });

    await check('check-2', AT + 60_000);
    expect(await notify(alarm('malformed'))).toMatchObject({ notified: true, reportId: 'check-2' });
    expect(sink.sent).toHaveLength(2);
  });
});

describe('sensor health notifier', () => {
  const healthy: SensorHealthReport = {
    reportId: 'quiet',
    checkedAt: AT,
    lookbackHours: 24,
    devicesKnown: 3,
    counts: { stuck: 0, silent: 0, 'out-of-range': 0, malformed: 0 },
    unhealthy: [],
  };

  it('says the alarm is stale when the newest report holds no unhealthy device', async () => {
    const store = new MemoryObjectStore();
    await store.putText(LATEST, JSON.stringify(healthy));
    const sink = new RecordingNotifier();
    expect(await notifier(store, sink)(alarm('stuck'))).toMatchObject({ notified: true, reportId: 'quiet' });
    expect(sink.sent[0]?.subject).toBe('occupancy: sensor health alarm, no unhealthy sensor now');
    expect(sink.sent[0]?.message).toContain('finds no unhealthy device');
  });

  it('ignores a transition to another state than ALARM', async () => {
    const sink = new RecordingNotifier();
    const out = await notifier(new MemoryObjectStore(), sink)(alarm('stuck', 'OK'));
    expect(out).toMatchObject({ notified: false, reportId: null });
    expect(sink.sent).toEqual([]);
  });

  it('refuses an event that is not an alarm state change, and a report that is not one', async () => {
    const store = new MemoryObjectStore();
    const sink = new RecordingNotifier();
    const h = createHandler({
      ...powertools('sensor-health-notify'),
      store,
      notifier: sink,
      reportBucket: BUCKET,
      alarms: new SetAlarmStates(),
    });
    const quiet = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const quieter = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(h({ detail: { alarmName: 'x' } }, lambdaContext('N'))).rejects.toThrow(TaskInputError);
      await store.putText(LATEST, '{"reportId": 3}');
      await expect(h(alarm('stuck'), lambdaContext('N'))).rejects.toThrow(ArtifactError);
    } finally {
      quiet.mockRestore();
      quieter.mockRestore();
    }
    expect(sink.sent).toEqual([]);
  });

  const device = (thingName: string, kind: UnhealthyDevice['kind']): UnhealthyDevice => ({
    thingName,
    kind,
    since: AT - 3_600_000,
    lastGoodReading: AT - 3_660_000,
    detail: `${kind} for a while`,
  });
  const reportOf = (reportId: string, devices: UnhealthyDevice[], checkedAt = AT): SensorHealthReport => {
    const counts = { stuck: 0, silent: 0, 'out-of-range': 0, malformed: 0 };
    for (const d of devices) counts[d.kind]++;
    return { reportId, checkedAt, lookbackHours: 24, devicesKnown: 10, counts, unhealthy: devices };
  };

  it('names a device that went bad under an alarm already in ALARM, once; not one whose alarm will change', async () => {
    const store = new MemoryObjectStore();
    const sink = new RecordingNotifier();
    const alarms = new SetAlarmStates(new Map([[sensorHealthAlarmName('stuck'), 'OK']]));
    const notify = notifier(store, sink, alarms);
    const checkWrote = async (report: SensorHealthReport) => {
      await store.putText(LATEST, JSON.stringify(report));
      return notify(healthReportEvent(report));
    };

    // r1: room-1 stuck, the first report: the stuck alarm's change to ALARM notifies, not the report event.
    const r1 = reportOf('r1', [device('room-1', 'stuck')]);
    expect(await checkWrote(r1)).toMatchObject({ notified: false, reason: expect.stringContaining('do not stay') });
    expect(alarms.asked).toEqual([]);
    alarms.states.set(sensorHealthAlarmName('stuck'), 'ALARM');
    expect(await notify(alarm('stuck'))).toMatchObject({ notified: true, reportId: 'r1' });
    expect(sink.sent).toHaveLength(1);

    // r2: the same device: the alarm stays in ALARM, nothing new.
    expect(await checkWrote(reportOf('r2', [device('room-1', 'stuck')]))).toMatchObject({
      notified: false,
      reason: 'no device went unhealthy since the previous check',
    });
    // r3: room-2 stuck too: the alarm does not change, the report event names it.
    const r3 = reportOf('r3', [device('room-1', 'stuck'), device('room-2', 'stuck')]);
    expect(await checkWrote(r3)).toMatchObject({ notified: true, reportId: 'r3' });
    expect(sink.sent).toHaveLength(2);
    const { subject, message } = sink.sent[1] ?? { subject: '', message: '' };
    expect(subject).toBe('occupancy: 1 new unhealthy sensor, 2 in all (stuck 2)');
    expect(message).toContain(
      'New unhealthy device(s) since the previous check: 1, while occupancy-sensor-health-stuck stayed in ALARM.',
    );
    const named = [...message.matchAll(/^ {2}- (\(new\) )?([\w-]+): /gm)].map((m) => `${m[1] ?? ''}${m[2]}`);
    expect(named).toEqual(['(new) room-2', 'room-1']);
    // The same report's event again (Lambda may deliver an event twice): nothing more.
    expect(await notify(healthReportEvent(r3))).toMatchObject({ notified: false, reason: 'report r3 was seen' });

    // r4: room-1 recovers, room-3 goes silent; the silent alarm is OK: its own change notifies, not this.
    const r4 = reportOf('r4', [device('room-2', 'stuck'), device('room-3', 'silent')]);
    expect(await checkWrote(r4)).toMatchObject({ notified: false });
    // r5: room-1 stuck again while the stuck alarm stayed in ALARM: new since r4, so named.
    const r5 = reportOf('r5', [device('room-1', 'stuck'), device('room-2', 'stuck'), device('room-3', 'silent')]);
    expect(await checkWrote(r5)).toMatchObject({ notified: true, reportId: 'r5' });
    expect(sink.sent).toHaveLength(3);
    expect(JSON.parse(await store.getText(`s3://${BUCKET}/${HEALTH_NOTIFIED_KEY}`))).toEqual({
      reportId: 'r5',
      notifiedAt: expect.any(Number),
      alarmName: sensorHealthAlarmName('stuck'),
      seenReportId: 'r5',
      seenDevices: ['stuck:room-1', 'stuck:room-2', 'silent:room-3'],
    });
    // The stuck alarm's own ALARM event for r5 (an evaluation after the report event): already sent.
    expect(await notify(alarm('stuck'))).toMatchObject({ notified: false, reason: expect.stringContaining('already') });
    expect(sink.sent).toHaveLength(3);
  });

  it('leaves a report that brings its kind up to the threshold to the alarm it changes', async () => {
    const store = new MemoryObjectStore();
    const sink = new RecordingNotifier();
    const alarms = new SetAlarmStates(new Map([[sensorHealthAlarmName('stuck'), 'ALARM']]), 2);
    const notify = notifier(store, sink, alarms);
    for (const report of [
      reportOf('r1', [device('room-1', 'stuck')]),
      // 1 → 2 stuck with a threshold of 2: the alarm changes to ALARM at its next evaluation and sends r2 itself.
      reportOf('r2', [device('room-1', 'stuck'), device('room-2', 'stuck')]),
    ]) {
      await store.putText(LATEST, JSON.stringify(report));
      expect(await notify(healthReportEvent(report))).toMatchObject({ notified: false });
    }
    // 2 → 3: it stays in ALARM, so the report event names room-3.
    const r3 = reportOf('r3', [device('room-1', 'stuck'), device('room-2', 'stuck'), device('room-3', 'stuck')]);
    await store.putText(LATEST, JSON.stringify(r3));
    expect(await notify(healthReportEvent(r3))).toMatchObject({ notified: true, reportId: 'r3' });
    expect(sink.sent.map((m) => m.subject)).toEqual(['occupancy: 1 new unhealthy sensor, 3 in all (stuck 3)']);
  });

  it('sends the report event of a report an alarm already sent, never twice', async () => {
    const store = new MemoryObjectStore();
    const sink = new RecordingNotifier();
    const alarms = new SetAlarmStates(new Map([[sensorHealthAlarmName('silent'), 'ALARM']]));
    const notify = notifier(store, sink, alarms);
    const r1 = reportOf('r1', [device('room-1', 'silent')]);
    await store.putText(LATEST, JSON.stringify(r1));
    expect(await notify(alarm('silent'))).toMatchObject({ notified: true });
    expect(await notify(healthReportEvent(r1))).toMatchObject({
      notified: false,
      reason: 'report r1 was already notified',
    });
    expect(sink.sent).toHaveLength(1);
  });

  it('refuses a report event without its report id, naming the field', async () => {
    const h = createHandler({
      ...powertools('sensor-health-notify'),
      store: new MemoryObjectStore(),
      notifier: new RecordingNotifier(),
      reportBucket: BUCKET,
      alarms: new SetAlarmStates(),
    });
    const quiet = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const event = {
        source: 'occupancy.sensor-health',
        'detail-type': 'Sensor Health Report',
        detail: { checkedAt: AT },
      };
      await expect(h(event, lambdaContext('N'))).rejects.toThrow(/reportId/);
    } finally {
      quiet.mockRestore();
    }
  });

  it('knows a missing object from S3, the folder store and the memory store', async () => {
    const s3Missing = Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    expect(isMissingObject(new Error('Reading s3://b/k failed', { cause: s3Missing }))).toBe(true);
    const folder = new FolderObjectStore(mkdtempSync(join(tmpdir(), 'missing-')));
    expect(isMissingObject(await folder.getText('s3://bucket/k').catch((e: unknown) => e))).toBe(true);
    expect(isMissingObject(await new MemoryObjectStore().getText('s3://b/k').catch((e: unknown) => e))).toBe(true);
    expect(isMissingObject(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }))).toBe(false);
  });

  it('reads REPORT_BUCKET and TOPIC_ARN', () => {
    const env = { REPORT_BUCKET: BUCKET, TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:occupancy-notifications' };
    expect(defaultDeps(env).reportBucket).toBe(BUCKET);
    expect(() => defaultDeps({ ...env, TOPIC_ARN: 'occupancy' })).toThrow(ConfigError);
  });
});
