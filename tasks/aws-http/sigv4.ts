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

/**
 * Signs requests of one service in one region. The derived signing key changes once a day and is kept, so a
 * warm Lambda spends two SHA-256 and one HMAC per request.
 */
export class SigV4Signer {
  private cachedKey: { day: string; secret: string; key: crypto.KeyObject } | undefined;
  /** Requests within one second share their timestamp string. */
  private cachedDate: { second: number; text: string } | undefined;

  constructor(private readonly scope: SigningScope) {}

  /** The request's headers plus host, x-amz-date, x-amz-content-sha256, x-amz-security-token and authorization. */
  sign(request: SignableRequest, at: Date): Record<string, string> {
    const { service, region, credentials } = this.scope;
    const second = Math.floor(at.getTime() / 1000);
    if (this.cachedDate?.second !== second) this.cachedDate = { second, text: amzDate(at) };
    const timestamp = this.cachedDate.text;
    const day = timestamp.slice(0, 8);
    const payloadHash = sha256Hex(request.body);
    const headers: Record<string, string> = {
      ...request.headers,
      host: request.host,
      'x-amz-date': timestamp,
      'x-amz-content-sha256': payloadHash,
    };
    if (credentials.sessionToken !== undefined) headers['x-amz-security-token'] = credentials.sessionToken;

    const signable: [string, string][] = [];
    for (const name in headers) {
      const lower = name.toLowerCase();
      if (!UNSIGNED_HEADERS.has(lower)) signable.push([lower, headers[name] ?? '']);
    }
    signable.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let canonicalHeaders = '';
    for (const [name, value] of signable) {
      const trimmed = value.trim();
      canonicalHeaders += `${name}:${INNER_WHITESPACE_RUN.test(trimmed) ? trimmed.replace(/\s+/g, ' ') : trimmed}\n`;
    }
    const signedHeaders = signable.map(([name]) => name).join(';');
    const canonicalRequest = [
      request.method,
      canonicalPath(request.path),
      canonicalQuery(request.query),
      canonicalHeaders,
      signedHeaders,
      payloadHash,
    ].join('\n');
    const credentialScope = `${day}/${region}/${service}/aws4_request`;
    const stringToSign = [ALGORITHM, timestamp, credentialScope, sha256Hex(canonicalRequest)].join('\n');
    const signature = crypto.createHmac('sha256', this.signingKey(day)).update(stringToSign).digest('hex');
    headers.authorization =
      `${ALGORITHM} Credential=${credentials.accessKeyId}/${credentialScope}, ` +
      `SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return headers;
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
