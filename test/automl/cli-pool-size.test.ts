import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliUsageError, parseAutomlArgs, runAutomlCli } from '../../automl/cli';
import { syntheticExport } from './synthetic';

describe('occupancy automl --pool-size', () => {
  let dir: string;
  let trainPath: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'automl-pool-size-'));
    trainPath = join(dir, 'train.csv');
    writeFileSync(trainPath, syntheticExport(1500, 5).csv);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses a whole number of workers; absent, the engine picks the cores', () => {
    const base = ['--train', trainPath, '--target', 'occupied'];
    expect(parseAutomlArgs([...base, '--pool-size', '3']).poolSize).toBe(3);
    expect(parseAutomlArgs(base).poolSize).toBeUndefined();
  });

  // `--pool-size=-1`: with a space, parseArgs would read `-1` as another option.
  it.each(['0', '-1', '1.5', 'two', ''])('refuses --pool-size=%j with exit 2, naming the flag', async (value) => {
    const argv = ['--train', trainPath, '--target', 'occupied', `--pool-size=${value}`];
    let thrown: unknown;
    try {
      parseAutomlArgs(argv);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CliUsageError);
    expect(thrown instanceof CliUsageError ? thrown.flag : undefined).toBe('pool-size');
    const err: string[] = [];
    expect(await runAutomlCli(argv, { stdout: () => undefined, stderr: (t) => err.push(t) })).toBe(2);
    expect(err.join('')).toContain('--pool-size');
    expect(err.join('')).toContain('usage: occupancy automl');
  });

  it('passes the size to the job, which completes with it', async () => {
    const workDir = join(dir, 'work');
    const out: string[] = [];
    const argv = ['--train', trainPath, '--target', 'occupied', '--max-candidates', '2', '--pool-size', '1'];
    const code = await runAutomlCli([...argv, '--work-dir', workDir, '--json'], {
      stdout: (t) => out.push(t),
      stderr: () => undefined,
    });
    expect(code).toBe(0);
    expect(JSON.parse(out.join('')).job.status).toBe('Completed');
    const [job] = readdirSync(workDir);
    const state = JSON.parse(readFileSync(join(workDir, String(job), 'job.json'), 'utf8'));
    expect(state.spec.poolSize).toBe(1);
  });
});
