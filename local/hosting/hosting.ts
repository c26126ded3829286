/**
 * Local SageMaker hosting: models, endpoint configs and endpoints with the control-plane API's own types, and
 * the data plane (invoke) behind the InvokeEndpoint HTTP server. UpdateEndpoint runs a blue/green deployment:
 * the green fleet takes the canary (or linear / all-at-once) share, the AutoRollbackConfiguration alarms are
 * watched while it bakes, then traffic shifts fully and the blue fleet is terminated after
 * TerminationWaitInSeconds — or traffic returns to blue and the endpoint stays on the old config.
 * Waits are multiplied by `timeScale`. State is persisted as JSON so a restart keeps serving what it served.
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  CapacitySize,
  CreateEndpointCommandInput,
  CreateEndpointCommandOutput,
  CreateEndpointConfigCommandInput,
  CreateEndpointConfigCommandOutput,
  CreateModelCommandInput,
  CreateModelCommandOutput,
  DeleteEndpointCommandInput,
  DeleteEndpointCommandOutput,
  DeploymentConfig,
  DescribeEndpointCommandInput,
  DescribeEndpointCommandOutput,
  DescribeEndpointConfigCommandInput,
  DescribeEndpointConfigCommandOutput,
  DescribeModelCommandInput,
  DescribeModelCommandOutput,
  EndpointStatus,
  ProductionVariant,
  ProductionVariantSummary,
  UpdateEndpointCommandInput,
  UpdateEndpointCommandOutput,
  VariantStatus,
} from '@aws-sdk/client-sagemaker';
import { parseCsvRows } from '../../telemetry/csv';
import { assertBlueGreenPolicy, assertSageMakerName } from '../aws-contract';
import { writeFileAtomic } from '../fs';
import { AlarmEvaluator } from '../metrics/alarms';
import { MetricStore } from '../metrics/store';
import { HostingStateError, InvokeEndpointError, ValidationException } from './errors';
import {
  artifactPathOf,
  defaultModelLoader,
  type ModelContainer,
  type ModelLoader,
  primaryContainer,
  startModelContainer,
} from './model';
import { WeightedRoundRobin } from './routing';

export interface HostingFaults {
  /** Every fleet started by UpdateEndpoint from now on answers 5xx (the `deploy-5xx` demo/test fault). */
  readonly failNewFleets5xx?: boolean;
  /** Models that answer 5xx wherever they are deployed. */
  readonly failingModels?: readonly string[];
}

export interface LocalHostingOptions {
  /** Persist `hosting/state.json` here; omit for memory only. */
  readonly stateDir?: string;
  /** Where per-variant invocation metrics go (namespace AWS/SageMaker). Default: a memory-only store. */
  readonly metrics?: MetricStore;
  /** Evaluates the AutoRollbackConfiguration alarms. Default: an evaluator over `metrics`. */
  readonly alarms?: AlarmEvaluator;
  /** Wall time = simulated seconds * timeScale (0.01 makes a 600 s bake take 6 s). Default 1. */
  readonly timeScale?: number;
  /** Simulated seconds to start a fleet (before timeScale). Default 0. */
  readonly provisioningSeconds?: number;
  /** Wall milliseconds between alarm checks during a bake. Default 1000 * timeScale, at least 20. */
  readonly alarmCheckIntervalMs?: number;
  /** Wall milliseconds between metric flushes outside bakes. Default 1000. */
  readonly metricFlushIntervalMs?: number;
  readonly modelLoader?: ModelLoader;
  readonly faults?: HostingFaults;
  /**
   * Local-only aid: during a bake, if the green fleet received no traffic since the last alarm check, the host
   * invokes it with this CSV body so the rollback alarms have data. Real SageMaker relies on real traffic.
   */
  readonly trafficProbe?: () => string;
  /**
   * IAM actions the calling role is allowed (locally: the synthesized state machine role's policies). Unset: not
   * checked (direct local callers such as the console's deployArtifact have no AWS role).
   */
  readonly callerAllows?: (action: string) => boolean;
  readonly clock?: () => number;
  readonly region?: string;
  readonly accountId?: string;
}

export type EndpointEventType =
  | 'Creating'
  | 'InService'
  | 'CreateFailed'
  | 'UpdateStarted'
  | 'TrafficShifted'
  | 'AlarmTriggered'
  | 'RollingBack'
  | 'RolledBack'
  | 'UpdateFailed'
  | 'UpdateCompleted'
  | 'BlueFleetTerminated'
  | 'RecoveredAfterRestart'
  | 'Deleted';

export interface EndpointEvent {
  readonly time: string;
  readonly type: EndpointEventType;
  readonly message: string;
}

export interface InvocationRequest {
  readonly endpointName: string;
  readonly body: string;
  readonly contentType?: string;
  readonly targetVariant?: string;
}

export interface InvocationResult {
  readonly body: string;
  readonly contentType: 'text/csv';
  readonly invokedProductionVariant: string;
}

interface ModelRecord {
  readonly input: CreateModelCommandInput;
  readonly modelName: string;
  readonly arn: string;
  readonly artifactPath: string;
  readonly creationTime: number;
}

