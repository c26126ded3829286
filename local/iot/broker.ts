import { Module } from 'node:module';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import type { Aedes, AedesPublishPacket } from 'aedes';
import { GuardedConnection, MQTT_MAX_PAYLOAD_BYTES } from './packet-guard';

/**
 * The local MQTT broker: `aedes` on loopback. aedes 1.x is an ES module; this CommonJS project loads it with
 * Node's own `require` (require(esm), Node ≥ 20.19), reached through a `Module` instance so that a test runner's
 * module registry (jest cannot load ESM without flags) is bypassed.
 */
type AedesModule = typeof import('aedes');

export class BrokerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerError';
  }
}

function loadAedes(): AedesModule {
  const entry = require.resolve('aedes');
  try {
    return new Module(entry).require(entry) as AedesModule;
  } catch (error) {
    throw new BrokerError(`Cannot load aedes (an ES module; needs Node >= 20.19 for require(esm)): ${error}`, {
      cause: error,
    });
  }
}

export type MessageHandler = (topic: string, payload: Buffer) => void;

export interface LocalBrokerOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** A larger PUBLISH (or CONNECT/SUBSCRIBE) closes its connection unread. @default AWS IoT's 128 KB */
  readonly maxPayloadBytes?: number;
}

export interface BrokerStats {
  /** Packets refused for their size (each closed its client's connection). */
  oversized: number;
}

export interface LocalBroker {
  readonly port: number;
  /** `mqtt://127.0.0.1:<port>` for mqtt.js clients. */
  readonly url: string;
  /** Publishes as the broker itself (QoS 0), as AWS IoT's own services do. */
  publish(topic: string, payload: string | Buffer): Promise<void>;
  /** In-process subscription (no MQTT connection); resolves to an unsubscribe function. */
  subscribe(filter: string, handler: MessageHandler): Promise<() => Promise<void>>;
  readonly connectedClients: number;
  readonly stats: Readonly<BrokerStats>;
  close(): Promise<void>;
}

export async function startBroker(options: LocalBrokerOptions = {}): Promise<LocalBroker> {
  const { Aedes: AedesClass } = loadAedes();
  const aedes: Aedes = await AedesClass.createBroker({ heartbeatInterval: 60_000 });
  const sockets = new Set<Socket>();
  const stats: BrokerStats = { oversized: 0 };
  const maxPayloadBytes = options.maxPayloadBytes ?? MQTT_MAX_PAYLOAD_BYTES;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(new GuardedConnection(socket, maxPayloadBytes, () => stats.oversized++));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    port,
    url: `mqtt://${host}:${port}`,
    get connectedClients() {
      return aedes.connectedClients;
    },
    stats,
    publish: (topic, payload) =>
      new Promise<void>((resolve, reject) => {
        const packet = {
          cmd: 'publish' as const,
          topic,
          payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
          qos: 0 as const,
          retain: false,
          dup: false,
        };
        aedes.publish(packet, (error?: Error) => (error ? reject(error) : resolve()));
      }),
    subscribe: (filter, handler) =>
      new Promise((resolve) => {
        const deliver = (packet: AedesPublishPacket, done: () => void): void => {
          try {
            const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
            handler(packet.topic, payload);
          } finally {
            done();
          }
        };
        aedes.subscribe(filter, deliver, () =>
          resolve(() => new Promise<void>((done) => aedes.unsubscribe(filter, deliver, () => done()))),
        );
      }),
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
