import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderObjectStore } from '../../local/adapters/s3';
import { synthesizePipeline } from '../../local/runtime/synth';
import { DEFAULT_PIPELINE_CONFIG } from '../../pipeline/config';

/** The local S3 refuses bucket names S3 refuses, and the bucket the local pipeline writes to is one S3 accepts. */
describe('local S3 bucket names', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'object-store-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses what S3 refuses (length, case, characters, ends) and accepts valid names', async () => {
    const store = new FolderObjectStore(dir);
    for (const bucket of ['a'.repeat(64), 'ab', 'My-Bucket', 'under_score', '-start', 'end-', 'two..dots']) {
      await expect(store.putText(`s3://${bucket}/k`, 'x')).rejects.toMatchObject({ code: 'InvalidBucketName' });
    }
    await store.putText(`s3://${'a'.repeat(63)}/k`, 'x');
    await store.putText('s3://occupancy-artifacts.v2/runs/k', 'y');
    expect(await store.getText('s3://occupancy-artifacts.v2/runs/k')).toBe('y');
  });

  it("every s3:// bucket in the local pipeline's ASL is a valid bucket name", () => {
    const { definition } = synthesizePipeline(DEFAULT_PIPELINE_CONFIG);
    const buckets = [...JSON.stringify(definition).matchAll(/s3:\/\/([^/'"{}]+)/g)].map((m) => m[1] ?? '');
    expect(buckets.length).toBeGreaterThan(0);
    for (const bucket of buckets) expect(bucket).toMatch(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/);
  });
});
