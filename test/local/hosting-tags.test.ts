import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ListTagsCommand } from '@aws-sdk/client-sagemaker';
import { LocalHosting } from '../../local/hosting/hosting';
import { standInSageMaker } from '../../local/runtime/evidence';
import { TRAINING_BASELINE_TAG } from '../../monitoring/baseline-location';

/**
 * Model tags on the local endpoint host (issue 21 item 1): CreateModel keeps the tags AWS would accept and refuses
 * the others with SageMaker's validation error; ListTags answers them by the model's ARN, also through the
 * monitor's SageMaker stand-in.
 */

let dir: string;
let hosting: LocalHosting;
let artifact: string;
const BASELINE = 's3://artifacts/runs/run-1/training-baseline.json';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hosting-tags-'));
  artifact = join(dir, 'model.json');
  writeFileSync(artifact, '{}');
  hosting = new LocalHosting({ stateDir: join(dir, 'hosting'), timeScale: 0.001 });
});
afterEach(() => {
  hosting.close();
  rmSync(dir, { recursive: true, force: true });
});

const create = (name: string, Tags: { Key: string; Value: string }[]) =>
  hosting.createModel({ ModelName: name, PrimaryContainer: { ModelDataUrl: pathToFileURL(artifact).href }, Tags });

describe('local model tags', () => {
  it('lists the tags a model was created with, by its ARN, also through the monitor’s stand-in', async () => {
    const { ModelArn } = create('occ-run-1-candidate', [
      { Key: 'occupancy:execution', Value: 'run-1' },
      { Key: TRAINING_BASELINE_TAG, Value: BASELINE },
    ]);
    expect(hosting.listTags({ ResourceArn: ModelArn }).Tags).toEqual([
      { Key: 'occupancy:execution', Value: 'run-1' },
      { Key: TRAINING_BASELINE_TAG, Value: BASELINE },
    ]);
    const listed = await standInSageMaker(hosting).send(new ListTagsCommand({ ResourceArn: ModelArn }));
    expect(listed.Tags?.find((t) => t.Key === TRAINING_BASELINE_TAG)?.Value).toBe(BASELINE);
  });

  it('refuses what AWS refuses: a bad character, a key twice, a bad ARN, a page under 50, an unknown model', () => {
    expect(() => create('occ-a', [{ Key: 'k', Value: 'a,b' }])).toThrow(/regular expression pattern/);
    expect(() =>
      create('occ-b', [
        { Key: 'k', Value: '1' },
        { Key: 'k', Value: '2' },
      ]),
    ).toThrow(/unique/);
    expect(() => create('occ-c', [{ Key: 'k', Value: 'v'.repeat(257) }])).toThrow(/less than or equal to 256/);
    expect(() => hosting.listTags({ ResourceArn: 'occ-a' })).toThrow(/resourceArn/);
    const { ModelArn } = create('occ-d', []);
    expect(() => hosting.listTags({ ResourceArn: ModelArn, MaxResults: 10 })).toThrow(/greater than or equal to 50/);
    expect(() => hosting.listTags({ ResourceArn: `${ModelArn}x` })).toThrow(
      expect.objectContaining({ name: 'ValidationException' }),
    );
  });
});
