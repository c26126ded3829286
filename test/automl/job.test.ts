import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPredictor, parseArtifact } from '../../automl/artifact';
import { runAutomlCli } from '../../automl/cli';
import { AutoMLJobError } from '../../automl/errors';
import { type AutoMLJobDescription, AutoMLJobRunner } from '../../automl/job';
import { syntheticExport } from './synthetic';

describe('AutoML job runner (worker thread) and CLI', () => {
  let dir: string;
  let trainPath: string;
  let holdoutPath: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'automl-job-'));
    const lines = syntheticExport(2000, 21).csv.trim().split('\n');
    trainPath = join(dir, 'train.csv');
    holdoutPath = join(dir, 'holdout.csv');
    // A text column and a time column: the first is ignored with a warning, the second orders rows.
    const withExtras = lines.map((l, i) => (i === 0 ? `thing_name,ts,${l}` : `room-1,${i * 60000},${l}`));
    writeFileSync(trainPath, `${withExtras.slice(0, 1501).join('\n')}\n`);
    writeFileSync(holdoutPath, `${[withExtras[0], ...withExtras.slice(1501)].join('\n')}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a job to Completed with a loadable best candidate, visible after a restart', async () => {
    const workDir = join(dir, 'work');
    const progress: AutoMLJobDescription[] = [];
    const runner = new AutoMLJobRunner({ workDir, onProgress: (d) => progress.push(d) });
    runner.start({ name: 'job-1', trainPath: trainPath, target: 'occupied', maxCandidates: 3 });
    expect(runner.describe('job-1').AutoMLJobStatus).toBe('InProgress');
    expect(() => runner.start({ name: 'job-1', trainPath: trainPath, target: 'occupied' })).toThrow(AutoMLJobError);
    const done = await runner.waitFor('job-1');
    expect(done.AutoMLJobStatus).toBe('Completed');
    expect(done.AutoMLJobSecondaryStatus).toBe('MaxCandidatesReached');
    expect(done.Warnings.join()).toContain('thing_name');
    expect(progress.some((d) => d.Progress.CandidatesCompleted === 2 && d.Progress.CandidatesTotal === 3)).toBe(true);
    const url = done.BestCandidate?.InferenceContainers?.[0]?.ModelDataUrl ?? '';
    expect(url.startsWith('file://')).toBe(true);
    // One container, described as Autopilot describes an ensembling candidate: predicted_label until asked.
    expect(done.BestCandidate?.InferenceContainers).toHaveLength(1);
    expect(done.BestCandidate?.InferenceContainers?.[0]?.Environment).toMatchObject({
      SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label',
      SAGEMAKER_INFERENCE_SUPPORTED: 'predicted_label,probability,labels,probabilities',
    });
    const artifact = parseArtifact(readFileSync(fileURLToPath(url), 'utf8'));
    expect(artifact.featureNames).not.toContain('ts');
    expect(loadPredictor(artifact).predictRow(artifact.featureNames.map(() => 0)).label).toBeGreaterThanOrEqual(0);
    const board = runner.listCandidates('job-1');
    // The single-signal threshold is candidate 1 and the flagged baseline: listed once.
    expect(board).toHaveLength(3);
    expect(board.filter((c) => c.Leaderboard.isBaseline).map((c) => c.Leaderboard.family)).toEqual(['threshold']);
    const values = board.map((c) => c.FinalAutoMLJobObjectiveMetric?.Value ?? 0);
    expect(values).toEqual([...values].sort((a, b) => b - a));

    const restarted = new AutoMLJobRunner({ workDir });
    const again = restarted.describe('job-1');
    expect(again.AutoMLJobStatus).toBe('Completed');
    expect(again.BestCandidate?.CandidateName).toBe(done.BestCandidate?.CandidateName);
    expect(() => restarted.describe('nope')).toThrow(AutoMLJobError);
  });

  it('stop() → Stopping → Stopped with the best candidate so far', async () => {
    const runner = new AutoMLJobRunner({
      workDir: join(dir, 'work'),
      onProgress: (d) => {
        if (d.AutoMLJobStatus === 'InProgress' && d.Progress.CandidatesCompleted >= 1) runner.stop('job-stop');
      },
    });
    runner.start({ name: 'job-stop', trainPath: trainPath, target: 'occupied', maxCandidates: 20 });
    const done = await runner.waitFor('job-stop');
    expect(done.AutoMLJobStatus).toBe('Stopped');
    expect(done.AutoMLJobSecondaryStatus).toBe('Stopped');
    expect(done.Progress.CandidatesCompleted).toBeLessThan(20);
    expect(done.BestCandidate?.CandidateStatus).toBe('Completed');
    expect(existsSync(fileURLToPath(done.BestCandidate?.InferenceContainers?.[0]?.ModelDataUrl ?? 'file:///x'))).toBe(
      true,
    );
  });

  it('fails the job with a reason when the target column is absent', async () => {
    const runner = new AutoMLJobRunner({ workDir: join(dir, 'work') });
    runner.start({ name: 'job-bad', trainPath: trainPath, target: 'nope' });
    const done = await runner.waitFor('job-bad');
    expect(done.AutoMLJobStatus).toBe('Failed');
    expect(done.FailureReason).toContain('nope');
  });

  it('CLI prints best, leaderboard and holdout metrics as JSON', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const artifactOut = join(dir, 'model.json');
    const code = await runAutomlCli(
      [
        '--train',
        trainPath,
        '--holdout',
        holdoutPath,
        '--target',
        'occupied',
        '--max-candidates',
        '2',
        '--out',
        artifactOut,
        '--work-dir',
        join(dir, 'cli'),
        '--json',
      ],
      { stdout: (t) => out.push(t), stderr: (t) => err.push(t) },
    );
    expect(code).toBe(0);
    const result = JSON.parse(out.join(''));
    expect(result.best.objective.name).toBe('F1');
    expect(['identity', 'platt', 'isotonic']).toContain(result.best.calibration.method);
    expect(result.best.calibration.brierAfter).toBeLessThanOrEqual(result.best.calibration.brierBefore);
    expect(result.leaderboard).toHaveLength(2);
    expect(result.holdout.f1).toBeGreaterThan(0.5);
    expect(Object.keys(result.holdout).sort()).toEqual(['accuracy', 'auc', 'f1', 'precision', 'recall']);
    expect(existsSync(artifactOut)).toBe(true);
    expect(err.join('')).toContain('candidate 1/2');
  });

  it('CLI rejects bad flags with exit code 2 and names the flag', async () => {
    const err: string[] = [];
    const io = { stdout: () => undefined, stderr: (t: string) => err.push(t) };
    expect(await runAutomlCli(['--train', trainPath], io)).toBe(2);
    expect(err.join('')).toContain('--target');
    expect(await runAutomlCli(['--train', trainPath, '--target', 'occupied', '--objective', 'Nope'], io)).toBe(2);
    expect(await runAutomlCli(['--train', trainPath, '--target', 'occupied', '--max-candidates', '0'], io)).toBe(2);
    expect(await runAutomlCli(['--bogus'], io)).toBe(2);
    expect(err.join('')).toContain('--max-candidates');
  });
});
