import { loadPredictor, type ModelArtifact } from '../../automl/artifact';
import { gather, predictRows, trainCandidate } from '../../automl/candidate';
import { buildEnsembleCandidate, chooseMembers, ensembleArtifact, refitMember } from '../../automl/ensemble-candidate';
import { binaryMetrics } from '../../automl/objective';
import { mulberry32 } from '../../automl/random';
import { prepareSearch } from '../../automl/search';
import type { LabelledTable } from '../../telemetry/table';

/**
 * Two informative sensors, alpha and beta, each noisy alone (a reading and its 5-minute mean), occupied in meeting
 * blocks on working hours; after `stuckFrom` alpha sticks at the value it read then (a sensor failing).
 */
function twoSensors(rows: number, seed: number, stuckFrom = Number.POSITIVE_INFINITY): LabelledTable {
  const rng = mulberry32(seed);
  const names = ['alpha', 'alpha_mean_5', 'beta', 'beta_mean_5', 'hour_sin', 'hour_cos'];
  const columns = names.map(() => new Float64Array(rows));
  const target = new Uint8Array(rows);
  const recent: number[][] = [[], []];
  let occupied = 0;
  let stuck: number[] | undefined;
  for (let i = 0; i < rows; i++) {
    const hour = (i / 60) % 24;
    const working = hour >= 8 && hour < 18;
    if (working && rng() < (occupied ? 0.02 : 0.03)) occupied = 1 - occupied;
    if (!working) occupied = 0;
    const readings = [10 + occupied * 5 + (rng() - 0.5) * 14, 50 + occupied * 20 + (rng() - 0.5) * 56];
    const means = readings.map((r, s) => {
      const window = recent[s] ?? [];
      window.push(r);
      if (window.length > 5) window.shift();
      return window.reduce((a, b) => a + b, 0) / window.length;
    });
    let alpha = [readings[0] ?? 0, means[0] ?? 0];
    if (i >= stuckFrom) {
      stuck ??= alpha;
      alpha = stuck;
    }
    const values = [
      ...alpha,
      readings[1] ?? 0,
      means[1] ?? 0,
      Math.sin((2 * Math.PI * hour) / 24),
      Math.cos((2 * Math.PI * hour) / 24),
    ];
    values.forEach((v, c) => {
      const col = columns[c];
      if (col) col[i] = v;
    });
    target[i] = occupied;
  }
  return { names, columns, rowCount: rows, ignored: [], target, targetName: 'occupied' };
}

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
