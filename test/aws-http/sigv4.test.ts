/**
 * The hand-held signer must sign exactly as the AWS SDK does, or AWS answers 403: each case captures the request
 * the real SDK client signs (its request handler is swapped for a recorder) and re-signs the SDK's own headers at
 * the SDK's timestamp. Then the adapters' requests are compared with the SDK's for the same call.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IoTDataPlaneClient, PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { HttpRequest } from '@smithy/protocol-http';
import { type AwsCredentials, SignedHttpClient, SigV4Signer } from '../../tasks/aws-http';
import { IotDataShadowPublisher, SageMakerEndpoint } from '../../tasks/infer-occupancy';

/** A request handler that records the signed request and never sends it. */
class Recorder {
  readonly requests: HttpRequest[] = [];
  async handle(request: HttpRequest): Promise<never> {
    this.requests.push(request);
    throw new Error('recorded, not sent');
  }
}

const WITH_TOKEN: AwsCredentials = {
  accessKeyId: 'ASIAEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//token+with/slashes=',
};
const WITHOUT_TOKEN: AwsCredentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

async function sdkRequest(send: (handler: Recorder) => Promise<unknown>): Promise<HttpRequest> {
  const recorder = new Recorder();
  await expect(send(recorder)).rejects.toThrow('recorded, not sent');
  const request = recorder.requests[0];
  if (!request) throw new Error('the SDK sent nothing');
  return request;
}

/** `20261125T215558Z` → Date */
function dateOf(amzDate: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) throw new Error(`not an x-amz-date: ${amzDate}`);
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return '';
}

/** Re-signs the SDK's request (its own headers, minus what signing adds) and returns both authorizations. */
function resign(request: HttpRequest, service: string, region: string, credentials: AwsCredentials) {
  const {
    authorization,
    'x-amz-date': date,
    'x-amz-security-token': _t,
    'x-amz-content-sha256': _h,
    ...rest
  } = request.headers;
  const query = Object.fromEntries(Object.entries(request.query).map(([k, v]) => [k, String(v)]));
  const ours = new SigV4Signer({ service, region, credentials }).sign(
    {
      method: request.method,
      host: request.headers.host ?? request.hostname,
      path: request.path,
      query,
      headers: rest,
      body: bodyText(request.body),
    },
    dateOf(date ?? ''),
  );
  return { sdk: authorization, ours: ours.authorization, oursHeaders: ours };
}

describe('SigV4Signer signs as the AWS SDK does', () => {
  it.each([
    ['eu-west-1', 'occupancy', '1,2.5,-0.25', WITH_TOKEN],
    ['us-east-1', 'rooms-blue-2', '', WITHOUT_TOKEN],
    ['cn-north-1', 'a', '0.1,'.repeat(200), WITH_TOKEN],
  ])('InvokeEndpoint in %s on %s', async (region, endpointName, body, credentials) => {
    const request = await sdkRequest((recorder) =>
      new SageMakerRuntimeClient({ region, credentials, requestHandler: recorder, maxAttempts: 1 }).send(
        new InvokeEndpointCommand({
          EndpointName: endpointName,
          ContentType: 'text/csv',
          Accept: 'text/csv',
          Body: body,
        }),
      ),
    );
    const { sdk, ours, oursHeaders } = resign(request, 'sagemaker', region, credentials);
    expect(ours).toBe(sdk);
    expect(oursHeaders['x-amz-content-sha256']).toBe(request.headers['x-amz-content-sha256']);
    expect(oursHeaders['x-amz-security-token']).toBe(request.headers['x-amz-security-token']);
  });

  it.each([
    ['$aws/things/room-07/shadow/update', WITH_TOKEN],
    ['occupancy/labels/room 7', WITHOUT_TOKEN],
    ["odd/!'()*~/topic", WITH_TOKEN],
  ])('IoT data plane Publish to %s (labels escaped twice in the canonical path)', async (topic, credentials) => {
    const request = await sdkRequest((recorder) =>
      new IoTDataPlaneClient({ region: 'eu-west-1', credentials, requestHandler: recorder, maxAttempts: 1 }).send(
        new PublishCommand({ topic, qos: 1, payload: new TextEncoder().encode('{"state":{"desired":{}}}') }),
      ),
    );
    const { sdk, ours } = resign(request, 'iotdata', 'eu-west-1', credentials);
    expect(ours).toBe(sdk);
  });

  it('derives a new signing key when the day or the secret changes', () => {
    const signer = new SigV4Signer({ service: 'sagemaker', region: 'eu-west-1', credentials: WITHOUT_TOKEN });
    const request = { method: 'POST', host: 'h', path: '/', headers: {}, body: 'x' };
    const day1 = signer.sign(request, new Date(Date.UTC(2026, 10, 25, 23, 59, 59)));
    const day2 = signer.sign(request, new Date(Date.UTC(2026, 10, 26, 0, 0, 0)));
    expect(day1.authorization).toContain('/20261125/');
    expect(day2.authorization).toContain('/20261126/');
    const again = signer.sign(request, new Date(Date.UTC(2026, 10, 25, 23, 59, 59)));
    expect(again.authorization).toBe(day1.authorization);
  });
});

