import type {
  CreateEndpointConfigCommandInput,
  CreateModelCommandInput,
  DeploymentConfig,
  EndpointStatus,
} from '@aws-sdk/client-sagemaker';
import type { AlarmEvaluator } from '../metrics/alarms';
import type { MetricStore } from '../metrics/store';
import type { CaptureSink, EndpointCapture } from './capture';
import type { ModelContainer, ModelLoader } from './model';

/** The public options and records of the local hosting service, and the state it persists. */

export interface HostingFaults {
  /** Every fleet started by UpdateEndpoint from now on answers 5xx (the `deploy-5xx` demo/test fault). */
  readonly failNewFleets5xx?: boolean;
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
  /**
   * Where data capture lines go. Default: the local S3 folder under `stateDir` (as local/adapters/s3.ts lays it
   * out); without a stateDir captures are not kept.
   */
  readonly captureSink?: CaptureSink;
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

export interface ModelRecord {
  readonly input: CreateModelCommandInput;
  readonly modelName: string;
  readonly arn: string;
  readonly artifactPath: string;
  readonly creationTime: number;
}

export interface ConfigRecord {
  readonly input: CreateEndpointConfigCommandInput;
  readonly name: string;
  readonly arn: string;
  readonly creationTime: number;
}

export interface FleetState {
  readonly id: string;
  readonly endpointConfigName: string;
  /** Injected fault: every invocation on this fleet fails with a model 5xx. */
  readonly faulty: boolean;
}

export interface DeploymentState {
  readonly green: FleetState;
  readonly deploymentConfig: DeploymentConfig;
  readonly startedAt: number;
  phase: 'provisioning' | 'baking' | 'rolling-back';
  greenShare: number;
}

/**
 * An endpoint and its lifecycle. Statuses modelled: Creating, InService, Updating, RollingBack, Failed (and, as
 * SageMaker documents them, OutOfService / SystemUpdating / UpdateRollbackFailed / Deleting are settled or
 * refused states the local host never enters on its own).
 */
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html#sagemaker-DescribeEndpoint-response-EndpointStatus
export interface EndpointState {
  readonly name: string;
  readonly arn: string;
  readonly creationTime: number;
  lastModifiedTime: number;
  status: EndpointStatus;
  failureReason?: string;
  /** The fleet serving the config DescribeEndpoint reports (blue while an update is in flight). */
  serving?: FleetState;
  deployment?: DeploymentState;
  /** The process driving its Creating / Updating (another process on the state folder leaves it to that one). */
  drivenBy?: number;
  lastDeploymentConfig?: DeploymentConfig;
  events: EndpointEvent[];
}

export interface PersistedState {
  readonly models: ModelRecord[];
  readonly configs: ConfigRecord[];
  readonly endpoints: EndpointState[];
}

export interface LoadedVariant {
  readonly variantName: string;
  readonly modelName: string;
  readonly weight: number;
  readonly instanceCount: number;
  readonly predictor: ModelContainer;
  readonly faulty: boolean;
}

export interface LoadedFleet {
  readonly state: FleetState;
  readonly variants: readonly LoadedVariant[];
  /** ShadowProductionVariants: each gets a copy of every request; answers are captured, never returned. */
  readonly shadows: readonly LoadedVariant[];
  /** The config's DataCaptureConfig, when it has one. */
  readonly capture?: EndpointCapture;
  invocations: number;
}
