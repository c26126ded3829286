import {
  handler as containersHandler,
  INFERENCE_OUTPUT,
  withProbabilityOutput,
} from '../../tasks/candidate-containers';
import { ArtifactError } from '../../tasks/errors';
import { MemoryObjectStore } from '../../tasks/ports/object-store';
import { prepareScoringInput } from '../../tasks/prepare-scoring-input';

describe('withProbabilityOutput', () => {
  it('switches a single (ensembling) container to label and probability', () => {
    const [only] = withProbabilityOutput([{ Image: 'img', Environment: { A: '1' } }]);
    expect(only?.Environment).toEqual({ A: '1', SAGEMAKER_INFERENCE_OUTPUT: INFERENCE_OUTPUT });
  });

  it('in a three-container pipeline the algorithm emits and the last container passes both through', () => {
    const out = withProbabilityOutput([{ Image: 'transform' }, { Image: 'algo' }, { Image: 'inverse' }]);
    expect(out[0]?.Environment).toEqual({});
    expect(out[1]?.Environment).toEqual({ SAGEMAKER_INFERENCE_OUTPUT: INFERENCE_OUTPUT });
    expect(out[2]?.Environment).toEqual({
      SAGEMAKER_INFERENCE_INPUT: INFERENCE_OUTPUT,
      SAGEMAKER_INFERENCE_OUTPUT: INFERENCE_OUTPUT,
    });
  });

  it('the handler rejects an empty container list naming the field', async () => {
    await expect(containersHandler({ containers: [] })).rejects.toMatchObject({ field: 'containers' });
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
