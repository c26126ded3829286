import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { type LocalBroker, startBroker } from '../../local/iot/broker';
import { compileIotSql } from '../../local/iot/iot-sql';
import { LakeIngestion } from '../../local/iot/rules';
import { ShadowService } from '../../local/iot/shadow-service';
import { LocalLake } from '../../local/lake';
import { desiredUpdateDocument } from '../../tasks/infer-occupancy/publisher';
import { INFERENCE_RULE_SQL } from '../../tasks/infer-occupancy/rule-sql';
import { THERMOSTAT, UCI_OCCUPANCY } from '../../telemetry/signals';
import { LABELS_RULE_SQL, labelsTopic, telemetryRuleSql } from '../../telemetry/wire';

/**
 * The deployed rule SQL (the constants the CDK stacks use) against every message AWS IoT would publish for a
 * device's shadow updates, the inference Lambda's `desired` write and a device's acknowledgement: accepted,
 * documents and delta. Each reading must land exactly once, with the device's own ms time.
 */

const NOW = Date.UTC(2026, 0, 5, 10, 0, 0, 0);
/** Device times with milliseconds, so the shadow's whole-second `timestamp` can never pass for them. */
const T1 = NOW - 61_234;
const T2 = NOW - 1_567;

const reported = (ts: number, sound: number) => ({
  temperature: 21.5,
  humidity: 40,
  sound,
  hvacStatus: 'FAN',
  timestamp: ts,
});

const answer = desiredUpdateDocument({
  roomOccupancy: true,
  occupancyProbability: 0.9,
  occupancyModel: 'm',
  occupancySource: 'model',
  occupancyReadingTs: T1,
});

/** The shadow service without a broker: `applyUpdate` returns what it would publish. */
const offlineShadows = (): Promise<ShadowService> =>
  ShadowService.start({ subscribe: async () => async () => {} } as unknown as LocalBroker, () => NOW);

/** Every message (all topics) the shadow service publishes for a device's day: two readings, answers, echoes. */
async function shadowTraffic(): Promise<{ topic: string; message: unknown }[]> {
  const shadows = await offlineShadows();
  const update = (payload: unknown) =>
    shadows.applyUpdate('room-01', typeof payload === 'string' ? payload : JSON.stringify(payload));
  return [
    ...update({ state: { reported: reported(T1, 15) } }), // first reading: previous is null
    ...update(answer), // the Lambda's desired write: accepted, documents, delta
    ...update({ state: { reported: { roomOccupancy: true } } }), // the device acknowledging it
    ...update({ state: { reported: reported(T1, 15) } }), // a re-sent reading (same device time)
    ...update({ state: { reported: reported(T2, 3) } }), // the next reading
    ...update(desiredUpdateDocument({ ...JSON.parse(answer).state.desired, occupancyReadingTs: T2 })),
  ];
}

const rowsOf = (sql: string, messages: { topic: string; message: unknown }[]) => {
  const rule = compileIotSql(sql);
  return messages.flatMap(({ topic, message }): Record<string, unknown>[] => {
    const row = rule.apply(topic, message, NOW);
    return row === undefined ? [] : [row];
  });
};

