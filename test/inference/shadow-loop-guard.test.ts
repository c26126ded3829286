import { connectAsync, type MqttClient } from 'mqtt';
import { type LocalBroker, startBroker } from '../../local/iot/broker';
import { compileIotSql } from '../../local/iot/iot-sql';
import { InferenceRule } from '../../local/iot/rules';
import { ShadowService } from '../../local/iot/shadow-service';
import {
  createInferenceHandler,
  desiredUpdateDocument,
  type EndpointPort,
  INFERENCE_RULE_SQL,
  parseInferenceConfig,
  SHADOW_DOCUMENTS_TOPIC_FILTER,
  shadowUpdateTopic,
} from '../../tasks/infer-occupancy';
import { Recorder, reported } from './helpers';

/** The deployed rule's SQL, run by the local IoT SQL evaluator. */
const inferenceRule = compileIotSql(INFERENCE_RULE_SQL);
const inferenceRuleMatches = (documents: unknown): boolean =>
  inferenceRule.apply('$aws/things/room-03/shadow/update/documents', documents, Date.now()) !== undefined;

let broker: LocalBroker;
let shadows: ShadowService;
let client: MqttClient;
const received: { topic: string; message: Record<string, unknown> }[] = [];

beforeEach(async () => {
  broker = await startBroker();
  shadows = await ShadowService.start(broker);
  client = await connectAsync(broker.url, { clientId: 'observer' });
  client.on('message', (topic, payload) => received.push({ topic, message: JSON.parse(payload.toString()) }));
  await client.subscribeAsync('$aws/things/+/shadow/update/+');
  received.length = 0;
});
afterEach(async () => {
  await client.endAsync(true);
  await shadows.stop();
  await broker.close();
});

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const messagesOn = (suffix: string) => received.filter((m) => m.topic.endsWith(suffix)).map((m) => m.message);

describe('device shadow service over MQTT', () => {
  it('accepts updates and publishes accepted, documents (previous/current/version) and delta as AWS does', async () => {
    const ts = Date.now();
    await client.publishAsync(shadowUpdateTopic('room-01'), JSON.stringify({ state: { reported: reported(ts, 5) } }));
    await client.publishAsync(
      shadowUpdateTopic('room-01'),
      JSON.stringify({ state: { reported: { sound: 25, timestamp: ts + 1, hvacStatus: null } }, clientToken: 'c1' }),
    );
    await client.publishAsync(shadowUpdateTopic('room-01'), JSON.stringify({ state: { desired: { mode: 'eco' } } }));
    await until(() => messagesOn('/update/documents').length === 3, 'three documents');
    const [first, second, third] = messagesOn('/update/documents');
    expect(first).toMatchObject({ previous: null, current: { version: 1, state: { reported: reported(ts, 5) } } });
    expect(second).toMatchObject({
      clientToken: 'c1',
      previous: { version: 1, state: { reported: { sound: 5, hvacStatus: 'FAN' } } },
      current: { version: 2, state: { reported: { sound: 25, timestamp: ts + 1, temperature: 21.5 } } },
    });
    expect(second).not.toHaveProperty('current.state.reported.hvacStatus');
    expect(third).toMatchObject({ current: { version: 3, state: { desired: { mode: 'eco' } } } });
    expect(messagesOn('/update/accepted')[1]).toMatchObject({
      state: { reported: { sound: 25 } },
      metadata: { reported: { sound: { timestamp: expect.any(Number) } } },
      version: 2,
      clientToken: 'c1',
    });
    expect(messagesOn('/update/delta')).toEqual([expect.objectContaining({ state: { mode: 'eco' }, version: 3 })]);
  });

  it('rejects malformed requests and version conflicts on update/rejected', async () => {
    await client.publishAsync(shadowUpdateTopic('room-02'), 'not json');
    await client.publishAsync(shadowUpdateTopic('room-02'), JSON.stringify({ reported: {} }));
    await client.publishAsync(shadowUpdateTopic('room-02'), JSON.stringify({ state: { reported: 5 } }));
    await client.publishAsync(shadowUpdateTopic('room-02'), JSON.stringify({ state: { reported: {} }, version: 7 }));
    await until(() => messagesOn('/update/rejected').length === 4, 'four rejections');
    expect(messagesOn('/update/rejected').map((m) => m.code)).toEqual([400, 400, 400, 409]);
    expect(messagesOn('/update/documents')).toHaveLength(0);
  });
});

