import { parseArtifact, saveArtifact } from '../../automl/artifact';
import { ArtifactError } from '../../automl/errors';
import { runSearch } from '../../automl/search';
import { syntheticExport } from './synthetic';
import { twoSensors } from './two-sensors';

describe('the artifact carries its training baseline', () => {
  const { table } = syntheticExport(1200, 5);

  it.each([
    ['a two-candidate search', { maxCandidates: 2 }],
    ['a four-candidate search', { maxCandidates: 4 }],
  ])('%s: one baseline entry per feature over every training row, shares summing to 1', (_, opts) => {
    const result = runSearch(table, undefined, { jobName: 'tb', seed: 3, ...opts });
    const artifact = result.best?.artifact;
    const baseline = artifact?.trainingBaseline;
    expect(baseline).toBeDefined();
    expect(Object.keys(baseline?.features ?? {})).toEqual(artifact?.featureNames);
    expect(baseline?.rows).toBe(table.rowCount);
    for (const f of Object.values(baseline?.features ?? {})) {
      expect(f.rows).toBe(table.rowCount);
      expect(f.proportions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    }
  });

  it('an ensemble winner carries one too (as ensemble-search.test.ts arranges it to win)', () => {
    const train = twoSensors(2000, 21);
    const artifact = runSearch(train, undefined, { jobName: 'ens', seed: 3 }).best?.artifact;
    expect(artifact?.family).toBe('ensemble');
    expect(Object.keys(artifact?.trainingBaseline?.features ?? {})).toEqual(train.names);
    expect(artifact?.trainingBaseline?.rows).toBe(train.rowCount);
  });

  it('round-trips through save/parse; a baseline naming an unknown feature is refused, naming the field', () => {
    const artifact = runSearch(table, undefined, { jobName: 'tb', seed: 3, maxCandidates: 2 }).best?.artifact;
    if (!artifact) throw new Error('no artifact');
    expect(parseArtifact(saveArtifact(artifact)).trainingBaseline).toEqual(artifact.trainingBaseline);
    const [first] = Object.values(artifact.trainingBaseline?.features ?? {});
    if (!first || !artifact.trainingBaseline) throw new Error('no baseline');
    const bad = {
      ...artifact,
      trainingBaseline: {
        ...artifact.trainingBaseline,
        features: { ...artifact.trainingBaseline.features, ghost: first },
      },
    };
    let error: unknown;
    try {
      saveArtifact(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ArtifactError);
    expect((error as ArtifactError).field).toBe('trainingBaseline.features.ghost');
  });

  it('an artifact without one (older, format 2) still parses', () => {
    const artifact = runSearch(table, undefined, { jobName: 'tb', seed: 3, maxCandidates: 2 }).best?.artifact;
    if (!artifact) throw new Error('no artifact');
    const { trainingBaseline: _, ...older } = artifact;
    expect(parseArtifact(JSON.stringify(older)).trainingBaseline).toBeUndefined();
  });
});
