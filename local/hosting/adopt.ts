import type { FleetRuntime } from './fleets';
import type { HostingState } from './state';
import type { EndpointState, FleetState } from './types';

/**
 * Following deployments made by another process (`occupancy run` in another terminal) that writes the same
 * `hosting/state.json`: the endpoints this process is not driving itself are mirrored from the file, their
 * serving (blue) and deploying (green) fleets loaded, so the next invocation routes as the writer's endpoint does.
 */

export interface AdoptedEndpoint {
  readonly endpointName: string;
  /** The config now serving; undefined when the endpoint was deleted. */
  readonly endpointConfigName: string | undefined;
  readonly modelNames: readonly string[];
  readonly status: string;
  /** Why the new fleet could not be loaded (the endpoint keeps what it served). */
  readonly error?: string;
}

const fleetsOf = (e: EndpointState | undefined): FleetState[] =>
  [e?.serving, e?.deployment?.green].filter((f): f is FleetState => f !== undefined);

const sameFleet = (a: FleetState | undefined, b: FleetState | undefined): boolean =>
  a?.id === b?.id && a?.endpointConfigName === b?.endpointConfigName;

/** Statuses whose fleets answer InvokeEndpoint (FleetRuntime.route refuses the others). */
const SERVABLE = new Set(['InService', 'Updating', 'RollingBack', 'SystemUpdating', 'UpdateRollbackFailed']);

export function adoptPersistedState(
  state: HostingState,
  fleets: FleetRuntime,
  isDriving: (endpointName: string) => boolean,
): AdoptedEndpoint[] {
  const persisted = state.readPersisted();
  if (persisted === undefined) return [];
  for (const m of persisted.models) state.models.set(m.modelName, m);
  for (const c of persisted.configs) state.configs.set(c.name, c);
  const modelNamesOf = (configName: string | undefined): string[] =>
    (state.configs.get(configName ?? '')?.input.ProductionVariants ?? []).map((v) => v.ModelName ?? '');

  const changes: AdoptedEndpoint[] = [];
  const names = new Set(persisted.endpoints.map((e) => e.name));
  for (const next of persisted.endpoints) {
    if (isDriving(next.name)) continue;
    const local = state.endpoints.get(next.name);
    const unchanged =
      local !== undefined &&
      local.status === next.status &&
      sameFleet(local.serving, next.serving) &&
      sameFleet(local.deployment?.green, next.deployment?.green) &&
      local.deployment?.greenShare === next.deployment?.greenShare;
    if (unchanged) continue;
    const before = fleetsOf(local);
    // A fleet id reused for another config (two writers) must not return the old containers.
    for (const f of fleetsOf(next)) {
      const clash = before.find((b) => b.id === f.id && b.endpointConfigName !== f.endpointConfigName);
      if (clash) fleets.drop(clash.id);
    }
    const servingConfig = next.serving?.endpointConfigName;
    try {
      if (SERVABLE.has(next.status)) for (const f of fleetsOf(next)) fleets.load(f);
    } catch (error) {
      changes.push({
        endpointName: next.name,
        endpointConfigName: local?.serving?.endpointConfigName,
        modelNames: modelNamesOf(local?.serving?.endpointConfigName),
        status: local?.status ?? next.status,
        error: error instanceof Error ? error.message : String(error),
      });
      continue;
    }
    for (const b of before) if (!fleetsOf(next).some((f) => f.id === b.id)) fleets.drop(b.id);
    state.endpoints.set(next.name, next);
    fleets.resetRoutes(next.name);
    state.changed(next.name);
    if (!sameFleet(local?.serving, next.serving) || local?.status !== next.status) {
      changes.push({
        endpointName: next.name,
        endpointConfigName: servingConfig,
        modelNames: modelNamesOf(servingConfig),
        status: next.status,
      });
    }
  }
  for (const local of [...state.endpoints.values()]) {
    if (names.has(local.name) || isDriving(local.name)) continue;
    for (const f of fleetsOf(local)) fleets.drop(f.id);
    fleets.resetRoutes(local.name);
    state.endpoints.delete(local.name);
    state.changed(local.name);
    changes.push({ endpointName: local.name, endpointConfigName: undefined, modelNames: [], status: 'Deleted' });
  }
  return changes;
}
