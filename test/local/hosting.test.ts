import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { INFERENCE_OUTPUT, readOccupancyScore } from '../../evaluation/p-occupied';
import { ValidationException } from '../../local/hosting/errors';
import { LocalHosting, type LocalHostingOptions } from '../../local/hosting/hosting';
import { type InvocationServer, startInvocationServer } from '../../local/hosting/server';
import { soundCutoffModel } from '../fixtures/sound-model';

/** sound = 7: the old model (cutoff 10) says 0, the new one (cutoff 5) says 1. */
const PROBE_ROW = '21.5,40,7';
const TIME_SCALE = 0.002;

let dir: string;
let hosting: LocalHosting;
let server: InvocationServer;
let client: SageMakerRuntimeClient;

async function start(options: Partial<LocalHostingOptions> = {}): Promise<void> {
  hosting = new LocalHosting({ timeScale: TIME_SCALE, stateDir: join(dir, 'state'), ...options });
  server = await startInvocationServer(hosting);
  client = new SageMakerRuntimeClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

async function stop(): Promise<void> {
  client.destroy();
  await server.close();
  hosting.close();
}

function registerModel(name: string, soundCutoff: number): void {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(soundCutoffModel(name, soundCutoff)));
  hosting.createModel({
    ModelName: name,
    PrimaryContainer: {
      ModelDataUrl: pathToFileURL(path).href,
      Environment: { SAGEMAKER_INFERENCE_OUTPUT: INFERENCE_OUTPUT },
    },
  });
  hosting.createEndpointConfig({
    EndpointConfigName: `${name}-config`,
    ProductionVariants: [
      // 5 instances: SageMaker turns a canary of at most 50 % of the new fleet's capacity on (1 instance cannot canary).
      { VariantName: 'AllTraffic', ModelName: name, InitialInstanceCount: 5, InitialVariantWeight: 1 },
    ],
  });
}

async function invoke(body: string, extra: { TargetVariant?: string } = {}) {
  const out = await client.send(
    new InvokeEndpointCommand({ EndpointName: 'occupancy', ContentType: 'text/csv', Body: body, ...extra }),
  );
  return {
    variant: out.InvokedProductionVariant,
    text: new TextDecoder().decode(out.Body),
    contentType: out.ContentType,
  };
}

async function deployFirst(): Promise<void> {
  registerModel('model-a', 10);
  registerModel('model-b', 5);
  hosting.createEndpoint({ EndpointName: 'occupancy', EndpointConfigName: 'model-a-config' });
  const described = await hosting.whenSettled('occupancy', 10_000);
  expect(described.EndpointStatus).toBe('InService');
}

/** An update to model-b whose canary bakes longer than any test (SageMaker's maximum wait: 7 s of wall time here). */
function startLongCanary(): void {
  hosting.updateEndpoint({
    EndpointName: 'occupancy',
    EndpointConfigName: 'model-b-config',
    DeploymentConfig: {
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: {
          Type: 'CANARY',
          CanarySize: { Type: 'CAPACITY_PERCENT', Value: 40 },
          WaitIntervalInSeconds: 3600,
        },
      },
    },
  });
}

