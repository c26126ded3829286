import { connectAsync, type MqttClient } from 'mqtt';
import { ARTIFACT_FORMAT_VERSION, type ModelArtifact } from '../../automl/artifact';
import { buildFeatureSpec, featureNames } from '../../features';
import { shadowTopic } from '../../local/iot/topics';
import { LocalLake } from '../../local/lake';
import type { LabelEvent, Reading } from '../../telemetry/reading';
import { THERMOSTAT } from '../../telemetry/signals';
import { type SimEvent, simulateFleet } from '../../telemetry/simulator';
import { toWireLabel, toWireReport } from '../../telemetry/validate';
import { labelsTopic } from '../../telemetry/wire';

/**
 * Helpers of the closed-loop e2e test (closed-loop.test.ts): one seeded, drifting fleet split at its change time into
 * the history written straight into the lake and the live part replayed over MQTT to the serving stack, and the
 * serving model the drift hurts.
 *
 * Replay, not LiveFleet: LiveFleet stamps readings with the wall clock, so a few minutes of test see one hour of one
 * day (tonight: nobody in any room) and no live F1 can be measured. The replay sends the simulator's own readings,
 * a minute apart, as fast as the stack answers them; each room waits for its answer before its next reading, so
 * every run sends the same readings in the same per-room order (seeded, deterministic).
 */

const DAY_MS = 86_400_000;

export const FLEET = {
  rooms: 4,
  /** Monday to the next Monday. */
  days: 8,
  seed: 7,
  /** Monday 2026-01-05 on the simulator's calendar: the change (day 4) is Friday 00:00, so the live day is a work day. */
  start: Date.UTC(2026, 0, 5),
  intervalSeconds: 60,
  changeDay: 4,
} as const;

/** The simulated fleet cut into the parts the test uses, every timestamp moved by `shiftMs`. */
export interface ClosedLoopFleet {
  /** Monday to Thursday, before the change: written into the lake. */
  readonly history: SimEvent[];
  /** Friday, the first day after the change: replayed live to the serving model, then monitored. */
  readonly live: SimEvent[];
  /** The next Monday: replayed live while the candidate shadows the serving model. */
  readonly bake: SimEvent[];
  /** End of the live day (the monitor's window end). */
  readonly liveEnd: number;
  readonly shiftMs: number;
}

/**
 * The fleet under the `season` drift (heating → cooling: rooms warm by several °C), in time order. The shadow
 * comparison judges answers made during its bake (wall clock) on labels of the day before at most (its partitions),
 * so the simulated days are moved by whole days to put the bake's Monday on yesterday (UTC) of `now`: the values are
 * the seeded simulator's, only the dates move (hour of day kept; the weekday features move with every row alike).
 */
export function closedLoopFleet(now: number = Date.now()): ClosedLoopFleet {
  const monday2 = FLEET.start + 7 * DAY_MS;
  const shiftMs = (Math.floor(now / DAY_MS) - 1) * DAY_MS - monday2;
  const changeAt = FLEET.start + FLEET.changeDay * DAY_MS;
  const history: SimEvent[] = [];
  const live: SimEvent[] = [];
  const bake: SimEvent[] = [];
  const events = simulateFleet({
    rooms: FLEET.rooms,
    days: FLEET.days,
    seed: FLEET.seed,
    start: FLEET.start,
    intervalSeconds: FLEET.intervalSeconds,
    drift: { scenario: 'season', changeDay: FLEET.changeDay },
  });
  for (const event of events) {
    const ts = event.kind === 'reading' ? event.reading.ts : event.label.ts;
    const moved: SimEvent =
      event.kind === 'reading'
        ? { kind: 'reading', reading: { ...event.reading, ts: ts + shiftMs } }
        : { kind: 'label', label: { ...event.label, ts: ts + shiftMs } };
    if (ts < changeAt) history.push(moved);
    else if (ts < changeAt + DAY_MS) live.push(moved);
    else if (ts >= monday2) bake.push(moved);
  }
  return { history, live, bake, liveEnd: changeAt + DAY_MS + shiftMs, shiftMs };
}

/** The history the serving model was trained on, in the lake as `simulate` would have put it. */
export function writeHistory(stateDir: string, events: readonly SimEvent[]): void {
  const lake = LocalLake.open(stateDir);
  try {
    const tx = lake.beginAppend();
    try {
      tx.appendReadings(events.flatMap((e): Reading[] => (e.kind === 'reading' ? [e.reading] : [])));
      tx.appendLabels(events.flatMap((e): LabelEvent[] => (e.kind === 'label' ? [e.label] : [])));
      tx.commit();
    } finally {
      tx.abort();
    }
  } finally {
    lake.close();
  }
}

