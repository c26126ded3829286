import type { Fold } from '../../automl/candidate';
import { blend, ensembleWeights, scoreEnsemble } from '../../automl/ensemble';
import { featureViews, signalOf, viewPlans } from '../../automl/feature-views';
import { objectiveValue, tuneThreshold } from '../../automl/objective';
import { mulberry32 } from '../../automl/random';

/** Labels and probabilities: `good` tracks the label on rows where `sharp(i)`, and is a coin elsewhere. */
function scenario(n: number, seed: number) {
  const rng = mulberry32(seed);
  const y = Uint8Array.from({ length: n }, () => (rng() < 0.4 ? 1 : 0));
  const member = (sharp: (i: number) => boolean) =>
    Float64Array.from(y, (label, i) => (sharp(i) ? (label ? 0.75 : 0.25) + (rng() - 0.5) * 0.3 : 0.2 + rng() * 0.6));
  return { y, member, rng };
}

const bestF1 = (y: Uint8Array, p: Float64Array) => tuneThreshold(y, p, 'F1').value;

describe('ensemble weights on out-of-fold predictions', () => {
  it('gives a useless member (noise) next to no weight', () => {
    const { y, member, rng } = scenario(4000, 3);
    const good = member(() => true);
    const noise = Float64Array.from(y, () => rng());
    const constant = new Float64Array(y.length).fill(0.5);
    const weights = ensembleWeights([noise, good, constant], y);
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(weights[0]).toBeLessThan(0.05);
    expect(weights[2]).toBeLessThan(0.05);
    expect(weights[1]).toBeGreaterThan(0.9);
  });

  it('mixes two complementary members (each sharp on half the rows) into one better than either', () => {
    const { y, member } = scenario(4000, 5);
    const a = member((i) => i % 2 === 0);
    const b = member((i) => i % 2 === 1);
    const weights = ensembleWeights([a, b], y);
    expect(weights[0]).toBeGreaterThan(0.3);
    expect(weights[1]).toBeGreaterThan(0.3);
    const mixed = bestF1(y, blend([a, b], weights));
    expect(mixed).toBeGreaterThan(bestF1(y, a) + 0.05);
    expect(mixed).toBeGreaterThan(bestF1(y, b) + 0.05);
  });

  it('scores the blend like a candidate: pooled objective at the tuned threshold, and each fold at it', () => {
    const { y, member } = scenario(600, 9);
    const p = member(() => true);
    const rows = Uint32Array.from({ length: 600 }, (_, i) => i);
    const folds: Fold[] = [
      { train: rows.subarray(0, 200), valid: rows.subarray(200, 400) },
      { train: rows.subarray(0, 400), valid: rows.subarray(400, 600) },
    ];
    const target = y;
    const pooled = p.slice(200);
    const s = scoreEnsemble(folds, target, pooled, 'F1');
    const tuned = tuneThreshold(y.slice(200), pooled, 'F1');
    expect(s.threshold).toBe(tuned.threshold);
    expect(s.value).toBe(tuned.value);
    expect(s.foldValues).toEqual([
      objectiveValue(y.slice(200, 400), pooled.subarray(0, 200), tuned.threshold, 'F1'),
      objectiveValue(y.slice(400), pooled.subarray(200), tuned.threshold, 'F1'),
    ]);
    expect(s.robustValue).toBe((s.value + Math.min(...s.foldValues)) / 2);
  });
});

describe('feature views', () => {
  it('groups features by the sensor named first; time of day joins every view', () => {
    expect(signalOf('sound_std_5')).toBe('sound');
    expect(signalOf('co2_slope_10')).toBe('co2');
    expect(signalOf('Light')).toBe('light');
    expect(signalOf('hour_sin')).toBeUndefined();
    const names = ['sound_std_5', 'co2_slope_10', 'sound_mean_5', 'hour_sin', 'CO2'];
    expect(featureViews(names)).toEqual([
      { name: 'view-sound', features: [0, 2, 3] },
      { name: 'view-co2', features: [1, 3, 4] },
    ]);
    expect(featureViews(['sound', 'sound_delta', 'hour_cos'])).toEqual([]);
  });

  it('plans a logistic and a gbt per view, skipping one already planned on the same features', () => {
    const views = featureViews(['Light', 'CO2']);
    const planned = [
      {
        subset: { name: 'top1', features: [0] },
        plan: { family: 'logistic' as const, params: { C: 1, maxIterations: 50, maxRows: 1 } },
      },
    ];
    expect(viewPlans(views, planned).map((p) => `${p.plan.family}-${p.subset.name}`)).toEqual([
      'gbt-view-light',
      'logistic-view-co2',
      'gbt-view-co2',
    ]);
  });
});
