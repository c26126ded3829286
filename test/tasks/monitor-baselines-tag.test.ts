import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListTagsCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { computeTrainingBaseline } from '../../monitoring/baseline';
import { TRAINING_BASELINE_TAG } from '../../monitoring/baseline-location';
import { servingBaselines } from '../../tasks/monitor-baselines';
import { MemoryObjectStore } from '../../tasks/ports/object-store';

/**
 * The AWS path (issue 21 item 1): an Autopilot model's ModelDataUrl is a model.tar.gz without a baseline, so the
 * monitor reads the baseline the pipeline wrote from the model's TRAINING_BASELINE_TAG, before the artifact.
 */

const sagemaker = mockClient(SageMakerClient);
const MODEL_ARN = 'arn:aws:sagemaker:eu-west-1:123456789012:model/occ-run-1-candidate';
const TAGGED = 's3://artifacts-bucket/runs/run-1/training-baseline.json';
const baseline = computeTrainingBaseline({ co2: [400, 500, 600, 700], temperature: [20, 21, 22, 23] });

function arrange(artifact: string) {
  sagemaker.on(DescribeEndpointCommand, { EndpointName: 'occ' }).resolves({ EndpointConfigName: 'occ-run-1' });
  sagemaker
    .on(DescribeEndpointConfigCommand, { EndpointConfigName: 'occ-run-1' })
    .resolves({ ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'occ-run-1-candidate' }] });
  sagemaker.on(DescribeModelCommand, { ModelName: 'occ-run-1-candidate' }).resolves({
    ModelArn: MODEL_ARN,
    Containers: [{ ModelDataUrl: artifact }],
  });
}

function logger() {
  const warnings: string[] = [];
  return {
    warnings,
    logger: { warn: (_: string, extra: Record<string, unknown>) => warnings.push(String(extra.reason)) },
  };
}

describe('serving baselines: from the model’s training-baseline tag', () => {
  beforeEach(() => sagemaker.reset());

  it('reads the baseline the tag points to when the artifact is Autopilot’s model.tar.gz', async () => {
    arrange('s3://artifacts-bucket/runs/run-1/automl/model.tar.gz');
    sagemaker.on(ListTagsCommand, { ResourceArn: MODEL_ARN }).resolves({
      Tags: [
        { Key: 'occupancy:execution', Value: 'run-1' },
        { Key: TRAINING_BASELINE_TAG, Value: TAGGED },
      ],
    });
    const store = new MemoryObjectStore();
    await store.putText(TAGGED, JSON.stringify(baseline));
    await store.putText('s3://artifacts-bucket/runs/run-1/automl/model.tar.gz', '\u001f\u008b not json');
    const { warnings, logger: log } = logger();
    const found = await servingBaselines({ sagemaker: new SageMakerClient({}), store, logger: log }, 'occ');
    expect(found.get('occ/AllTraffic')).toEqual(baseline);
    expect(warnings).toEqual([]);
  });

  it('follows ListTags pages', async () => {
    arrange('s3://artifacts-bucket/runs/run-1/automl/model.tar.gz');
    sagemaker
      .on(ListTagsCommand, { ResourceArn: MODEL_ARN })
      .resolvesOnce({ Tags: [{ Key: 'other', Value: 'x' }], NextToken: 'p2' })
      .resolvesOnce({ Tags: [{ Key: TRAINING_BASELINE_TAG, Value: TAGGED }] });
    const store = new MemoryObjectStore();
    await store.putText(TAGGED, JSON.stringify(baseline));
    const found = await servingBaselines({ sagemaker: new SageMakerClient({}), store, ...logger() }, 'occ');
    expect(found.get('occ/AllTraffic')).toEqual(baseline);
    expect(sagemaker.commandCalls(ListTagsCommand)[1]?.args[0].input.NextToken).toBe('p2');
  });

  it('falls back to the artifact JSON when the tags cannot be listed, and says why when neither has one', async () => {
    arrange('s3://artifacts-bucket/runs/run-1/model.json');
    sagemaker
      .on(ListTagsCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
    const store = new MemoryObjectStore();
    await store.putText('s3://artifacts-bucket/runs/run-1/model.json', JSON.stringify({ trainingBaseline: baseline }));
    const found = await servingBaselines({ sagemaker: new SageMakerClient({}), store, ...logger() }, 'occ');
    expect(found.get('occ/AllTraffic')).toEqual(baseline);

    sagemaker.on(ListTagsCommand).resolves({ Tags: [{ Key: TRAINING_BASELINE_TAG, Value: TAGGED }] });
    const empty = new MemoryObjectStore();
    const { warnings, logger: log } = logger();
    const none = await servingBaselines({ sagemaker: new SageMakerClient({}), store: empty, logger: log }, 'occ');
    expect(none.size).toBe(0);
    expect(warnings).toEqual([expect.stringMatching(/tagged baseline s3:\/\/.*training-baseline\.json.*; artifact/)]);
  });
});
