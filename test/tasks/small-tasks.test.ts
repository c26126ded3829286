import { lambdaContext } from '../../local/aws-endpoints/lambda-context';
import {
  createHandler as createContainersHandler,
  type InferenceContainer,
  supportedKeys,
  withProbabilityOutput,
} from '../../tasks/candidate-containers';
import { ArtifactError } from '../../tasks/errors';
import { MemoryObjectStore } from '../../tasks/ports/object-store';
import { powertools } from '../../tasks/powertools';
import { prepareScoringInput } from '../../tasks/prepare-scoring-input';
import { fixtureCsv, fixtureRows, parquetParts } from './parquet-split';

/**
 * BestCandidate.InferenceContainers as Autopilot describes them (environment as in the AWS documentation:
 * https://docs.aws.amazon.com/sagemaker/latest/dg/autopilot-automate-model-development-container-output.html).
 */
const ENSEMBLING: InferenceContainer[] = [
  {
    Image: 'autogluon-inference',
    Environment: {
      MODEL_NAME: 'm',
      SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label',
      SAGEMAKER_INFERENCE_SUPPORTED: 'predicted_label,probability,labels,probabilities',
    },
  },
];
const HPO: InferenceContainer[] = [
  { Image: 'sklearn-automl', Environment: { AUTOML_TRANSFORM_MODE: 'feature-transform' } },
  {
    Image: 'xgboost',
    Environment: {
      SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label',
      SAGEMAKER_INFERENCE_SUPPORTED: 'predicted_label,probability,probabilities',
    },
  },
  {
    Image: 'sklearn-automl',
    Environment: {
      AUTOML_TRANSFORM_MODE: 'inverse-label-transform',
      SAGEMAKER_INFERENCE_INPUT: 'predicted_label',
      SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label',
      SAGEMAKER_INFERENCE_SUPPORTED: 'predicted_label,probability,labels,probabilities',
    },
  },
];

describe('withProbabilityOutput asks for predicted_label,probabilities,labels (never the mode-dependent probability)', () => {
  it('ensembling: the one container outputs the three keys', () => {
    const [only] = withProbabilityOutput(ENSEMBLING);
    expect(only?.Environment).toEqual({
      ...ENSEMBLING[0]?.Environment,
      SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label,probabilities,labels',
    });
  });

  it('HPO: the algorithm outputs what it supports, the inverse label transform takes it and adds labels', () => {
    const out = withProbabilityOutput(HPO);
    expect(out[0]).toEqual(HPO[0]);
    expect(out[1]?.Environment?.SAGEMAKER_INFERENCE_OUTPUT).toBe('predicted_label,probabilities');
    expect(out[1]?.Environment?.SAGEMAKER_INFERENCE_INPUT).toBeUndefined();
    expect(out[2]?.Environment).toMatchObject({
      SAGEMAKER_INFERENCE_INPUT: 'predicted_label,probabilities',
      SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label,probabilities,labels',
    });
  });

  it('reads SAGEMAKER_INFERENCE_SUPPORTED with spaces as the documentation writes it', () => {
    expect(
      supportedKeys({ Image: 'x', Environment: { SAGEMAKER_INFERENCE_SUPPORTED: 'predicted_label, labels' } }),
    ).toEqual(['predicted_label', 'labels']);
  });

  it('refuses a last container that declares no supported keys, naming the field', () => {
    expect(() => withProbabilityOutput([{ Image: 'img', Environment: { A: '1' } }])).toThrow(
      expect.objectContaining({
        name: 'TaskInputError',
        field: 'containers[0].Environment.SAGEMAKER_INFERENCE_SUPPORTED',
        message: expect.stringMatching(/does not support selection of inference content/),
      }),
    );
  });

  it('refuses a last container that cannot output labels, with the SDK’s wording', () => {
    const algoOnly = HPO.slice(0, 2);
    expect(() => withProbabilityOutput(algoOnly)).toThrow(
      'Requested inference output keys [labels] are unsupported. The supported inference keys are [predicted_label, probability, probabilities]',
    );
  });

  const containersHandler = createContainersHandler(powertools('candidate-containers'));
  const context = lambdaContext('CandidateContainersFunction');

  it('the handler rejects an empty container list naming the field', async () => {
    await expect(containersHandler({ containers: [] }, context)).rejects.toMatchObject({ field: 'containers' });
  });

  it('the handler returns the prepared containers', async () => {
    const out = await containersHandler({ containers: ENSEMBLING, candidateName: 'c1' }, context);
    expect(out.candidateName).toBe('c1');
    expect(out.containers[0]?.Environment?.SAGEMAKER_INFERENCE_OUTPUT).toBe('predicted_label,probabilities,labels');
  });
});

