import { INFERENCE_RULE_SQL } from '../../tasks/infer-occupancy/rule-sql';
import type { LabelEvent, Reading } from '../../telemetry/reading';
import { parseJsonPayload, parseLabelEvent, parseReading, wireKey } from '../../telemetry/validate';
import { LABELS_RULE_SQL, telemetryRuleSql } from '../../telemetry/wire';
import type { LocalLake } from '../lake';
import type { LocalBroker } from './broker';
import { type CompiledRule, compileIotSql } from './iot-sql';

/**
 * Local IoT rules. Each one runs the exact SQL text its CDK stack deploys (the same constants) through the IoT SQL
 * evaluator: the inference rule (Serving stack) invoking the handler in-process like the Lambda action, and the
 * Ingestion stack's telemetry and labels rules, whose rows Firehose would buffer into the lake.
 */

/** Documents messages hold previous + current state: allow a few times a shadow request's size. */
const MAX_MESSAGE_BYTES = 64 * 1024;

export interface TopicRuleStats {
  /** Messages on the rule's topic filter. */
  messages: number;
  /** …whose WHERE clause was true (the action ran). */
  matched: number;
  /** …whose WHERE clause was not true. */
  skipped: number;
  /** …that were not JSON (AWS would send them to the error action). */
  invalidJson: number;
}

/** One topic rule on the local broker: SELECT's output row for every message the WHERE clause matches. */
export class LocalTopicRule {
  readonly stats: TopicRuleStats = { messages: 0, matched: 0, skipped: 0, invalidJson: 0 };
  private unsubscribe: (() => Promise<void>) | undefined;

  private constructor(
    readonly rule: CompiledRule,
    private readonly action: (row: Record<string, unknown>) => void,
    private readonly clock: () => number,
  ) {}

  /** Subscribes a compiled rule (compileIotSql: SqlParseException outside the subset) to its FROM filter. */
  static async start(
    broker: LocalBroker,
    compiled: CompiledRule,
    action: (row: Record<string, unknown>) => void,
    clock: () => number = Date.now,
  ): Promise<LocalTopicRule> {
    const rule = new LocalTopicRule(compiled, action, clock);
    rule.unsubscribe = await broker.subscribe(rule.rule.topicFilter, (topic, payload) =>
      rule.onMessage(topic, payload),
    );
    return rule;
  }

