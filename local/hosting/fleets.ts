import type { ProductionVariant } from '@aws-sdk/client-sagemaker';
import {
  datumDimensions,
  type MetricDefinition,
  SAGEMAKER_NAMESPACE,
  SageMakerEndpointMetrics as SM,
  variantMetricDimensions,
} from '../../observability/metrics';
import { parseCsvRows } from '../../telemetry/csv';
import type { MetricStore } from '../metrics/store';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../runtime/identity';
import { type CaptureExchange, type CaptureSink, EndpointCapture } from './capture';
import { InvokeEndpointError } from './errors';
import { type ModelLoader, primaryContainer, startModelContainer } from './model';
import { WeightedRoundRobin } from './routing';
import type { HostingState } from './state';
import type { EndpointState, FleetState, InvocationResult, LoadedFleet, LoadedVariant } from './types';

/**
 * The data plane: fleets of loaded model containers, weighted routing between the serving (blue) and deploying
 * (green) fleets, InvokeEndpoint on a variant, and the per-variant metrics SageMaker publishes (AWS/SageMaker).
 */

interface VariantCounters {
  endpointName: string;
  variantName: string;
  invocations: number;
  errors5xx: number;
  errors4xx: number;
  latencySum: number;
  latencyCount: number;
  latencyMin: number;
  latencyMax: number;
}

type Route = { fleet: LoadedFleet; variant: LoadedVariant };

export class FleetRuntime {
  private readonly fleets = new Map<string, LoadedFleet>();
  private readonly routers = new Map<string, WeightedRoundRobin<Route>>();
  private readonly counters = new Map<string, VariantCounters>();

  constructor(
    private readonly state: HostingState,
    private readonly metrics: MetricStore,
    private readonly loader: ModelLoader,
    private readonly trafficProbe: (() => string) | undefined,
    private readonly captureSink?: CaptureSink,
  ) {}

  /** Starts (or returns) the containers of a fleet; throws when a model cannot be loaded. */
  load(fleetState: FleetState): LoadedFleet {
    const existing = this.fleets.get(fleetState.id);
    if (existing) return existing;
    const config = this.state.config(fleetState.endpointConfigName);
    const loadVariant = (v: ProductionVariant): LoadedVariant => {
      const modelName = v.ModelName ?? '';
      const model = this.state.model(modelName);
      return {
        variantName: v.VariantName ?? '',
        modelName,
        weight: v.InitialVariantWeight ?? 1,
        instanceCount: v.InitialInstanceCount ?? 1,
        predictor: startModelContainer(
          model.artifactPath,
          primaryContainer(model.input, modelName).Environment,
          this.loader,
        ),
        faulty: fleetState.faulty,
      };
    };
    const variants = (config.input.ProductionVariants ?? []).map(loadVariant);
    const shadows = (config.input.ShadowProductionVariants ?? []).map(loadVariant);
    const capture = config.input.DataCaptureConfig;
    const fleet: LoadedFleet = {
      state: fleetState,
      variants,
      shadows,
      ...(capture && this.captureSink
        ? { capture: new EndpointCapture(fleetState.id.split('#')[0] ?? '', capture, this.captureSink) }
        : {}),
      invocations: 0,
    };
    this.fleets.set(fleetState.id, fleet);
    return fleet;
  }

  drop(fleetId: string): void {
    this.fleets.delete(fleetId);
  }

  /** Traffic shares changed: the next invocation builds a fresh router. */
  resetRoutes(endpointName: string): void {
    this.routers.delete(endpointName);
  }

