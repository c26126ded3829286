/**
 * Local CloudWatch metric store: PutMetricData / GetMetricStatistics / ListMetrics with CloudWatch's names.
 * Samples live in memory for queries; disk writes are batched into an append-only NDJSON file under the
 * state dir (reloaded on start, compacted to the retention window).
 */

import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  Datapoint,
  Dimension,
  GetMetricStatisticsCommandInput,
  Metric,
  PutMetricDataCommandInput,
  StandardUnit,
  Statistic,
} from '@aws-sdk/client-cloudwatch';
import { writeFileAtomic } from '../fs';
import { InvalidParameterValueError } from './alarm-evaluation';

/** One aggregated observation: a single value is a sample with count 1. */
export interface MetricSample {
  readonly namespace: string;
  readonly metricName: string;
  /** Sorted by name so equal sets compare equal. */
  readonly dimensions: readonly { readonly Name: string; readonly Value: string }[];
  readonly timestamp: number;
  readonly sum: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly unit?: StandardUnit;
}

/** A PutMetricData request CloudWatch would refuse. */
export class InvalidMetricDataError extends InvalidParameterValueError {}

export class MetricStoreCorruptError extends Error {
  override readonly name = 'MetricStoreCorruptError';
  readonly code = 'MetricStoreCorrupt';
  constructor(
    readonly file: string,
    readonly line: number,
    options?: { cause?: unknown },
  ) {
    super(`metric store ${file}: line ${line} is not a valid sample`, options);
  }
}

export interface MetricStoreOptions {
  /** Where `metrics/metrics.ndjson` lives; omit for a memory-only store. */
  readonly stateDir?: string;
  /** Samples older than this are dropped (default 15 days, as CloudWatch keeps 1-minute data). */
  readonly retentionMs?: number;
  /** Milliseconds between batched disk writes (default 1000). */
  readonly flushIntervalMs?: number;
  /**
   * Keep a series' samples within one bucket of this many ms as one statistic set, as CloudWatch stores data
   * (1-second resolution at best). `serve` sets 1000 so memory grows with time, not with readings; omit (the
   * pipeline's scaled clock needs exact times) to keep every sample.
   */
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Resolution_definition
  readonly bucketMs?: number;
  readonly clock?: () => number;
}

/** GetMetricStatistics with plain numbers for time, or the SDK's own input. */
export type MetricStatisticsQuery = Pick<
  GetMetricStatisticsCommandInput,
  'Namespace' | 'MetricName' | 'Dimensions' | 'StartTime' | 'EndTime' | 'Period' | 'Statistics' | 'Unit'
>;

export interface MetricSeriesKey {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly Dimension[];
}

const DEFAULT_RETENTION_MS = 15 * 24 * 3600 * 1000;

export function normaliseDimensions(dimensions: readonly Dimension[] | undefined, field = 'Dimensions') {
  const out: { Name: string; Value: string }[] = [];
  for (const [i, d] of (dimensions ?? []).entries()) {
    if (!d.Name) throw new InvalidMetricDataError(`${field}[${i}].Name`, 'is required');
    if (d.Value === undefined || d.Value === '')
      throw new InvalidMetricDataError(`${field}[${i}].Value`, 'is required');
    out.push({ Name: d.Name, Value: d.Value });
  }
  return out.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

function seriesId(namespace: string, metricName: string, dims: readonly { Name: string; Value: string }[]): string {
  return JSON.stringify([namespace, metricName, dims.map((d) => [d.Name, d.Value])]);
}

/** The statistic of a set of samples, or undefined when there are none. Pure. */
export function statisticOf(samples: readonly MetricSample[], statistic: Statistic): number | undefined {
  if (samples.length === 0) return undefined;
  let sum = 0;
  let count = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const s of samples) {
    sum += s.sum;
    count += s.count;
    if (s.min < min) min = s.min;
    if (s.max > max) max = s.max;
  }
  switch (statistic) {
    case 'Sum':
      return sum;
    case 'SampleCount':
      return count;
    case 'Average':
      return count === 0 ? undefined : sum / count;
    case 'Minimum':
      return min;
    case 'Maximum':
      return max;
  }
}

function toDate(value: Date | number | string | undefined, field: string): number {
  if (value === undefined) throw new InvalidMetricDataError(field, 'is required');
  const ms = value instanceof Date ? value.getTime() : new Date(value).getTime();
  if (!Number.isFinite(ms)) throw new InvalidMetricDataError(field, `is not a valid time: ${String(value)}`);
  return ms;
}