/**
 * The model serving before the drift: occupied when 1.5·(sound − 10) + 3·(temperature − 21) > 0. On the heating
 * season's rooms it is a little better than the static rule `sound > 10` (F1 0.772 vs 0.752 on the simulated
 * history, raw readings); once the rooms are cooled and warmer it calls warm empty rooms occupied (0.53 vs 0.76 on
 * the live day).
 */
export function warmRoomModel(version: string): ModelArtifact {
  const names = featureNames(buildFeatureSpec(THERMOSTAT));
  const sound = names.indexOf('sound');
  const temperature = names.indexOf('temperature');
  if (sound < 0 || temperature < 0) throw new Error('the thermostat features have no sound or temperature');
  return {
    formatVersion: ARTIFACT_FORMAT_VERSION,
    version,
    family: 'logistic',
    featureNames: names,
    usedFeatures: ['sound', 'temperature'],
    target: 'occupied',
    preprocessing: { missingValues: 'mean', standardised: true },
    model: {
      family: 'logistic',
      inputs: [sound, temperature],
      standardisation: { mean: [0, 0], scale: [1, 1] },
      weights: [1.5, 3],
      intercept: -1.5 * 10 - 3 * 21,
    },
    threshold: 0.5,
    objective: { name: 'F1', value: 0.75 },
    training: {
      candidateName: 'warm-room',
      trainedAt: '2026-01-05T00:00:00Z',
      rows: 4608,
      featureSubset: 'sound,temperature',
      hyperParameters: {},
      validation: {},
      seed: FLEET.seed,
    },
  };
}

/**
 * Readings whose label is known once the events are in the lake: from each room's first label event to its last
 * (the label in force is the latest at or before a reading; it is known once a later one exists).
 */
export function labelledReadings(events: readonly SimEvent[]): number {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  for (const e of events) {
    if (e.kind !== 'label') continue;
    if (!first.has(e.label.thingName)) first.set(e.label.thingName, e.label.ts);
    last.set(e.label.thingName, e.label.ts);
  }
  return events.filter((e) => {
    if (e.kind !== 'reading') return false;
    const from = first.get(e.reading.thingName);
    const to = last.get(e.reading.thingName);
    return from !== undefined && to !== undefined && e.reading.ts >= from && e.reading.ts <= to;
  }).length;
}

export interface ReplaySummary {
  readonly readings: number;
  readonly labels: number;
  readonly answered: number;
  readonly bySource: { model: number; fallback: number };
}

/** Per-room MQTT devices sending the given events; each reading waits for its answer (or `answerTimeoutMs`). */
export async function replayFleet(
  brokerUrl: string,
  events: readonly SimEvent[],
  answerTimeoutMs = 10_000,
): Promise<ReplaySummary> {
  const byRoom = new Map<string, SimEvent[]>();
  for (const e of events) {
    const thing = e.kind === 'reading' ? e.reading.thingName : e.label.thingName;
    byRoom.set(thing, [...(byRoom.get(thing) ?? []), e]);
  }
  const bySource = { model: 0, fallback: 0 };
  let readings = 0;
  let labels = 0;
  let answered = 0;
  const clients: MqttClient[] = [];
  try {
    await Promise.all(
      [...byRoom].map(async ([thing, roomEvents]) => {
        const client = await connectAsync(brokerUrl, {
          clientId: `${thing}-replay`,
          clean: true,
          connectTimeout: 5000,
        });
        clients.push(client);
        const waiting = new Map<number, (source: string) => void>();
        client.on('message', (_topic, payload) => {
          const state = (JSON.parse(payload.toString()) as { state?: Record<string, unknown> }).state ?? {};
          const ts = state.occupancyReadingTs;
          if (typeof ts === 'number') waiting.get(ts)?.(String(state.occupancySource));
        });
        await client.subscribeAsync(shadowTopic(thing, 'update/delta'), { qos: 0 });
        for (const e of roomEvents) {
          if (e.kind === 'label') {
            labels++;
            await client.publishAsync(labelsTopic(thing), JSON.stringify(toWireLabel(e.label)), { qos: 1 });
            continue;
          }
          readings++;
          const { thingName: _thing, ...reported } = toWireReport(e.reading, THERMOSTAT);
          const answer = new Promise<string | undefined>((resolve) => {
            const timer = setTimeout(() => resolve(undefined), answerTimeoutMs);
            waiting.set(e.reading.ts, (source) => {
              clearTimeout(timer);
              resolve(source);
            });
          });
          await client.publishAsync(shadowTopic(thing, 'update'), JSON.stringify({ state: { reported } }), { qos: 1 });
          const source = await answer;
          waiting.delete(e.reading.ts);
          if (source === 'model' || source === 'fallback') {
            answered++;
            bySource[source]++;
          }
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
  }
  return { readings, labels, answered, bySource };
}
