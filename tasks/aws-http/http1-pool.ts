import * as net from 'node:net';
import * as tls from 'node:tls';
import { Http1ProtocolError, type Http1Response, Http1ResponseReader } from './http1-response';

export interface Http1PoolOptions {
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port: number;
  /** Connections open at once; more requests wait for one to be free. */
  readonly maxSockets: number;
  /** Close a connection idle this long. @default never (the server closes idle connections) */
  readonly idleSocketMs?: number;
  readonly maxResponseBytes: number;
  /** Certificate authorities to trust for https instead of Node's bundled roots (a test's own CA). */
  readonly ca?: string | Buffer;
}

/** No complete answer in time; the connection it was on has been closed. */
export class Http1TimeoutError extends Error {
  constructor() {
    super('no complete answer in time');
    this.name = 'Http1TimeoutError';
  }
}

interface Job {
  readonly head: string;
  readonly body: string | Uint8Array;
  readonly resolve: (response: Http1Response) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
  connection: Connection | undefined;
}

interface Connection {
  readonly socket: net.Socket;
  job: Job | undefined;
  reader: Http1ResponseReader | undefined;
  /** The socket's error, reported when it closes. */
  error: Error | undefined;
}

/**
 * Kept-alive HTTP/1.1 connections to one origin, one request at a time on each: what `http.Agent` +
 * `http.request` do for this client, without the per-request ClientRequest/IncomingMessage streams, which cost
 * about as much CPU again as everything else on the inference hot path (bench/inference.ts, `invoke_cpu_us`).
 */
export class Http1Pool {
  private readonly idle: Connection[] = [];
  private readonly open = new Set<Connection>();
  private readonly queue: Job[] = [];
  private tlsSession: Buffer | undefined;
  private destroyed = false;

  constructor(private readonly options: Http1PoolOptions) {}

  /**
   * Sends `head` (the request line and headers, ASCII, ending in an empty line) and `body` on a free connection
   * and resolves the complete answer. Any status resolves.
   * @throws Http1TimeoutError when the whole exchange (waiting for a connection included) outlasts `timeoutMs`;
   *   Http1ProtocolError for a malformed answer; Node's socket error (with its `code`) when the connection fails
   */
  exchange(head: string, body: string | Uint8Array, timeoutMs: number): Promise<Http1Response> {
    return new Promise<Http1Response>((resolve, reject) => {
      if (this.destroyed) {
        reject(new Error('client destroyed'));
        return;
      }
      const job: Job = { head, body, resolve, reject, timer: undefined, connection: undefined };
      job.timer = setTimeout(() => this.timeOut(job), timeoutMs);
      let free = this.idle.pop();
      // One the server just closed (its 'close' not yet delivered) cannot carry a request.
      while (free !== undefined && !free.socket.writable) free = this.idle.pop();
      if (free !== undefined) this.assign(free, job);
      else if (this.open.size < this.options.maxSockets) this.assign(this.connect(), job);
      else this.queue.push(job);
    });
  }

  /** Closes every connection; requests still waiting fail. */
  destroy(): void {
    this.destroyed = true;
    for (const job of this.queue.splice(0)) this.settle(job, new Error('client destroyed'));
    for (const connection of this.open) connection.socket.destroy();
  }

