import { Http1ProtocolError, type Http1Response, Http1ResponseReader } from '../../tasks/aws-http';

const MAX = 1024;

/** Feeds `wire` in the given pieces; returns the response (completing at the end of the connection if asked). */
function read(pieces: readonly string[], options: { close?: boolean; max?: number } = {}): Http1Response | undefined {
  const reader = new Http1ResponseReader(options.max ?? MAX);
  let response: Http1Response | undefined;
  for (const piece of pieces) response = reader.push(Buffer.from(piece, 'latin1')) ?? response;
  return options.close ? reader.end() : response;
}

/** Every way of cutting `wire` in two, and byte by byte. */
function splits(wire: string): string[][] {
  const cuts = Array.from({ length: wire.length - 1 }, (_, i) => [wire.slice(0, i + 1), wire.slice(i + 1)]);
  return [...cuts, [...wire]];
}

const LENGTH =
  'HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 6\r\nX-Amzn-Invoked-Production-Variant: blue\r\n\r\n1,0.9\n';
const CHUNKED =
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;ext="a b"\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: t\r\n\r\n';
const UNTIL_CLOSE = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it';

describe('Http1ResponseReader', () => {
  it('reads a Content-Length answer: status, lower-case headers, body, keep-alive', () => {
    const response = read([LENGTH]);
    expect(response).toEqual({
      status: 200,
      headers: { 'content-type': 'text/csv', 'content-length': '6', 'x-amzn-invoked-production-variant': 'blue' },
      body: Buffer.from('1,0.9\n'),
      keepAlive: true,
    });
  });

  it.each([
    ['Content-Length', LENGTH, '1,0.9\n', false],
    ['chunked (extensions, trailers)', CHUNKED, 'Wikipedia in\r\n\r\nchunks.', false],
    ['until close', UNTIL_CLOSE, 'all of it', true],
  ])('reads a %s answer the same however the connection cuts it', (_kind, wire, body, close) => {
    for (const pieces of splits(wire)) {
      const response = read(pieces, { close });
      expect(response?.body.toString('latin1')).toBe(body);
      expect(response?.status).toBe(200);
    }
  });

  it('answers only when the whole answer is in, and completes an unframed body at the end of the connection', () => {
    const reader = new Http1ResponseReader(MAX);
    expect(reader.push(Buffer.from(LENGTH.slice(0, -1)))).toBeUndefined();
    expect(reader.push(Buffer.from('\n'))?.body.toString()).toBe('1,0.9\n');
    const unframed = new Http1ResponseReader(MAX);
    expect(unframed.push(Buffer.from(UNTIL_CLOSE))).toBeUndefined();
    expect(unframed.end()).toMatchObject({ body: Buffer.from('all of it'), keepAlive: false });
  });

  it.each([
    ['HTTP/1.1 with connection: close', 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', false],
    [
      'HTTP/1.1, close among tokens',
      'HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length: 0\r\n\r\n',
      false,
    ],
    ['HTTP/1.1 by default', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', true],
    ['HTTP/1.0 by default', 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.0 with keep-alive', 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n', true],
    ['a body ended by the connection', 'HTTP/1.1 200 OK\r\n\r\n', false],
  ])('reads whether the connection may be reused: %s', (_case, wire, keepAlive) => {
    const reader = new Http1ResponseReader(MAX);
    const response = reader.push(Buffer.from(wire)) ?? reader.end();
    expect(response.keepAlive).toBe(keepAlive);
  });

  it('knows 204 and 304 have no body, skips interim 1xx heads, and joins repeated headers', () => {
    expect(read(['HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n'])).toMatchObject({ status: 204, body: Buffer.alloc(0) });
    expect(read(['HTTP/1.1 304 Not Modified\r\n\r\n'])?.status).toBe(304);
    const afterContinue = read(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early\r\nLink: x\r\n\r\n', LENGTH]);
    expect(afterContinue).toMatchObject({ status: 200, body: Buffer.from('1,0.9\n') });
    expect(afterContinue?.headers.link).toBeUndefined();
    const repeated = read(['HTTP/1.1 200 OK\r\nVia: a\r\nvia:  b \r\nContent-Length: 2, 2\r\n\r\nok']);
    expect(repeated?.headers).toMatchObject({ via: 'a, b', 'content-length': '2, 2' });
    expect(repeated?.body.toString()).toBe('ok');
  });

  it('answers what was framed but refuses to reuse a connection that sent more', () => {
    const reader = new Http1ResponseReader(MAX);
    const response = reader.push(Buffer.from(`${LENGTH}HTTP/1.1 200 OK\r\n`));
    expect(response).toMatchObject({ status: 200, keepAlive: false, body: Buffer.from('1,0.9\n') });
    expect(() => reader.push(Buffer.from('x'))).toThrow(/after the end of the answer/);
  });

  it.each([
    ['a status line that is not HTTP/1.x', ['HTTP/2 200\r\n\r\n'], /bad status line "HTTP\/2 200"/],
    ['garbage', ['SSH-2.0-OpenSSH\r\n\r\n'], /bad status line/],
    ['a header line without a name', ['HTTP/1.1 200 OK\r\n: v\r\n\r\n'], /bad header line/],
    ['a header name with a space', ['HTTP/1.1 200 OK\r\nBad Name: v\r\n\r\n'], /bad header line/],
    ['a protocol switch', ['HTTP/1.1 101 Switching Protocols\r\n\r\n'], /protocol switch/],
    ['a non-numeric length', ['HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n'], /bad content-length "1e3"/],
    ['lengths that disagree', ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n'], /"2, 3"/],
    ['a bad chunk size', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'], /bad chunk size "zz"/],
    ['a chunk without its CRLF', ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX'], /CRLF/],
    [
      'a chunk-size line over 1 KiB',
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', `1;${'x'.repeat(1100)}`],
      /chunk-size line over 1024 bytes/,
    ],
    ['a head over 16 KiB', [`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(17 * 1024)}`], /head over 16384 bytes/],
    ['a declared length over the limit', ['HTTP/1.1 200 OK\r\nContent-Length: 1025\r\n\r\n'], /larger than 1024/],
    [
      'chunks adding up over the limit',
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', `400\r\n${'a'.repeat(1024)}\r\n`, '1\r\nb'],
      /larger than 1024 bytes/,
    ],
    ['an unframed body over the limit', ['HTTP/1.1 200 OK\r\n\r\n', 'a'.repeat(1025)], /larger than 1024 bytes/],
  ])('refuses %s with Http1ProtocolError', (_case, pieces, message) => {
    const attempt = () => read(pieces);
    expect(attempt).toThrow(Http1ProtocolError);
    expect(attempt).toThrow(message);
  });

  it.each([
    ['in the head', 'HTTP/1.1 200 OK\r\nContent-'],
    ['in a Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345'],
    ['before the last chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n'],
  ])('fails an answer cut short %s when the connection ends', (_case, wire) => {
    const reader = new Http1ResponseReader(MAX);
    expect(reader.push(Buffer.from(wire))).toBeUndefined();
    expect(() => reader.end()).toThrow(/closed before the answer was complete/);
  });
});
