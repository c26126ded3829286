import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { runAutomlCli } from '../../automl/cli';
import { AutoMLJobRunner } from '../../automl/job';
import { syntheticExport } from './synthetic';

/** `occupancy baseline` writes its splits as Parquet: the CLI must read them as such, not as CSV text. */
describe('occupancy automl on Parquet splits', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'automl-parquet-'));
    writeFileSync(join(dir, 'all.csv'), syntheticExport(4000, 5).csv);
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const all = `read_csv('${join(dir, 'all.csv')}', header = true)`;
    await c.run(`COPY (SELECT * FROM ${all} LIMIT 3000) TO '${join(dir, 'train.parquet')}' (FORMAT parquet)`);
    await c.run(`COPY (SELECT * FROM ${all} OFFSET 3000) TO '${join(dir, 'holdout.parquet')}' (FORMAT parquet)`);
    c.closeSync();
    db.closeSync();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAutomlCli(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    return { code, out: out.join(''), err: err.join('') };
  };

  it('trains on a .parquet train file, scores a .parquet holdout, and records the Parquet content type', async () => {
    const workDir = join(dir, 'work');
    const args = ['--train', join(dir, 'train.parquet'), '--holdout', join(dir, 'holdout.parquet')];
    const { code, out } = await run([
      ...args,
      '--target',
      'occupied',
      '--max-candidates',
      '3',
      '--work-dir',
      workDir,
      '--json',
    ]);
    expect(code).toBe(0);
    const result = JSON.parse(out);
    expect(result.holdout.f1).toBeGreaterThan(0.5);
    const [job = ''] = new AutoMLJobRunner({ workDir }).listJobs();
    const state = JSON.parse(readFileSync(join(workDir, job, 'job.json'), 'utf8'));
    expect(state.spec.contentType).toBe('x-application/vnd.amazon+parquet');
  });

  it('refuses a validation file of another format than train, naming --validation', async () => {
    const { code, err } = await run([
      '--train',
      join(dir, 'train.parquet'),
      '--validation',
      join(dir, 'all.csv'),
      '--target',
      'occupied',
    ]);
    expect(code).toBe(2);
    expect(err).toContain('--validation must be the same format as --train (Parquet)');
  });
});