  private connect(): Connection {
    const { protocol, hostname, port, ca } = this.options;
    const socket =
      protocol === 'https:'
        ? tls.connect({
            host: hostname,
            port,
            // SNI takes a name, never an address.
            ...(net.isIP(hostname) === 0 ? { servername: hostname } : {}),
            ALPNProtocols: ['http/1.1'],
            ...(ca === undefined ? {} : { ca }),
            ...(this.tlsSession === undefined ? {} : { session: this.tlsSession }),
          })
        : net.connect({ host: hostname, port });
    socket.setNoDelay(true);
    const connection: Connection = { socket, job: undefined, reader: undefined, error: undefined };
    this.open.add(connection);
    if (socket instanceof tls.TLSSocket) {
      // Resumed sessions skip a full handshake on the next connection, as https.Agent's session cache does.
      socket.on('session', (session: Buffer) => {
        this.tlsSession = session;
      });
    }
    socket.on('data', (chunk: Buffer) => this.read(connection, chunk));
    socket.on('error', (error: Error) => {
      connection.error = error;
    });
    socket.on('close', () => this.closed(connection));
    if (this.options.idleSocketMs !== undefined) {
      socket.on('timeout', () => {
        if (connection.job === undefined) socket.destroy();
      });
    }
    return connection;
  }

  private assign(connection: Connection, job: Job): void {
    connection.job = job;
    connection.reader = new Http1ResponseReader(this.options.maxResponseBytes);
    job.connection = connection;
    const { socket } = connection;
    // An idle connection does not keep the process alive (as http.Agent's free sockets do not).
    socket.ref();
    if (this.options.idleSocketMs !== undefined) socket.setTimeout(0);
    if (typeof job.body === 'string') {
      // The head is ASCII (SignedHttpClient checks it), so one UTF-8 write carries head and body.
      socket.write(job.head + job.body);
    } else {
      socket.cork();
      socket.write(job.head, 'latin1');
      if (job.body.length > 0) socket.write(job.body);
      socket.uncork();
    }
  }

  private read(connection: Connection, chunk: Buffer): void {
    const { job, reader } = connection;
    if (job === undefined || reader === undefined) {
      // Nothing was asked on this connection: whatever this is, it is not an answer to us.
      connection.socket.destroy();
      return;
    }
    let response: Http1Response | undefined;
    try {
      response = reader.push(chunk);
    } catch (error) {
      connection.error = error as Error;
      connection.socket.destroy();
      return;
    }
    if (response === undefined) return;
    this.detach(connection);
    if (response.keepAlive && !this.destroyed) this.release(connection);
    else connection.socket.destroy();
    this.settle(job, undefined, response);
  }

  private release(connection: Connection): void {
    const next = this.queue.shift();
    if (next !== undefined) {
      this.assign(connection, next);
      return;
    }
    connection.socket.unref();
    if (this.options.idleSocketMs !== undefined) connection.socket.setTimeout(this.options.idleSocketMs);
    this.idle.push(connection);
  }

  private closed(connection: Connection): void {
    this.open.delete(connection);
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
    const { job, reader } = connection;
    this.detach(connection);
    if (job !== undefined) {
      let response: Http1Response | undefined;
      let failure = connection.error;
      if (failure === undefined && reader !== undefined) {
        try {
          response = reader.end();
        } catch (error) {
          failure = error as Error;
        }
      }
      this.settle(job, failure, response);
    }
    // A request waiting for a free connection gets a new one in place of this.
    const waiting = this.destroyed ? undefined : this.queue.shift();
    if (waiting !== undefined) this.assign(this.connect(), waiting);
  }

  private detach(connection: Connection): void {
    if (connection.job !== undefined) connection.job.connection = undefined;
    connection.job = undefined;
    connection.reader = undefined;
  }

  private timeOut(job: Job): void {
    job.timer = undefined;
    const connection = job.connection;
    if (connection !== undefined) {
      // Its answer may still arrive: the connection cannot carry another request.
      this.detach(connection);
      connection.socket.destroy();
    } else {
      const at = this.queue.indexOf(job);
      if (at >= 0) this.queue.splice(at, 1);
    }
    job.reject(new Http1TimeoutError());
  }

  private settle(job: Job, error: Error | undefined, response?: Http1Response): void {
    if (job.timer === undefined) return;
    clearTimeout(job.timer);
    job.timer = undefined;
    if (response !== undefined) job.resolve(response);
    else job.reject(error ?? new Http1ProtocolError('connection closed before the answer was complete'));
  }
}
