import * as http from 'node:http';
import * as https from 'node:https';
import { AwsHttpNetworkError, AwsHttpTimeoutError } from './errors';
import { type AwsCredentials, escapeUri, type SigningPlan, SigV4Signer } from './sigv4';

export interface SignedHttpClientOptions {
  /** The service's base URL, e.g. `https://runtime.sagemaker.eu-west-1.amazonaws.com` or a loopback host. */
  readonly url: string;
  /** SigV4 signing name (`sagemaker`, `iotdata`). */
  readonly service: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** Concurrent connections kept to the service. @default 50 (the SDK's default) */
  readonly maxSockets?: number;
  /**
   * Close a connection idle this long. @default none: the service closes idle connections, and the rare request
   * on one it just closed fails as a network error the adapters retry; a socket timeout would cost a timer
   * update on every read and write of the hot path.
   */
  readonly idleSocketMs?: number;
  /** A longer answer is abandoned as a network error. @default 32 MiB (InvokeEndpoint answers up to 25 MB) */
  readonly maxResponseBytes?: number;
  /** @default () => new Date() */
  readonly clock?: () => Date;
}

export interface AwsHttpRequest {
  readonly method: 'GET' | 'POST';
  /** Percent-encoded path below the base URL. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /**
   * Lower-case names; content-length, host, x-amz-* and authorization are the client's. Pass the same object for
   * every call of a kind: the client plans its signing once per headers object.
   */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** The whole exchange (connect, send, complete answer) must finish within this. */
  readonly timeoutMs: number;
}

export interface AwsHttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What the service adapters need: one signed request, one complete answer. Tests may bring their own. */
export interface AwsHttpTransport {
  /**
   * Any HTTP status resolves; only a timeout or a failed connection rejects.
   * @throws AwsHttpTimeoutError | AwsHttpNetworkError
   */
  send(request: AwsHttpRequest): Promise<AwsHttpResponse>;
}

const EMPTY_BODY = new Uint8Array();
const NO_HEADERS: Readonly<Record<string, string>> = {};

/**
 * SigV4-signed HTTP(S) over kept-alive connections: the two calls of the inference hot path without the SDK's
 * per-call middleware stack, which costs about 3 times this client's CPU per InvokeEndpoint on Node 20
 * (bench/inference.ts, `invoke_cpu_us`). Outgoing calls still appear in X-Ray: Powertools Tracer captures http(s).
 */
export class SignedHttpClient implements AwsHttpTransport {
  private readonly base: URL;
  private readonly transport: typeof http | typeof https;
  private readonly agent: http.Agent;
  private readonly signer: SigV4Signer;
  private readonly clock: () => Date;
  /** The base URL's path (a local host may be mounted below `/`), prefixed to every request path. */
  private readonly pathPrefix: string;
  private readonly maxResponseBytes: number;
  /** Signing plans per method and headers object (adapters pass one constant object per kind of call). */
  private readonly plans = new WeakMap<Readonly<Record<string, string>>, Map<string, SigningPlan>>();

  constructor(options: SignedHttpClientOptions) {
    this.base = new URL(options.url);
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:') {
      throw new TypeError(`SignedHttpClient url must be http(s), got ${options.url}`);
    }
    this.transport = this.base.protocol === 'https:' ? https : http;
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets ?? 50,
      ...(options.idleSocketMs === undefined ? {} : { timeout: options.idleSocketMs }),
    };
    this.agent = this.base.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.signer = new SigV4Signer({
      service: options.service,
      region: options.region,
      credentials: options.credentials,
    });
    this.clock = options.clock ?? (() => new Date());
    this.pathPrefix = this.base.pathname.replace(/\/+$/, '');
    this.maxResponseBytes = options.maxResponseBytes ?? 32 * 1024 * 1024;
  }

  send(request: AwsHttpRequest): Promise<AwsHttpResponse> {
    const body = request.body ?? EMPTY_BODY;
    const path = `${this.pathPrefix}${request.path}`;
    const plan = this.planOf(request.method, request.headers ?? NO_HEADERS);
    const headers = this.signer.signPlanned(plan, path, request.query, body, this.clock());
    const search =
      request.query === undefined
        ? ''
        : `?${Object.entries(request.query)
            .map(([key, value]) => `${escapeUri(key)}=${escapeUri(value)}`)
            .join('&')}`;
    return new Promise<AwsHttpResponse>((resolve, reject) => {
      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const req = this.transport.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          method: request.method,
          path: `${path}${search}`,
          headers,
          agent: this.agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= this.maxResponseBytes) chunks.push(chunk);
            else req.destroy(new Error(`answer larger than ${this.maxResponseBytes} bytes`));
          });
          res.on('end', () =>
            finish(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })),
          );
          res.on('error', (error) => finish(() => reject(this.networkError(error))));
        },
      );
      const timer = setTimeout(() => {
        const error = new AwsHttpTimeoutError(
          `${request.method} ${this.base.host}${path}: no answer within ${request.timeoutMs} ms`,
          request.timeoutMs,
        );
        finish(() => reject(error));
        req.destroy(error);
      }, request.timeoutMs);
      req.on('error', (error) => finish(() => reject(this.networkError(error))));
      req.end(body);
    });
  }

  private planOf(method: string, headers: Readonly<Record<string, string>>): SigningPlan {
    let byMethod = this.plans.get(headers);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.plans.set(headers, byMethod);
    }
    let plan = byMethod.get(method);
    if (plan === undefined) {
      plan = this.signer.plan(method, this.base.host, headers, true);
      byMethod.set(method, plan);
    }
    return plan;
  }

  private networkError(error: unknown): AwsHttpNetworkError {
    const reason = error instanceof Error ? error.message : String(error);
    return new AwsHttpNetworkError(`${this.base.host}: ${reason}`, { cause: error });
  }

  /** Closes the kept-alive connections. */
  destroy(): void {
    this.agent.destroy();
  }
}
