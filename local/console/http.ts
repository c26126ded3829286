import type { IncomingMessage, ServerResponse } from 'node:http';

/** The console's HTTP plumbing: response helpers with its security headers, and a bounded request body reader. */

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

export function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'Content-Type': type, ...SECURITY_HEADERS, ...headers }).end(body);
}

export const text = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) =>
  send(res, status, 'text/plain; charset=utf-8', `${body}\n`, headers);
export const json = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
export const html = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) =>
  send(res, status, 'text/html; charset=utf-8', body, headers);

/**
 * The decision form is three short fields and a comment of at most 500 characters; percent-encoded UTF-8 can
 * take 12 bytes per character, so 8 KB holds any valid form with room to spare.
 */
export const MAX_FORM_BYTES = 8 * 1024;
/** Past the limit the rest of a body is read and discarded (so the client reads the 413) up to this much more. */
const MAX_DISCARD_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly limit: number) {
    super(`the request body is larger than ${limit} bytes`);
  }
}

/**
 * Reads a request body of at most `limit` bytes, counting bytes as they arrive (a chunked body has no
 * Content-Length). Over the limit the rest is read and discarded before rejecting with BodyTooLargeError, so a
 * client still sending reads the 413 instead of a reset connection; past a further megabyte it rejects at once
 * and the socket is closed once the answer is written. Either way the answer says `Connection: close`.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, limit = MAX_FORM_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = Number(req.headers['content-length']) > limit + MAX_DISCARD_BYTES ? Number.POSITIVE_INFINITY : 0;
    let settled = false;
    const tooLarge = () => {
      settled = true;
      chunks.length = 0;
      res.shouldKeepAlive = false;
      reject(new BodyTooLargeError(limit));
    };
    const abandon = () => {
      tooLarge();
      req.pause();
      // Closed after the answer is flushed, so the 413 is written before the connection goes.
      res.once('finish', () => req.socket.destroy());
    };
    if (received === Number.POSITIVE_INFINITY) return abandon();
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      received += chunk.length;
      if (received > limit + MAX_DISCARD_BYTES) return abandon();
      if (received <= limit) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => {
      if (settled) return;
      if (received > limit) return tooLarge();
      settled = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (error) => {
      if (settled) return;
      settled = true;
      reject(error);
    });
  });
}
