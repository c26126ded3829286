/**
 * SageMaker Runtime InvokeEndpoint over HTTP on loopback, so the real @aws-sdk/client-sagemaker-runtime client
 * (with an `endpoint` override) talks to LocalHosting: `POST /endpoints/{EndpointName}/invocations`.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { AwsContractError, assertHttpRequest } from '../aws-contract';
import { listen } from '../http';
import { InvokeEndpointError } from './errors';
import type { LocalHosting } from './hosting';

/** SageMaker's InvokeEndpoint payload limit. */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

export interface InvocationServerOptions {
  /** Loopback by default; the local host is not meant to be reachable from the network. */
  readonly host?: string;
  /** 0 (default) picks a free port; read it back from `port`. */
  readonly port?: number;
}

export interface InvocationServer {
  readonly port: number;
  /** Base URL to give the SDK client as `endpoint`. */
  readonly url: string;
  close(): Promise<void>;
}

const INVOCATIONS_PATH = /^\/endpoints\/([^/]*)\/invocations\/?$/;

function sendError(res: ServerResponse, error: InvokeEndpointError): void {
  const body = JSON.stringify({ message: error.message, ...error.details });
  res.writeHead(error.statusCode, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-ErrorType': error.errorType,
  });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function handle(hosting: LocalHosting, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const match = INVOCATIONS_PATH.exec(path);
  if (!match || req.method !== 'POST') {
    await readBody(req);
    sendError(res, new InvokeEndpointError('ValidationError', 404, `No route for ${req.method} ${path}`));
    return;
  }
  const endpointName = decodeURIComponent(match[1] ?? '');
  const body = await readBody(req);
  if (body === 'too-large') {
    sendError(
      res,
      new InvokeEndpointError('ValidationError', 413, `Request payload exceeds the ${MAX_PAYLOAD_BYTES} byte limit.`),
    );
    return;
  }
  try {
    // The request as the SDK's model binds it: EndpointName label, Body payload, header members.
    assertHttpRequest('sagemaker-runtime', 'invokeEndpoint', {
      labels: { EndpointName: endpointName },
      query: new URL(req.url ?? '/', 'http://localhost').searchParams,
      headers: req.headers,
      body,
    });
  } catch (error) {
    if (!(error instanceof AwsContractError)) throw error;
    sendError(res, new InvokeEndpointError('ValidationError', error.statusCode, error.message, {}, { cause: error }));
    return;
  }
  const targetHeader = req.headers['x-amzn-sagemaker-target-variant'];
  const targetVariant = Array.isArray(targetHeader) ? targetHeader[0] : targetHeader;
  const result = hosting.invoke({
    endpointName,
    body: body.toString('utf8'),
    ...(req.headers['content-type'] === undefined ? {} : { contentType: req.headers['content-type'] }),
    ...(targetVariant === undefined ? {} : { targetVariant }),
  });
  res.writeHead(200, {
    'Content-Type': result.contentType,
    'Content-Length': Buffer.byteLength(result.body),
    'x-Amzn-Invoked-Production-Variant': result.invokedProductionVariant,
  });
  res.end(result.body);
}

export function startInvocationServer(
  hosting: LocalHosting,
  options: InvocationServerOptions = {},
): Promise<InvocationServer> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    handle(hosting, req, res).catch((error: unknown) => {
      const failure =
        error instanceof InvokeEndpointError
          ? error
          : new InvokeEndpointError('InternalFailure', 500, `Internal failure: ${(error as Error).message}`);
      if (res.headersSent) res.destroy();
      else sendError(res, failure);
    });
  });
  return listen(server, host, options.port ?? 0);
}
