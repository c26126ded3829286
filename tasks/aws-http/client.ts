import { AwsHttpNetworkError, AwsHttpTimeoutError } from './errors';
import { Http1Pool, Http1TimeoutError } from './http1-pool';
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
  /** Certificate authorities trusted for https instead of Node's bundled roots (a test's own CA). @default none */
  readonly ca?: string | Buffer;
  /**
   * Called as each exchange starts; the function it returns, as it ends. The Lambda records X-Ray subsegments with
   * it: the calls bypass node:http, where the Tracer's automatic capture would see them. @default none
   */
  readonly onExchange?: (call: ExchangeStart) => (outcome: ExchangeOutcome) => void;
}

export interface ExchangeStart {
  readonly method: string;
  /** `host[:port]` of the service. */
  readonly host: string;
  /** The path sent, query included. */
  readonly path: string;
  /** The whole URL called (`https://host/path?query`). */
  readonly url: string;
}

/** The answer's status, or the failure (AwsHttpTimeoutError | AwsHttpNetworkError). */
export type ExchangeOutcome = { readonly status: number } | { readonly error: Error };

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
  /** Lower-case names; a repeated header's values joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
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
/** What may appear in a request line's target or a header value we write: visible ASCII (and space, in values). */
const UNSAFE_TARGET = /[^\x21-\x7e]/;
const UNSAFE_VALUE = /[^\x20-\x7e]/;

/**
 * SigV4-signed HTTP(S)/1.1 over kept-alive connections: the two calls of the inference hot path without the SDK's
 * per-call middleware stack (4–6 times this client's CPU per InvokeEndpoint on Node 20) and without node:http's
 * per-request streams (bench/inference.ts, `invoke_cpu_us`). The wire format is plain HTTP/1.1 (Http1Pool).
 */
export class SignedHttpClient implements AwsHttpTransport {
  private readonly base: URL;
  private readonly pool: Http1Pool;
  private readonly signer: SigV4Signer;
  private readonly clock: () => Date;
  /** The base URL's path (a local host may be mounted below `/`), prefixed to every request path. */
  private readonly pathPrefix: string;
  private readonly onExchange: SignedHttpClientOptions['onExchange'];
  /** Signing plans per method and headers object (adapters pass one constant object per kind of call). */
  private readonly plans = new WeakMap<Readonly<Record<string, string>>, Map<string, SigningPlan>>();

  constructor(options: SignedHttpClientOptions) {
    this.base = new URL(options.url);
    const protocol = this.base.protocol;
    if (protocol !== 'https:' && protocol !== 'http:') {
      throw new TypeError(`SignedHttpClient url must be http(s), got ${options.url}`);
    }
    this.pool = new Http1Pool({
      protocol,
      // `[::1]` in a URL is `::1` to connect to.
      hostname: this.base.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: this.base.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(this.base.port),
      maxSockets: options.maxSockets ?? 50,
      maxResponseBytes: options.maxResponseBytes ?? 32 * 1024 * 1024,
      ...(options.idleSocketMs === undefined ? {} : { idleSocketMs: options.idleSocketMs }),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    });
    this.signer = new SigV4Signer({
      service: options.service,
      region: options.region,
      credentials: options.credentials,
    });
    this.clock = options.clock ?? (() => new Date());
    this.pathPrefix = this.base.pathname.replace(/\/+$/, '');
    this.onExchange = options.onExchange;
  }

  send(request: AwsHttpRequest): Promise<AwsHttpResponse> {
    const body = request.body ?? EMPTY_BODY;
    const path = `${this.pathPrefix}${request.path}`;
    if (UNSAFE_TARGET.test(path)) throw new TypeError(`request path must be percent-encoded ASCII: ${path}`);
    const plan = this.planOf(request.method, request.headers ?? NO_HEADERS);
    const headers = this.signer.signPlanned(plan, path, request.query, body, this.clock());
    const target =
      request.query === undefined
        ? path
        : `${path}?${Object.entries(request.query)
            .map(([key, value]) => `${escapeUri(key)}=${escapeUri(value)}`)
            .join('&')}`;
    let head = `${request.method} ${target} HTTP/1.1\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    head += '\r\n';
    const ended = this.onExchange?.({
      method: request.method,
      host: this.base.host,
      path: target,
      url: `${this.base.protocol}//${this.base.host}${target}`,
    });
    return this.pool.exchange(head, body, request.timeoutMs).then(
      (response) => {
        ended?.({ status: response.status });
        return response;
      },
      (cause: unknown) => {
        const error =
          cause instanceof Http1TimeoutError
            ? new AwsHttpTimeoutError(
                `${request.method} ${this.base.host}${path}: no answer within ${request.timeoutMs} ms`,
                request.timeoutMs,
              )
            : this.networkError(cause);
        ended?.({ error });
        throw error;
      },
    );
  }

  private planOf(method: string, headers: Readonly<Record<string, string>>): SigningPlan {
    let byMethod = this.plans.get(headers);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.plans.set(headers, byMethod);
    }
    let plan = byMethod.get(method);
    if (plan === undefined) {
      for (const [name, value] of Object.entries(headers)) {
        // What is written on the wire as is must not be able to end the header or start another.
        if (UNSAFE_TARGET.test(name) || name.includes(':') || UNSAFE_VALUE.test(value)) {
          throw new TypeError(`header ${JSON.stringify(name)} must be visible ASCII without a line break`);
        }
      }
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
    this.pool.destroy();
  }
}
