import type { CapacitySize, DeploymentConfig } from '@aws-sdk/client-sagemaker';
import type { AlarmEvaluator } from '../metrics/alarms';
import { ValidationException } from './errors';
import type { FleetRuntime } from './fleets';
import type { HostingState } from './state';
import type { ConfigRecord, EndpointEventType, EndpointState, LoadedFleet } from './types';

/**
 * The deployment driver: brings a new endpoint's fleet up (Creating → InService | Failed), and runs UpdateEndpoint's
 * blue/green deployment: the green fleet takes the canary (or linear / all-at-once) share, the
 * AutoRollbackConfiguration alarms are watched while it bakes, then traffic shifts fully and the blue fleet is
 * terminated after TerminationWaitInSeconds — or traffic returns to blue (RollingBack) and the endpoint stays on the
 * old config. Simulated seconds are multiplied by `timeScale`.
 */

class DeploymentAborted extends Error {
  override readonly name = 'DeploymentAborted';
}

export interface TrafficStep {
  /** Share of traffic on the green fleet. */
  readonly share: number;
  /** Simulated seconds this step bakes. */
  readonly bakeSeconds: number;
}

/** Traffic share of green per step and how long each step bakes (simulated seconds). */
export function trafficSteps(deploymentConfig: DeploymentConfig, config: ConfigRecord): TrafficStep[] {
  const policy = deploymentConfig.BlueGreenUpdatePolicy;
  const termination = policy?.TerminationWaitInSeconds ?? 0;
  if (termination < 0) throw new ValidationException('BlueGreenUpdatePolicy.TerminationWaitInSeconds must be >= 0.');
  const routing = policy?.TrafficRoutingConfiguration;
  const type = routing?.Type ?? 'ALL_AT_ONCE';
  const wait = routing?.WaitIntervalInSeconds ?? 0;
  const instances = (config.input.ProductionVariants ?? []).reduce((s, v) => s + (v.InitialInstanceCount ?? 1), 0);
  const shareOf = (size: CapacitySize | undefined, field: string): number => {
    if (!size || size.Value === undefined || !(size.Value > 0)) {
      throw new ValidationException(`TrafficRoutingConfiguration.${field}.Value must be > 0.`);
    }
    if (size.Type === 'CAPACITY_PERCENT') return size.Value / 100;
    if (size.Type === 'INSTANCE_COUNT') return size.Value / instances;
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
      const steps: TrafficStep[] = [];
      for (let share = step; share < 1 - 1e-9; share += step) steps.push({ share, bakeSeconds: wait });
      steps.push({ share: 1, bakeSeconds: termination });
      return steps;
    }
    default:
      throw new ValidationException(`TrafficRoutingConfiguration.Type ${String(type)} is not supported.`);
  }
}

export interface DriverOptions {
  readonly timeScale: number;
  readonly provisioningSeconds: number;
  /** Wall milliseconds between alarm checks during a bake. */
  readonly alarmCheckIntervalMs: number;
}

export class DeploymentDriver {
  private readonly drivers = new Map<string, AbortController>();

  constructor(
    private readonly state: HostingState,
    private readonly fleets: FleetRuntime,
    private readonly alarms: AlarmEvaluator,
    private readonly options: DriverOptions,
  ) {}

  /** Runs CreateEndpoint's provisioning in the background. */
  create(endpoint: EndpointState): void {
    this.start(endpoint.name, (signal) => this.runCreate(endpoint, signal));
  }

  /** Runs UpdateEndpoint's blue/green deployment (endpoint.deployment) in the background. */
  update(endpoint: EndpointState): void {
    this.start(endpoint.name, (signal) => this.runUpdate(endpoint, signal));
  }

  stop(name: string): void {
    this.drivers.get(name)?.abort();
    this.drivers.delete(name);
  }

  /** Whether this process is driving a deployment of `name` (so it, not another process, owns its state). */
  isDriving(name: string): boolean {
    return this.drivers.has(name);
  }

  stopAll(): void {
    for (const name of [...this.drivers.keys()]) this.stop(name);
  }

