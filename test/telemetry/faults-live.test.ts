import { type LocalBroker, startBroker } from '../../local/iot/broker';
import { LiveFleet } from '../../local/iot/fleet';
import { shadowTopic } from '../../local/iot/topics';
import { planFaults } from '../../telemetry/faults';
import { THERMOSTAT } from '../../telemetry/signals';

/** `occupancy simulate --live --fault …`: what the MQTT fleet really publishes to the broker. */

jest.setTimeout(30_000);

let broker: LocalBroker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => broker.close());

it('a silent device publishes nothing; out-of-range and malformed ones publish every other report bad', async () => {
  const start = Date.now();
  const faults = planFaults(
    [
      { kind: 'silent', thingName: 'room-01' },
      { kind: 'out-of-range', thingName: 'room-02' },
      { kind: 'malformed', thingName: 'room-03' },
    ],
    { things: ['room-01', 'room-02', 'room-03', 'room-04'], signalSet: THERMOSTAT, start },
  );
  const seen = new Map<string, unknown[]>();
  await broker.subscribe(shadowTopic('+', 'update'), (topic, payload) => {
    const thing = topic.split('/')[2] ?? '';
    const reported = (JSON.parse(payload.toString()) as { state: { reported: Record<string, unknown> } }).state
      .reported;
    seen.set(thing, [...(seen.get(thing) ?? []), reported.sound]);
  });
  const fleet = await LiveFleet.start({ brokerUrl: broker.url, rooms: 4, ratePerRoom: 50, reportsPerRoom: 10, faults });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && [...seen.values()].reduce((n, v) => n + v.length, 0) < 30) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const summary = await fleet.stop(0);
  expect({ reports: summary.reports, withheld: summary.withheld, refused: summary.refused }).toEqual({
    reports: 30,
    withheld: 10,
    refused: 10,
  });
  expect(seen.has('room-01')).toBe(false);
  // Bad, good, bad, …: ten reports each.
  const everyOther = Array.from({ length: 10 }, (_, i) => i % 2 === 0);
  expect(seen.get('room-02')?.map((v) => v === 400)).toEqual(everyOther);
  expect(seen.get('room-03')?.map((v) => typeof v === 'string')).toEqual(everyOther);
  expect(seen.get('room-04')?.every((v) => typeof v === 'number' && v <= 200)).toBe(true);
});