function isSample(value: unknown): value is MetricSample {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.namespace === 'string' &&
    typeof v.metricName === 'string' &&
    Array.isArray(v.dimensions) &&
    typeof v.timestamp === 'number' &&
    typeof v.sum === 'number' &&
    typeof v.count === 'number' &&
    typeof v.min === 'number' &&
    typeof v.max === 'number'
  );
}

export class MetricStore {
  private readonly series = new Map<string, MetricSample[]>();
  private pending: MetricSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  private readonly file: string | undefined;
  private readonly retentionMs: number;
  private readonly flushIntervalMs: number;
  private readonly bucketMs: number | undefined;
  readonly clock: () => number;

  constructor(options: MetricStoreOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.bucketMs = options.bucketMs;
    if (options.stateDir !== undefined) {
      const dir = join(options.stateDir, 'metrics');
      mkdirSync(dir, { recursive: true });
      this.file = join(dir, 'metrics.ndjson');
      this.load(this.file);
    }
  }

  putMetricData(input: PutMetricDataCommandInput): void {
    const namespace = input.Namespace;
    if (!namespace) throw new InvalidMetricDataError('Namespace', 'is required');
    const now = this.clock();
    const samples: MetricSample[] = [];
    for (const [i, datum] of (input.MetricData ?? []).entries()) {
      const field = `MetricData[${i}]`;
      if (!datum.MetricName) throw new InvalidMetricDataError(`${field}.MetricName`, 'is required');
      const base = {
        namespace,
        metricName: datum.MetricName,
        dimensions: normaliseDimensions(datum.Dimensions, `${field}.Dimensions`),
        timestamp: datum.Timestamp === undefined ? now : toDate(datum.Timestamp, `${field}.Timestamp`),
        ...(datum.Unit === undefined ? {} : { unit: datum.Unit }),
      };
      if (datum.StatisticValues !== undefined) {
        const { Sum, SampleCount, Minimum, Maximum } = datum.StatisticValues;
        if (![Sum, SampleCount, Minimum, Maximum].every((v) => typeof v === 'number' && Number.isFinite(v))) {
          throw new InvalidMetricDataError(
            `${field}.StatisticValues`,
            'needs finite Sum, SampleCount, Minimum, Maximum',
          );
        }
        samples.push({ ...base, sum: Sum ?? 0, count: SampleCount ?? 0, min: Minimum ?? 0, max: Maximum ?? 0 });
      } else if (datum.Values !== undefined) {
        const counts = datum.Counts;
        if (counts !== undefined && counts.length !== datum.Values.length) {
          throw new InvalidMetricDataError(`${field}.Counts`, 'must be as long as Values');
        }
        for (const [j, v] of datum.Values.entries()) {
          if (!Number.isFinite(v)) throw new InvalidMetricDataError(`${field}.Values[${j}]`, 'must be finite');
          const c = counts?.[j] ?? 1;
          samples.push({ ...base, sum: v * c, count: c, min: v, max: v });
        }
      } else {
        const v = datum.Value;
        if (v === undefined || !Number.isFinite(v)) {
          throw new InvalidMetricDataError(`${field}.Value`, `must be a finite number, got ${String(v)}`);
        }
        samples.push({ ...base, sum: v, count: 1, min: v, max: v });
      }
    }
    for (const s of samples) this.add(s);
    // A memory-only store never writes: keeping the batch would hold every sample forever.
    if (this.file !== undefined) this.pending.push(...samples);
    this.scheduleFlush();
    if (now - this.lastPrune > 60_000) {
      this.lastPrune = now;
      this.prune();
    }
  }

  getMetricStatistics(query: MetricStatisticsQuery): { Label: string; Datapoints: Datapoint[] } {
    const metricName = query.MetricName;
    if (!query.Namespace) throw new InvalidMetricDataError('Namespace', 'is required');
    if (!metricName) throw new InvalidMetricDataError('MetricName', 'is required');
    const start = toDate(query.StartTime, 'StartTime');
    const end = toDate(query.EndTime, 'EndTime');
    const period = query.Period;
    if (period === undefined || !Number.isFinite(period) || period <= 0) {
      throw new InvalidMetricDataError('Period', `must be a positive number of seconds, got ${String(period)}`);
    }
    const statistics = query.Statistics ?? [];
    if (statistics.length === 0) throw new InvalidMetricDataError('Statistics', 'name at least one statistic');
    const periodMs = period * 1000;
    const samples = this.samples(
      { namespace: query.Namespace, metricName, dimensions: query.Dimensions ?? [] },
      start,
      end,
    ).filter((s) => query.Unit === undefined || s.unit === query.Unit);
    const buckets = new Map<number, MetricSample[]>();
    for (const s of samples) {
      const bucket = start + Math.floor((s.timestamp - start) / periodMs) * periodMs;
      const list = buckets.get(bucket);
      if (list) list.push(s);
      else buckets.set(bucket, [s]);
    }
    const datapoints: Datapoint[] = [...buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([bucket, list]) => {
        const dp: Datapoint = { Timestamp: new Date(bucket) };
        for (const stat of statistics) dp[stat] = statisticOf(list, stat);
        const unit = list[0]?.unit;
        dp.Unit = unit ?? 'None';
        return dp;
      });
    return { Label: metricName, Datapoints: datapoints };
  }

