/**
 * Local SageMaker hosting: the control plane (models, endpoint configs and endpoints with the API's own types) in
 * front of the deployment driver (./deployment), the fleets that answer InvokeEndpoint (./fleets) and the persisted
 * state (./state). A restart keeps serving what it served.
 */

import { existsSync } from 'node:fs';
import type {
  CreateEndpointCommandInput,
  CreateEndpointCommandOutput,
  CreateEndpointConfigCommandInput,
  CreateEndpointConfigCommandOutput,
  CreateModelCommandInput,
  CreateModelCommandOutput,
  DeleteEndpointCommandInput,
  DeleteEndpointCommandOutput,
  DescribeEndpointCommandInput,
  DescribeEndpointCommandOutput,
  DescribeEndpointConfigCommandInput,
  DescribeEndpointConfigCommandOutput,
  DescribeModelCommandInput,
  DescribeModelCommandOutput,
  EndpointStatus,
  ListTagsCommandInput,
  ListTagsCommandOutput,
  UpdateEndpointCommandInput,
  UpdateEndpointCommandOutput,
} from '@aws-sdk/client-sagemaker';
import { FolderObjectStore } from '../adapters/s3';
import { assertBlueGreenPolicy, assertSageMakerName } from '../aws-contract';
import { AlarmEvaluator } from '../metrics/alarms';
import { MetricStore } from '../metrics/store';
import { processAlive } from '../process-alive';
import { LOCAL_ACCOUNT } from '../runtime/identity';
import { type AdoptedEndpoint, adoptPersistedState } from './adopt';
import { folderCaptureSink } from './capture';
import { DeploymentDriver, trafficSteps } from './deployment';
import { describeEndpointState } from './describe';
import { assertDataCaptureConfig, assertShadowVariants } from './endpoint-config-rules';
import { InvokeEndpointError, ValidationException } from './errors';
import { FleetRuntime } from './fleets';
import { artifactPathOf, defaultModelLoader, primaryContainer } from './model';
import { HostingState } from './state';
import { assertTags, listTags } from './tags';
import type {
  ConfigRecord,
  EndpointEvent,
  EndpointState,
  HostingFaults,
  InvocationRequest,
  InvocationResult,
  LocalHostingOptions,
  ModelRecord,
} from './types';

export type {
  EndpointEvent,
  EndpointEventType,
  HostingFaults,
  InvocationRequest,
  InvocationResult,
  LocalHostingOptions,
} from './types';

/** Statuses an endpoint rests in (no driver running); the others are transitions. */
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html#sagemaker-DescribeEndpoint-response-EndpointStatus
const SETTLED: readonly EndpointStatus[] = ['InService', 'Failed', 'OutOfService', 'UpdateRollbackFailed'];

/** The local S3 folder's path of an s3:// URI (local/adapters/s3.ts). */
const folderS3Path = (stateDir: string) => {
  const store = new FolderObjectStore(stateDir);
  return (uri: string) => store.pathOf(uri);
};

/** Whether a config's production variants serve the models the endpoint's serving config does. */
function sameProductionModels(config: ConfigRecord, serving: ConfigRecord | undefined): boolean {
  if (serving === undefined) return false;
  const models = (c: ConfigRecord) =>
    (c.input.ProductionVariants ?? [])
      .map((v) => v.ModelName ?? '')
      .sort()
      .join(',');
  return models(config) === models(serving);
}

function metadata() {
  return { $metadata: { httpStatusCode: 200 } };
}

export class LocalHosting {
  readonly metrics: MetricStore;
  readonly alarms: AlarmEvaluator;
  private readonly state: HostingState;
  private readonly fleets: FleetRuntime;
  private readonly driver: DeploymentDriver;
  private readonly flushTimer: NodeJS.Timeout;
  private faults: HostingFaults;
  private fleetSeq = 0;
  private closed = false;