interface ConfigRecord {
  readonly input: CreateEndpointConfigCommandInput;
  readonly name: string;
  readonly arn: string;
  readonly creationTime: number;
}

interface FleetState {
  readonly id: string;
  readonly endpointConfigName: string;
  /** Injected fault: every invocation on this fleet fails with a model 5xx. */
  readonly faulty: boolean;
}

interface DeploymentState {
  readonly green: FleetState;
  readonly deploymentConfig: DeploymentConfig;
  readonly startedAt: number;
  phase: 'provisioning' | 'baking' | 'rolling-back';
  greenShare: number;
}

interface EndpointState {
  readonly name: string;
  readonly arn: string;
  readonly creationTime: number;
  lastModifiedTime: number;
  status: EndpointStatus;
  failureReason?: string;
  /** The fleet serving the config DescribeEndpoint reports (blue while an update is in flight). */
  serving?: FleetState;
  deployment?: DeploymentState;
  lastDeploymentConfig?: DeploymentConfig;
  events: EndpointEvent[];
}

interface PersistedState {
  readonly models: ModelRecord[];
  readonly configs: ConfigRecord[];
  readonly endpoints: EndpointState[];
}

interface LoadedVariant {
  readonly variantName: string;
  readonly modelName: string;
  readonly weight: number;
  readonly instanceCount: number;
  readonly predictor: ModelContainer;
  readonly faulty: boolean;
}

interface LoadedFleet {
  readonly state: FleetState;
  readonly variants: readonly LoadedVariant[];
  invocations: number;
}

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

const SETTLED: readonly EndpointStatus[] = ['InService', 'Failed', 'OutOfService', 'UpdateRollbackFailed'];
const MAX_EVENTS = 200;

class DeploymentAborted extends Error {
  override readonly name = 'DeploymentAborted';
}

function metadata() {
  return { $metadata: { httpStatusCode: 200 } };
}

export class LocalHosting {
  private readonly models = new Map<string, ModelRecord>();
  private readonly configs = new Map<string, ConfigRecord>();
  private readonly endpoints = new Map<string, EndpointState>();
  private readonly fleets = new Map<string, LoadedFleet>();
  private readonly routers = new Map<string, WeightedRoundRobin<{ fleet: LoadedFleet; variant: LoadedVariant }>>();
  private readonly drivers = new Map<string, AbortController>();
  private readonly counters = new Map<string, VariantCounters>();
  private readonly changes = new EventEmitter();
  private readonly file: string | undefined;
  private readonly timeScale: number;
  private readonly clock: () => number;
  private readonly loader: ModelLoader;
  private readonly region: string;
  private readonly accountId: string;
  private readonly alarmCheckIntervalMs: number;
  private readonly flushTimer: NodeJS.Timeout;
  private faults: HostingFaults;
  private fleetSeq = 0;
  private closed = false;
  readonly metrics: MetricStore;
  readonly alarms: AlarmEvaluator;