  /** Samples of exactly this series (CloudWatch matches the full dimension set) with start <= ts < end. */
  samples(key: MetricSeriesKey, start: number, end: number): MetricSample[] {
    const id = seriesId(key.namespace, key.metricName, normaliseDimensions(key.dimensions));
    return (this.series.get(id) ?? []).filter((s) => s.timestamp >= start && s.timestamp < end);
  }

  listMetrics(filter: { Namespace?: string; MetricName?: string; Dimensions?: readonly Dimension[] } = {}): {
    Metrics: Metric[];
  } {
    const metrics: Metric[] = [];
    for (const list of this.series.values()) {
      const first = list[0];
      if (!first) continue;
      if (filter.Namespace !== undefined && first.namespace !== filter.Namespace) continue;
      if (filter.MetricName !== undefined && first.metricName !== filter.MetricName) continue;
      const wanted = filter.Dimensions ?? [];
      const matches = wanted.every((w) =>
        first.dimensions.some((d) => d.Name === w.Name && (w.Value === undefined || d.Value === w.Value)),
      );
      if (!matches) continue;
      metrics.push({
        Namespace: first.namespace,
        MetricName: first.metricName,
        Dimensions: first.dimensions.map((d) => ({ Name: d.Name, Value: d.Value })),
      });
    }
    return { Metrics: metrics };
  }

  /** Write buffered samples to disk now (called on a timer and by close). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.file === undefined || this.pending.length === 0) {
      this.pending = [];
      return;
    }
    const lines = `${this.pending.map((s) => JSON.stringify(s)).join('\n')}\n`;
    this.pending = [];
    appendFileSync(this.file, lines);
  }

  close(): void {
    this.flush();
  }

  /** Drop in-memory samples past retention (long-running serve keeps memory bounded). */
  prune(): void {
    const cutoff = this.clock() - this.retentionMs;
    for (const [id, list] of this.series) {
      const kept = list.filter((s) => s.timestamp >= cutoff);
      if (kept.length === 0) this.series.delete(id);
      else if (kept.length !== list.length) this.series.set(id, kept);
    }
  }

  private add(raw: MetricSample): void {
    const id = seriesId(raw.namespace, raw.metricName, raw.dimensions);
    const bucketMs = this.bucketMs;
    const sample =
      bucketMs === undefined ? raw : { ...raw, timestamp: Math.floor(raw.timestamp / bucketMs) * bucketMs };
    const list = this.series.get(id);
    const last = list?.[list.length - 1];
    if (list && last && bucketMs !== undefined && last.timestamp === sample.timestamp && last.unit === sample.unit) {
      list[list.length - 1] = {
        ...last,
        sum: last.sum + sample.sum,
        count: last.count + sample.count,
        min: Math.min(last.min, sample.min),
        max: Math.max(last.max, sample.max),
      };
    } else if (list) list.push(sample);
    else this.series.set(id, [sample]);
  }

  private scheduleFlush(): void {
    if (this.file === undefined || this.timer !== undefined) return;
    this.timer = setTimeout(() => this.flush(), this.flushIntervalMs);
    this.timer.unref();
  }

  private load(file: string): void {
    if (!existsSync(file)) return;
    const cutoff = this.clock() - this.retentionMs;
    let dropped = 0;
    const lines = readFileSync(file, 'utf8').split('\n');
    for (const [i, line] of lines.entries()) {
      if (line.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (cause) {
        // A torn final line is what a crash mid-append leaves; drop it rather than refuse to start.
        if (i >= lines.length - 2) {
          dropped++;
          continue;
        }
        throw new MetricStoreCorruptError(file, i + 1, { cause });
      }
      if (!isSample(parsed)) throw new MetricStoreCorruptError(file, i + 1);
      if (parsed.timestamp < cutoff) {
        dropped++;
        continue;
      }
      this.add(parsed);
    }
    if (dropped > 0) this.compact(file);
  }

  /** Rewrite the file with only retained samples (atomic rename). */
  private compact(file: string): void {
    const all = [...this.series.values()].flat().sort((a, b) => a.timestamp - b.timestamp);
    writeFileAtomic(file, all.length === 0 ? '' : `${all.map((s) => JSON.stringify(s)).join('\n')}\n`);
  }
}
