import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AwsContractError, assertHttpRequest } from '../aws-contract';
import { listen } from '../http';
import type { LocalBroker } from './broker';
import type { ShadowService } from './shadow-service';

/**
 * The IoT data plane's HTTPS API on loopback, so the inference handler uses the real `@aws-sdk/client-iot-data-plane`
 * client (with an `endpoint` override) locally: `POST /topics/{topic}?qos=` (Publish) → the local broker,
 * `GET /things/{thing}/shadow` (GetThingShadow) → the shadow service.
 */

export interface DataPlaneServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** IoT Core's limit for a Publish payload. */
const MAX_PUBLISH_BYTES = 128 * 1024;

function sendJson(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...(errorType === undefined ? {} : { 'x-amzn-ErrorType': errorType }),
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_PUBLISH_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_PUBLISH_BYTES ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function contractHolds(
  res: ServerResponse,
  operation: 'publish' | 'getThingShadow',
  labels: Record<string, string>,
  url: URL,
  req: IncomingMessage,
  body: Buffer | 'too-large',
): boolean {
  try {
    assertHttpRequest('iot-data-plane', operation, {
      labels,
      query: url.searchParams,
      headers: req.headers,
      body: body === 'too-large' ? new Uint8Array() : body,
    });
    return true;
  } catch (error) {
    if (!(error instanceof AwsContractError)) throw error;
    sendJson(res, error.statusCode, { message: error.message }, error.code);
    return false;
  }
}

async function route(
  broker: LocalBroker,
  shadows: ShadowService | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const body = await readBody(req);
  const publish = /^\/topics\/([^/]*)$/.exec(url.pathname);
  if (publish && req.method === 'POST') {
    if (body === 'too-large') {
      sendJson(res, 413, { message: `Payload exceeds ${MAX_PUBLISH_BYTES} bytes` }, 'RequestEntityTooLargeException');
      return;
    }
    const topic = decodeURIComponent(publish[1] ?? '');
    // The request as the SDK's model binds it (label, query, headers, payload), refused as IoT refuses it.
    if (!contractHolds(res, 'publish', { topic }, url, req, body)) return;
    if (topic === '' || topic.includes('+') || topic.includes('#')) {
      sendJson(res, 400, { message: `Invalid topic "${topic}"` }, 'InvalidRequestException');
      return;
    }
    await broker.publish(topic, body);
    sendJson(res, 200, {});
    return;
  }
  const shadow = /^\/things\/([^/]*)\/shadow$/.exec(url.pathname);
  if (shadow && req.method === 'GET' && shadows) {
    const thingName = decodeURIComponent(shadow[1] ?? '');
    if (!contractHolds(res, 'getThingShadow', { thingName }, url, req, body)) return;
    const document = shadows.document(thingName);
    if (document === undefined) {
      sendJson(res, 404, { message: `No shadow exists with name: '${thingName}'` }, 'ResourceNotFoundException');
      return;
    }
    sendJson(res, 200, { ...document, timestamp: Math.floor(Date.now() / 1000) });
    return;
  }
  sendJson(res, 404, { message: `No route for ${req.method} ${url.pathname}` }, 'ResourceNotFoundException');
}

export function startDataPlane(
  broker: LocalBroker,
  shadows?: ShadowService,
  options: { host?: string; port?: number } = {},
): Promise<DataPlaneServer> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    route(broker, shadows, req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { message: `Internal failure: ${String(error)}` }, 'InternalFailureException');
    });
  });
  return listen(server, host, options.port ?? 0);
}
