import { BoundedLru } from '../../tasks/bounded-lru';
import { thingNameOfShadowTopic } from '../../tasks/infer-occupancy/rule-sql';
import type { LocalBroker } from './broker';

/**
 * The classic (unnamed) device shadow service of AWS IoT Core over the local broker:
 * `$aws/things/<t>/shadow/update` → `update/accepted` + `update/documents` (previous/current/version) and, when the
 * request set `desired` keys that differ from `reported`, `update/delta`; malformed requests → `update/rejected`.
 * `get` → `get/accepted` | `get/rejected`. Null values delete keys; metadata carries a per-leaf `timestamp` (epoch
 * seconds); every update increments `version`. Memory only: the shadow is a cache of the devices' state.
 *
 * Bounded: AWS keeps a shadow until it is deleted, but a local process cannot keep one per thing name it ever saw
 * (issue 16: 140 k names took RSS from 157 MB to 1 GB). Shadows are evicted least-recently-used beyond
 * `maxShadows` and after `idleMs` without an update or get. An evicted thing's next update starts a new shadow
 * (version 1, `previous` null), so the inference handler sees a device it has no history for — exactly what a cold
 * Lambda instance sees (its feature history is per instance, tasks/infer-occupancy/history.ts), so answers stay
 * within what AWS can give; only `get` on an evicted thing answers 404 where AWS would still hold the document.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface ShadowState {
  desired?: JsonObject;
  reported?: JsonObject;
}

interface Shadow {
  state: ShadowState;
  metadata: ShadowState;
  version: number;
}

/** AWS IoT limits for a classic shadow update request. */
export const SHADOW_MAX_REQUEST_BYTES = 8 * 1024;

export interface ShadowDocumentSnapshot {
  readonly state: ShadowState;
  readonly metadata: ShadowState;
  readonly version: number;
}

export interface ShadowServiceStats {
  updates: number;
  rejected: number;
  /** Shadows dropped by the count or idle bound. */
  evicted: number;
}

/** Defaults sized from bench/serve-memory.ts (README, "occupancy serve": memory bounds). */
export const DEFAULT_MAX_SHADOWS = 10_000;
export const DEFAULT_SHADOW_IDLE_MS = 60 * 60 * 1000;

export interface ShadowLimits {
  /** @default DEFAULT_MAX_SHADOWS */
  readonly maxShadows?: number;
  /** @default DEFAULT_SHADOW_IDLE_MS */
  readonly idleMs?: number;
}

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const clone = <T>(value: T): T => structuredClone(value);

/** Merges `patch` into `target` in place; returns the metadata of what the patch touched. */
function merge(target: JsonObject, metadata: JsonObject, patch: JsonObject, timestamp: number): JsonObject {
  const touched: JsonObject = {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
      delete metadata[key];
      touched[key] = { timestamp };
    } else if (isObject(value)) {
      const existing = target[key];
      const child = isObject(existing) ? existing : {};
      const childMeta = isObject(metadata[key]) ? (metadata[key] as JsonObject) : {};
      target[key] = child;
      metadata[key] = childMeta;
      touched[key] = merge(child, childMeta, value, timestamp);
    } else {
      target[key] = value;
      metadata[key] = Array.isArray(value) ? value.map(() => ({ timestamp })) : { timestamp };
      touched[key] = metadata[key] as Json;
    }
  }
  return touched;
}

/** Keys of `desired` whose value differs from `reported` (recursively for objects). */
function deltaOf(desired: JsonObject, reported: JsonObject | undefined): JsonObject {
  const delta: JsonObject = {};
  for (const [key, value] of Object.entries(desired)) {
    const other = reported?.[key];
    if (isObject(value) && isObject(other)) {
      const inner = deltaOf(value, other);
      if (Object.keys(inner).length > 0) delta[key] = inner;
    } else if (JSON.stringify(value) !== JSON.stringify(other)) {
      delta[key] = value;
    }
  }
  return delta;
}

