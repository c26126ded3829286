/**
 * AWS Signature Version 4 for the hot path, the way the SDK's own signer (@smithy/signature-v4) does it for every
 * service but S3: the same canonical request, unsigned headers and double-escaped path, so AWS accepts the
 * requests the SDK would have sent (test/aws-http/sigv4.test.ts compares signatures with the SDK's).
 * Pure: no I/O, the time comes in.
 */
import * as crypto from 'node:crypto';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials (a Lambda's role) come with one. */
  readonly sessionToken?: string | undefined;
}

export interface SigningScope {
  /** The signing name, e.g. `sagemaker` for SageMaker Runtime, `iotdata` for the IoT data plane. */
  readonly service: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
}

export interface SignableRequest {
  readonly method: string;
  /** `host[:port]`, exactly as sent in the Host header. */
  readonly host: string;
  /** The path exactly as sent, already percent-encoded (`/topics/%24aws%2Fthings…`). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
}

/** Headers the SDK leaves out of the signature: hops and proxies may add, drop or rewrite them. */
const UNSIGNED_HEADERS = new Set([
  'authorization',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** Values are signed with whitespace runs folded to one space: needed only where a run or a non-space blank is. */
const INNER_WHITESPACE_RUN = /[^\S ]| {2}/;

/** RFC 3986 escaping as the SDK's `escapeUri`: encodeURIComponent plus `!'()*`. */
export function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

type OneShotHash = (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string;
/** `crypto.hash` (Node ≥ 20.12) skips building a Hash object per call; older runtimes take createHash. */
const oneShot = (crypto as unknown as { hash?: OneShotHash }).hash;
const sha256Hex = (data: string | Uint8Array): string =>
  oneShot ? oneShot('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex');

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** `20261125T215558Z` */
export function amzDate(at: Date): string {
  return (
    `${at.getUTCFullYear()}${pad2(at.getUTCMonth() + 1)}${pad2(at.getUTCDate())}` +
    `T${pad2(at.getUTCHours())}${pad2(at.getUTCMinutes())}${pad2(at.getUTCSeconds())}Z`
  );
}

/** Non-S3 services sign the normalised path escaped once more (so `%2F` in a label is signed as `%252F`). */
function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return escapeUri(`${path.startsWith('/') ? '/' : ''}${segments.join('/')}${trailing}`).replace(/%2F/g, '/');
}

function canonicalQuery(query: Readonly<Record<string, string>> | undefined): string {
  if (query === undefined) return '';
  return Object.keys(query)
    .filter((key) => key.toLowerCase() !== 'x-amz-signature')
    .sort()
    .map((key) => `${escapeUri(key)}=${escapeUri(query[key] ?? '')}`)
    .join('&');
}

/** Header values the signer fills in per request; a plan holds a slot for each. */
enum Slot {
  ContentLength = 0,
  PayloadHash = 1,
  Date = 2,
}

const SLOT_HEADERS: readonly [string, Slot][] = [
  ['x-amz-content-sha256', Slot.PayloadHash],
  ['x-amz-date', Slot.Date],
];

/** Headers the signer owns: a caller's value for one of them would be signed and then overwritten. */
const SIGNER_HEADERS = new Set(['host', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token', 'authorization']);

/**
 * What signing needs of a kind of request that does not change from call to call: the sorted canonical headers
 * with slots for the per-request values, the signed-header list, and the constant headers to send.
 */
export interface SigningPlan {
  readonly method: string;
  /** Canonical header lines in order: constant text, or the slot whose value goes there. */
  readonly canonicalHeaders: readonly (string | Slot)[];
  readonly signedHeaders: string;
  /** `[name, value, …]` sent as they are: the caller's headers, host and the session token. */
  readonly constantHeaders: readonly string[];
}

const canonicalValue = (value: string): string => {
  const trimmed = value.trim();
  return INNER_WHITESPACE_RUN.test(trimmed) ? trimmed.replace(/\s+/g, ' ') : trimmed;
};

/**
 * Signs requests of one service in one region. The derived signing key changes once a day and is kept, and a
 * kind of request is planned once (`plan`), so a warm Lambda spends two SHA-256, one HMAC and a few string joins
 * per request.
 */
export class SigV4Signer {
  private cachedKey: { day: string; secret: string; key: crypto.KeyObject } | undefined;
  /** Requests within one second share their timestamp string. */
  private cachedDate: { second: number; text: string } | undefined;
  /** The last path signed and its canonical form: the endpoint's calls all have one path. */
  private cachedPath: { path: string; canonical: string } | undefined;

  constructor(private readonly scope: SigningScope) {}

  /**
   * Plans the signing of requests with these headers (any case; host, x-amz-* and authorization are the signer's).
   * With `contentLength`, content-length is signed per request from the body, and must not be among `headers`.
   */
  plan(method: string, host: string, headers: Readonly<Record<string, string>>, contentLength: boolean): SigningPlan {
    const { sessionToken } = this.scope.credentials;
    const constantHeaders: string[] = [];
    const lines: [string, string | Slot][] = [];
    const add = (name: string, value: string) => {
      constantHeaders.push(name, value);
      const lower = name.toLowerCase();
      if (!UNSIGNED_HEADERS.has(lower)) lines.push([lower, canonicalValue(value)]);
    };
    for (const name in headers) {
      const lower = name.toLowerCase();
      if (SIGNER_HEADERS.has(lower)) continue;
      if (contentLength && lower === 'content-length') {
        throw new TypeError('content-length is signed from the body: leave it out of the planned headers');
      }
      add(name, headers[name] ?? '');
    }
    add('host', host);
    if (sessionToken !== undefined) add('x-amz-security-token', sessionToken);
    lines.push(...SLOT_HEADERS);
    if (contentLength) lines.push(['content-length', Slot.ContentLength]);
    lines.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    // Adjacent constant lines are joined, so a request concatenates a handful of pieces.
    const canonicalHeaders: (string | Slot)[] = [];
    let text = '';
    for (const [name, value] of lines) {
      if (typeof value === 'string') {
        text += `${name}:${value}\n`;
      } else {
        canonicalHeaders.push(`${text}${name}:`, value);
        text = '\n';
      }
    }
    canonicalHeaders.push(text);
    return {
      method,
      canonicalHeaders,
      signedHeaders: lines.map(([name]) => name).join(';'),
      constantHeaders,
    };
  }

  /**
   * The headers of one request of a planned kind, as they are sent: the plan's constant headers, content-length
   * when the plan signs it, x-amz-date, x-amz-content-sha256 and authorization.
   */
  signPlanned(
    plan: SigningPlan,
    path: string,
    query: Readonly<Record<string, string>> | undefined,
    body: string | Uint8Array,
    at: Date,
  ): Record<string, string> {
    const { service, region, credentials } = this.scope;
    const second = Math.floor(at.getTime() / 1000);
    if (this.cachedDate?.second !== second) this.cachedDate = { second, text: amzDate(at) };
    const timestamp = this.cachedDate.text;
    const payloadHash = sha256Hex(body);
    let contentLength: string | undefined;
    if (this.cachedPath?.path !== path) this.cachedPath = { path, canonical: canonicalPath(path) };
    let canonicalRequest = `${plan.method}\n${this.cachedPath.canonical}\n${canonicalQuery(query)}\n`;
    for (const piece of plan.canonicalHeaders) {
      if (typeof piece === 'string') canonicalRequest += piece;
      else if (piece === Slot.PayloadHash) canonicalRequest += payloadHash;
      else if (piece === Slot.Date) canonicalRequest += timestamp;
      else {
        contentLength = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
        canonicalRequest += contentLength;
      }
    }
    canonicalRequest += `\n${plan.signedHeaders}\n${payloadHash}`;
    const day = timestamp.slice(0, 8);
    const credentialScope = `${day}/${region}/${service}/aws4_request`;
    const stringToSign = `${ALGORITHM}\n${timestamp}\n${credentialScope}\n${sha256Hex(canonicalRequest)}`;
    const signature = crypto.createHmac('sha256', this.signingKey(day)).update(stringToSign).digest('hex');

    const headers: Record<string, string> = {};
    for (let i = 0; i < plan.constantHeaders.length; i += 2) {
      headers[plan.constantHeaders[i] as string] = plan.constantHeaders[i + 1] as string;
    }
    if (contentLength !== undefined) headers['content-length'] = contentLength;
    headers['x-amz-date'] = timestamp;
    headers['x-amz-content-sha256'] = payloadHash;
    headers.authorization =
      `${ALGORITHM} Credential=${credentials.accessKeyId}/${credentialScope}, ` +
      `SignedHeaders=${plan.signedHeaders}, Signature=${signature}`;
    return headers;
  }

  /** The request's headers plus host, x-amz-date, x-amz-content-sha256, x-amz-security-token and authorization. */
  sign(request: SignableRequest, at: Date): Record<string, string> {
    const plan = this.plan(request.method, request.host, request.headers, false);
    return this.signPlanned(plan, request.path, request.query, request.body, at);
  }

  private signingKey(day: string): crypto.KeyObject {
    const { service, region, credentials } = this.scope;
    const cached = this.cachedKey;
    if (cached && cached.day === day && cached.secret === credentials.secretAccessKey) return cached.key;
    const hmac = (key: string | Buffer, data: string) => crypto.createHmac('sha256', key).update(data).digest();
    const raw = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), service), 'aws4_request');
    // A KeyObject is imported once; a Buffer key would be imported again by every createHmac.
    const key = crypto.createSecretKey(raw);
    this.cachedKey = { day, secret: credentials.secretAccessKey, key };
    return key;
  }
}