  private start(name: string, run: (signal: AbortSignal) => Promise<void>): void {
    this.stop(name);
    const controller = new AbortController();
    this.drivers.set(name, controller);
    run(controller.signal)
      .catch((error: unknown) => {
        if (error instanceof DeploymentAborted) return;
        const endpoint = this.state.endpoints.get(name);
        if (!endpoint) return;
        const reason = `Internal error: ${error instanceof Error ? error.message : String(error)}`;
        if (endpoint.deployment) this.finishWithoutSwap(endpoint, 'UpdateFailed', reason);
        else {
          endpoint.status = 'Failed';
          endpoint.failureReason = reason;
          this.state.transition(endpoint, 'CreateFailed', reason);
        }
      })
      .finally(() => {
        if (this.drivers.get(name) === controller) this.drivers.delete(name);
      });
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

  private provisioning(signal: AbortSignal): Promise<void> {
    return this.sleep(this.options.provisioningSeconds * 1000 * this.options.timeScale, signal);
  }

  private async runCreate(endpoint: EndpointState, signal: AbortSignal): Promise<void> {
    await this.provisioning(signal);
    const fleet = endpoint.serving;
    if (!fleet) return;
    try {
      this.fleets.load(fleet);
    } catch (error) {
      endpoint.status = 'Failed';
      endpoint.failureReason = `Failed to start fleet for ${fleet.endpointConfigName}: ${(error as Error).message}`;
      this.state.transition(endpoint, 'CreateFailed', endpoint.failureReason);
      return;
    }
    endpoint.status = 'InService';
    this.fleets.resetRoutes(endpoint.name);
    this.state.transition(endpoint, 'InService', `Serving ${fleet.endpointConfigName}`);
  }

  private async runUpdate(endpoint: EndpointState, signal: AbortSignal): Promise<void> {
    const deployment = endpoint.deployment;
    const blue = endpoint.serving;
    if (!deployment || !blue) return;
    const policy = deployment.deploymentConfig.BlueGreenUpdatePolicy;
    const maxMs = (policy?.MaximumExecutionTimeoutInSeconds ?? 28_800) * 1000 * this.options.timeScale;
    const wallStart = Date.now();
    await this.provisioning(signal);
    let green: LoadedFleet;
    try {
      green = this.fleets.load(deployment.green);
    } catch (error) {
      this.finishWithoutSwap(
        endpoint,
        'UpdateFailed',
        `Failed to start fleet for ${deployment.green.endpointConfigName}: ${(error as Error).message}`,
      );
      return;
    }
    const steps = trafficSteps(deployment.deploymentConfig, this.state.config(deployment.green.endpointConfigName));
    const alarmNames = (deployment.deploymentConfig.AutoRollbackConfiguration?.Alarms ?? [])
      .map((a) => a.AlarmName)
      .filter((n): n is string => n !== undefined);
    for (const [i, step] of steps.entries()) {
      deployment.phase = 'baking';
      deployment.greenShare = step.share;
      this.fleets.resetRoutes(endpoint.name);
      this.state.transition(
        endpoint,
        'TrafficShifted',
        `${Math.round(step.share * 100)}% of traffic on ${deployment.green.endpointConfigName} (step ${i + 1}/${steps.length}), baking ${step.bakeSeconds} s`,
      );
      const bakeUntil = Date.now() + step.bakeSeconds * 1000 * this.options.timeScale;
      do {
        const remaining = bakeUntil - Date.now();
        green.invocations = 0;
        await this.sleep(Math.max(0, Math.min(this.options.alarmCheckIntervalMs, remaining)), signal);
        if (green.invocations === 0 && this.fleets.probing) this.fleets.probe(endpoint.name, green);
        this.fleets.flushMetrics();
        for (const alarmName of alarmNames) {
          const result = this.alarms.evaluate(alarmName);
          if (result.state === 'ALARM') {
            this.state.event(endpoint, 'AlarmTriggered', `${alarmName}: ${result.reason}`);
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
    this.fleets.drop(blue.id);
    this.fleets.resetRoutes(endpoint.name);
    this.state.event(endpoint, 'BlueFleetTerminated', `Terminated fleet of ${blue.endpointConfigName}`);
    this.state.transition(endpoint, 'UpdateCompleted', `Serving ${deployment.green.endpointConfigName}`);
  }

  private async rollback(endpoint: EndpointState, reason: string, signal: AbortSignal): Promise<void> {
    const deployment = endpoint.deployment;
    if (!deployment) return;
    deployment.phase = 'rolling-back';
    deployment.greenShare = 0;
    endpoint.status = 'RollingBack';
    this.fleets.resetRoutes(endpoint.name);
    this.state.transition(endpoint, 'RollingBack', reason);
    await this.sleep(0, signal);
    this.finishWithoutSwap(endpoint, 'RolledBack', reason);
  }

  /** The update did not happen: green is gone, blue serves everything, the old config stays. */
  private finishWithoutSwap(endpoint: EndpointState, type: EndpointEventType, reason: string): void {
    const deployment = endpoint.deployment;
    if (deployment) this.fleets.drop(deployment.green.id);
    delete endpoint.deployment;
    endpoint.status = 'InService';
    endpoint.failureReason = reason;
    this.fleets.resetRoutes(endpoint.name);
    this.state.transition(endpoint, type, reason);
  }
}