describe('loop guard: the handler’s own desired update cannot re-trigger the rule', () => {
  it('the rule condition is false on the documents a desired-only update produces, true on a new reading', () => {
    const ts = Date.now();
    const report = shadows.applyUpdate('room-03', JSON.stringify({ state: { reported: reported(ts, 15) } }));
    const documentsOf = (messages: typeof report) => messages.find((m) => m.topic.endsWith('/documents'))?.message;
    expect(inferenceRuleMatches(documentsOf(report))).toBe(true);

    const answer = desiredUpdateDocument({
      roomOccupancy: true,
      occupancyProbability: 0.9,
      occupancyModel: 'm',
      occupancySource: 'model',
      occupancyReadingTs: ts,
    });
    expect(inferenceRuleMatches(documentsOf(shadows.applyUpdate('room-03', answer)))).toBe(false);
    // A device echoing the answer into `reported` without a new measurement does not fire it either…
    const echo = JSON.stringify({ state: { reported: { roomOccupancy: true } } });
    expect(inferenceRuleMatches(documentsOf(shadows.applyUpdate('room-03', echo)))).toBe(false);
    // …nor does a duplicate of the same measurement; the next measurement does.
    const duplicate = JSON.stringify({ state: { reported: reported(ts, 15) } });
    expect(inferenceRuleMatches(documentsOf(shadows.applyUpdate('room-03', duplicate)))).toBe(false);
    const next = JSON.stringify({ state: { reported: reported(ts + 60_000, 15) } });
    expect(inferenceRuleMatches(documentsOf(shadows.applyUpdate('room-03', next)))).toBe(true);
    expect(INFERENCE_RULE_SQL).toContain(`FROM '${SHADOW_DOCUMENTS_TOPIC_FILTER}'`);
  });

  it('end to end over the broker: one report → one invocation → one desired update, nothing more', async () => {
    const recorder = new Recorder();
    const endpoint: EndpointPort = {
      predict: async () => ({ occupied: true, probability: 0.7, model: 'm', attempts: 1 }),
    };
    const handler = createInferenceHandler({
      config: parseInferenceConfig({}),
      endpoint,
      // Publishes to the shadow like the IoT data plane: a desired-only update on the shadow's update topic.
      shadow: {
        publishDesired: (thing, desired) => broker.publish(shadowUpdateTopic(thing), desiredUpdateDocument(desired)),
      },
      logger: recorder.logger,
      metrics: recorder.metricsSink,
    });
    let invocations = 0;
    const rule = await InferenceRule.start(broker, (event) => {
      invocations++;
      return handler(event);
    });
    const ts = Date.now();
    await client.publishAsync(shadowUpdateTopic('room-04'), JSON.stringify({ state: { reported: reported(ts, 30) } }));
    await until(() => messagesOn('/update/delta').length === 1, 'the answer');
    // Give a (wrong) loop time to show itself: the desired update's documents have been routed by now.
    await until(() => rule.stats.messages >= 2, 'the second documents message');
    await new Promise((r) => setTimeout(r, 100));
    await rule.stop();
    expect(invocations).toBe(1);
    expect(rule.stats).toMatchObject({ messages: 2, matched: 1, skipped: 1, failed: 0 });
    expect(messagesOn('/update/delta')[0]).toMatchObject({
      state: { roomOccupancy: true, occupancySource: 'model', occupancyReadingTs: ts },
    });
    expect(shadows.document('room-04')?.version).toBe(2);
  });
});