async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hosting-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('InvokeEndpoint over HTTP with the real SageMaker Runtime client', () => {
  beforeEach(async () => {
    await start();
    await deployFirst();
  });
  afterEach(stop);

  it('answers predicted_label,probabilities,labels per CSV row and names the variant', async () => {
    const out = await invoke('21.5,40,12\n21.5,40,3\n');
    expect(out.variant).toBe('AllTraffic');
    expect(out.contentType).toBe('text/csv');
    const scores = out.text
      .trim()
      .split('\n')
      .map((l) => readOccupancyScore(l));
    expect(scores.map((s) => s.ok && s.score.predicted)).toEqual([1, 0]);
    expect(scores.map((s) => s.ok && s.score.pOccupied > 0.5)).toEqual([true, false]);
  });

  it('records per-variant invocation metrics under AWS/SageMaker', async () => {
    await invoke(PROBE_ROW);
    await invoke(PROBE_ROW);
    hosting.flushMetrics();
    const query = (MetricName: string, stat: 'Sum' | 'SampleCount') =>
      hosting.metrics.getMetricStatistics({
        Namespace: 'AWS/SageMaker',
        MetricName,
        Dimensions: [
          { Name: 'EndpointName', Value: 'occupancy' },
          { Name: 'VariantName', Value: 'AllTraffic' },
        ],
        StartTime: new Date(Date.now() - 60_000),
        EndTime: new Date(Date.now() + 60_000),
        Period: 3600,
        Statistics: [stat],
      }).Datapoints[0]?.[stat];
    expect(query('Invocations', 'Sum')).toBe(2);
    expect(query('Invocation5XXErrors', 'Sum')).toBe(0);
    expect(query('ModelLatency', 'SampleCount')).toBe(2);
  });

  it('reports errors the way SageMaker does', async () => {
    await expect(
      client.send(new InvokeEndpointCommand({ EndpointName: 'nope', ContentType: 'text/csv', Body: PROBE_ROW })),
    ).rejects.toMatchObject({ name: 'ValidationError', message: expect.stringContaining('nope') });
    await expect(invoke('1,2')).rejects.toMatchObject({
      name: 'ModelError',
      $metadata: { httpStatusCode: 424 },
      OriginalStatusCode: 400,
    });
    await expect(invoke('1,2,abc')).rejects.toMatchObject({ name: 'ModelError' });
    await expect(invoke(PROBE_ROW, { TargetVariant: 'Missing' })).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(
      client.send(
        new InvokeEndpointCommand({ EndpointName: 'occupancy', ContentType: 'application/json', Body: '{}' }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 415 } });
    const huge = await fetch(`${server.url}/endpoints/occupancy/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv' },
      body: '1,2,3\n'.repeat(1_200_000),
    });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toEqual({ message: expect.stringContaining('limit') });
  });

  it('honours the target-variant header', async () => {
    expect((await invoke(PROBE_ROW, { TargetVariant: 'AllTraffic' })).variant).toBe('AllTraffic');
  });
});

describe('control plane', () => {
  beforeEach(() => start());
  afterEach(stop);

  it('rejects unknown resources and bad requests with ValidationException', async () => {
    const missing = () => hosting.describeEndpoint({ EndpointName: 'ghost' });
    expect(missing).toThrow(ValidationException);
    expect(missing).toThrow(/Could not find endpoint/);
    expect(missing).toThrow(expect.objectContaining({ name: 'ValidationException', code: 'ValidationException' }));
    expect(() =>
      hosting.createModel({ ModelName: 'm', PrimaryContainer: { ModelDataUrl: 's3://bucket/model.json' } }),
    ).toThrow(/file:\/\//);
    expect(() =>
      hosting.createModel({
        ModelName: 'm',
        PrimaryContainer: { ModelDataUrl: pathToFileURL(join(dir, 'none.json')).href },
      }),
    ).toThrow(/Could not access model data/);
    expect(() => hosting.createEndpoint({ EndpointName: 'e', EndpointConfigName: 'nope' })).toThrow(
      /Could not find endpoint configuration/,
    );
    await deployFirst();
    expect(hosting.describeModel({ ModelName: 'model-a' }).ModelArn).toContain('model/model-a');
    expect(hosting.describeEndpointConfig({ EndpointConfigName: 'model-b-config' }).ProductionVariants).toHaveLength(1);
    expect(() =>
      hosting.updateEndpoint({
        EndpointName: 'occupancy',
        EndpointConfigName: 'model-b-config',
        DeploymentConfig: { AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'undeclared' }] } },
      }),
    ).toThrow(/undeclared does not exist/);
    hosting.deleteEndpoint({ EndpointName: 'occupancy' });
    expect(() => hosting.describeEndpoint({ EndpointName: 'occupancy' })).toThrow(ValidationException);
  });

  it('marks an endpoint Failed when its model cannot be loaded (injected loader)', async () => {
    await hosting.close();
    await server.close();
    await start({
      modelLoader: () => {
        throw new Error('corrupt artifact');
      },
    });
    registerModel('model-a', 10);
    hosting.createEndpoint({ EndpointName: 'occupancy', EndpointConfigName: 'model-a-config' });
    const described = await hosting.whenSettled('occupancy', 10_000);
    expect(described.EndpointStatus).toBe('Failed');
    expect(described.FailureReason).toContain('corrupt artifact');
  });
});

describe('blue/green deployment', () => {
  afterEach(stop);

  it('canary: the new fleet takes the canary share, then all traffic, then the old fleet is terminated', async () => {
    await start();
    await deployFirst();
    expect((await invoke(PROBE_ROW)).text.startsWith('0,')).toBe(true);
    hosting.updateEndpoint({
      EndpointName: 'occupancy',
      EndpointConfigName: 'model-b-config',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'CANARY',
            CanarySize: { Type: 'CAPACITY_PERCENT', Value: 20 },
            WaitIntervalInSeconds: 1000,
          },
          TerminationWaitInSeconds: 100,
        },
      },
    });
    expect(() => hosting.updateEndpoint({ EndpointName: 'occupancy', EndpointConfigName: 'model-b-config' })).toThrow(
      /in-progress/,
    );
    const during = await until(() => {
      const d = hosting.describeEndpoint({ EndpointName: 'occupancy' });
      return d.PendingDeploymentSummary?.ProductionVariants?.[0]?.CurrentWeight === 0.2 ? d : undefined;
    }, 'canary share');
    expect(during.EndpointStatus).toBe('Updating');
    expect(during.EndpointConfigName).toBe('model-a-config');
    expect(during.ProductionVariants?.[0]?.CurrentWeight).toBeCloseTo(0.8);
    const labels = [];
    for (let i = 0; i < 10; i++) labels.push((await invoke(PROBE_ROW)).text[0]);
    expect(labels.filter((l) => l === '1')).toHaveLength(2);

    const after = await hosting.whenSettled('occupancy', 20_000);
    expect(after).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'model-b-config' });
    expect(after.FailureReason).toBeUndefined();
    expect(after.PendingDeploymentSummary).toBeUndefined();
    expect(after.ProductionVariants?.[0]?.CurrentWeight).toBe(1);
    expect(hosting.listEndpointEvents('occupancy').map((e) => e.type)).toEqual(
      expect.arrayContaining(['TrafficShifted', 'BlueFleetTerminated', 'UpdateCompleted']),
    );
    expect((await invoke(PROBE_ROW)).text.startsWith('1,')).toBe(true);
  });

  it('rollback: a failing canary trips the alarm and the old config keeps answering', async () => {
    await start({ trafficProbe: () => `${PROBE_ROW}\n` });
    await deployFirst();
    hosting.alarms.putMetricAlarm({
      AlarmName: 'canary-5xx',
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Dimensions: [
        { Name: 'EndpointName', Value: 'occupancy' },
        { Name: 'VariantName', Value: 'AllTraffic' },
      ],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    hosting.setFaults({ failNewFleets5xx: true });
    hosting.updateEndpoint({
      EndpointName: 'occupancy',
      EndpointConfigName: 'model-b-config',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'CANARY',
            CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 },
            WaitIntervalInSeconds: 600,
          },
          TerminationWaitInSeconds: 300,
        },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'canary-5xx' }] },
      },
    });
    const after = await hosting.whenSettled('occupancy', 20_000);
    expect(after.EndpointStatus).toBe('InService');
    expect(after.EndpointConfigName).toBe('model-a-config');
    expect(after.FailureReason).toMatch(/^Rolled back: alarm canary-5xx in ALARM/);
    expect(hosting.listEndpointEvents('occupancy').map((e) => e.type)).toEqual(
      expect.arrayContaining(['AlarmTriggered', 'RolledBack']),
    );
    for (let i = 0; i < 5; i++) expect((await invoke(PROBE_ROW)).text.startsWith('0,')).toBe(true);
  });

  it('restart mid-canary: the endpoint comes back on the old config and serves it', async () => {
    await start();
    await deployFirst();
    startLongCanary();
    await until(
      () =>
        (hosting.describeEndpoint({ EndpointName: 'occupancy' }).PendingDeploymentSummary?.ProductionVariants?.[0]
          ?.CurrentWeight ?? 0) > 0 || undefined,
      'canary',
    );
    await stop();

    await start();
    const described = hosting.describeEndpoint({ EndpointName: 'occupancy' });
    expect(described).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'model-a-config' });
    expect(described.FailureReason).toMatch(/interrupted by a restart/);
    expect((await invoke(PROBE_ROW)).text.startsWith('0,')).toBe(true);
    expect(hosting.describeModel({ ModelName: 'model-b' }).ModelName).toBe('model-b');
  });

  it('a deployment another live process drives is left to it: opening the state folder neither undoes nor rewrites it', async () => {
    await start();
    await deployFirst();
    startLongCanary();
    await stop();
    // Hand the in-flight update to another live process, as `occupancy run` holds it while `serve` starts.
    const driver = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const stateFile = join(dir, 'state', 'hosting', 'state.json');
    try {
      const persisted = JSON.parse(readFileSync(stateFile, 'utf8'));
      persisted.endpoints[0].drivenBy = driver.pid;
      writeFileSync(stateFile, JSON.stringify(persisted));
      const before = readFileSync(stateFile, 'utf8');
      await start();
      expect(hosting.describeEndpoint({ EndpointName: 'occupancy' })).toMatchObject({
        EndpointStatus: 'Updating',
        EndpointConfigName: 'model-a-config',
      });
      expect(readFileSync(stateFile, 'utf8')).toBe(before);
      expect((await invoke(PROBE_ROW)).text.startsWith('0,')).toBe(true); // model-a (sound > 10) still serves
      await stop();
    } finally {
      driver.kill('SIGKILL');
    }
    await new Promise((r) => driver.once('exit', r));
    // Once that process is gone, the next open recovers the update as a restart does.
    await start();
    const described = hosting.describeEndpoint({ EndpointName: 'occupancy' });
    expect(described).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'model-a-config' });
    expect(described.FailureReason).toMatch(/interrupted by a restart/);
  });
});
