import { loadPredictor, type ModelArtifact } from '../../automl/artifact';
import { gather, predictRows, trainCandidate } from '../../automl/candidate';
import { buildEnsembleCandidate, chooseMembers, ensembleArtifact, refitMember } from '../../automl/ensemble-candidate';
import { binaryMetrics } from '../../automl/objective';
import { prepareSearch } from '../../automl/search';
import type { LabelledTable } from '../../telemetry/table';
import { twoSensors } from './two-sensors';

const allRows = (t: LabelledTable) => Uint32Array.from({ length: t.rowCount }, (_, i) => i);

describe('ensemble candidate', () => {
  const train = twoSensors(6000, 21);
  const prepared = prepareSearch(train, undefined, { jobName: 'ens', seed: 3 });
  const { setup } = prepared;
  const candidates = setup.plans.map((_, i) => trainCandidate(setup, i, { now: () => 0 }));
  const built = buildEnsembleCandidate(setup, candidates, undefined, () => 0);
  const rows = { all: prepared.allRows, refit: prepared.refitRows };

  it('plans a logistic and a gbt on each sensor view and draws members from different views and families', () => {
    const names = setup.plans.map((p) => p.name);
    for (const view of ['alpha', 'beta']) {
      for (const family of ['logistic', 'gbt'])
        expect(names.some((n) => n.endsWith(`-${family}-view-${view}`))).toBe(true);
    }
    const chosen = chooseMembers(candidates).map((i) => candidates[i]);
    const keys = chosen.map((c) => `${c?.featureSubset}/${c?.family}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(chosen.some((c) => c?.features.includes('alpha') && !c.features.includes('beta'))).toBe(true);
    expect(chosen.some((c) => c?.features.includes('beta') && !c.features.includes('alpha'))).toBe(true);
  });

  it('is scored like a candidate and lists its members with weights summing to 1', () => {
    expect(built).toBeDefined();
    const c = built?.candidate;
    expect(c?.name).toBe(`c${String(candidates.length + 1).padStart(3, '0')}-ensemble-views`);
    expect(c?.family).toBe('ensemble');
    expect(c?.foldValues).toHaveLength(setup.folds.length);
    expect(c?.ensemble?.reduce((a, m) => a + m.weight, 0)).toBeCloseTo(1, 12);
    expect(c?.ensemble?.length).toBeGreaterThanOrEqual(2);
  });

  it('survives the failure of one member’s sensor: alpha stuck in the holdout', () => {
    if (!built) throw new Error('no ensemble');
    const models = built.members.map((m) => refitMember(setup, m.planIndex, rows, undefined).model);
    const c = built.candidate;
    const base = {
      formatVersion: 2 as const,
      version: `ens/${c.name}`,
      featureNames: [...train.names],
      usedFeatures: c.features,
      target: train.targetName,
      threshold: c.threshold,
      objective: c.objective,
      training: {
        candidateName: c.name,
        trainedAt: '2026-01-01T00:00:00Z',
        rows: train.rowCount,
        featureSubset: c.featureSubset,
        hyperParameters: {},
        validation: {},
        seed: 3,
      },
    };
    const artifact: ModelArtifact = ensembleArtifact(base, built, models, setup);
    // Stuck at 11:00 on the third day (a working hour) and at 03:00 (an empty room's reading).
    for (const stuckFrom of [2 * 1440 + 11 * 60, 2 * 1440 + 3 * 60]) {
      const holdout = twoSensors(5 * 1440, 77, stuckFrom);
      const after = allRows(holdout).subarray(stuckFrom);
      const y = gather(holdout.target, after);
      const f1 = (p: ArrayLike<number>, threshold: number) =>
        binaryMetrics(
          y,
          Float64Array.from(p, (v) => (v >= threshold ? 1 : 0)),
          0.5,
        ).f1;
      const scored = loadPredictor(artifact).predictTable(holdout);
      const ensembleF1 = f1(scored.probability.subarray(stuckFrom), artifact.threshold);
      // The alpha-only member, refitted the same way, at its own tuned threshold.
      const alphaIndex = candidates.findIndex((x) => x.name.endsWith('view-alpha') && x.family === 'gbt');
      const alpha = refitMember(setup, alphaIndex, rows, undefined).model;
      const alphaF1 = f1(predictRows(holdout, alpha, after), candidates[alphaIndex]?.threshold ?? 0.5);
      const intact = loadPredictor(artifact).predictTable(twoSensors(5 * 1440, 77));
      const intactF1 = f1(intact.probability.subarray(stuckFrom), artifact.threshold);
      // Intact, the ensemble is far better still; stuck, it keeps most of it while the alpha member collapses.
      expect(intactF1).toBeGreaterThan(0.94);
      expect(ensembleF1).toBeGreaterThan(0.85);
      expect(alphaF1).toBeLessThan(0.8);
      expect(ensembleF1).toBeGreaterThan(alphaF1 + 0.08);
    }
  });
});
