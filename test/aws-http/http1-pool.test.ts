import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import {
  AwsHttpNetworkError,
  AwsHttpTimeoutError,
  type ExchangeOutcome,
  SignedHttpClient,
  type SignedHttpClientOptions,
} from '../../tasks/aws-http';
import { closeServer, listenOnLoopback } from '../loopback';

/** The signed client's own HTTP/1.1 connections against real servers on loopback: framing, reuse, failures. */

const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret' };
const TLS_DIR = join(__dirname, '../fixtures/tls');
const ROOT = resolve(__dirname, '../..');

const signed = (url: string, options: Partial<SignedHttpClientOptions> = {}) =>
  new SignedHttpClient({ url, service: 'sagemaker', region: 'eu-west-1', credentials, ...options });
const post = (client: SignedHttpClient, body = 'x', timeoutMs = 2000) =>
  client.send({ method: 'POST', path: '/endpoints/e/invocations', body, timeoutMs });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SignedHttpClient connections (HTTP/1.1 over loopback)', () => {
  let http: Server;
  let url: string;
  let connections: Socket[] = [];
  let handle: (req: IncomingMessage, res: ServerResponse) => void;

  beforeAll(async () => {
    http = createServer((req, res) => {
      req.resume();
      req.on('end', () => handle(req, res));
    });
    http.keepAliveTimeout = 60_000;
    http.on('connection', (socket: Socket) => connections.push(socket));
    url = `http://127.0.0.1:${await listenOnLoopback(http)}`;
  });
  afterAll(() => closeServer(http));
  beforeEach(() => {
    connections = [];
    handle = (_req, res) => res.end('ok');
  });

  it('reads a chunked answer and keeps its connection for the next call', async () => {
    handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('1,');
      setTimeout(() => res.end('0.93\n'), 5);
    };
    const client = signed(url);
    const first = await post(client);
    const second = await post(client);
    client.destroy();
    expect(first.headers['transfer-encoding']).toBe('chunked');
    expect([first.body.toString(), second.body.toString()]).toEqual(['1,0.93\n', '1,0.93\n']);
    expect(connections).toHaveLength(1);
  });

  it('opens a new connection after an answer that closes its own', async () => {
    handle = (_req, res) => {
      res.setHeader('connection', 'close');
      res.end('bye');
    };
    const client = signed(url);
    const bodies = [(await post(client)).body.toString(), (await post(client)).body.toString()];
    client.destroy();
    expect(bodies).toEqual(['bye', 'bye']);
    expect(connections).toHaveLength(2);
  });

  it('runs at most maxSockets calls at once and queues the rest, all answered', async () => {
    let inFlight = 0;
    let most = 0;
    handle = (_req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end('ok');
      }, 20);
    };
    const client = signed(url, { maxSockets: 2 });
    const answers = await Promise.all(Array.from({ length: 7 }, (_, i) => post(client, String(i))));
    client.destroy();
    expect(answers.map((a) => a.status)).toEqual(Array(7).fill(200));
    expect(most).toBe(2);
    expect(connections).toHaveLength(2);
  });

  it('drops an idle connection the server closed and carries on with a new one', async () => {
    const client = signed(url);
    await post(client);
    for (const socket of connections) socket.destroy();
    await sleep(50);
    expect((await post(client)).status).toBe(200);
    client.destroy();
    expect(connections).toHaveLength(2);
  });

  it('times out a call waiting for a connection, and the next call still gets one', async () => {
    const hanging: ServerResponse[] = [];
    handle = (_req, res) => hanging.push(res);
    const client = signed(url, { maxSockets: 1 });
    const busy = post(client, 'a', 300);
    const queued = post(client, 'b', 100);
    await expect(queued).rejects.toBeInstanceOf(AwsHttpTimeoutError);
    await expect(busy).rejects.toMatchObject({ name: 'TimeoutError', timeoutMs: 300 });
    // The timed-out call's connection is closed by the client (the server never answers on it), so there is
    // room for a new one.
    handle = (_req, res) => res.end('back');
    expect((await post(client)).body.toString()).toBe('back');
    client.destroy();
    for (const res of hanging) res.destroy();
  });

  it('closes connections idle for idleSocketMs', async () => {
    const client = signed(url, { idleSocketMs: 50 });
    await post(client);
    const [socket] = connections;
    const closed = new Promise<boolean>((r) => socket?.once('close', r));
    // Closed by the client, not by an error, while the server's own keep-alive timeout is a minute.
    await expect(closed).resolves.toBe(false);
    client.destroy();
  });

  it('reports each exchange to onExchange: its start, then the status or the failure', async () => {
    const seen: (ExchangeOutcome & { path: string })[] = [];
    const client = signed(`${url}/base`, {
      onExchange: (call) => (outcome) => {
        expect(call.url).toBe(`http://${call.host}${call.path}`);
        seen.push({ path: `${call.method} ${call.host}${call.path}`, ...outcome });
      },
    });
    handle = (_req, res) => res.writeHead(429).end();
    await client.send({ method: 'GET', path: '/a', query: { q: '1 2' }, timeoutMs: 1000 });
    handle = () => {};
    await expect(post(client, 'x', 50)).rejects.toBeInstanceOf(AwsHttpTimeoutError);
    client.destroy();
    expect(seen).toEqual([
      { path: `GET ${new URL(url).host}/base/a?q=1%202`, status: 429 },
      { path: `POST ${new URL(url).host}/base/endpoints/e/invocations`, error: expect.any(AwsHttpTimeoutError) },
    ]);
  });

  it('refuses a path or header that could break the request head', async () => {
    const client = signed(url);
    expect(() => client.send({ method: 'GET', path: '/a b', timeoutMs: 100 })).toThrow(/percent-encoded/);
    expect(() =>
      client.send({ method: 'GET', path: '/a', headers: { 'x-a': 'v\r\nx-injected: 1' }, timeoutMs: 100 }),
    ).toThrow(/"x-a" must be visible ASCII without a line break/);
    expect(() => client.send({ method: 'GET', path: '/a', headers: { 'x a': 'v' }, timeoutMs: 100 })).toThrow(
      /header "x a"/,
    );
    client.destroy();
    expect(connections).toHaveLength(0);
  });

  it('fails calls after destroy as network errors', async () => {
    const client = signed(url);
    client.destroy();
    await expect(post(client)).rejects.toThrow(AwsHttpNetworkError);
    await expect(post(client)).rejects.toThrow(/destroyed/);
  });
});