  private onMessage(topic: string, payload: Buffer): void {
    this.stats.messages++;
    let message: unknown;
    try {
      message = parseJsonPayload(payload, MAX_MESSAGE_BYTES);
    } catch {
      this.stats.invalidJson++;
      return;
    }
    const row = this.rule.apply(topic, message, this.clock());
    if (row === undefined) {
      this.stats.skipped++;
      return;
    }
    this.stats.matched++;
    this.action(row);
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

export interface InferenceRuleStats extends TopicRuleStats {
  failed: number;
  inFlight: number;
}

export type RuleEventHandler = (event: Record<string, unknown>) => Promise<unknown>;

/** The Serving stack's inference rule (INFERENCE_RULE_SQL) with its Lambda action run in-process. */
export class InferenceRule {
  private topicRule: LocalTopicRule | undefined;
  private readonly pending = new Set<Promise<unknown>>();
  private failed = 0;
  private inFlight = 0;

  private constructor(
    private readonly handler: RuleEventHandler,
    private readonly onError: (error: unknown) => void,
  ) {}

  static async start(
    broker: LocalBroker,
    handler: RuleEventHandler,
    onError: (error: unknown) => void = () => {},
  ): Promise<InferenceRule> {
    const compiled = compileIotSql(INFERENCE_RULE_SQL);
    const rule = new InferenceRule(handler, onError);
    rule.topicRule = await LocalTopicRule.start(broker, compiled, (event) => rule.invoke(event));
    return rule;
  }

  get stats(): InferenceRuleStats {
    const base = this.topicRule?.stats ?? { messages: 0, matched: 0, skipped: 0, invalidJson: 0 };
    return { ...base, failed: this.failed, inFlight: this.inFlight };
  }

  private invoke(event: Record<string, unknown>): void {
    this.inFlight++;
    const run = this.handler(event)
      .catch((error: unknown) => {
        this.failed++;
        this.onError(error);
      })
      .finally(() => {
        this.inFlight--;
        this.pending.delete(run);
      });
    this.pending.add(run);
  }

  /** Resolves when every invocation started so far has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async stop(): Promise<void> {
    // The rule keeps its counts after it stops: they are the run's record.
    await this.topicRule?.stop();
    await this.idle();
  }
}

export interface LakeIngestionOptions {
  /** Flush buffered rows at least this often. @default 1000 */
  readonly flushIntervalMs?: number;
  /** …or when this many rows are buffered. @default 1000 */
  readonly maxBufferedRows?: number;
  /**
   * While appends fail, rows are kept for a retry (Firehose too retries and buffers delivery failures) up to this
   * many; beyond it the oldest are dropped and counted, so a full disk cannot grow memory without bound.
   * @default 200000
   */
  readonly maxRetainedRows?: number;
  /** Compact the lake after a flush at most this often (each flush adds a part file per day). @default 60000 */
  readonly compactIntervalMs?: number;
  readonly clock?: () => number;
}

export interface LakeIngestionStats {
  readings: number;
  labels: number;
  /** Rows the rules selected that the lake's validators refuse (e.g. a signal out of its physical range). */
  rejected: number;
  flushes: number;
  /** Flushes the lake refused (e.g. a full disk): their rows stay buffered and are retried at the next flush. */
  failedFlushes: number;
  /** Oldest buffered rows given up because appends kept failing past `maxRetainedRows`. */
  dropped: number;
  /** Why the last flush failed; cleared by the next successful one. */
  lastError?: string;
}

/**
 * The Ingestion stack's telemetry and labels rules into the lake, in batches, like Firehose. Rule rows are lake
 * rows (thing_name, ts, …); they are validated as the importers validate before they are appended.
 */
export class LakeIngestion {
  readonly stats: LakeIngestionStats = {
    readings: 0,
    labels: 0,
    rejected: 0,
    flushes: 0,
    failedFlushes: 0,
    dropped: 0,
  };
  private readings: Reading[] = [];
  /** The telemetry rule's `received_at` (rules engine time) of each buffered reading. */
  private receivedAt: number[] = [];
  private labels: LabelEvent[] = [];
  private rules: LocalTopicRule[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly maxBuffered: number;
  private readonly maxRetained: number;
  private readonly clock: () => number;
  private readonly compactIntervalMs: number;
  private lastCompaction = 0;
  private compacting: Promise<unknown> | undefined;

  private constructor(
    private readonly lake: LocalLake,
    options: LakeIngestionOptions,
  ) {
    this.maxBuffered = options.maxBufferedRows ?? 1000;
    this.maxRetained = options.maxRetainedRows ?? 200_000;
    this.clock = options.clock ?? Date.now;
    this.compactIntervalMs = options.compactIntervalMs ?? 60_000;
    this.timer = setInterval(() => this.flush(), options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  static async start(broker: LocalBroker, lake: LocalLake, options: LakeIngestionOptions = {}): Promise<LakeIngestion> {
    // Both compile before anything subscribes: SQL outside the subset fails the start, leaving nothing behind.
    const telemetry = compileIotSql(telemetryRuleSql(lake.signalSet));
    const labels = compileIotSql(LABELS_RULE_SQL);
    const ingestion = new LakeIngestion(lake, options);
    ingestion.rules = await Promise.all([
      LocalTopicRule.start(broker, telemetry, (row) => ingestion.onReading(row), ingestion.clock),
      LocalTopicRule.start(broker, labels, (row) => ingestion.onLabel(row), ingestion.clock),
    ]);
    return ingestion;
  }

  /** A telemetry rule row → a Reading, through the same validator as live reports and imports. */
  private onReading(row: Record<string, unknown>): void {
    const report: Record<string, unknown> = { thingName: row.thing_name, timestamp: row.ts };
    for (const signal of this.lake.signalSet.signals) report[wireKey(signal)] = row[signal.name];
    try {
      const reading = parseReading(report, this.lake.signalSet, { now: this.clock() });
      this.readings.push(reading);
      this.receivedAt.push(typeof row.received_at === 'number' ? row.received_at : this.clock());
    } catch {
      this.stats.rejected++;
      return;
    }
    if (this.readings.length >= this.maxBuffered) this.flush();
  }

  private onLabel(row: Record<string, unknown>): void {
    try {
      const label = { thingName: row.thing_name, timestamp: row.ts, occupied: row.occupied };
      this.labels.push(parseLabelEvent(label, { now: this.clock() }));
    } catch {
      this.stats.rejected++;
      return;
    }
    if (this.labels.length >= this.maxBuffered) this.flush();
  }

  /**
   * Appends what is buffered, readings and labels in one all-or-nothing append. A failed append (a full disk)
   * never throws out of the flush timer: the rows stay buffered for the next flush and the failure is counted.
   */
  flush(): void {
    if (this.readings.length === 0 && this.labels.length === 0) return;
    const tx = this.lake.beginAppend();
    try {
      if (this.readings.length > 0) tx.appendReadings(this.readings, this.receivedAt);
      if (this.labels.length > 0) tx.appendLabels(this.labels);
      const totals = tx.commit();
      this.stats.readings += totals.readings;
      this.stats.labels += totals.labels;
      this.stats.flushes++;
      this.compactSoon();
      this.readings = [];
      this.receivedAt = [];
      this.labels = [];
      delete this.stats.lastError;
    } catch (error) {
      tx.abort();
      this.stats.failedFlushes++;
      this.stats.lastError = error instanceof Error ? error.message : String(error);
      this.dropOldestBeyondRetention();
    }
  }

  private dropOldestBeyondRetention(): void {
    const excessReadings = this.readings.length - this.maxRetained;
    if (excessReadings > 0) {
      this.readings.splice(0, excessReadings);
      this.receivedAt.splice(0, excessReadings);
      this.stats.dropped += excessReadings;
    }
    const excessLabels = this.labels.length - this.maxRetained;
    if (excessLabels > 0) {
      this.labels.splice(0, excessLabels);
      this.stats.dropped += excessLabels;
    }
  }

  /** Keeps the part files per partition bounded (see LocalLake.compact, which never throws), throttled. */
  private compactSoon(): void {
    const now = Date.now();
    if (this.compacting || now - this.lastCompaction < this.compactIntervalMs) return;
    this.lastCompaction = now;
    this.compacting = this.lake.compact().finally(() => {
      this.compacting = undefined;
    });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.rules.map((r) => r.stop()));
    this.rules = [];
    this.flush();
    await this.compacting;
  }
}