  constructor(private readonly options: LocalHostingOptions = {}) {
    const timeScale = options.timeScale ?? 1;
    if (!(timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${timeScale}`);
    this.faults = options.faults ?? {};
    this.metrics = options.metrics ?? new MetricStore({});
    this.alarms = options.alarms ?? new AlarmEvaluator(this.metrics, { timeScale });
    this.state = new HostingState(options.stateDir);
    this.fleets = new FleetRuntime(
      this.state,
      this.metrics,
      options.modelLoader ?? defaultModelLoader,
      options.trafficProbe,
      options.captureSink ??
        (options.stateDir === undefined ? undefined : folderCaptureSink(folderS3Path(options.stateDir))),
    );
    this.driver = new DeploymentDriver(this.state, this.fleets, this.alarms, {
      timeScale,
      provisioningSeconds: options.provisioningSeconds ?? 0,
      alarmCheckIntervalMs: Math.max(20, 1000 * timeScale),
    });
    this.flushTimer = setInterval(() => this.fleets.flushMetrics(), 1000);
    this.flushTimer.unref();
    this.restore();
  }

  setFaults(faults: HostingFaults): void {
    this.faults = faults;
  }

  // ---- models -------------------------------------------------------------------------------------------

  createModel(input: CreateModelCommandInput): CreateModelCommandOutput {
    const name = assertSageMakerName('ModelName', input.ModelName);
    // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModel.html (names are unique per account)
    if (this.state.models.has(name)) {
      throw new ValidationException(`Cannot create already existing model "${this.state.arn('model', name)}".`);
    }
    assertTags(input.Tags);
    const container = primaryContainer(input, name);
    const artifactPath = artifactPathOf(container.ModelDataUrl, name);
    if (!existsSync(artifactPath)) {
      throw new ValidationException(`Could not access model data at ${container.ModelDataUrl}.`);
    }
    const record: ModelRecord = {
      input,
      modelName: name,
      arn: this.state.arn('model', name),
      artifactPath,
      creationTime: Date.now(),
    };
    this.state.models.set(name, record);
    this.state.save();
    return { ModelArn: record.arn, ...metadata() };
  }

  describeModel(input: DescribeModelCommandInput): DescribeModelCommandOutput {
    const record = this.state.model(input.ModelName);
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

  /** A model's tags by its ARN (local/hosting/tags.ts); the tags it was created with. */
  listTags(input: ListTagsCommandInput): ListTagsCommandOutput {
    return listTags(input, (arn) => {
      for (const record of this.state.models.values()) if (record.arn === arn) return record.input.Tags ?? [];
      return undefined;
    });
  }

  // ---- endpoint configs ---------------------------------------------------------------------------------

  createEndpointConfig(input: CreateEndpointConfigCommandInput): CreateEndpointConfigCommandOutput {
    const name = assertSageMakerName('EndpointConfigName', input.EndpointConfigName);
    if (this.state.configs.has(name)) {
      throw new ValidationException(
        `Cannot create already existing endpoint configuration "${this.state.arn('endpoint-config', name)}".`,
      );
    }
    const variants = input.ProductionVariants ?? [];
    if (variants.length === 0) throw new ValidationException('ProductionVariants: at least one variant is required.');
    assertShadowVariants(input);
    assertDataCaptureConfig(input.DataCaptureConfig);
    const seen = new Set<string>();
    const shadows = (input.ShadowProductionVariants ?? []).map((v, i) => ({ v, i, field: 'ShadowProductionVariants' }));
    for (const { v, i, field } of [...variants.map((v, i) => ({ v, i, field: 'ProductionVariants' })), ...shadows]) {
      const variantName = assertSageMakerName(`${field}[${i}].VariantName`, v.VariantName, 'ModelName');
      if (seen.has(variantName)) {
        throw new ValidationException(`${field}: duplicate VariantName ${variantName}.`);
      }
      seen.add(variantName);
      if (v.ServerlessConfig !== undefined) {
        throw new ValidationException(`${field}[${i}]: serverless variants are not supported locally.`);
      }
      const modelName = assertSageMakerName(`${field}[${i}].ModelName`, v.ModelName, 'ModelName');
      this.state.model(modelName);
      if (v.InitialVariantWeight !== undefined && !(v.InitialVariantWeight >= 0)) {
        throw new ValidationException(`${field}[${i}].InitialVariantWeight must be >= 0.`);
      }
      const count = v.InitialInstanceCount;
      if (count !== undefined && !(Number.isInteger(count) && count >= 1)) {
        throw new ValidationException(`${field}[${i}].InitialInstanceCount must be a positive integer.`);
      }
    }
    const record: ConfigRecord = {
      input,
      name,
      arn: this.state.arn('endpoint-config', name),
      creationTime: Date.now(),
    };
    this.state.configs.set(name, record);
    this.state.save();
    return { EndpointConfigArn: record.arn, ...metadata() };
  }

  describeEndpointConfig(input: DescribeEndpointConfigCommandInput): DescribeEndpointConfigCommandOutput {
    const record = this.state.config(input.EndpointConfigName);
    return {
      EndpointConfigName: record.name,
      EndpointConfigArn: record.arn,
      ProductionVariants: record.input.ProductionVariants,
      ...(record.input.ShadowProductionVariants === undefined
        ? {}
        : { ShadowProductionVariants: record.input.ShadowProductionVariants }),
      ...(record.input.DataCaptureConfig === undefined ? {} : { DataCaptureConfig: record.input.DataCaptureConfig }),
      ...(record.input.KmsKeyId === undefined ? {} : { KmsKeyId: record.input.KmsKeyId }),
      CreationTime: new Date(record.creationTime),
      ...metadata(),
    };
  }

  // ---- endpoints ----------------------------------------------------------------------------------------

  createEndpoint(input: CreateEndpointCommandInput): CreateEndpointCommandOutput {
    const name = assertSageMakerName('EndpointName', input.EndpointName);
    if (this.state.endpoints.has(name)) {
      throw new ValidationException(`Cannot create already existing endpoint "${this.state.arn('endpoint', name)}".`);
    }
    const config = this.state.config(input.EndpointConfigName);
    this.assertCallerMayGrant(config, 'CreateEndpoint');
    const now = Date.now();
    const endpoint: EndpointState = {
      name,
      arn: this.state.arn('endpoint', name),
      creationTime: now,
      lastModifiedTime: now,
      status: 'Creating',
      serving: { id: this.nextFleetId(name), endpointConfigName: config.name, faulty: false },
      drivenBy: process.pid,
      events: [],
    };
    this.state.endpoints.set(name, endpoint);
    this.state.event(endpoint, 'Creating', `Creating endpoint with config ${config.name}`);
    this.state.save();
    this.driver.create(endpoint);
    return { EndpointArn: endpoint.arn, ...metadata() };
  }

  updateEndpoint(input: UpdateEndpointCommandInput): UpdateEndpointCommandOutput {
    const endpoint = this.state.endpoint(input.EndpointName);
    const config = this.state.config(input.EndpointConfigName);
    // Only an InService endpoint can be updated (Creating, Updating, RollingBack, Failed … are refused).
    // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html
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
    trafficSteps(deploymentConfig, config); // validates sizes before anything changes
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
        // The fault is a new model failing: a config that only adds or removes a shadow variant keeps the same
        // production models, so its fleet answers as the one it replaces.
        faulty:
          this.faults.failNewFleets5xx === true &&
          !sameProductionModels(
            config,
            endpoint.serving && this.state.configs.get(endpoint.serving.endpointConfigName),
          ),
      },
      deploymentConfig,
      startedAt: Date.now(),
      phase: 'provisioning',
      greenShare: 0,
    };
    endpoint.status = 'Updating';
    endpoint.drivenBy = process.pid;
    delete endpoint.failureReason;
    endpoint.lastModifiedTime = Date.now();
    this.state.event(
      endpoint,
      'UpdateStarted',
      `Updating from ${endpoint.serving?.endpointConfigName} to ${config.name}`,
    );
    this.state.save();
    this.driver.update(endpoint);
    return { EndpointArn: endpoint.arn, ...metadata() };
  }

  describeEndpoint(input: DescribeEndpointCommandInput): DescribeEndpointCommandOutput {
    return { ...describeEndpointState(this.state, this.state.endpoint(input.EndpointName)), ...metadata() };
  }

  deleteEndpoint(input: DeleteEndpointCommandInput): DeleteEndpointCommandOutput {
    const endpoint = this.state.endpoint(input.EndpointName);
    this.driver.stop(endpoint.name);
    for (const fleet of [endpoint.serving, endpoint.deployment?.green]) if (fleet) this.fleets.drop(fleet.id);
    this.fleets.resetRoutes(endpoint.name);
    this.state.endpoints.delete(endpoint.name);
    this.state.event(endpoint, 'Deleted', 'Endpoint deleted');
    this.state.save();
    this.state.changed(endpoint.name);
    return metadata();
  }

  listEndpoints(): { EndpointName: string; EndpointStatus: EndpointStatus; EndpointConfigName?: string }[] {
    return [...this.state.endpoints.values()].map((e) => ({
      EndpointName: e.name,
      EndpointStatus: e.status,
      ...(e.serving ? { EndpointConfigName: e.serving.endpointConfigName } : {}),
    }));
  }

  /** Lifecycle events of an endpoint, oldest first (deployments, traffic shifts, alarms, rollbacks). */
  listEndpointEvents(endpointName: string): readonly EndpointEvent[] {
    return [...this.state.endpoint(endpointName).events];
  }

  /** Resolves once the endpoint is no longer Creating / Updating / RollingBack (or rejects on timeout). */
  async whenSettled(endpointName: string, timeoutMs = 600_000): Promise<DescribeEndpointCommandOutput> {
    const settled = () => {
      const e = this.state.endpoints.get(endpointName);
      return e === undefined || SETTLED.includes(e.status);
    };
    if (!settled()) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          off();
          reject(new Error(`Endpoint ${endpointName} did not settle within ${timeoutMs} ms`));
        }, timeoutMs);
        const off = this.state.onChange((name) => {
          if (name === endpointName && settled()) {
            clearTimeout(timer);
            off();
            resolve();
          }
        });
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
    const endpoint = this.state.endpoints.get(request.endpointName);
    if (!endpoint) {
      throw new InvokeEndpointError(
        'ValidationError',
        400,
        `Endpoint ${request.endpointName} of account ${LOCAL_ACCOUNT} not found.`,
      );
    }
    const route = this.fleets.route(endpoint, request.targetVariant);
    return this.fleets.serve(
      endpoint.name,
      route.fleet,
      route.variant,
      request.body,
      request.contentType ?? 'text/csv',
    );
  }

  /** Push buffered per-variant invocation counters into the metric store. */
  flushMetrics(): void {
    this.fleets.flushMetrics();
  }

  // ---- lifecycle ----------------------------------------------------------------------------------------

  /** The persisted state file, when the hosting has a state directory. */
  get stateFile(): string | undefined {
    return this.state.stateFile;
  }

  /** Mirrors endpoints another process deployed into the state file (see ./adopt); returns what changed. */
  adoptPersistedState(): AdoptedEndpoint[] {
    if (this.closed) return [];
    const changes = adoptPersistedState(this.state, this.fleets, (name) => this.driver.isDriving(name));
    this.syncFleetSeq();
    return changes;
  }

  /** Stop deployments (an interrupted update resolves to the old config on the next start) and flush metrics. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.driver.stopAll();
    clearInterval(this.flushTimer);
    this.fleets.flushMetrics();
    this.metrics.flush();
  }

  /**
   * Reloads the persisted state: an interrupted update resolves to the old config, fleets restart. A create or
   * update another live process is driving is left to it (`serve` started mid-deploy must not undo it), and the
   * file is rewritten only when something was recovered.
   */
  private restore(): void {
    this.state.load();
    this.syncFleetSeq();
    let recovered = false;
    for (const endpoint of this.state.endpoints.values()) {
      const drivenElsewhere = endpoint.drivenBy !== undefined && endpoint.drivenBy !== process.pid;
      const inFlight = endpoint.deployment !== undefined || endpoint.status === 'Creating';
      if (inFlight && drivenElsewhere && processAlive(endpoint.drivenBy ?? 0)) {
        if (endpoint.serving && endpoint.status !== 'Creating') this.loadServingFleet(endpoint);
        continue;
      }
      if (endpoint.deployment) {
        // A deployment cannot resume mid-bake: the safe outcome is the config that was serving before it.
        const target = endpoint.deployment.green.endpointConfigName;
        delete endpoint.deployment;
        endpoint.status = 'InService';
        endpoint.failureReason = `Update to ${target} was interrupted by a restart; the endpoint kept ${endpoint.serving?.endpointConfigName}.`;
        this.state.event(endpoint, 'RecoveredAfterRestart', endpoint.failureReason);
        recovered = true;
      }
      if (endpoint.status === 'Creating') {
        endpoint.drivenBy = process.pid;
        this.driver.create(endpoint);
        recovered = true;
        continue;
      }
      if (endpoint.status === 'InService' && endpoint.serving) recovered = this.loadServingFleet(endpoint) || recovered;
    }
    if (recovered) this.state.save();
  }

  /** Starts the fleet of the config an endpoint serves; true when it could not and the endpoint was marked Failed. */
  private loadServingFleet(endpoint: EndpointState): boolean {
    if (!endpoint.serving) return false;
    try {
      this.fleets.load(endpoint.serving);
      return false;
    } catch (error) {
      endpoint.status = 'Failed';
      endpoint.failureReason = `Could not restart fleet for ${endpoint.serving.endpointConfigName}: ${(error as Error).message}`;
      this.state.event(endpoint, 'CreateFailed', endpoint.failureReason);
      return true;
    }
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

  private syncFleetSeq(): void {
    for (const e of this.state.endpoints.values()) {
      this.fleetSeq = Math.max(
        this.fleetSeq,
        ...[e.serving, e.deployment?.green].map((f) => Number(f?.id.split('#')[1] ?? 0)),
      );
    }
  }

  private nextFleetId(endpointName: string): string {
    this.fleetSeq++;
    return `${endpointName}#${this.fleetSeq}`;
  }
}