  /** Picks fleet and variant for one invocation: fleets by their traffic share, variants by weight. */
  route(endpoint: EndpointState, targetVariant: string | undefined): Route {
    if (endpoint.status === 'Creating' || endpoint.status === 'Failed' || endpoint.status === 'Deleting') {
      throw new InvokeEndpointError(
        'ValidationError',
        400,
        `Endpoint ${endpoint.name} is not in service (${endpoint.status}).`,
      );
    }
    const shares: [FleetState | undefined, number][] = [
      [endpoint.serving, endpoint.deployment ? 1 - endpoint.deployment.greenShare : 1],
      [endpoint.deployment?.green, endpoint.deployment?.greenShare ?? 0],
    ];
    const targets: { target: Route; weight: number }[] = [];
    for (const [fleetState, share] of shares) {
      if (!fleetState || share <= 0) continue;
      const fleet = this.fleets.get(fleetState.id);
      if (!fleet) continue;
      const total = fleet.variants.reduce((s, v) => s + v.weight, 0);
      for (const variant of fleet.variants) {
        if (targetVariant !== undefined && variant.variantName !== targetVariant) continue;
        const weight = targetVariant !== undefined ? share : total > 0 ? (share * variant.weight) / total : 0;
        targets.push({ target: { fleet, variant }, weight });
      }
    }
    if (targetVariant !== undefined) {
      // Per-request router: the header pins the variant, fleets still split by share.
      const chosen = new WeightedRoundRobin(targets).next();
      if (!chosen) {
        throw new InvokeEndpointError(
          'ValidationError',
          400,
          `Target variant ${targetVariant} not found for endpoint ${endpoint.name}.`,
        );
      }
      return chosen;
    }
    let router = this.routers.get(endpoint.name);
    if (!router) {
      router = new WeightedRoundRobin(targets);
      this.routers.set(endpoint.name, router);
    }
    const chosen = router.next();
    if (!chosen) {
      throw new InvokeEndpointError(
        'ModelNotReadyException',
        424,
        `Endpoint ${endpoint.name} has no variant with traffic.`,
      );
    }
    return chosen;
  }

  /**
   * A live request: the routed variant answers; its fleet's shadow variant answers a copy (a failure there never
   * reaches the caller, only the shadow's own metrics); both exchanges go to data capture when the config has it.
   * https://docs.aws.amazon.com/sagemaker/latest/dg/model-shadow-deployment.html
   */
  serve(
    endpointName: string,
    fleet: LoadedFleet,
    variant: LoadedVariant,
    body: string,
    contentType: string,
  ): InvocationResult {
    let result: InvocationResult | undefined;
    const exchanges: CaptureExchange[] = [];
    try {
      result = this.invoke(endpointName, fleet, variant, body);
      exchanges.push({
        variantName: variant.variantName,
        requestContentType: contentType,
        request: body,
        response: result.body,
      });
      return result;
    } finally {
      if (result !== undefined) {
        for (const shadow of fleet.shadows) {
          let response: string | undefined;
          try {
            response = this.invoke(endpointName, fleet, shadow, body).body;
          } catch {
            // Counted in the shadow's error metrics; the caller has the production answer.
          }
          exchanges.push({ variantName: shadow.variantName, requestContentType: contentType, request: body, response });
        }
        fleet.capture?.record(exchanges);
      }
    }
  }

