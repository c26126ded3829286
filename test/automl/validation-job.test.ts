import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAutomlCli } from '../../automl/cli';
import { AutoMLJobRunner } from '../../automl/job';
import { mulberry32 } from '../../automl/random';
import { toCsv } from '../../telemetry/csv';
import { syntheticExport } from './synthetic';

/**
 * A room used only at the start and at the end of the recording: the rolling-origin validation blocks in
 * between hold no occupied row, so they merge into one fold (as on UCI's few days).
 */
function oneFoldCsv(n: number): string {
  const rng = mulberry32(4);
  const rows: number[][] = [];
  let occupied = 0;
  for (let i = 0; i < n; i++) {
    const inUse = i < n * 0.3 || i >= n * 0.85;
    if (inUse && rng() < 0.05) occupied = 1 - occupied;
    if (!inUse) occupied = 0;
    const sound = (occupied ? 12 : 6) + (rng() - 0.5) * 8;
    rows.push([Number(sound.toFixed(3)), Number(((rng() - 0.5) * 2).toFixed(3)), occupied]);
  }
  return toCsv(['sound', 'sound_delta', 'occupied'], rows);
}

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await runAutomlCli(args, { stdout: (t) => out.push(t), stderr: () => undefined });
  return { code, out: out.join('') };
}

describe('occupancy automl reports what its validation can say', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'automl-validation-'));
    writeFileSync(join(dir, 'one-fold.csv'), oneFoldCsv(1200));
    writeFileSync(join(dir, 'several-folds.csv'), syntheticExport(1500, 21).csv);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--json: folds, per-candidate fold scores, feature stability, and the statement when one fold cannot separate', async () => {
    const workDir = join(dir, 'work-one');
    const args = ['--train', join(dir, 'one-fold.csv'), '--target', 'occupied', '--max-candidates', '3'];
    const { code, out } = await cli([...args, '--work-dir', workDir, '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(out);
    expect(result.validation.folds).toHaveLength(1);
    expect(result.validation.folds[0]).toMatchObject({ index: 1, trainRows: 360 });
    expect(result.validation.folds[0].validationPositives).toBeGreaterThanOrEqual(5);
    expect(result.validation.spread).toBe(0);
    expect(result.validation.separable).toBe(false);
    expect(result.validation.statement).toContain('only 1 validation fold');
    expect(result.validation.statement).toContain(result.best.name);
    expect(result.validation.featureStability.map((f: { feature: string }) => f.feature)).toEqual([
      'sound',
      'sound_delta',
    ]);
    for (const f of result.validation.featureStability) {
      expect(f.psi).toBeGreaterThanOrEqual(0);
      expect(f.ks).toBeGreaterThanOrEqual(0);
      expect(f.ks).toBeLessThanOrEqual(1);
    }
    expect(result.validation.featureStability[1]).toMatchObject({ relative: true, drifting: false });
    for (const row of result.leaderboard) {
      if (row.status === 'Completed') expect(row.foldValues).toHaveLength(1);
      expect(Array.isArray(row.driftingFeatures)).toBe(true);
    }
    // The job keeps the report: a runner started later describes it.
    const [job] = new AutoMLJobRunner({ workDir }).listJobs();
    const described = new AutoMLJobRunner({ workDir }).describe(job ?? '?');
    expect(described.Validation?.separable).toBe(false);
    expect(described.Validation?.folds).toHaveLength(1);

    // The human output carries the statement on one line.
    const human = await cli([...args, '--work-dir', join(dir, 'work-one-human')]);
    expect(human.code).toBe(0);
    const line = human.out.split('\n').find((l) => l.startsWith('validation '));
    expect(line).toContain('Validation cannot separate the top candidates: only 1 validation fold');
  });

  it('--json: several folds: separable exactly when the gap exceeds the spread, a statement only when not', async () => {
    const { code, out } = await cli([
      '--train',
      join(dir, 'several-folds.csv'),
      '--target',
      'occupied',
      '--max-candidates',
      '4',
      '--work-dir',
      join(dir, 'work-several'),
      '--json',
    ]);
    expect(code).toBe(0);
    const result = JSON.parse(out);
    const folds = result.validation.folds.length;
    expect(folds).toBeGreaterThanOrEqual(2);
    for (const row of result.leaderboard) if (row.status === 'Completed') expect(row.foldValues).toHaveLength(folds);
    const { gap, spread, separable, statement } = result.validation;
    expect(separable).toBe(gap > spread);
    expect(statement === null).toBe(separable);
    const temperature = result.validation.featureStability.find(
      (f: { feature: string }) => f.feature === 'temperature',
    );
    // The synthetic export's temperature climbs over time: its empty-room level shifts between folds.
    expect(temperature).toMatchObject({ relative: false, drifting: true });
    expect(temperature.psi).toBeGreaterThan(0.25);
  });
});