describe('SignedHttpClient against servers that break HTTP', () => {
  let raw: NetServer;
  let url: string;
  let answer: (socket: Socket) => void;
  let accepted = 0;

  beforeAll(async () => {
    raw = createNetServer((socket) => {
      accepted++;
      socket.once('data', () => answer(socket));
    });
    url = `http://127.0.0.1:${await listenOnLoopback(raw)}`;
  });
  afterAll(() => closeServer(raw));
  beforeEach(() => {
    accepted = 0;
  });

  it('reads an answer framed by the end of the connection, then connects again', async () => {
    answer = (socket) => socket.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end');
    const client = signed(url);
    const bodies = [(await post(client)).body.toString(), (await post(client)).body.toString()];
    client.destroy();
    expect(bodies).toEqual(['until the end', 'until the end']);
    expect(accepted).toBe(2);
  });

  it.each([
    ['garbage', (s: Socket) => s.write('SSH-2.0-OpenSSH_9.2\r\n\r\n'), /bad status line/],
    ['an answer cut short', (s: Socket) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12'), /closed before/],
    ['a reset', (s: Socket) => s.resetAndDestroy(), /ECONNRESET/],
  ])('fails %s as a network error, and the next call gets a fresh connection', async (_case, broken, message) => {
    answer = broken;
    const client = signed(url);
    const failure = post(client);
    await expect(failure).rejects.toBeInstanceOf(AwsHttpNetworkError);
    await expect(failure).rejects.toThrow(message);
    answer = (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    expect((await post(client)).body.toString()).toBe('ok');
    client.destroy();
    expect(accepted).toBe(2);
  });
});

describe('SignedHttpClient over TLS', () => {
  let server: Server;
  let url: string;
  const resumed: boolean[] = [];
  const ca = readFileSync(join(TLS_DIR, 'localhost.crt'));

  beforeAll(async () => {
    server = createTlsServer({ key: readFileSync(join(TLS_DIR, 'localhost.key')), cert: ca }, (req, res) => {
      req.resume();
      req.on('end', () => res.end(`tls ${req.headers.host}`));
    });
    server.on('secureConnection', (socket: TLSSocket) => resumed.push(socket.isSessionReused()));
    url = `https://localhost:${await listenOnLoopback(server)}`;
  });
  afterAll(() => closeServer(server));

  it('verifies the certificate, keeps the connection, and resumes the TLS session on a new one', async () => {
    const client = signed(url, { ca });
    expect((await post(client)).body.toString()).toBe(`tls ${new URL(url).host}`);
    await post(client);
    server.closeAllConnections();
    await sleep(50);
    await post(client);
    client.destroy();
    // Two connections: the first a full handshake, the second resumed from the first's session ticket.
    expect(resumed).toEqual([false, true]);
  });

  it('refuses a server whose certificate it cannot verify', async () => {
    const client = signed(url);
    await expect(post(client)).rejects.toMatchObject({
      name: 'AwsHttpNetworkError',
      code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    });
    client.destroy();
  });
});

it('does not keep the process alive with idle connections (as http.Agent does not)', () => {
  const script = `
    const { createServer } = require('node:http');
    const { SignedHttpClient } = require('./tasks/aws-http');
    const server = createServer((req, res) => { req.resume(); req.on('end', () => res.end('ok')); });
    server.keepAliveTimeout = 60000;
    // Only the client's side is under test: the server's end of the connection must not hold the process.
    server.on('connection', (socket) => socket.unref());
    server.listen(0, '127.0.0.1', async () => {
      const client = new SignedHttpClient({ url: 'http://127.0.0.1:' + server.address().port, service: 's',
        region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      const answer = await client.send({ method: 'GET', path: '/', timeoutMs: 1000 });
      process.stdout.write(String(answer.status));
      server.unref();
    });`;
  const run = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    // Well under the server's keep-alive timeout: exiting before it means the idle connection held nothing.
    timeout: 15_000,
  });
  expect(run.stdout).toBe('200');
  expect(run.signal).toBeNull();
  expect(run.status).toBe(0);
});
