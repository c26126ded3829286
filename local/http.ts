import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP service bound to one address: its port, base URL, and a close that does not wait for idle sockets. */
export interface ListeningServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on `host:port` (port 0 = any free port) and resolves once bound; rejects on bind errors (port in use). */
export function listen(server: Server, host: string, port = 0): Promise<ListeningServer> {
  // Clients (the SDK, the inference transport, browsers) keep connections alive. Longer than their idle timeout
  // (30 s), so the server never closes a socket a client is about to reuse; close() drops them all anyway.
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { port: bound } = server.address() as AddressInfo;
      resolve({
        port: bound,
        url: `http://${host}:${bound}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
