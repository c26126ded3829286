import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../runtime/identity';
import { HostingStateError, ValidationException } from './errors';
import type { ConfigRecord, EndpointEventType, EndpointState, ModelRecord, PersistedState } from './types';

const MAX_EVENTS = 200;

/**
 * What the hosting service knows (models, endpoint configs, endpoints with their event logs), persisted as
 * `<stateDir>/hosting/state.json` so a restart keeps serving what it served; lookups fail as SageMaker's do.
 */
export class HostingState {
  readonly models = new Map<string, ModelRecord>();
  readonly configs = new Map<string, ConfigRecord>();
  readonly endpoints = new Map<string, EndpointState>();
  private readonly changes = new EventEmitter();
  private readonly file: string | undefined;

  constructor(stateDir: string | undefined) {
    this.changes.setMaxListeners(0);
    if (stateDir !== undefined) {
      const dir = join(stateDir, 'hosting');
      mkdirSync(dir, { recursive: true });
      this.file = join(dir, 'state.json');
    }
  }

  /** The persisted state file (`serve` watches it to follow deployments made by other processes). */
  get stateFile(): string | undefined {
    return this.file;
  }

  /** The persisted state as another process last wrote it, if any; throws HostingStateError when unreadable. */
  readPersisted(): PersistedState | undefined {
    const file = this.file;
    if (file === undefined || !existsSync(file)) return undefined;
    let state: PersistedState;
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as PersistedState;
    } catch (cause) {
      throw new HostingStateError(file, 'is not valid JSON', { cause });
    }
    if (!Array.isArray(state.models) || !Array.isArray(state.configs) || !Array.isArray(state.endpoints)) {
      throw new HostingStateError(file, 'must hold models, configs and endpoints arrays');
    }
    return state;
  }

  /** Reads the persisted state, if any; throws HostingStateError when it cannot be read back. */
  load(): void {
    const state = this.readPersisted();
    if (state === undefined) return;
    for (const m of state.models) this.models.set(m.modelName, m);
    for (const c of state.configs) this.configs.set(c.name, c);
    for (const e of state.endpoints) this.endpoints.set(e.name, e);
  }

  save(): void {
    if (this.file === undefined) return;
    const state: PersistedState = {
      models: [...this.models.values()],
      configs: [...this.configs.values()],
      endpoints: [...this.endpoints.values()],
    };
    writeFileAtomic(this.file, JSON.stringify(state, null, 1));
  }

  /** A lifecycle step: recorded, persisted and announced to `whenSettled` waiters. */
  transition(endpoint: EndpointState, type: EndpointEventType, message: string): void {
    endpoint.lastModifiedTime = Date.now();
    this.event(endpoint, type, message);
    this.save();
    this.changed(endpoint.name);
  }

  event(endpoint: EndpointState, type: EndpointEventType, message: string): void {
    endpoint.events.push({ time: new Date().toISOString(), type, message });
    if (endpoint.events.length > MAX_EVENTS) endpoint.events.splice(0, endpoint.events.length - MAX_EVENTS);
  }

  changed(endpointName: string): void {
    this.changes.emit('change', endpointName);
  }

  onChange(listener: (endpointName: string) => void): () => void {
    this.changes.on('change', listener);
    return () => this.changes.off('change', listener);
  }

  arn(kind: 'model' | 'endpoint-config' | 'endpoint', name: string): string {
    return `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${kind}/${name.toLowerCase()}`;
  }

  model(name: string | undefined): ModelRecord {
    const record = name === undefined ? undefined : this.models.get(name);
    if (!record) throw new ValidationException(`Could not find model "${this.arn('model', name ?? '')}".`);
    return record;
  }

  config(name: string | undefined): ConfigRecord {
    const record = name === undefined ? undefined : this.configs.get(name);
    if (!record) {
      throw new ValidationException(
        `Could not find endpoint configuration "${this.arn('endpoint-config', name ?? '')}".`,
      );
    }
    return record;
  }

  endpoint(name: string | undefined): EndpointState {
    const record = name === undefined ? undefined : this.endpoints.get(name);
    if (!record) throw new ValidationException(`Could not find endpoint "${this.arn('endpoint', name ?? '')}".`);
    return record;
  }
}