describe('the telemetry and inference rules on AWS shadow traffic', () => {
  let traffic: { topic: string; message: unknown }[];
  beforeAll(async () => {
    traffic = await shadowTraffic();
  });

  it('sees accepted, documents and delta messages (the traffic is what AWS publishes)', () => {
    const suffixes = new Set(traffic.map((m) => m.topic.split('/').slice(-1)[0]));
    expect([...suffixes].sort()).toEqual(['accepted', 'delta', 'documents']);
  });

  it('lands each device reading in the lake exactly once, with the device time in ms as ts', () => {
    const rows = rowsOf(telemetryRuleSql(THERMOSTAT), traffic);
    expect(rows).toEqual([
      {
        thing_name: 'room-01',
        ts: T1,
        received_at: NOW,
        temperature: 21.5,
        humidity: 40,
        sound: 15,
        hvac_status: 'FAN',
      },
      expect.objectContaining({ thing_name: 'room-01', ts: T2, sound: 3 }),
    ]);
  });

  it('invokes the inference Lambda on exactly the same readings (never on its own desired write)', () => {
    const events = rowsOf(INFERENCE_RULE_SQL, traffic);
    expect(
      events.map((e) => [
        e.thingName,
        (e as { current: { state: { reported: { timestamp: number } } } }).current.state.reported.timestamp,
      ]),
    ).toEqual([
      ['room-01', T1],
      ['room-01', T2],
    ]);
  });

  it.each([
    ['an ISO timestamp', '2026-01-05T10:00:00Z'],
    ['a numeric string', String(T1)],
    ['a fraction of a ms', T1 + 0.5],
    ['epoch seconds', Math.floor(T1 / 1000)],
    ['a time more than a day ahead', NOW + 2 * 86_400_000],
  ])('drops a reading whose device time is %s', async (_what, timestamp) => {
    const shadows = await offlineShadows();
    const messages = shadows.applyUpdate(
      'room-02',
      JSON.stringify({ state: { reported: { ...reported(T1, 1), timestamp } } }),
    );
    expect(rowsOf(telemetryRuleSql(THERMOSTAT), messages)).toEqual([]);
    expect(rowsOf(INFERENCE_RULE_SQL, messages)).toEqual([]);
  });
});

describe('the telemetry rule refuses what the validator refuses', () => {
  it.each([
    ['sound out of its physical range', { sound: 250 }],
    ['an unknown HVAC status', { hvacStatus: 'TURBO' }],
    ['a numeric string', { temperature: '21.5' }],
    ['a missing signal', { humidity: undefined }],
  ])('no lake row for %s (the Lambda is still invoked, and answers bad-input)', async (_what, change) => {
    const shadows = await offlineShadows();
    const report = JSON.parse(JSON.stringify({ ...reported(T1, 4), ...change }));
    const messages = shadows.applyUpdate('room-03', JSON.stringify({ state: { reported: report } }));
    expect(rowsOf(telemetryRuleSql(THERMOSTAT), messages)).toEqual([]);
    expect(rowsOf(INFERENCE_RULE_SQL, messages)).toHaveLength(1);
  });

  it('reads signal keys with numeric characters through get() (UCI Occupancy: co2)', async () => {
    const shadows = await offlineShadows();
    const report = {
      timestamp: T1,
      temperature: 23.2,
      humidity: 27.3,
      light: 426,
      co2: 721.25,
      humidity_ratio: 0.0048,
    };
    const messages = shadows.applyUpdate('uci-office', JSON.stringify({ state: { reported: report } }));
    expect(rowsOf(telemetryRuleSql(UCI_OCCUPANCY), messages)).toEqual([
      expect.objectContaining({ thing_name: 'uci-office', ts: T1, co2: 721.25, light: 426 }),
    ]);
  });
});

describe('the labels rule', () => {
  const label = (payload: Record<string, unknown>, thing = 'room-01') =>
    rowsOf(LABELS_RULE_SQL, [{ topic: labelsTopic(thing), message: payload }]);

  it('lands a label in the wire format the simulator and validator use ({thingName, timestamp, occupied})', () => {
    expect(label({ thingName: 'room-01', timestamp: T1, occupied: false })).toEqual([
      { thing_name: 'room-01', ts: T1, occupied: false },
    ]);
  });

  it.each([
    ['`ts` instead of `timestamp`', { thingName: 'room-01', ts: T1, occupied: true }],
    ['occupied as 1', { thingName: 'room-01', timestamp: T1, occupied: 1 }],
    ['occupied as "true"', { thingName: 'room-01', timestamp: T1, occupied: 'true' }],
    ['another thing than the topic', { thingName: 'room-02', timestamp: T1, occupied: true }],
    ['an ISO timestamp', { thingName: 'room-01', timestamp: '2026-01-05T10:00:00Z', occupied: true }],
  ])('drops a label with %s', (_what, payload) => {
    expect(label(payload)).toEqual([]);
  });
});