describe('SignedHttpClient sends what the SDK-checked signer signs', () => {
  it.each([
    ['POST', '/endpoints/occupancy/invocations', undefined, '0.1,2,-3', WITH_TOKEN],
    ['POST', '/topics/%24aws%2Fthings%2Froom-07%2Fshadow%2Fupdate', { qos: '1' }, '{"state":{}}', WITHOUT_TOKEN],
    ['GET', '/ping', undefined, '', WITH_TOKEN],
  ] as const)(
    '%s %s: the planned signature equals a fresh one over the headers received',
    async (method, path, query, body, credentials) => {
      let received: { url: string; headers: Record<string, string>; body: string } | undefined;
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const headers: Record<string, string> = {};
          for (let i = 0; i < req.rawHeaders.length; i += 2) {
            headers[(req.rawHeaders[i] as string).toLowerCase()] = req.rawHeaders[i + 1] as string;
          }
          received = { url: req.url ?? '', headers, body: Buffer.concat(chunks).toString() };
          res.end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const at = new Date(Date.UTC(2026, 10, 25, 21, 55, 58));
      const client = new SignedHttpClient({
        url,
        service: 'iotdata',
        region: 'eu-west-1',
        credentials,
        clock: () => at,
      });
      const headers = { 'content-type': 'application/octet-stream' };
      try {
        // Twice: the second call signs from the plan kept for this headers object.
        for (let i = 0; i < 2; i++) {
          await client.send({ method, path, ...(query ? { query } : {}), headers, body, timeoutMs: 1000 });
          if (!received) throw new Error('nothing arrived');
          const { authorization, connection: _c, ...sent } = received.headers;
          const fresh = new SigV4Signer({ service: 'iotdata', region: 'eu-west-1', credentials }).sign(
            { method, host: sent.host ?? '', path, ...(query ? { query } : {}), headers: sent, body: received.body },
            at,
          );
          expect(authorization).toBe(fresh.authorization);
          expect(sent['content-length']).toBe(String(Buffer.byteLength(body)));
          expect(received.url).toBe(query ? `${path}?qos=1` : path);
        }
      } finally {
        client.destroy();
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    },
  );

  it('refuses a planned content-length: the body decides it', () => {
    const signer = new SigV4Signer({ service: 'sagemaker', region: 'eu-west-1', credentials: WITHOUT_TOKEN });
    expect(() => signer.plan('POST', 'h', { 'Content-Length': '3' }, true)).toThrow(/content-length is signed/);
  });
});

describe('the inference adapters send the request the SDK would', () => {
  /** A loopback server recording the raw request line, headers and body. */
  async function capture(run: (url: string) => Promise<unknown>) {
    let seen: { method: string; url: string; headers: Record<string, unknown>; body: string } | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        };
        res.writeHead(200, { 'content-type': 'text/csv', 'x-amzn-invoked-production-variant': 'AllTraffic' });
        res.end(`1,"[0.25, 0.75]","['0', '1']"`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    if (!seen) throw new Error('nothing arrived');
    return seen;
  }

  const client = (url: string, service: string) =>
    new SignedHttpClient({ url, service, region: 'eu-west-1', credentials: WITH_TOKEN });

  it('SageMakerEndpoint.predict ≡ InvokeEndpoint (text/csv in and out)', async () => {
    const row = [21.5, 0.25, 40, -1e-7, 12];
    const sdk = await sdkRequest((recorder) =>
      new SageMakerRuntimeClient({ region: 'eu-west-1', credentials: WITH_TOKEN, requestHandler: recorder }).send(
        new InvokeEndpointCommand({
          EndpointName: 'occupancy',
          ContentType: 'text/csv',
          Accept: 'text/csv',
          Body: row.join(','),
        }),
      ),
    );
    const ours = await capture(async (url) => {
      const http = client(url, 'sagemaker');
      const answer = await new SageMakerEndpoint(http, {
        endpointName: 'occupancy',
        timeoutMs: 1000,
        maxAttempts: 1,
      }).predict(row);
      expect(answer).toEqual({ occupied: true, probability: 0.75, model: 'occupancy/AllTraffic', attempts: 1 });
      http.destroy();
    });
    expect(ours.method).toBe(sdk.method);
    expect(ours.url).toBe(sdk.path);
    expect(ours.body).toBe(bodyText(sdk.body));
    for (const name of ['content-type', 'accept', 'content-length', 'x-amz-content-sha256', 'x-amz-security-token']) {
      expect([name, ours.headers[name]]).toEqual([name, sdk.headers[name]]);
    }
  });

  it('IotDataShadowPublisher.publishDesired ≡ Publish to the shadow update topic with qos 1', async () => {
    const desired = {
      roomOccupancy: true,
      occupancyProbability: 0.75,
      occupancyModel: 'v1',
      occupancySource: 'model' as const,
      occupancyReadingTs: 1,
    };
    const payload = JSON.stringify({ state: { desired } });
    const sdk = await sdkRequest((recorder) =>
      new IoTDataPlaneClient({ region: 'eu-west-1', credentials: WITH_TOKEN, requestHandler: recorder }).send(
        new PublishCommand({
          topic: '$aws/things/room-07/shadow/update',
          qos: 1,
          payload: new TextEncoder().encode(payload),
        }),
      ),
    );
    const ours = await capture(async (url) => {
      const http = client(url, 'iotdata');
      await new IotDataShadowPublisher(http).publishDesired('room-07', desired);
      http.destroy();
    });
    const query = new URLSearchParams(Object.entries(sdk.query).map(([k, v]) => [k, String(v)])).toString();
    expect(ours.url).toBe(`${sdk.path}?${query}`);
    expect(ours.body).toBe(bodyText(sdk.body));
    for (const name of ['content-type', 'content-length', 'x-amz-content-sha256']) {
      expect([name, ours.headers[name]]).toEqual([name, sdk.headers[name]]);
    }
  });
});
