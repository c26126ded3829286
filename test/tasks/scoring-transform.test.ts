import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FolderObjectStore } from '../../local/adapters/s3';
import { LocalTransformJobs } from '../../local/adapters/sagemaker-transform';
import { LocalHosting } from '../../local/hosting/hosting';
import { withProbabilityOutput } from '../../tasks/candidate-containers';
import { prepareScoringInput } from '../../tasks/prepare-scoring-input';
import { readPredictionLines } from '../../tasks/split-columns';
import { SOUND_MODEL, sigmoid } from '../fixtures/sound-model';
import { parquetParts } from './parquet-split';

/**
 * Scoring end to end on the local parts: the candidate containers as PrepareCandidateContainers leaves them,
 * CreateModel, a batch transform, and the `.out` file read by readPredictionLines (what Evaluate reads).
 */

/** What the local AutoML job reports as BestCandidate.InferenceContainers (automl/job.ts). */
const AUTOPILOT_ENV = {
  SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label',
  SAGEMAKER_INFERENCE_SUPPORTED: 'predicted_label,probability,labels,probabilities',
};

let dir = '';
let hosting: LocalHosting;
let store: FolderObjectStore;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scoring-'));
  hosting = new LocalHosting({ timeScale: 0.001 });
  store = new FolderObjectStore(dir);
  await store.putText('s3://bucket/in/holdout-input.csv', '12\n10.5\n5\n');
});
afterEach(() => {
  hosting.close();
  rmSync(dir, { recursive: true, force: true });
});

function transform(environment: Record<string, string>) {
  const path = join(dir, 'model.json');
  writeFileSync(path, JSON.stringify(SOUND_MODEL));
  const [container] = withProbabilityOutput([
    { Image: 'local', ModelDataUrl: pathToFileURL(path).href, Environment: environment },
  ]);
  hosting.createModel({ ModelName: 'm', Containers: container ? [container] : [] });
  return new LocalTransformJobs(hosting, store).createTransformJobSync({
    TransformJobName: 'score',
    ModelName: 'm',
    TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://bucket/in/' } } },
    TransformOutput: { S3OutputPath: 's3://bucket/out' },
    TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
  });
}

describe('batch scoring with the prepared containers', () => {
  it('writes one answer line per row that readPredictionLines reads as P(occupied)', async () => {
    await transform(AUTOPILOT_ENV);
    const { predicted, probability } = await readPredictionLines(store, 's3://bucket/out/holdout-input.csv.out', 3);
    expect([...predicted]).toEqual([1, 0, 0]);
    // Row 2 is predicted empty with P(occupied) 0.62: read as it is, not flipped to 0.38.
    expect([...probability]).toEqual([sigmoid(2), sigmoid(0.5), sigmoid(-5)]);
  });

  it('a container whose SAGEMAKER_INFERENCE_OUTPUT asks for an unsupported key fails the job with the reason', () => {
    const path = join(dir, 'model.json');
    writeFileSync(path, JSON.stringify(SOUND_MODEL));
    hosting.createModel({
      ModelName: 'm',
      PrimaryContainer: {
        ModelDataUrl: pathToFileURL(path).href,
        Environment: { SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label,probability_of_true' },
      },
    });
    return expect(
      new LocalTransformJobs(hosting, store).createTransformJobSync({
        TransformJobName: 'score',
        ModelName: 'm',
        TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://bucket/in/' } } },
        TransformOutput: { S3OutputPath: 's3://bucket/out' },
        TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      }),
    ).rejects.toThrow(
      /Transform job score failed: Requested inference output keys \[probability_of_true\] are unsupported/,
    );
  });

  it('scores the CSV PrepareScoringInput streams from Parquet parts, one answer per holdout row, in order', async () => {
    const parts = await parquetParts([
      'SELECT i::DOUBLE AS sound, (i > 10)::INTEGER AS occupied FROM range(0, 3000) t(i)',
      'SELECT 12.0 AS sound, 1 AS occupied',
    ]);
    parts.forEach((bytes, i) => {
      const path = store.pathOf(`s3://bucket/h/part-${i}`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
    });
    const prepared = await prepareScoringInput(
      { holdoutUri: 's3://bucket/h/', scoringInputUri: 's3://bucket/in/holdout-input.csv', target: 'occupied' },
      { store },
    );
    expect(prepared).toMatchObject({ rows: 3001, featureNames: ['sound'] });
    await transform(AUTOPILOT_ENV);
    const uri = 's3://bucket/out/holdout-input.csv.out';
    const { predicted, probability } = await readPredictionLines(store, uri, prepared.rows);
    expect(predicted.length).toBe(3001);
    expect([predicted[0], predicted[12], predicted[3000]]).toEqual([0, 1, 1]);
    expect(probability[3000]).toBe(sigmoid(2));
  });
});
