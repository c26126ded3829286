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