  /** CSV rows of feature values in, one answer line per row (the container's SAGEMAKER_INFERENCE_OUTPUT) out. */
  invoke(endpointName: string, fleet: LoadedFleet, variant: LoadedVariant, body: string): InvocationResult {
    fleet.invocations++;
    const counters = this.countersOf(endpointName, variant.variantName);
    counters.invocations++;
    const started = process.hrtime.bigint();
    const modelError = (originalStatusCode: number, message: string, cause?: unknown) => {
      if (originalStatusCode >= 500) counters.errors5xx++;
      else counters.errors4xx++;
      return new InvokeEndpointError(
        'ModelError',
        424,
        `Received ${originalStatusCode >= 500 ? 'server' : 'client'} error (${originalStatusCode}) from primary with message "${message}".`,
        {
          OriginalStatusCode: originalStatusCode,
          OriginalMessage: message,
          LogStreamArn: `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:/aws/sagemaker/Endpoints/${endpointName}`,
        },
        cause === undefined ? undefined : { cause },
      );
    };
    if (variant.faulty) throw modelError(500, 'Injected fault: this fleet fails every request');
    const rows = parseCsvRows(body);
    if (rows.length === 0) throw modelError(400, 'Empty request body: send one CSV line of feature values per row');
    const width = variant.predictor.featureNames.length;
    const lines: string[] = [];
    for (const [r, row] of rows.entries()) {
      if (row.length !== width) {
        throw modelError(
          400,
          `Row ${r + 1} has ${row.length} values; expected ${width} (${variant.predictor.featureNames.join(', ')})`,
        );
      }
      const values = new Float64Array(width);
      for (const [c, raw] of row.entries()) {
        const text = raw.trim();
        const value = text === '' ? Number.NaN : Number(text);
        if (text !== '' && !Number.isFinite(value)) {
          throw modelError(400, `Row ${r + 1}, column ${variant.predictor.featureNames[c]}: "${raw}" is not a number`);
        }
        values[c] = value;
      }
      try {
        // The answer format is the container's SAGEMAKER_INFERENCE_OUTPUT (local/hosting/model.ts).
        lines.push(variant.predictor.answerRow(values));
      } catch (error) {
        throw modelError(500, (error as Error).message, error);
      }
    }
    const micros = Number(process.hrtime.bigint() - started) / 1000;
    counters.latencySum += micros;
    counters.latencyCount++;
    counters.latencyMin = Math.min(counters.latencyMin, micros);
    counters.latencyMax = Math.max(counters.latencyMax, micros);
    return { body: `${lines.join('\n')}\n`, contentType: 'text/csv', invokedProductionVariant: variant.variantName };
  }

  /** Local-only aid during a bake with no live traffic: one probe request per variant (see trafficProbe). */
  probe(endpointName: string, fleet: LoadedFleet): void {
    const body = this.trafficProbe?.();
    if (body === undefined) return;
    for (const variant of fleet.variants) {
      try {
        this.invoke(endpointName, fleet, variant, body);
      } catch {
        // A failing probe is the point: it is already counted in the variant's error metrics.
      }
    }
  }

  get probing(): boolean {
    return this.trafficProbe !== undefined;
  }

  private countersOf(endpointName: string, variantName: string): VariantCounters {
    const key = `${endpointName}\u0000${variantName}`;
    let c = this.counters.get(key);
    if (!c) {
      c = {
        endpointName,
        variantName,
        invocations: 0,
        errors5xx: 0,
        errors4xx: 0,
        latencySum: 0,
        latencyCount: 0,
        latencyMin: Number.POSITIVE_INFINITY,
        latencyMax: 0,
      };
      this.counters.set(key, c);
    }
    return c;
  }

  /** Push buffered per-variant invocation counters into the metric store. */
  flushMetrics(): void {
    if (this.counters.size === 0) return;
    const counters = [...this.counters.values()];
    this.counters.clear();
    const Timestamp = new Date();
    const data = [];
    for (const c of counters) {
      // What SageMaker publishes per variant, with its units (observability/metrics.ts).
      const Dimensions = datumDimensions(variantMetricDimensions(c.endpointName, c.variantName));
      const count = (metric: MetricDefinition, Value: number) => ({
        MetricName: metric.name,
        Dimensions,
        Timestamp,
        Value,
        Unit: metric.unit,
      });
      data.push(
        count(SM.Invocations, c.invocations),
        count(SM.Invocation5XXErrors, c.errors5xx),
        count(SM.Invocation4XXErrors, c.errors4xx),
      );
      if (c.latencyCount > 0) {
        data.push({
          MetricName: SM.ModelLatency.name,
          Dimensions,
          Timestamp,
          Unit: SM.ModelLatency.unit,
          StatisticValues: {
            Sum: c.latencySum,
            SampleCount: c.latencyCount,
            Minimum: c.latencyMin,
            Maximum: c.latencyMax,
          },
        });
      }
    }
    this.metrics.putMetricData({ Namespace: SAGEMAKER_NAMESPACE, MetricData: data });
  }
}
