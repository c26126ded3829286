import { connectAsync, type MqttClient } from 'mqtt';
import { createFaultInjector, type FaultInjector, type PlannedFault } from '../../telemetry/faults';
import { THERMOSTAT } from '../../telemetry/signals';
import { createRoomSimulator, type RoomSimulator } from '../../telemetry/simulator';
import { toWireLabel, toWireReport } from '../../telemetry/validate';
import { type LatencySummary, summariseLatencies } from './stats';
import { labelsTopic, shadowTopic } from './topics';

/**
 * A live thermostat fleet over MQTT: one mqtt.js client per room publishes its reported state to its shadow at a
 * fixed rate (timestamps are wall-clock now), publishes ground-truth changes on the labels topic, and listens to
 * `update/delta` for the `roomOccupancy` the inference handler sets — matching each answer to its report by
 * `occupancyReadingTs` to measure report → answer latency.
 */

export class FleetOptionsError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'FleetOptionsError';
  }
}

export interface LiveFleetOptions {
  readonly brokerUrl: string;
  readonly rooms: number;
  /** Reports per second per room. */
  readonly ratePerRoom: number;
  /** @default 1 */
  readonly seed?: number;
  /** First room index (several fleets can share a broker). @default 0 */
  readonly firstRoom?: number;
  readonly onAnswer?: (answer: FleetAnswer) => void;
  /** Stop reporting after this many reports per room. @default unlimited */
  readonly reportsPerRoom?: number;
  /**
   * Sensor failures (telemetry/faults.ts) from their time on (wall clock): a silent device stops publishing, the
   * others publish their stuck or refused values for real, so the rules and the inference Lambda meet them.
   * @default none
   */
  readonly faults?: readonly PlannedFault[];
}

export interface FleetAnswer {
  readonly thingName: string;
  readonly readingTs: number;
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly latencyMs: number;
  readonly roomOccupancy: boolean;
  readonly source: 'model' | 'fallback';
  readonly model: string;
}

export interface FleetSummary {
  readonly rooms: number;
  readonly reports: number;
  readonly labels: number;
  readonly answered: number;
  /** Reports without an answer when the summary was taken. */
  readonly unanswered: number;
  readonly bySource: { model: number; fallback: number };
  readonly latency: LatencySummary;
  readonly publishErrors: number;
  /** Reports not sent because their device was silent (--fault silent). */
  readonly withheld: number;
  /** Reports sent with values the validator refuses (--fault out-of-range / malformed): no answer is expected. */
  readonly refused: number;
}

interface Device {
  readonly sim: RoomSimulator;
  readonly client: MqttClient;
  /** readingTs → sent at (performance.now ms). */
  readonly pending: Map<number, number>;
  lastTs: number;
  sent: number;
  timer?: NodeJS.Timeout;
}

export class LiveFleet {
  private readonly devices: Device[] = [];
  private readonly latencies: number[] = [];
  private readonly bySource = { model: 0, fallback: 0 };
  private reports = 0;
  private labels = 0;
  private answered = 0;
  private publishErrors = 0;
  private withheld = 0;
  private refused = 0;
  private running = false;
  private readonly injector: FaultInjector;

  private constructor(private readonly options: LiveFleetOptions) {
    this.injector = createFaultInjector(options.faults ?? [], THERMOSTAT);
  }

  static async start(options: LiveFleetOptions): Promise<LiveFleet> {
    if (!Number.isInteger(options.rooms) || options.rooms < 1) {
      throw new FleetOptionsError('rooms', `must be a positive integer, got ${options.rooms}`);
    }
    if (!(options.ratePerRoom > 0 && options.ratePerRoom <= 1000)) {
      throw new FleetOptionsError(
        'rate',
        `must be in (0, 1000] reports per second per room, got ${options.ratePerRoom}`,
      );
    }
    const fleet = new LiveFleet(options);
    try {
      await fleet.connect();
    } catch (error) {
      await fleet.stop(0);
      throw error;
    }
    fleet.begin();
    return fleet;
  }