function pickMetadata(metadata: JsonObject | undefined, shape: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(shape)) {
    const meta = metadata?.[key];
    if (meta === undefined) continue;
    out[key] = isObject(value) && isObject(meta) ? pickMetadata(meta, value) : meta;
  }
  return out;
}

export class ShadowService {
  /** Least recently used first: touching a shadow moves it to the end. */
  private readonly shadows: BoundedLru<string, { readonly shadow: Shadow; readonly lastUsed: number }>;
  private unsubscribers: (() => Promise<void>)[] = [];
  private readonly sweeper: NodeJS.Timeout;
  readonly stats: ShadowServiceStats = { updates: 0, rejected: 0, evicted: 0 };
  readonly maxShadows: number;
  readonly idleMs: number;

  private constructor(
    private readonly broker: LocalBroker,
    private readonly clock: () => number,
    limits: ShadowLimits,
  ) {
    this.maxShadows = limits.maxShadows ?? DEFAULT_MAX_SHADOWS;
    this.idleMs = limits.idleMs ?? DEFAULT_SHADOW_IDLE_MS;
    this.shadows = new BoundedLru(this.maxShadows, 'maxShadows', () => {
      this.stats.evicted++;
    });
    if (!(this.idleMs > 0)) throw new RangeError(`idleMs must be > 0, got ${this.idleMs}`);
    this.sweeper = setInterval(() => this.evictIdle(), Math.min(60_000, Math.max(10, this.idleMs / 4)));
    this.sweeper.unref();
  }

  static async start(
    broker: LocalBroker,
    clock: () => number = Date.now,
    limits: ShadowLimits = {},
  ): Promise<ShadowService> {
    const service = new ShadowService(broker, clock, limits);
    service.unsubscribers = await Promise.all([
      broker.subscribe('$aws/things/+/shadow/update', (topic, payload) => service.onUpdate(topic, payload)),
      broker.subscribe('$aws/things/+/shadow/get', (topic) => service.onGet(topic)),
    ]);
    return service;
  }

  /** Shadows held now (≤ maxShadows). */
  get size(): number {
    return this.shadows.size;
  }

  /** Drops the shadows not used for `idleMs` (the sweeper calls this; tests may too). */
  evictIdle(): void {
    const cutoff = this.clock() - this.idleMs;
    for (const [thingName, entry] of this.shadows) {
      if (entry.lastUsed > cutoff) break;
      this.shadows.evict(thingName, entry);
    }
  }

  /** Marks a shadow used (most recent) and applies the count bound. */
  private touch(thingName: string, shadow: Shadow): void {
    this.shadows.set(thingName, { shadow, lastUsed: this.clock() });
  }

  /** The current document of a thing (a copy), or undefined before its first update. */
  document(thingName: string): ShadowDocumentSnapshot | undefined {
    const shadow = this.shadows.get(thingName)?.shadow;
    return shadow === undefined ? undefined : clone(shadow);
  }

  /** Every thing with a shadow, with its current document (copies). */
  documents(): { thingName: string; document: ShadowDocumentSnapshot }[] {
    return [...this.shadows].map(([thingName, { shadow }]) => ({ thingName, document: clone(shadow) }));
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all(this.unsubscribers.map((u) => u()));
    this.unsubscribers = [];
  }

