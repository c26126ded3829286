import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AwsEnvironmentError,
  AwsHttpNetworkError,
  AwsHttpTimeoutError,
  awsEnvironment,
  iotDataUrl,
  SignedHttpClient,
  sagemakerRuntimeUrl,
  serviceErrorOf,
} from '../../tasks/aws-http';
import { closedLoopbackPort } from '../loopback';

const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret' };

describe('SignedHttpClient over loopback HTTP', () => {
  let server: Server;
  let url: string;
  let connections = 0;
  let handle: (req: IncomingMessage, res: ServerResponse) => void;
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        handle(req, res);
      });
    });
    server.keepAliveTimeout = 60_000;
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    seen.length = 0;
    connections = 0;
    handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-answer': 'yes' });
      res.end('ok');
    };
  });

  const client = (base = url, clock = () => new Date(Date.UTC(2026, 10, 25, 12))) =>
    new SignedHttpClient({ url: base, service: 'sagemaker', region: 'eu-west-1', credentials, clock });

  it('sends a signed request and resolves status, headers and body', async () => {
    const http = client();
    const response = await http.send({
      method: 'POST',
      path: '/endpoints/e%2Fx/invocations',
      query: { qos: '1', 'a b': 'c/d' },
      headers: { 'content-type': 'text/csv' },
      body: 'é,1',
      timeoutMs: 1000,
    });
    http.destroy();
    expect(response.status).toBe(200);
    expect(response.headers['x-answer']).toBe('yes');
    expect(response.body.toString()).toBe('ok');
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/endpoints/e%2Fx/invocations?qos=1&a%20b=c%2Fd',
      body: 'é,1',
      headers: {
        'content-type': 'text/csv',
        'content-length': String(Buffer.byteLength('é,1')),
        'x-amz-date': '20261125T120000Z',
        authorization: expect.stringMatching(
          /^AWS4-HMAC-SHA256 Credential=AKID\/20261125\/eu-west-1\/sagemaker\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
        ),
      },
    });
  });

  it('resolves (does not throw) error statuses: the adapters read the service error', async () => {
    handle = (_req, res) => {
      res.writeHead(429, { 'x-amzn-ErrorType': 'ThrottlingException:http://internal.amazon.com/' });
      res.end('{"message":"Rate exceeded"}');
    };
    const http = client();
    const response = await http.send({ method: 'POST', path: '/', timeoutMs: 1000 });
    http.destroy();
    expect(response.status).toBe(429);
    const error = serviceErrorOf(
      response.status,
      String(response.headers['x-amzn-errortype']),
      response.body.toString(),
    );
    expect(error).toMatchObject({ name: 'ThrottlingException', status: 429, message: 'Rate exceeded' });
  });

  it('keeps one connection alive across sequential calls', async () => {
    const http = client();
    for (let i = 0; i < 20; i++) await http.send({ method: 'POST', path: '/', body: String(i), timeoutMs: 1000 });
    http.destroy();
    expect(seen).toHaveLength(20);
    expect(connections).toBe(1);
  });

  it('prefixes the base URL path (a host mounted below /)', async () => {
    const http = client(`${url}/sagemaker/`);
    await http.send({ method: 'GET', path: '/endpoints/x', timeoutMs: 1000 });
    http.destroy();
    expect(seen[0]?.url).toBe('/sagemaker/endpoints/x');
  });

  it('abandons a request that gets no answer in time with a TimeoutError', async () => {
    const hanging: ServerResponse[] = [];
    handle = (_req, res) => hanging.push(res);
    const http = client();
    const started = Date.now();
    const failure = http.send({ method: 'POST', path: '/', timeoutMs: 100 });
    await expect(failure).rejects.toBeInstanceOf(AwsHttpTimeoutError);
    await expect(failure).rejects.toMatchObject({ name: 'TimeoutError', timeoutMs: 100 });
    expect(Date.now() - started).toBeLessThan(1000);
    http.destroy();
    for (const res of hanging) res.destroy();
  });

  it('fails with a network error naming the code when nothing listens', async () => {
    const port = await closedLoopbackPort();
    const http = client(`http://127.0.0.1:${port}`);
    const failure = http.send({ method: 'POST', path: '/', timeoutMs: 1000 });
    await expect(failure).rejects.toBeInstanceOf(AwsHttpNetworkError);
    await expect(failure).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    http.destroy();
  });

  it('abandons an answer longer than maxResponseBytes as a network error', async () => {
    handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.end('x'.repeat(64 * 1024));
    };
    const http = new SignedHttpClient({
      url,
      service: 'sagemaker',
      region: 'eu-west-1',
      credentials,
      maxResponseBytes: 1024,
    });
    const failure = http.send({ method: 'POST', path: '/', timeoutMs: 1000 });
    await expect(failure).rejects.toBeInstanceOf(AwsHttpNetworkError);
    await expect(failure).rejects.toThrow(/larger than 1024 bytes/);
    http.destroy();
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(() => client('ftp://example.com')).toThrow(/must be http\(s\)/);
  });
});

describe('serviceErrorOf', () => {
  it.each([
    ['header with a documentation suffix', 'ModelError:http://internal.amazon.com/', '{"message":"m"}', 'ModelError'],
    [
      'body __type with a namespace',
      undefined,
      '{"__type":"com.amazon#ThrottlingException","message":"m"}',
      'ThrottlingException',
    ],
    ['body code', undefined, '{"code":"ValidationError","Message":"m"}', 'ValidationError'],
    ['nothing but a status', undefined, '<html>bad gateway</html>', 'Http502'],
  ])('reads the error type from the %s', (_case, header, body, expected) => {
    const error = serviceErrorOf(502, header, body);
    expect(error.name).toBe(expected);
    expect(error.status).toBe(502);
  });

  it('keeps the body fields the adapters classify by', () => {
    const error = serviceErrorOf(424, 'ModelError', '{"message":"m","OriginalStatusCode":503}');
    expect(error.details.OriginalStatusCode).toBe(503);
    expect(error.message).toBe('m');
  });
});

describe('awsEnvironment (the Lambda runtime identity)', () => {
  const lambdaEnv = {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'ASIA',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_SESSION_TOKEN: 'token',
  };

  it('reads region and role credentials', () => {
    expect(awsEnvironment(lambdaEnv)).toEqual({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'ASIA', secretAccessKey: 'secret', sessionToken: 'token' },
    });
  });

  it.each([
    ['AWS_ACCESS_KEY_ID', { ...lambdaEnv, AWS_ACCESS_KEY_ID: '' }],
    ['AWS_SECRET_ACCESS_KEY', { ...lambdaEnv, AWS_SECRET_ACCESS_KEY: undefined }],
    ['AWS_REGION', { ...lambdaEnv, AWS_REGION: 'Europe' }],
  ])('names %s when it is missing or invalid', (field, env) => {
    expect(() => awsEnvironment(env)).toThrow(AwsEnvironmentError);
    expect(() => awsEnvironment(env)).toThrow(expect.objectContaining({ field }));
  });

  it('resolves the service URLs as the SDK does, China partition included', () => {
    expect(sagemakerRuntimeUrl('eu-west-1')).toBe('https://runtime.sagemaker.eu-west-1.amazonaws.com');
    expect(sagemakerRuntimeUrl('cn-north-1')).toBe('https://runtime.sagemaker.cn-north-1.amazonaws.com.cn');
    expect(iotDataUrl('eu-west-1')).toBe('https://data-ats.iot.eu-west-1.amazonaws.com');
    expect(iotDataUrl('cn-north-1')).toBe('https://data.ats.iot.cn-north-1.amazonaws.com.cn');
  });
});