  constructor(private readonly options: LocalHostingOptions = {}) {
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${this.timeScale}`);
    this.clock = options.clock ?? Date.now;
    this.loader = options.modelLoader ?? defaultModelLoader;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.faults = options.faults ?? {};
    this.metrics = options.metrics ?? new MetricStore({ clock: this.clock });
    this.alarms = options.alarms ?? new AlarmEvaluator(this.metrics, { timeScale: this.timeScale, clock: this.clock });
    this.alarmCheckIntervalMs = options.alarmCheckIntervalMs ?? Math.max(20, 1000 * this.timeScale);
    this.changes.setMaxListeners(0);
    this.flushTimer = setInterval(() => this.flushMetrics(), options.metricFlushIntervalMs ?? 1000);
    this.flushTimer.unref();
    if (options.stateDir !== undefined) {
      const dir = join(options.stateDir, 'hosting');
      mkdirSync(dir, { recursive: true });
      this.file = join(dir, 'state.json');
      this.restore(this.file);
    }
  }

  setFaults(faults: HostingFaults): void {
    this.faults = faults;
  }

  // ---- models -------------------------------------------------------------------------------------------

  createModel(input: CreateModelCommandInput): CreateModelCommandOutput {
    const name = this.requireName(input.ModelName, 'ModelName');
    if (this.models.has(name)) {
      throw new ValidationException(`Cannot create already existing model "${this.arn('model', name)}".`);
    }
    const container = primaryContainer(input, name);
    const artifactPath = artifactPathOf(container.ModelDataUrl, name);
    if (!existsSync(artifactPath)) {
      throw new ValidationException(`Could not access model data at ${container.ModelDataUrl}.`);
    }
    const record: ModelRecord = {
      input,
      modelName: name,
      arn: this.arn('model', name),
      artifactPath,
      creationTime: this.clock(),
    };
    this.models.set(name, record);
    this.save();
    return { ModelArn: record.arn, ...metadata() };
  }

  describeModel(input: DescribeModelCommandInput): DescribeModelCommandOutput {
    const record = this.model(input.ModelName);
    return {
      ModelName: record.modelName,
      ModelArn: record.arn,
      CreationTime: new Date(record.creationTime),
      ...(record.input.PrimaryContainer ? { PrimaryContainer: record.input.PrimaryContainer } : {}),
      ...(record.input.Containers ? { Containers: record.input.Containers } : {}),
      ...(record.input.ExecutionRoleArn ? { ExecutionRoleArn: record.input.ExecutionRoleArn } : {}),
      ...metadata(),
    };
  }

  deleteModel(input: { ModelName: string | undefined }): { $metadata: { httpStatusCode: number } } {
    const record = this.model(input.ModelName);
    this.models.delete(record.modelName);
    this.save();
    return metadata();
  }

  // ---- endpoint configs ---------------------------------------------------------------------------------

  createEndpointConfig(input: CreateEndpointConfigCommandInput): CreateEndpointConfigCommandOutput {
    const name = this.requireName(input.EndpointConfigName, 'EndpointConfigName');
    if (this.configs.has(name)) {
      throw new ValidationException(
        `Cannot create already existing endpoint configuration "${this.arn('endpoint-config', name)}".`,
      );
    }
    const variants = input.ProductionVariants ?? [];
    if (variants.length === 0) throw new ValidationException('ProductionVariants: at least one variant is required.');
    const seen = new Set<string>();
    for (const [i, v] of variants.entries()) {
      const variantName = this.requireName(v.VariantName, `ProductionVariants[${i}].VariantName`);
      if (seen.has(variantName))
        throw new ValidationException(`ProductionVariants: duplicate VariantName ${variantName}.`);
      seen.add(variantName);
      if (v.ServerlessConfig !== undefined) {
        throw new ValidationException(`ProductionVariants[${i}]: serverless variants are not supported locally.`);
      }
      const modelName = this.requireName(v.ModelName, `ProductionVariants[${i}].ModelName`);
      if (!this.models.has(modelName))
        throw new ValidationException(`Could not find model "${this.arn('model', modelName)}".`);
      if (v.InitialVariantWeight !== undefined && !(v.InitialVariantWeight >= 0)) {
        throw new ValidationException(`ProductionVariants[${i}].InitialVariantWeight must be >= 0.`);
      }
      if (
        v.InitialInstanceCount !== undefined &&
        !(Number.isInteger(v.InitialInstanceCount) && v.InitialInstanceCount >= 1)
      ) {
        throw new ValidationException(`ProductionVariants[${i}].InitialInstanceCount must be a positive integer.`);
      }
    }
    const record: ConfigRecord = { input, name, arn: this.arn('endpoint-config', name), creationTime: this.clock() };
    this.configs.set(name, record);
    this.save();
    return { EndpointConfigArn: record.arn, ...metadata() };
  }

  describeEndpointConfig(input: DescribeEndpointConfigCommandInput): DescribeEndpointConfigCommandOutput {
    const record = this.config(input.EndpointConfigName);
    return {
      EndpointConfigName: record.name,
      EndpointConfigArn: record.arn,
      ProductionVariants: record.input.ProductionVariants,
      CreationTime: new Date(record.creationTime),
      ...metadata(),
    };
  }

  deleteEndpointConfig(input: { EndpointConfigName: string | undefined }): { $metadata: { httpStatusCode: number } } {
    const record = this.config(input.EndpointConfigName);
    this.configs.delete(record.name);
    this.save();
    return metadata();
  }

  // ---- endpoints ----------------------------------------------------------------------------------------

  createEndpoint(input: CreateEndpointCommandInput): CreateEndpointCommandOutput {
    const name = this.requireName(input.EndpointName, 'EndpointName');
    if (this.endpoints.has(name)) {
      throw new ValidationException(`Cannot create already existing endpoint "${this.arn('endpoint', name)}".`);
    }
    const config = this.config(input.EndpointConfigName);
    this.assertCallerMayGrant(config, 'CreateEndpoint');
    const now = this.clock();
    const endpoint: EndpointState = {
      name,
      arn: this.arn('endpoint', name),
      creationTime: now,
      lastModifiedTime: now,
      status: 'Creating',
      serving: { id: this.nextFleetId(name), endpointConfigName: config.name, faulty: false },
      events: [],
    };
    this.endpoints.set(name, endpoint);
    this.event(endpoint, 'Creating', `Creating endpoint with config ${config.name}`);
    this.save();
    this.startDriver(name, (signal) => this.runCreate(endpoint, signal));
    return { EndpointArn: endpoint.arn, ...metadata() };
  }

  updateEndpoint(input: UpdateEndpointCommandInput): UpdateEndpointCommandOutput {
    const endpoint = this.endpoint(input.EndpointName);
    const config = this.config(input.EndpointConfigName);
    if (endpoint.status !== 'InService') {
      throw new ValidationException(`Cannot update in-progress endpoint "${endpoint.arn}".`);
    }
    if (input.DeploymentConfig?.RollingUpdatePolicy !== undefined) {
      throw new ValidationException(
        'DeploymentConfig.RollingUpdatePolicy is not supported locally; use BlueGreenUpdatePolicy.',
      );
    }
    const deploymentConfig =
      input.DeploymentConfig ?? (input.RetainDeploymentConfig ? endpoint.lastDeploymentConfig : undefined) ?? {};
    this.assertCallerMayGrant(config, 'UpdateEndpoint');
    const instances = (config.input.ProductionVariants ?? []).reduce((n, v) => n + (v.InitialInstanceCount ?? 1), 0);
    assertBlueGreenPolicy(deploymentConfig, instances); // canary ≤ 50 % of the new fleet, documented ranges
    this.trafficSteps(deploymentConfig, config); // validates sizes before anything changes
    for (const alarm of deploymentConfig.AutoRollbackConfiguration?.Alarms ?? []) {
      const alarmName = alarm.AlarmName;
      if (alarmName === undefined || !this.alarms.has(alarmName)) {
        throw new ValidationException(`AutoRollbackConfiguration: alarm ${String(alarmName)} does not exist.`);
      }
    }
    endpoint.deployment = {
      green: {
        id: this.nextFleetId(endpoint.name),
        endpointConfigName: config.name,
        faulty: this.faults.failNewFleets5xx === true,
      },
      deploymentConfig,
      startedAt: this.clock(),
      phase: 'provisioning',
      greenShare: 0,
    };
    endpoint.status = 'Updating';
    delete endpoint.failureReason;
    endpoint.lastModifiedTime = this.clock();
    this.event(endpoint, 'UpdateStarted', `Updating from ${endpoint.serving?.endpointConfigName} to ${config.name}`);
    this.save();
    this.startDriver(endpoint.name, (signal) => this.runUpdate(endpoint, signal));
    return { EndpointArn: endpoint.arn, ...metadata() };
  }

  describeEndpoint(input: DescribeEndpointCommandInput): DescribeEndpointCommandOutput {
    const endpoint = this.endpoint(input.EndpointName);
    const deployment = endpoint.deployment;
    const blueShare = deployment ? 1 - deployment.greenShare : 1;
    const servingConfig = endpoint.serving ? this.configs.get(endpoint.serving.endpointConfigName) : undefined;
    const blueStatus: VariantStatus | undefined = deployment?.phase === 'baking' ? 'Baking' : undefined;
    const out: DescribeEndpointCommandOutput = {
      EndpointName: endpoint.name,
      EndpointArn: endpoint.arn,
      EndpointStatus: endpoint.status,
      CreationTime: new Date(endpoint.creationTime),
      LastModifiedTime: new Date(endpoint.lastModifiedTime),
      ...metadata(),
    };
    if (servingConfig) {
      out.EndpointConfigName = servingConfig.name;
      if (endpoint.status !== 'Creating' && endpoint.status !== 'Failed') {
        out.ProductionVariants = this.variantSummaries(servingConfig, blueShare, blueStatus);
      }
    }
    if (endpoint.failureReason !== undefined) out.FailureReason = endpoint.failureReason;
    if (endpoint.lastDeploymentConfig !== undefined) out.LastDeploymentConfig = endpoint.lastDeploymentConfig;
    if (deployment) {
      const greenConfig = this.configs.get(deployment.green.endpointConfigName);
      const greenStatus: VariantStatus =
        deployment.phase === 'provisioning' ? 'Creating' : deployment.phase === 'rolling-back' ? 'Deleting' : 'Baking';
      out.PendingDeploymentSummary = {
        EndpointConfigName: deployment.green.endpointConfigName,
        StartTime: new Date(deployment.startedAt),
        ...(greenConfig
          ? { ProductionVariants: this.variantSummaries(greenConfig, deployment.greenShare, greenStatus) }
          : {}),
      };
    }
    return out;
  }

  deleteEndpoint(input: DeleteEndpointCommandInput): DeleteEndpointCommandOutput {
    const endpoint = this.endpoint(input.EndpointName);
    this.stopDriver(endpoint.name);
    for (const fleet of [endpoint.serving, endpoint.deployment?.green]) if (fleet) this.fleets.delete(fleet.id);
    this.routers.delete(endpoint.name);
    this.endpoints.delete(endpoint.name);
    this.event(endpoint, 'Deleted', 'Endpoint deleted');
    this.save();
    this.changes.emit('change', endpoint.name);
    return metadata();
  }

  listEndpoints(): { EndpointName: string; EndpointStatus: EndpointStatus; EndpointConfigName?: string }[] {
    return [...this.endpoints.values()].map((e) => ({
      EndpointName: e.name,
      EndpointStatus: e.status,
      ...(e.serving ? { EndpointConfigName: e.serving.endpointConfigName } : {}),
    }));
  }

  /** Lifecycle events of an endpoint, oldest first (deployments, traffic shifts, alarms, rollbacks). */
  listEndpointEvents(endpointName: string): readonly EndpointEvent[] {
    return [...this.endpoint(endpointName).events];
  }

  /** Resolves once the endpoint is no longer Creating / Updating / RollingBack (or rejects on timeout). */
  async whenSettled(endpointName: string, timeoutMs = 600_000): Promise<DescribeEndpointCommandOutput> {
    const settled = () => {
      const e = this.endpoints.get(endpointName);
      return e === undefined || SETTLED.includes(e.status);
    };
    if (!settled()) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.changes.off('change', onChange);
          reject(new Error(`Endpoint ${endpointName} did not settle within ${timeoutMs} ms`));
        }, timeoutMs);
        const onChange = (name: string) => {
          if (name === endpointName && settled()) {
            clearTimeout(timer);
            this.changes.off('change', onChange);
            resolve();
          }
        };
        this.changes.on('change', onChange);
      });
    }
    return this.describeEndpoint({ EndpointName: endpointName });
  }

  // ---- data plane ---------------------------------------------------------------------------------------

  /** InvokeEndpoint: CSV rows of feature values in, one answer line per row as SAGEMAKER_INFERENCE_OUTPUT asks. */
  invoke(request: InvocationRequest): InvocationResult {
    const contentType = (request.contentType ?? 'text/csv').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'text/csv') {
      throw new InvokeEndpointError(
        'ValidationError',
        415,
        `Content type ${request.contentType} is not supported; use text/csv.`,
      );
    }
    const endpoint = this.endpoints.get(request.endpointName);
    if (!endpoint) {
      throw new InvokeEndpointError(
        'ValidationError',
        400,
        `Endpoint ${request.endpointName} of account ${this.accountId} not found.`,
      );
    }
    const route = this.route(endpoint, request.targetVariant);
    return this.invokeFleet(endpoint.name, route.fleet, route.variant, request.body);
  }

  // ---- lifecycle ----------------------------------------------------------------------------------------

  /** Stop deployments (an interrupted update resolves to the old config on the next start) and flush metrics. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const name of [...this.drivers.keys()]) this.stopDriver(name);
    clearInterval(this.flushTimer);
    this.flushMetrics();
    this.metrics.flush();
  }

  /** Push buffered per-variant invocation counters into the metric store. */
  flushMetrics(): void {
    if (this.counters.size === 0) return;
    const byEndpoint = new Map<string, VariantCounters[]>();
    for (const c of this.counters.values()) {
      const list = byEndpoint.get(c.endpointName) ?? [];
      list.push(c);
      byEndpoint.set(c.endpointName, list);
    }
    this.counters.clear();
    const timestamp = new Date(this.clock());
    const data = [];
    for (const list of byEndpoint.values()) {
      for (const c of list) {
        const Dimensions = [
          { Name: 'EndpointName', Value: c.endpointName },
          { Name: 'VariantName', Value: c.variantName },
        ];
        data.push(
          { MetricName: 'Invocations', Dimensions, Timestamp: timestamp, Value: c.invocations, Unit: 'Count' as const },
          {
            MetricName: 'Invocation5XXErrors',
            Dimensions,
            Timestamp: timestamp,
            Value: c.errors5xx,
            Unit: 'Count' as const,
          },
          {
            MetricName: 'Invocation4XXErrors',
            Dimensions,
            Timestamp: timestamp,
            Value: c.errors4xx,
            Unit: 'Count' as const,
          },
        );
        if (c.latencyCount > 0) {
          data.push({
            MetricName: 'ModelLatency',
            Dimensions,
            Timestamp: timestamp,
            Unit: 'Microseconds' as const,
            StatisticValues: {
              Sum: c.latencySum,
              SampleCount: c.latencyCount,
              Minimum: c.latencyMin,
              Maximum: c.latencyMax,
            },
          });
        }
      }
    }
    this.metrics.putMetricData({ Namespace: 'AWS/SageMaker', MetricData: data });
  }

  // ---- deployment drivers -------------------------------------------------------------------------------

  private startDriver(name: string, run: (signal: AbortSignal) => Promise<void>): void {
    this.stopDriver(name);
    const controller = new AbortController();
    this.drivers.set(name, controller);
    run(controller.signal)
      .catch((error: unknown) => {
        if (error instanceof DeploymentAborted) return;
        const endpoint = this.endpoints.get(name);
        if (!endpoint) return;
        const reason = `Internal error: ${error instanceof Error ? error.message : String(error)}`;
        if (endpoint.deployment) this.finishWithoutSwap(endpoint, 'UpdateFailed', reason);
        else {
          endpoint.status = 'Failed';
          endpoint.failureReason = reason;
          this.transition(endpoint, 'CreateFailed', reason);
        }
      })
      .finally(() => {
        if (this.drivers.get(name) === controller) this.drivers.delete(name);
      });
  }

  private stopDriver(name: string): void {
    this.drivers.get(name)?.abort();
    this.drivers.delete(name);
  }

  private async runCreate(endpoint: EndpointState, signal: AbortSignal): Promise<void> {
    await this.sleep((this.options.provisioningSeconds ?? 0) * 1000 * this.timeScale, signal);
    const fleet = endpoint.serving;
    if (!fleet) return;
    try {
      this.loadFleet(fleet);
    } catch (error) {
      endpoint.status = 'Failed';
      endpoint.failureReason = `Failed to start fleet for ${fleet.endpointConfigName}: ${(error as Error).message}`;
      this.transition(endpoint, 'CreateFailed', endpoint.failureReason);
      return;
    }
    endpoint.status = 'InService';
    this.routers.delete(endpoint.name);
    this.transition(endpoint, 'InService', `Serving ${fleet.endpointConfigName}`);
  }

  private async runUpdate(endpoint: EndpointState, signal: AbortSignal): Promise<void> {
    const deployment = endpoint.deployment;
    const blue = endpoint.serving;
    if (!deployment || !blue) return;
    const policy = deployment.deploymentConfig.BlueGreenUpdatePolicy;
    const maxMs = (policy?.MaximumExecutionTimeoutInSeconds ?? 28_800) * 1000 * this.timeScale;
    const wallStart = Date.now();
    await this.sleep((this.options.provisioningSeconds ?? 0) * 1000 * this.timeScale, signal);
    let green: LoadedFleet;
    try {
      green = this.loadFleet(deployment.green);
    } catch (error) {
      this.finishWithoutSwap(
        endpoint,
        'UpdateFailed',
        `Failed to start fleet for ${deployment.green.endpointConfigName}: ${(error as Error).message}`,
      );
      return;
    }
    const config = this.config(deployment.green.endpointConfigName);
    const steps = this.trafficSteps(deployment.deploymentConfig, config);
    const alarmNames = (deployment.deploymentConfig.AutoRollbackConfiguration?.Alarms ?? [])
      .map((a) => a.AlarmName)
      .filter((n): n is string => n !== undefined);
    for (const [i, step] of steps.entries()) {
      deployment.phase = 'baking';
      deployment.greenShare = step.share;
      this.routers.delete(endpoint.name);
      this.transition(
        endpoint,
        'TrafficShifted',
        `${Math.round(step.share * 100)}% of traffic on ${deployment.green.endpointConfigName} (step ${i + 1}/${steps.length}), baking ${step.bakeSeconds} s`,
      );
      const bakeUntil = Date.now() + step.bakeSeconds * 1000 * this.timeScale;
      do {
        const remaining = bakeUntil - Date.now();
        green.invocations = 0;
        await this.sleep(Math.max(0, Math.min(this.alarmCheckIntervalMs, remaining)), signal);
        if (green.invocations === 0 && this.options.trafficProbe) this.probe(endpoint.name, green);
        this.flushMetrics();
        for (const alarmName of alarmNames) {
          const result = this.alarms.evaluate(alarmName);
          if (result.state === 'ALARM') {
            this.event(endpoint, 'AlarmTriggered', `${alarmName}: ${result.reason}`);
            await this.rollback(endpoint, `Rolled back: alarm ${alarmName} in ALARM (${result.reason})`, signal);
            return;
          }
        }
        if (Date.now() - wallStart > maxMs) {
          await this.rollback(
            endpoint,
            `Rolled back: deployment exceeded MaximumExecutionTimeoutInSeconds (${policy?.MaximumExecutionTimeoutInSeconds ?? 28_800} s)`,
            signal,
          );
          return;
        }
      } while (Date.now() < bakeUntil);
    }
    // Green has all traffic and survived the final bake: it becomes the endpoint, blue is terminated.
    endpoint.serving = deployment.green;
    delete endpoint.deployment;
    endpoint.status = 'InService';
    endpoint.lastDeploymentConfig = deployment.deploymentConfig;
    this.fleets.delete(blue.id);
    this.routers.delete(endpoint.name);
    this.event(endpoint, 'BlueFleetTerminated', `Terminated fleet of ${blue.endpointConfigName}`);
    this.transition(endpoint, 'UpdateCompleted', `Serving ${deployment.green.endpointConfigName}`);
  }

  private async rollback(endpoint: EndpointState, reason: string, signal: AbortSignal): Promise<void> {
    const deployment = endpoint.deployment;
    if (!deployment) return;
    deployment.phase = 'rolling-back';
    deployment.greenShare = 0;
    endpoint.status = 'RollingBack';
    this.routers.delete(endpoint.name);
    this.transition(endpoint, 'RollingBack', reason);
    await this.sleep(0, signal);
    this.finishWithoutSwap(endpoint, 'RolledBack', reason);
  }

  /** The update did not happen: green is gone, blue serves everything, the old config stays. */
  private finishWithoutSwap(endpoint: EndpointState, type: EndpointEventType, reason: string): void {
    const deployment = endpoint.deployment;
    if (deployment) this.fleets.delete(deployment.green.id);
    delete endpoint.deployment;
    endpoint.status = 'InService';
    endpoint.failureReason = reason;
    this.routers.delete(endpoint.name);
    this.transition(endpoint, type, reason);
  }

  /** Traffic share of green per step and how long each step bakes (simulated seconds). */
  private trafficSteps(
    deploymentConfig: DeploymentConfig,
    config: ConfigRecord,
  ): { share: number; bakeSeconds: number }[] {
    const policy = deploymentConfig.BlueGreenUpdatePolicy;
    const termination = policy?.TerminationWaitInSeconds ?? 0;
    if (termination < 0) throw new ValidationException('BlueGreenUpdatePolicy.TerminationWaitInSeconds must be >= 0.');
    const routing = policy?.TrafficRoutingConfiguration;
    const type = routing?.Type ?? 'ALL_AT_ONCE';
    const wait = routing?.WaitIntervalInSeconds ?? 0;
    if (wait < 0) throw new ValidationException('TrafficRoutingConfiguration.WaitIntervalInSeconds must be >= 0.');
    const instances = (config.input.ProductionVariants ?? []).reduce((s, v) => s + (v.InitialInstanceCount ?? 1), 0);
    const shareOf = (size: CapacitySize | undefined, field: string): number => {
      if (!size || size.Value === undefined || !(size.Value > 0)) {
        throw new ValidationException(`TrafficRoutingConfiguration.${field}.Value must be > 0.`);
      }
      if (size.Type === 'CAPACITY_PERCENT') {
        if (size.Value >= 100)
          throw new ValidationException(`TrafficRoutingConfiguration.${field} must be below 100%.`);
        return size.Value / 100;
      }
      if (size.Type === 'INSTANCE_COUNT') {
        if (size.Value >= instances) {
          throw new ValidationException(
            `TrafficRoutingConfiguration.${field} must be fewer than the ${instances} instance(s).`,
          );
        }
        return size.Value / instances;
      }
      throw new ValidationException(
        `TrafficRoutingConfiguration.${field}.Type must be CAPACITY_PERCENT or INSTANCE_COUNT.`,
      );
    };
    switch (type) {
      case 'ALL_AT_ONCE':
        return [{ share: 1, bakeSeconds: termination }];
      case 'CANARY':
        return [
          { share: shareOf(routing?.CanarySize, 'CanarySize'), bakeSeconds: wait },
          { share: 1, bakeSeconds: termination },
        ];
      case 'LINEAR': {
        const step = shareOf(routing?.LinearStepSize, 'LinearStepSize');
        const steps: { share: number; bakeSeconds: number }[] = [];
        for (let share = step; share < 1 - 1e-9; share += step) steps.push({ share, bakeSeconds: wait });
        steps.push({ share: 1, bakeSeconds: termination });
        return steps;
      }
      default:
        throw new ValidationException(`TrafficRoutingConfiguration.Type ${String(type)} is not supported.`);
    }
  }

  // ---- fleets, routing, invocation ----------------------------------------------------------------------

  private loadFleet(state: FleetState): LoadedFleet {
    const existing = this.fleets.get(state.id);
    if (existing) return existing;
    const config = this.config(state.endpointConfigName);
    const failing = new Set(this.faults.failingModels ?? []);
    const variants = (config.input.ProductionVariants ?? []).map((v: ProductionVariant): LoadedVariant => {
      const modelName = v.ModelName ?? '';
      const model = this.model(modelName);
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
        faulty: state.faulty || failing.has(modelName),
      };
    });
    const fleet: LoadedFleet = { state, variants, invocations: 0 };
    this.fleets.set(state.id, fleet);
    return fleet;
  }

  private route(
    endpoint: EndpointState,
    targetVariant: string | undefined,
  ): { fleet: LoadedFleet; variant: LoadedVariant } {
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
    const targets: { target: { fleet: LoadedFleet; variant: LoadedVariant }; weight: number }[] = [];
    for (const [state, share] of shares) {
      if (!state || share <= 0) continue;
      const fleet = this.fleets.get(state.id);
      if (!fleet) continue;
      const total = fleet.variants.reduce((s, v) => s + v.weight, 0);
      for (const variant of fleet.variants) {
        if (targetVariant !== undefined && variant.variantName !== targetVariant) continue;
        const weight = targetVariant !== undefined ? share : total > 0 ? (share * variant.weight) / total : 0;
        targets.push({ target: { fleet, variant }, weight });
      }
    }
    if (targetVariant !== undefined) {
      const chosen = new WeightedRoundRobin(targets).next();
      if (!chosen) {
        throw new InvokeEndpointError(
          'ValidationError',
          400,
          `Target variant ${targetVariant} not found for endpoint ${endpoint.name}.`,
        );
      }
      // Per-request router: the header pins the variant, fleets still split by share.
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

  private invokeFleet(
    endpointName: string,
    fleet: LoadedFleet,
    variant: LoadedVariant,
    body: string,
  ): InvocationResult {
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
          LogStreamArn: `arn:aws:logs:${this.region}:${this.accountId}:log-group:/aws/sagemaker/Endpoints/${endpointName}`,
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

  private probe(endpointName: string, fleet: LoadedFleet): void {
    const body = this.options.trafficProbe?.();
    if (body === undefined) return;
    for (const variant of fleet.variants) {
      try {
        this.invokeFleet(endpointName, fleet, variant, body);
      } catch {
        // A failing probe is the point: it is already counted in the variant's error metrics.
      }
    }
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

  private variantSummaries(
    config: ConfigRecord,
    share: number,
    status: VariantStatus | undefined,
  ): ProductionVariantSummary[] {
    const variants = config.input.ProductionVariants ?? [];
    return variants.map((v) => {
      const weight = v.InitialVariantWeight ?? 1;
      const count = v.InitialInstanceCount ?? 1;
      const image = this.models.get(v.ModelName ?? '')?.input.PrimaryContainer?.Image ?? 'local/occupancy-predictor';
      return {
        VariantName: v.VariantName,
        DeployedImages: [{ SpecifiedImage: image, ResolvedImage: image }],
        CurrentWeight: weight * share,
        DesiredWeight: weight,
        CurrentInstanceCount: share > 0 ? count : 0,
        DesiredInstanceCount: count,
        ...(status ? { VariantStatus: [{ Status: status }] } : {}),
      };
    });
  }

  // ---- state --------------------------------------------------------------------------------------------

  private restore(file: string): void {
    if (!existsSync(file)) return;
    let state: PersistedState;
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as PersistedState;
    } catch (cause) {
      throw new HostingStateError(file, 'is not valid JSON', { cause });
    }
    if (!Array.isArray(state.models) || !Array.isArray(state.configs) || !Array.isArray(state.endpoints)) {
      throw new HostingStateError(file, 'must hold models, configs and endpoints arrays');
    }
    for (const m of state.models) this.models.set(m.modelName, m);
    for (const c of state.configs) this.configs.set(c.name, c);
    for (const e of state.endpoints) {
      this.endpoints.set(e.name, e);
      this.fleetSeq = Math.max(
        this.fleetSeq,
        ...[e.serving, e.deployment?.green].map((f) => Number(f?.id.split('#')[1] ?? 0)),
      );
    }
    for (const endpoint of this.endpoints.values()) {
      if (endpoint.deployment) {
        // A deployment cannot resume mid-bake: the safe outcome is the config that was serving before it.
        const target = endpoint.deployment.green.endpointConfigName;
        delete endpoint.deployment;
        endpoint.status = 'InService';
        endpoint.failureReason = `Update to ${target} was interrupted by a restart; the endpoint kept ${endpoint.serving?.endpointConfigName}.`;
        this.event(endpoint, 'RecoveredAfterRestart', endpoint.failureReason);
      }
      if (endpoint.status === 'Creating') {
        this.startDriver(endpoint.name, (signal) => this.runCreate(endpoint, signal));
        continue;
      }
      if (endpoint.status === 'InService' && endpoint.serving) {
        try {
          this.loadFleet(endpoint.serving);
        } catch (error) {
          endpoint.status = 'Failed';
          endpoint.failureReason = `Could not restart fleet for ${endpoint.serving.endpointConfigName}: ${(error as Error).message}`;
          this.event(endpoint, 'CreateFailed', endpoint.failureReason);
        }
      }
    }
    this.save();
  }

  private save(): void {
    if (this.file === undefined) return;
    const state: PersistedState = {
      models: [...this.models.values()],
      configs: [...this.configs.values()],
      endpoints: [...this.endpoints.values()],
    };
    writeFileAtomic(this.file, JSON.stringify(state, null, 1));
  }

  private transition(endpoint: EndpointState, type: EndpointEventType, message: string): void {
    endpoint.lastModifiedTime = this.clock();
    this.event(endpoint, type, message);
    this.save();
    this.changes.emit('change', endpoint.name);
  }

  private event(endpoint: EndpointState, type: EndpointEventType, message: string): void {
    endpoint.events.push({ time: new Date(this.clock()).toISOString(), type, message });
    if (endpoint.events.length > MAX_EVENTS) endpoint.events.splice(0, endpoint.events.length - MAX_EVENTS);
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(new DeploymentAborted());
        return;
      }
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new DeploymentAborted());
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private nextFleetId(endpointName: string): string {
    this.fleetSeq++;
    return `${endpointName}#${this.fleetSeq}`;
  }