describe('prepareScoringInput', () => {
  it('drops the header and the target, keeping row order', async () => {
    const store = new MemoryObjectStore();
    store.objects.set('s3://b/holdout.csv', 'a,occupied,b\n1,1,2\n3,0,4\n');
    const result = await prepareScoringInput(
      { holdoutUri: 's3://b/holdout.csv', scoringInputUri: 's3://b/in.csv', target: 'occupied' },
      { store },
    );
    expect(result).toEqual({ scoringInputUri: 's3://b/in.csv', rows: 2, featureNames: ['a', 'b'] });
    expect(await store.getText('s3://b/in.csv')).toBe('1,2\n3,4\n');
  });

  it('refuses a holdout without the target column', async () => {
    const store = new MemoryObjectStore();
    store.objects.set('s3://b/holdout.csv', 'a,b\n1,2\n');
    await expect(
      prepareScoringInput(
        { holdoutUri: 's3://b/holdout.csv', scoringInputUri: 's3://b/in.csv', target: 'occupied' },
        { store },
      ),
    ).rejects.toBeInstanceOf(ArtifactError);
  });
});

describe("prepareScoringInput on a Parquet holdout (the pipeline's UNLOAD parts under a prefix)", () => {
  const holdoutUri = 's3://b/runs/r/data/holdout/';
  const target = 'occupied';

  it('streams every part in key order into one CSV: no header, no target, the features in column order', async () => {
    const store = new MemoryObjectStore();
    // The target first, a missing value, a part of several row groups: the CSV is the features in file order.
    const parts = await parquetParts([
      'SELECT (i % 2)::INTEGER AS occupied, i * 0.5 AS a, CASE WHEN i = 1 THEN NULL ELSE i END AS b FROM range(3) t(i)',
      `SELECT occupied, temperature AS a, sound AS b FROM (${fixtureRows(0, 5000)})`,
    ]);
    store.objects.set(`${holdoutUri}part-1`, parts[1] ?? new Uint8Array());
    store.objects.set(`${holdoutUri}part-0`, parts[0] ?? new Uint8Array());
    const result = await prepareScoringInput({ holdoutUri, scoringInputUri: 's3://b/in.csv', target }, { store });
    expect(result).toEqual({ scoringInputUri: 's3://b/in.csv', rows: 5003, featureNames: ['a', 'b'] });
    const lines = (await store.getText('s3://b/in.csv')).split('\n');
    expect(lines.slice(0, 3)).toEqual(['0,0', '0.5,', '1,2']);
    // The fixture's rows as the CSV export wrote them (temperature, sound): same text, number for number.
    const expected = fixtureCsv(0, 5000)
      .split('\n')
      .slice(1)
      .map((line) => {
        const [temperature, , sound] = line.split(',');
        return `${temperature},${sound}`;
      });
    expect(lines.slice(3)).toEqual([...expected, '']);
  });

  it('refuses a holdout without the target, an empty prefix and a holdout of no rows, writing nothing', async () => {
    const store = new MemoryObjectStore();
    const [noTarget, noRows] = await parquetParts(['SELECT 1.0 AS a', 'SELECT 1.0 AS a, 1 AS occupied WHERE false']);
    const prepare = (uri: string) =>
      prepareScoringInput({ holdoutUri: uri, scoringInputUri: 's3://b/in.csv', target }, { store });
    store.objects.set('s3://b/no-target/0', noTarget ?? new Uint8Array());
    store.objects.set('s3://b/no-rows/0', noRows ?? new Uint8Array());
    await expect(prepare('s3://b/no-target/')).rejects.toMatchObject({
      name: 'ArtifactError',
      uri: 's3://b/no-target/',
      message: expect.stringContaining('has no "occupied" column'),
    });
    await expect(prepare('s3://b/missing/')).rejects.toMatchObject({
      name: 'ArtifactError',
      message: expect.stringContaining('no Parquet part files under s3://b/missing/'),
    });
    await expect(prepare('s3://b/no-rows/')).rejects.toMatchObject({
      name: 'ArtifactError',
      message: expect.stringContaining('has no rows'),
    });
    expect(store.objects.has('s3://b/in.csv')).toBe(false);
  });
});
