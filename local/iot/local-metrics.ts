import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Dimensions } from '@aws-lambda-powertools/metrics/types';
import type { MetricDatum, StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { InferenceLogger } from '../../tasks/infer-occupancy/infer';
import type { MetricStore } from '../metrics/store';

/** The EMF document Powertools' Metrics.serializeMetrics() produces. */
export interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

/**
 * The metric data CloudWatch extracts from one EMF document: each metric in each dimension set, every value.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export function metricDataOfEmf(emf: EmfDocument): { namespace: string; data: MetricDatum[] }[] {
  return emf._aws.CloudWatchMetrics.map((directive) => {
    const data: MetricDatum[] = [];
    for (const metric of directive.Metrics) {
      const raw = emf[metric.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number');
      for (const set of directive.Dimensions) {
        data.push({
          MetricName: metric.Name,
          Unit: metric.Unit as StandardUnit,
          Values: values,
          Timestamp: new Date(emf._aws.Timestamp),
          Dimensions: set.map((Name) => ({ Name, Value: String(emf[Name]) })),
        });
      }
    }
    return { namespace: directive.Namespace, data };
  });
}

/**
 * Powertools Metrics whose EMF goes to the local metric store instead of stdout: the handler and its logMetrics
 * middleware run unchanged, and the store sees what CloudWatch would extract from the log line.
 */
export class LocalStoreMetrics extends Metrics {
  constructor(
    private readonly store: MetricStore,
    private readonly storeOptions: { namespace: string; serviceName: string; singleMetric?: boolean },
  ) {
    super(storeOptions);
  }

  override publishStoredMetrics(): this {
    try {
      if (this.hasStoredMetrics()) {
        for (const { namespace, data } of metricDataOfEmf(this.serializeMetrics() as EmfDocument)) {
          this.store.putMetricData({ Namespace: namespace, MetricData: data });
        }
      }
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
    }
    return this;
  }

  /** What setDefaultDimensions was given (Metrics keeps its copy private), for the single-metric instance. */
  private defaults: Dimensions = {};

  override setDefaultDimensions(dimensions: Dimensions): this {
    this.defaults = { ...this.defaults, ...dimensions };
    return super.setDefaultDimensions(dimensions);
  }

  /** The cold-start metric's single-metric instance, recorded into the same store. */
  override singleMetric(): Metrics {
    const single = new LocalStoreMetrics(this.store, { ...this.storeOptions, singleMetric: true });
    single.setDefaultDimensions(this.defaults);
    return single;
  }
}

/**
 * A Powertools Logger whose records go to a plain logger (tests' recorders): the middlewares still get a real
 * Logger to inject the Lambda context into.
 */
export class ForwardingLogger extends Logger {
  constructor(
    private readonly sink: InferenceLogger,
    serviceName: string,
  ) {
    super({ serviceName, logLevel: 'DEBUG' });
  }

  private forward(level: 'debug' | 'warn' | 'error', input: unknown, extra: readonly unknown[]): void {
    const message = typeof input === 'string' ? input : String((input as { message?: unknown }).message);
    const attributes = (typeof extra[0] === 'object' && extra[0] !== null ? extra[0] : {}) as Record<
      string,
      string | number | boolean | null | undefined
    >;
    this.sink[level](message, attributes);
  }

  override debug(input: Parameters<Logger['debug']>[0], ...extra: unknown[]): void {
    this.forward('debug', input, extra);
  }
  override info(input: Parameters<Logger['info']>[0], ...extra: unknown[]): void {
    this.forward('debug', input, extra);
  }
  override warn(input: Parameters<Logger['warn']>[0], ...extra: unknown[]): void {
    this.forward('warn', input, extra);
  }
  override error(input: Parameters<Logger['error']>[0], ...extra: unknown[]): void {
    this.forward('error', input, extra);
  }
}