  /**
   * Applies an update request and returns the messages AWS would publish (topic → payload), in publish order.
   * Exposed for tests: the broker path calls the same function.
   */
  applyUpdate(thingName: string, payload: Buffer | string): { topic: string; message: JsonObject }[] {
    const base = `$aws/things/${thingName}/shadow/update`;
    const timestamp = Math.floor(this.clock() / 1000);
    const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
    let request: unknown;
    const reject = (code: number, message: string, clientToken?: Json) => {
      this.stats.rejected++;
      const body: JsonObject = { code, message, timestamp };
      if (typeof clientToken === 'string') body.clientToken = clientToken;
      return [{ topic: `${base}/rejected`, message: body }];
    };
    if (bytes > SHADOW_MAX_REQUEST_BYTES) return reject(413, 'The payload exceeds the maximum size allowed');
    try {
      request = JSON.parse(payload.toString());
    } catch {
      return reject(400, 'Payload contains invalid json');
    }
    if (!isObject(request)) return reject(400, 'Payload contains invalid json');
    const clientToken = request.clientToken;
    const state = request.state;
    if (!isObject(state)) return reject(400, 'Missing required node: state', clientToken);
    for (const section of ['desired', 'reported'] as const) {
      const value = state[section];
      if (value !== undefined && value !== null && !isObject(value)) {
        return reject(400, `Invalid JSON type for state.${section}: expected an object`, clientToken);
      }
    }
    const existing = this.shadows.get(thingName)?.shadow;
    if (request.version !== undefined && request.version !== (existing?.version ?? 0)) {
      return reject(409, 'Version conflict', clientToken);
    }

    const previous: Shadow | undefined = existing === undefined ? undefined : clone(existing);
    const shadow: Shadow = existing ?? { state: {}, metadata: {}, version: 0 };
    const touchedMetadata: ShadowState = {};
    for (const section of ['desired', 'reported'] as const) {
      const patch = state[section];
      if (patch === undefined) continue;
      if (patch === null) {
        delete shadow.state[section];
        delete shadow.metadata[section];
        continue;
      }
      const target = shadow.state[section] ?? {};
      const meta = shadow.metadata[section] ?? {};
      touchedMetadata[section] = merge(target, meta, patch as JsonObject, timestamp);
      shadow.state[section] = target;
      shadow.metadata[section] = meta;
    }
    shadow.version++;
    this.touch(thingName, shadow);
    this.stats.updates++;

    const token: JsonObject = typeof clientToken === 'string' ? { clientToken } : {};
    const snapshot = (s: Shadow): JsonObject => ({
      state: clone(s.state) as JsonObject,
      metadata: clone(s.metadata) as JsonObject,
      version: s.version,
    });
    const messages: { topic: string; message: JsonObject }[] = [
      {
        topic: `${base}/accepted`,
        message: {
          state: clone(state),
          metadata: touchedMetadata as JsonObject,
          version: shadow.version,
          timestamp,
          ...token,
        },
      },
      {
        topic: `${base}/documents`,
        message: {
          previous: previous === undefined ? null : snapshot(previous),
          current: snapshot(shadow),
          timestamp,
          ...token,
        },
      },
    ];
    if (isObject(state.desired) && shadow.state.desired !== undefined) {
      const delta = deltaOf(shadow.state.desired, shadow.state.reported);
      if (Object.keys(delta).length > 0) {
        messages.push({
          topic: `${base}/delta`,
          message: {
            version: shadow.version,
            timestamp,
            state: delta,
            metadata: pickMetadata(shadow.metadata.desired, delta),
            ...token,
          },
        });
      }
    }
    return messages;
  }

  private onUpdate(topic: string, payload: Buffer): void {
    const thingName = thingNameOfShadowTopic(topic);
    if (thingName === undefined) return;
    for (const { topic: out, message } of this.applyUpdate(thingName, payload)) {
      this.broker.publish(out, JSON.stringify(message)).catch(() => {
        // A publish only fails while the broker closes; nobody is listening any more.
      });
    }
  }

  private onGet(topic: string): void {
    const thingName = thingNameOfShadowTopic(topic);
    if (thingName === undefined) return;
    const base = `$aws/things/${thingName}/shadow/get`;
    const shadow = this.shadows.get(thingName)?.shadow;
    if (shadow !== undefined) this.touch(thingName, shadow);
    const timestamp = Math.floor(this.clock() / 1000);
    const message =
      shadow === undefined
        ? { topic: `${base}/rejected`, body: { code: 404, message: `No shadow exists with name: '${thingName}'` } }
        : {
            topic: `${base}/accepted`,
            body: {
              state: {
                ...clone(shadow.state),
                ...(shadow.state.desired ? { delta: deltaOf(shadow.state.desired, shadow.state.reported) } : {}),
              },
              metadata: clone(shadow.metadata),
              version: shadow.version,
              timestamp,
            },
          };
    this.broker.publish(message.topic, JSON.stringify(message.body)).catch(() => {});
  }
}