  private requireName(value: string | undefined, field: string): string {
    return assertSageMakerName(field, value, 'ModelName'); // same 63-character pattern for every hosting name
  }

  /**
   * CreateEndpoint/UpdateEndpoint on a config with KmsKeyId: SageMaker creates a KMS grant as the caller, so the
   * caller's role needs kms:CreateGrant (issue 14 defect 2). Checked only when the caller's policy is known.
   */
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html#sagemaker-CreateEndpointConfig-request-KmsKeyId
  // https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html
  private assertCallerMayGrant(config: ConfigRecord, operation: 'CreateEndpoint' | 'UpdateEndpoint'): void {
    const allows = this.options.callerAllows;
    if (config.input.KmsKeyId === undefined || allows === undefined || allows('kms:CreateGrant')) return;
    // The exact code SageMaker answers with here is not documented (AccessDeniedException or ValidationException).
    throw new ValidationException(
      `${operation}: the caller is not authorized to perform kms:CreateGrant on ${config.input.KmsKeyId}, which endpoint config ${config.name} uses (KmsKeyId).`,
    );
  }

  private arn(kind: 'model' | 'endpoint-config' | 'endpoint', name: string): string {
    return `arn:aws:sagemaker:${this.region}:${this.accountId}:${kind}/${name.toLowerCase()}`;
  }

  private model(name: string | undefined): ModelRecord {
    const record = name === undefined ? undefined : this.models.get(name);
    if (!record) throw new ValidationException(`Could not find model "${this.arn('model', name ?? '')}".`);
    return record;
  }

  private config(name: string | undefined): ConfigRecord {
    const record = name === undefined ? undefined : this.configs.get(name);
    if (!record) {
      throw new ValidationException(
        `Could not find endpoint configuration "${this.arn('endpoint-config', name ?? '')}".`,
      );
    }
    return record;
  }

  private endpoint(name: string | undefined): EndpointState {
    const record = name === undefined ? undefined : this.endpoints.get(name);
    if (!record) throw new ValidationException(`Could not find endpoint "${this.arn('endpoint', name ?? '')}".`);
    return record;
  }
}
