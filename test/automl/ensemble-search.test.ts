import { loadPredictor, parseArtifact, saveArtifact } from '../../automl/artifact';
import { runSearchPool } from '../../automl/pool';
import { runSearch } from '../../automl/search';
import { twoSensors } from './two-sensors';

describe('a search whose ensemble wins', () => {
  // Two noisy sensors over 2 000 minutes: each view alone is unsteady across folds, their blend is not.
  const train = twoSensors(2000, 21);
  const result = runSearch(train, undefined, { jobName: 'ens', seed: 3 });

  it('appends the ensemble to the leaderboard, selects it and refits its members into one artifact', () => {
    const ensemble = result.candidates.at(-1);
    expect(ensemble?.name).toBe(`c${String(result.candidates.length).padStart(3, '0')}-ensemble-views`);
    expect(result.best?.candidate.name).toBe(ensemble?.name);
    const artifact = result.best?.artifact;
    expect(artifact?.family).toBe('ensemble');
    expect(artifact?.formatVersion).toBe(2);
    const members = artifact?.model.family === 'ensemble' ? artifact.model.members : [];
    expect(members.map((m) => m.candidateName)).toEqual(ensemble?.ensemble?.map((m) => m.candidateName));
    expect(members.reduce((a, m) => a + m.weight, 0)).toBeCloseTo(1, 12);
    // Members read different sensors: at least one alpha-only and one beta-only.
    const reads = (ensemble?.ensemble ?? []).map((m) => m.features.filter((f) => !f.startsWith('hour')));
    expect(reads.some((f) => f.every((x) => x.startsWith('alpha')))).toBe(true);
    expect(reads.some((f) => f.every((x) => x.startsWith('beta')))).toBe(true);
  });

  it('is one portable artifact: saved, parsed and loaded, it scores the same', () => {
    const artifact = result.best?.artifact;
    if (!artifact) throw new Error('no artifact');
    const table = twoSensors(600, 5);
    const direct = loadPredictor(artifact).predictTable(table);
    const reloaded = loadPredictor(parseArtifact(saveArtifact(artifact))).predictTable(table);
    expect(Array.from(reloaded.probability)).toEqual(Array.from(direct.probability));
  });

  it('is the same on the worker pool, its tree members refitted on the workers', async () => {
    const a0 = result.best?.artifact;
    const families = a0?.model.family === 'ensemble' ? a0.model.members.map((m) => m.model.family) : [];
    expect(families.some((f) => f === 'gbt' || f === 'forest')).toBe(true);
    const pooled = await runSearchPool(train, undefined, { jobName: 'ens', seed: 3, poolSize: 2 });
    const strip = (c: (typeof result.candidates)[number]) => ({ ...c, startedAt: 0, endedAt: 0 });
    expect(pooled.candidates.map(strip)).toEqual(result.candidates.map(strip));
    // Computed beside the workers (training baseline, feature stability): the same figures as on this thread.
    expect(pooled.validation).toEqual(result.validation);
    expect(pooled.best?.artifact.trainingBaseline).toEqual(result.best?.artifact.trainingBaseline);
    const table = twoSensors(600, 5);
    const a = result.best?.artifact;
    const b = pooled.best?.artifact;
    if (!a || !b) throw new Error('no artifact');
    expect(Array.from(loadPredictor(b).predictTable(table).probability)).toEqual(
      Array.from(loadPredictor(a).predictTable(table).probability),
    );
  });
});
