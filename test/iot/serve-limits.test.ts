import { connectAsync, type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { type LocalBroker, startBroker } from '../../local/iot/broker';
import { MQTT_MAX_PAYLOAD_BYTES, PacketSizeTracker } from '../../local/iot/packet-guard';
import { type ServingStack, startServing } from '../../local/iot/serving';
import { ShadowService } from '../../local/iot/shadow-service';
import { MetricStore } from '../../local/metrics/store';
import { shadowUpdateTopic } from '../../tasks/infer-occupancy';
import { Recorder, reported } from '../inference/helpers';

/** serve's bounds: MQTT packet size (AWS IoT's 128 KB payload), per-device shadows (LRU count and idle time). */

const clients: MqttClient[] = [];
let broker: LocalBroker | undefined;
let shadows: ShadowService | undefined;
let stack: ServingStack | undefined;

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await shadows?.stop();
  await broker?.close();
  await stack?.close();
  shadows = undefined;
  broker = undefined;
  stack = undefined;
});

async function client(url: string, clientId: string): Promise<MqttClient> {
  const c = await connectAsync(url, { clientId, reconnectPeriod: 0 });
  clients.push(c);
  return c;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('MQTT maximum packet size', () => {
  it('refuses a payload over 128 KB (connection closed, counted), delivers one at the limit, serves others', async () => {
    broker = await startBroker();
    const listener = await client(broker.url, 'listener');
    const got: number[] = [];
    listener.on('message', (_t, payload) => got.push(payload.length));
    await listener.subscribeAsync('test/big');
    const sender = await client(broker.url, 'sender');
    await sender.publishAsync('test/big', Buffer.alloc(MQTT_MAX_PAYLOAD_BYTES, 1));
    await until(() => got.length === 1, 'the payload at the limit');
    expect(got).toEqual([MQTT_MAX_PAYLOAD_BYTES]);

    let closed = false;
    sender.on('close', () => {
      closed = true;
    });
    sender.publish('test/big', Buffer.alloc(MQTT_MAX_PAYLOAD_BYTES + 1, 1));
    await until(() => closed, 'the oversized sender to be disconnected');
    expect(broker.stats.oversized).toBe(1);

    // A 20 MB publish is refused from its header: the broker never holds it.
    const hog = await client(broker.url, 'hog');
    hog.publish('test/big', Buffer.alloc(20 * 1024 * 1024, 1));
    await until(() => broker?.stats.oversized === 2, 'the 20 MB publish refused');

    // Everyone else is still served.
    const other = await client(broker.url, 'other');
    await other.publishAsync('test/big', Buffer.from('small'));
    await until(() => got.length === 2, 'a small message after the refusals');
    expect(got).toEqual([MQTT_MAX_PAYLOAD_BYTES, 5]);
  });

  it('tracks packet boundaries across arbitrary chunking', () => {
    const packets = [
      mqttPacket.generate({
        cmd: 'publish',
        topic: 'a/b',
        payload: Buffer.alloc(300),
        qos: 1,
        messageId: 7,
        retain: false,
        dup: false,
      }),
      mqttPacket.generate({ cmd: 'pingreq' }),
      mqttPacket.generate({
        cmd: 'publish',
        topic: 'a',
        payload: Buffer.alloc(100),
        qos: 0,
        retain: false,
        dup: false,
      }),
    ];
    const stream = Buffer.concat(packets);
    // One byte at a time: a payload of exactly 300 passes a 300 limit, and the packets after it are read as such.
    const exact = new PacketSizeTracker(300);
    for (const byte of stream) expect(exact.feed(Buffer.from([byte]))).toBe(true);
    const tight = new PacketSizeTracker(299);
    expect(tight.feed(stream.subarray(0, 7))).toBe(false);
    // The next packet is refused once its fixed header and topic length (5 bytes here) have arrived.
    const later = new PacketSizeTracker(300);
    const big = mqttPacket.generate({
      cmd: 'publish',
      topic: 'x',
      payload: Buffer.alloc(301),
      qos: 0,
      retain: false,
      dup: false,
    });
    expect(later.feed(Buffer.concat([stream, big.subarray(0, 5)]))).toBe(false);
  });
});

describe('per-device state bounds', () => {
  it('the N+1-th device evicts the least recently used shadow (a get counts as use)', async () => {
    broker = await startBroker();
    shadows = await ShadowService.start(broker, Date.now, { maxShadows: 3 });
    const device = await client(broker.url, 'fleet');
    const accepted: string[] = [];
    device.on('message', (topic) => accepted.push(topic));
    await device.subscribeAsync(['$aws/things/+/shadow/update/accepted', '$aws/things/+/shadow/get/+']);
    const update = async (thing: string) => {
      const before = accepted.length;
      await device.publishAsync(shadowUpdateTopic(thing), JSON.stringify({ state: { reported: { sound: 1 } } }));
      await until(() => accepted.length > before, `${thing} accepted`);
    };
    for (const thing of ['t1', 't2', 't3']) await update(thing);
    await device.publishAsync('$aws/things/t1/shadow/get', '');
    await until(() => accepted.includes('$aws/things/t1/shadow/get/accepted'), 'get t1');
    expect(shadows.size).toBe(3);

    await update('t4');
    expect(shadows.size).toBe(3);
    expect(shadows.stats.evicted).toBe(1);
    expect(shadows.document('t2')).toBeUndefined();
    expect(['t1', 't3', 't4'].map((t) => shadows?.document(t)?.version)).toEqual([1, 1, 1]);
    // An evicted thing starts over, as a new shadow (version 1).
    await update('t2');
    expect(shadows.document('t2')?.version).toBe(1);
    expect(shadows.document('t3')).toBeUndefined();
  });

  it('evicts shadows idle for longer than idleMs', async () => {
    let now = 1_000_000;
    broker = await startBroker();
    shadows = await ShadowService.start(broker, () => now, { idleMs: 60_000 });
    shadows.applyUpdate('old', JSON.stringify({ state: { reported: { sound: 1 } } }));
    now += 30_000;
    shadows.applyUpdate('recent', JSON.stringify({ state: { reported: { sound: 1 } } }));
    now += 40_000;
    shadows.evictIdle();
    expect(shadows.document('old')).toBeUndefined();
    expect(shadows.document('recent')?.version).toBe(1);
    expect(shadows.stats.evicted).toBe(1);
  });

  it('serve keeps at most maxDevices shadows and feature histories, and still answers every device', async () => {
    stack = await startServing({ maxDevices: 2, logger: new Recorder().logger });
    const device = await client(stack.connection.mqttUrl, 'fleet');
    const answered = new Set<string>();
    device.on('message', (topic) => answered.add(topic.split('/')[2] ?? ''));
    await device.subscribeAsync('$aws/things/+/shadow/update/delta');
    const ts = Date.now();
    for (const [i, thing] of ['room-1', 'room-2', 'room-3', 'room-4'].entries()) {
      await device.publishAsync(
        shadowUpdateTopic(thing),
        JSON.stringify({ state: { reported: reported(ts + i, 50) } }),
      );
      await until(() => answered.has(thing), `${thing} answered`);
    }
    const stats = stack.stats();
    expect(stats.shadows).toBe(2);
    expect(stats.shadowsEvicted).toBe(2);
    expect(stats.historyDevices).toBeLessThanOrEqual(2);
    expect(stats.rule.failed).toBe(0);
  });
});

it("serve's metric store keeps one statistic set per series and second, not one sample per reading", () => {
  const store = new MetricStore({ bucketMs: 1000, clock: () => 5_000 });
  for (let i = 0; i < 1000; i++) {
    store.putMetricData({
      Namespace: 'N',
      MetricData: [{ MetricName: 'Latency', Value: i, Unit: 'Milliseconds', Timestamp: new Date(5_000 + (i % 900)) }],
    });
  }
  store.putMetricData({
    Namespace: 'N',
    MetricData: [{ MetricName: 'Latency', Value: 1, Unit: 'Milliseconds', Timestamp: new Date(6_200) }],
  });
  const key = { namespace: 'N', metricName: 'Latency', dimensions: [] };
  expect(store.samples(key, 0, 10_000)).toHaveLength(2);
  const [point] = store.getMetricStatistics({
    Namespace: 'N',
    MetricName: 'Latency',
    StartTime: new Date(5_000),
    EndTime: new Date(6_000),
    Period: 1,
    Statistics: ['Sum', 'SampleCount', 'Minimum', 'Maximum'],
  }).Datapoints;
  expect(point).toMatchObject({ Sum: 499_500, SampleCount: 1000, Minimum: 0, Maximum: 999 });
});
