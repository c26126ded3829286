import { connectAsync, type MqttClient } from 'mqtt';
import type { SensorFaultRecord } from '../../health/types';
import { faultFlags } from '../../local/commands/fault-flag';
import { shadowTopic } from '../../local/iot/topics';
import { LocalLake } from '../../local/lake';
import { createFaultInjector, type PlannedFault, refusedRecord } from '../../telemetry/faults';
import type { LabelEvent, Reading } from '../../telemetry/reading';
import { THERMOSTAT } from '../../telemetry/signals';
import { DEFAULT_SIM_START, simulateFleet } from '../../telemetry/simulator';
import { toWireReport } from '../../telemetry/validate';

/**
 * The fleet of the sensor health e2e test (sensor-health.test.ts): four rooms over two work days, one stuck, one
 * silent and one out of range from the simulator's default fault time (6 h before the end), as
 * `occupancy simulate --rooms 4 --days 2 --fault stuck:room-01 --fault silent:room-02 --fault out-of-range:room-03`.
 */

export const FLEET = { rooms: 4, days: 2, seed: 1, start: DEFAULT_SIM_START } as const;
export const FLEET_END = FLEET.start + FLEET.days * 86_400_000;
export const FAULT_FLAGS = ['stuck:room-01', 'silent:room-02', 'out-of-range:room-03'] as const;
/** What the check must find: [kind, thing], in the report's order (HEALTH_KINDS, then thing name). */
export const UNHEALTHY = [
  ['stuck', 'room-01'],
  ['silent', 'room-02'],
  ['out-of-range', 'room-03'],
] as const;

export const plannedFaults = (): PlannedFault[] => faultFlags([...FAULT_FLAGS], FLEET.rooms, FLEET.days);

/** Reports one device sends after its fault time, replayed live: its own simulated readings, faults applied. */
export interface LiveReports {
  readonly thingName: string;
  readonly readings: readonly Reading[];
}

/**
 * Writes the fleet into the lake as `occupancy simulate` does (silent readings withheld, refused ones as
 * sensor_faults rows), except the readings of `liveThing` from its fault time on, returned for a live replay.
 */
export function writeFleet(stateDir: string, liveThing?: string): { refused: number; live: LiveReports | undefined } {
  const faults = plannedFaults();
  const injector = createFaultInjector(faults, THERMOSTAT);
  const liveFrom = faults.find((f) => f.thingName === liveThing)?.at ?? Number.POSITIVE_INFINITY;
  const readings: Reading[] = [];
  const labels: LabelEvent[] = [];
  const refused: SensorFaultRecord[] = [];
  const live: Reading[] = [];
  for (const e of simulateFleet({ ...FLEET, signalSet: THERMOSTAT })) {
    if (e.kind === 'label') labels.push(e.label);
    else if (e.reading.thingName === liveThing && e.reading.ts >= liveFrom) live.push(e.reading);
    else {
      const out = injector.apply(e.reading);
      if (out.kind === 'reading') readings.push(out.reading);
      else if (out.kind === 'refused') {
        const record = refusedRecord(out.report, THERMOSTAT, e.reading.ts);
        if (record) refused.push(record);
      }
    }
  }
  const lake = LocalLake.open(stateDir, THERMOSTAT);
  try {
    const tx = lake.beginAppend();
    try {
      tx.appendReadings(
        readings,
        readings.map((r) => r.ts),
      );
      tx.appendLabels(labels);
      if (refused.length > 0) tx.appendSensorFaults(refused);
      tx.commit();
    } finally {
      tx.abort();
    }
  } finally {
    lake.close();
  }
  return { refused: refused.length, live: liveThing ? { thingName: liveThing, readings: live } : undefined };
}

export interface ReplaySummary {
  readonly sent: number;
  readonly refused: number;
  readonly answered: number;
}

/**
 * One MQTT device sending its readings with its faults applied (telemetry/faults.ts, as `simulate --live` does), to
 * its shadow: a valid report waits for the inference Lambda's answer; a refused one gets none (the IoT rule drops it,
 * the Lambda records it), so the next report follows at once.
 */
export async function replayWithFaults(brokerUrl: string, live: LiveReports, answerTimeoutMs = 10_000) {
  const injector = createFaultInjector(
    plannedFaults().filter((f) => f.thingName === live.thingName),
    THERMOSTAT,
  );
  let client: MqttClient | undefined;
  let sent = 0;
  let refused = 0;
  let answered = 0;
  try {
    client = await connectAsync(brokerUrl, { clientId: `${live.thingName}-replay`, clean: true, connectTimeout: 5000 });
    const waiting = new Map<number, () => void>();
    client.on('message', (_topic, payload) => {
      const state = (JSON.parse(payload.toString()) as { state?: Record<string, unknown> }).state ?? {};
      const ts = state.occupancyReadingTs;
      if (typeof ts === 'number') waiting.get(ts)?.();
    });
    await client.subscribeAsync(shadowTopic(live.thingName, 'update/delta'), { qos: 0 });
    for (const reading of live.readings) {
      const out = injector.apply(reading);
      if (out.kind === 'silent') continue;
      const wire = out.kind === 'reading' ? toWireReport(out.reading, THERMOSTAT) : out.report;
      const { thingName: _thing, ...reported } = wire;
      const body = JSON.stringify({ state: { reported } });
      sent++;
      if (out.kind === 'refused') {
        refused++;
        await client.publishAsync(shadowTopic(live.thingName, 'update'), body, { qos: 1 });
        continue;
      }
      const answer = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), answerTimeoutMs);
        waiting.set(reading.ts, () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      await client.publishAsync(shadowTopic(live.thingName, 'update'), body, { qos: 1 });
      if (await answer) answered++;
      waiting.delete(reading.ts);
    }
  } finally {
    await client?.endAsync(true).catch(() => undefined);
  }
  return { sent, refused, answered } satisfies ReplaySummary;
}
