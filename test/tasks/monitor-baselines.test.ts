import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { computeTrainingBaseline } from '../../monitoring/baseline';
import { servingBaselines } from '../../tasks/monitor-baselines';
import { MemoryObjectStore } from '../../tasks/ports/object-store';

const sagemaker = mockClient(SageMakerClient);
const baselineA = computeTrainingBaseline({ co2: [400, 500, 600, 700], temperature: [20, 21, 22, 23] });
const baselineB = computeTrainingBaseline({ co2: [800, 900, 1000, 1100], temperature: [24, 25, 26, 27] });

function warnings() {
  const calls: { message: string; extra?: Record<string, unknown> }[] = [];
  return {
    calls,
    logger: {
      warn: (message: string, extra: Record<string, unknown>) => {
        calls.push({ message, extra });
      },
    },
  };
}

function arrangeEndpoint() {
  sagemaker.on(DescribeEndpointCommand, { EndpointName: 'occ' }).resolves({ EndpointConfigName: 'occ-shadow-1' });
  sagemaker.on(DescribeEndpointConfigCommand, { EndpointConfigName: 'occ-shadow-1' }).resolves({
    ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'occ-model-a' }],
    ShadowProductionVariants: [{ VariantName: 'Shadow', ModelName: 'occ-model-b' }],
  });
  sagemaker
    .on(DescribeModelCommand, { ModelName: 'occ-model-a' })
    .resolves({ PrimaryContainer: { ModelDataUrl: 's3://artifacts-bucket/runs/a/model.json' } });
  sagemaker
    .on(DescribeModelCommand, { ModelName: 'occ-model-b' })
    .resolves({ Containers: [{ ModelDataUrl: 's3://artifacts-bucket/runs/b/model.json' }] });
}

describe('serving baselines: from the endpoint to its models’ artifacts', () => {
  beforeEach(() => sagemaker.reset());

  it('keys each production and shadow variant’s baseline as the predictions table records the model', async () => {
    arrangeEndpoint();
    const store = new MemoryObjectStore();
    await store.putText(
      's3://artifacts-bucket/runs/a/model.json',
      JSON.stringify({ version: 'job-a/c1', trainingBaseline: baselineA }),
    );
    await store.putText(
      's3://artifacts-bucket/runs/b/model.json',
      JSON.stringify({ version: 'job-b/c2', trainingBaseline: baselineB }),
    );
    const { logger, calls } = warnings();
    const found = await servingBaselines({ sagemaker: new SageMakerClient({}), store, logger }, 'occ');
    expect(found.get('occ/AllTraffic')).toEqual(baselineA);
    expect(found.get('occ/Shadow')).toEqual(baselineB);
    // A container that reported `model-version` would report the artifact's version.
    expect(found.get('job-a/c1')).toEqual(baselineA);
    expect(calls).toEqual([]);
    expect(sagemaker.commandCalls(DescribeModelCommand)).toHaveLength(2);
  });

  it('a missing artifact, one without a baseline or an invalid one gives no entry and a warning, not a failure', async () => {
    arrangeEndpoint();
    const store = new MemoryObjectStore();
    await store.putText('s3://artifacts-bucket/runs/b/model.json', JSON.stringify({ version: 'old' }));
    const { logger, calls } = warnings();
    const found = await servingBaselines({ sagemaker: new SageMakerClient({}), store, logger }, 'occ');
    expect(found.size).toBe(0);
    expect(calls.map((c) => c.extra?.variant)).toEqual(['AllTraffic', 'Shadow']);
    expect(String(calls[1]?.extra?.reason)).toContain('has no trainingBaseline');

    await store.putText(
      's3://artifacts-bucket/runs/a/model.json',
      JSON.stringify({ trainingBaseline: { ...baselineA, version: 9 } }),
    );
    const invalid = warnings();
    const again = await servingBaselines({ sagemaker: new SageMakerClient({}), store, logger: invalid.logger }, 'occ');
    expect(again.size).toBe(0);
    expect(String(invalid.calls[0]?.extra?.reason)).toContain('version');
  });

  it('an endpoint SageMaker cannot describe gives no baselines and a warning', async () => {
    sagemaker
      .on(DescribeEndpointCommand)
      .rejects(Object.assign(new Error('Could not find endpoint "occ".'), { name: 'ValidationException' }));
    const { logger, calls } = warnings();
    const found = await servingBaselines(
      { sagemaker: new SageMakerClient({}), store: new MemoryObjectStore(), logger },
      'occ',
    );
    expect(found.size).toBe(0);
    expect(String(calls[0]?.extra?.reason)).toContain('Could not find endpoint');
  });
});
