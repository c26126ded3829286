import { readingsOfDocuments } from '../../tasks/infer-occupancy/documents';
import {
  inferenceRuleMatches,
  SHADOW_DOCUMENTS_TOPIC_FILTER,
  thingNameOfShadowTopic,
} from '../../tasks/infer-occupancy/rule-sql';
import type { LabelEvent, Reading } from '../../telemetry/reading';
import { parseJsonPayload, parseLabelEventPayload } from '../../telemetry/validate';
import type { LocalLake } from '../lake';
import type { LocalBroker } from './broker';
import { LABELS_TOPIC_FILTER } from './topics';

/**
 * Local IoT rules: the inference rule (rule-sql.ts, evaluated by `inferenceRuleMatches`) invoking the handler
 * in-process like the Lambda action, and the ingestion rules the Firehose delivery streams play on AWS (new
 * readings and ground-truth labels, buffered, into the local lake).
 */

/** Documents messages hold previous + current state: allow a few times a shadow request's size. */
const DOCUMENTS_MAX_BYTES = 64 * 1024;

export interface InferenceRuleStats {
  messages: number;
  matched: number;
  skipped: number;
  invalidJson: number;
  failed: number;
  inFlight: number;
}

export type RuleEventHandler = (event: Record<string, unknown>) => Promise<unknown>;

export class InferenceRule {
  readonly stats: InferenceRuleStats = { messages: 0, matched: 0, skipped: 0, invalidJson: 0, failed: 0, inFlight: 0 };
  private unsubscribe: (() => Promise<void>) | undefined;
  private readonly pending = new Set<Promise<unknown>>();

  private constructor(
    private readonly handler: RuleEventHandler,
    private readonly onError: (error: unknown) => void,
  ) {}

  static async start(
    broker: LocalBroker,
    handler: RuleEventHandler,
    onError: (error: unknown) => void = () => {},
  ): Promise<InferenceRule> {
    const rule = new InferenceRule(handler, onError);
    rule.unsubscribe = await broker.subscribe(SHADOW_DOCUMENTS_TOPIC_FILTER, (topic, payload) =>
      rule.onDocuments(topic, payload),
    );
    return rule;
  }

  private onDocuments(topic: string, payload: Buffer): void {
    this.stats.messages++;
    const thingName = thingNameOfShadowTopic(topic);
    let documents: unknown;
    try {
      documents = parseJsonPayload(payload, DOCUMENTS_MAX_BYTES);
    } catch {
      this.stats.invalidJson++;
      return;
    }
    if (thingName === undefined || !inferenceRuleMatches(documents)) {
      this.stats.skipped++;
      return;
    }
    this.stats.matched++;
    this.stats.inFlight++;
    // SELECT *, topic(3) AS thingName
    const event = { ...(documents as Record<string, unknown>), thingName };
    const run = this.handler(event)
      .catch((error: unknown) => {
        this.stats.failed++;
        this.onError(error);
      })
      .finally(() => {
        this.stats.inFlight--;
        this.pending.delete(run);
      });
    this.pending.add(run);
  }

  /** Resolves when every invocation started so far has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.idle();
  }
}

export interface LakeIngestionOptions {
  /** Flush buffered rows at least this often. @default 1000 */
  readonly flushIntervalMs?: number;
  /** …or when this many rows are buffered. @default 1000 */
  readonly maxBufferedRows?: number;
  readonly clock?: () => number;
}

export interface LakeIngestionStats {
  readings: number;
  labels: number;
  rejected: number;
  flushes: number;
}

/** New readings (same condition as the inference rule) and labels → the lake, in batches, like Firehose. */
export class LakeIngestion {
  readonly stats: LakeIngestionStats = { readings: 0, labels: 0, rejected: 0, flushes: 0 };
  private readings: Reading[] = [];
  private labels: LabelEvent[] = [];
  private unsubscribers: (() => Promise<void>)[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly maxBuffered: number;
  private readonly clock: () => number;

  private constructor(
    private readonly lake: LocalLake,
    options: LakeIngestionOptions,
  ) {
    this.maxBuffered = options.maxBufferedRows ?? 1000;
    this.clock = options.clock ?? Date.now;
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  static async start(broker: LocalBroker, lake: LocalLake, options: LakeIngestionOptions = {}): Promise<LakeIngestion> {
    const ingestion = new LakeIngestion(lake, options);
    ingestion.unsubscribers = await Promise.all([
      broker.subscribe(SHADOW_DOCUMENTS_TOPIC_FILTER, (topic, payload) => ingestion.onDocuments(topic, payload)),
      broker.subscribe(LABELS_TOPIC_FILTER, (_topic, payload) => ingestion.onLabel(payload)),
    ]);
    return ingestion;
  }

  private onDocuments(topic: string, payload: Buffer): void {
    const thingName = thingNameOfShadowTopic(topic);
    try {
      const documents = parseJsonPayload(payload, DOCUMENTS_MAX_BYTES);
      if (thingName === undefined || !inferenceRuleMatches(documents)) return;
      const event = { ...(documents as Record<string, unknown>), thingName };
      this.readings.push(readingsOfDocuments(event, this.lake.signalSet, this.clock()).current);
    } catch {
      this.stats.rejected++;
      return;
    }
    if (this.readings.length >= this.maxBuffered) this.flush();
  }

  private onLabel(payload: Buffer): void {
    try {
      this.labels.push(parseLabelEventPayload(payload, { now: this.clock() }));
    } catch {
      this.stats.rejected++;
      return;
    }
    if (this.labels.length >= this.maxBuffered) this.flush();
  }

  /** Appends what is buffered (one part file per table and day). */
  flush(): void {
    if (this.readings.length === 0 && this.labels.length === 0) return;
    const readings = this.readings;
    const labels = this.labels;
    this.readings = [];
    this.labels = [];
    if (readings.length > 0) this.stats.readings += this.lake.appendReadings(readings).rows;
    if (labels.length > 0) this.stats.labels += this.lake.appendLabels(labels).rows;
    this.stats.flushes++;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.unsubscribers.map((u) => u()));
    this.unsubscribers = [];
    this.flush();
  }
}