  private async connect(): Promise<void> {
    const first = this.options.firstRoom ?? 0;
    const now = Date.now();
    await Promise.all(
      Array.from({ length: this.options.rooms }, async (_, i) => {
        const sim = createRoomSimulator(first + i, this.options.seed ?? 1, now);
        const client = await connectAsync(this.options.brokerUrl, {
          clientId: sim.thingName,
          clean: true,
          reconnectPeriod: 500,
          connectTimeout: 5000,
        });
        const device: Device = { sim, client, pending: new Map(), lastTs: 0, sent: 0 };
        client.on('message', (_topic, payload) => this.onDelta(device, payload));
        await client.subscribeAsync(shadowTopic(sim.thingName, 'update/delta'), { qos: 0 });
        this.devices.push(device);
      }),
    );
  }

  private begin(): void {
    this.running = true;
    const intervalMs = 1000 / this.options.ratePerRoom;
    for (const device of this.devices) {
      // Devices do not report in lock-step: each starts at its own phase of the interval.
      const offset = device.sim.phase * intervalMs;
      device.timer = setTimeout(() => {
        this.report(device);
        device.timer = setInterval(() => this.report(device), intervalMs);
      }, offset);
    }
  }

  private report(device: Device): void {
    if (!this.running) return;
    const limit = this.options.reportsPerRoom;
    if (limit !== undefined && device.sent >= limit) {
      clearInterval(device.timer);
      return;
    }
    const ts = Math.max(Date.now(), device.lastTs + 1);
    device.lastTs = ts;
    const step = device.sim.next(ts);
    const client = device.client;
    device.sent++;
    const out = this.injector.apply(step.reading);
    if (out.kind === 'silent') this.withheld++;
    else {
      const wire = out.kind === 'reading' ? toWireReport(out.reading, THERMOSTAT) : out.report;
      const { thingName: _thing, ...reported } = wire;
      // A refused report gets no answer: only the valid ones wait for theirs.
      if (out.kind === 'reading') device.pending.set(ts, performance.now());
      else this.refused++;
      this.reports++;
      client
        .publishAsync(shadowTopic(device.sim.thingName, 'update'), JSON.stringify({ state: { reported } }), { qos: 1 })
        .catch(() => {
          this.publishErrors++;
        });
    }
    if (step.label) {
      this.labels++;
      client
        .publishAsync(labelsTopic(device.sim.thingName), JSON.stringify(toWireLabel(step.label)), { qos: 1 })
        .catch(() => {
          this.publishErrors++;
        });
    }
  }

  private onDelta(device: Device, payload: Buffer): void {
    let state: Record<string, unknown>;
    try {
      const message = JSON.parse(payload.toString()) as { state?: Record<string, unknown> };
      state = message.state ?? {};
    } catch {
      return;
    }
    const readingTs = state.occupancyReadingTs;
    if (typeof readingTs !== 'number') return;
    const sentAt = device.pending.get(readingTs);
    if (sentAt === undefined) return;
    device.pending.delete(readingTs);
    const receivedAt = performance.now();
    const source = state.occupancySource === 'model' ? 'model' : 'fallback';
    const answer: FleetAnswer = {
      thingName: device.sim.thingName,
      readingTs,
      sentAt,
      receivedAt,
      latencyMs: receivedAt - sentAt,
      roomOccupancy: state.roomOccupancy === true,
      source,
      model: typeof state.occupancyModel === 'string' ? state.occupancyModel : '',
    };
    this.answered++;
    this.bySource[source]++;
    this.latencies.push(answer.latencyMs);
    this.options.onAnswer?.(answer);
  }

  summary(): FleetSummary {
    let unanswered = 0;
    for (const device of this.devices) unanswered += device.pending.size;
    return {
      rooms: this.devices.length,
      reports: this.reports,
      labels: this.labels,
      answered: this.answered,
      unanswered,
      bySource: { ...this.bySource },
      latency: summariseLatencies(this.latencies),
      publishErrors: this.publishErrors,
      withheld: this.withheld,
      refused: this.refused,
    };
  }

  /** Stops reporting, waits up to `drainMs` for outstanding answers, disconnects. */
  async stop(drainMs = 1500): Promise<FleetSummary> {
    this.running = false;
    for (const device of this.devices) {
      clearTimeout(device.timer);
      clearInterval(device.timer);
    }
    const deadline = Date.now() + drainMs;
    while (Date.now() < deadline && this.devices.some((d) => d.pending.size > 0)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const summary = this.summary();
    await Promise.all(this.devices.map((d) => d.client.endAsync(true).catch(() => {})));
    return summary;
  }
}