describe('local ingestion over MQTT runs the deployed rules', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'occ-lake-rules-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a reading, the Lambda answer and an echo on the broker → one lake row with the device ms; a label lands', async () => {
    const broker = await startBroker();
    const lake = LocalLake.open(dir, THERMOSTAT);
    let shadows: ShadowService | undefined;
    let ingestion: LakeIngestion | undefined;
    let client: MqttClient | undefined;
    try {
      shadows = await ShadowService.start(broker, () => NOW);
      ingestion = await LakeIngestion.start(broker, lake, { flushIntervalMs: 60_000, clock: () => NOW });
      client = await connectAsync(broker.url, { clientId: 'room-01' });
      const shadow = '$aws/things/room-01/shadow/update';
      await client.publishAsync(shadow, JSON.stringify({ state: { reported: reported(T1, 15) } }), { qos: 1 });
      await client.publishAsync(shadow, answer, { qos: 1 });
      await client.publishAsync(shadow, JSON.stringify({ state: { reported: { roomOccupancy: true } } }), { qos: 1 });
      await client.publishAsync(
        labelsTopic('room-01'),
        JSON.stringify({ thingName: 'room-01', timestamp: T1, occupied: true }),
        { qos: 1 },
      );
      for (let i = 0; i < 200 && ingestion.stats.readings + ingestion.stats.labels < 2; i++) {
        await new Promise((r) => setTimeout(r, 10));
        ingestion.flush();
      }
      expect(ingestion.stats).toMatchObject({ readings: 1, labels: 1, rejected: 0 });
      const connection = await lake.connect();
      const rows = (await connection.runAndReadAll('SELECT thing_name, ts FROM telemetry')).getRowObjectsJson();
      expect(rows).toEqual([{ thing_name: 'room-01', ts: String(T1) }]);
    } finally {
      await client?.endAsync(true);
      await ingestion?.stop();
      await shadows?.stop();
      await broker.close();
      lake.close();
    }
  });

  it('a failing lake append (the disk refuses the write) keeps the rows for the next flush instead of crashing', async () => {
    const broker = await startBroker();
    const lake = LocalLake.open(dir, THERMOSTAT);
    let ingestion: LakeIngestion | undefined;
    let client: MqttClient | undefined;
    const staging = join(dir, 'lake', '_staging');
    try {
      ingestion = await LakeIngestion.start(broker, lake, { flushIntervalMs: 60_000, clock: () => NOW });
      client = await connectAsync(broker.url, { clientId: 'room-01' });
      const label = (ts: number) => JSON.stringify({ thingName: 'room-01', timestamp: ts, occupied: true });
      await client.publishAsync(labelsTopic('room-01'), label(T1), { qos: 1 });
      await client.publishAsync(labelsTopic('room-01'), label(T2), { qos: 1 });
      // A file where the staging folder must go: every append fails, as on a full or read-only disk.
      rmSync(staging, { recursive: true, force: true });
      mkdirSync(join(dir, 'lake'), { recursive: true });
      writeFileSync(staging, 'in the way');
      for (let i = 0; i < 200 && ingestion.stats.failedFlushes === 0; i++) {
        await new Promise((r) => setTimeout(r, 10));
        expect(() => ingestion?.flush()).not.toThrow();
      }
      expect(ingestion.stats).toMatchObject({ labels: 0, failedFlushes: 1, dropped: 0 });
      expect(ingestion.stats.lastError).toMatch(/_staging/);
      rmSync(staging);
      ingestion.flush();
      expect(ingestion.stats).toMatchObject({ labels: 2, dropped: 0 });
      expect(ingestion.stats.lastError).toBeUndefined();
      expect(await lake.count('labels')).toBe(2);
    } finally {
      rmSync(staging, { recursive: true, force: true });
      await client?.endAsync(true);
      await ingestion?.stop();
      await broker.close();
      lake.close();
    }
  });
});
