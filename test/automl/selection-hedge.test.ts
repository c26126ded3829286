import { chooseMembers } from '../../automl/ensemble-candidate';
import { type CandidateResult, DRIFT_MARGIN, selectCandidate } from '../../automl/search';

/** A completed candidate with the fold values given (robust value = mean of pooled and worst fold). */
function candidate(
  name: string,
  family: CandidateResult['family'],
  foldValues: number[],
  extra: Partial<CandidateResult> = {},
): CandidateResult {
  const pooled = foldValues.reduce((a, b) => a + b, 0) / foldValues.length;
  return {
    name,
    family,
    featureSubset: 'x',
    features: family === 'ensemble' ? ['sound', 'co2', 'light'] : ['sound'],
    hyperParameters: {},
    status: 'Completed',
    objective: { name: 'F1', value: pooled },
    foldValues,
    threshold: 0.5,
    validation: undefined,
    beatsBaseline: true,
    robustValue: (pooled + Math.min(...foldValues)) / 2,
    startedAt: 0,
    endedAt: 0,
    ...extra,
  };
}

describe('selection when validation cannot rank the candidates', () => {
  it('takes the ensemble when two single candidates and the ensemble lie within one standard error of the top', () => {
    const list = [
      candidate('gbt-all', 'gbt', [0.88, 0.9, 0.89]),
      candidate('gbt-top-half', 'gbt', [0.882, 0.9, 0.889], { features: ['sound', 'co2'] }),
      candidate('forest-all', 'forest', [0.881, 0.903, 0.896]),
      candidate('ensemble-views', 'ensemble', [0.885, 0.907, 0.897]),
    ];
    expect(selectCandidate(list)).toBe(3);
  });

  it('takes the ensemble also when it is just below the top single candidate, inside the band', () => {
    const list = [
      candidate('gbt-all', 'gbt', [0.89, 0.91, 0.9]),
      candidate('forest-all', 'forest', [0.888, 0.91, 0.899]),
      candidate('ensemble-views', 'ensemble', [0.887, 0.908, 0.898]),
    ];
    expect(selectCandidate(list)).toBe(2);
  });

  it('keeps a single candidate the folds clearly rank first, even with the ensemble close to it', () => {
    const list = [
      candidate('logistic-top1', 'logistic', [0.97, 0.975, 0.972]),
      candidate('gbt-all', 'gbt', [0.9, 0.91, 0.9]),
      candidate('ensemble-views', 'ensemble', [0.968, 0.974, 0.971]),
    ];
    expect(selectCandidate(list)).toBe(0);
  });

  it('falls back to the simplest in the band when the ensemble is outside it', () => {
    const list = [
      candidate('gbt-all', 'gbt', [0.9, 0.9, 0.9]),
      candidate('logistic-all', 'logistic', [0.898, 0.899, 0.898]),
      candidate('ensemble-views', 'ensemble', [0.85, 0.86, 0.85]),
    ];
    expect(selectCandidate(list)).toBe(1);
  });

  it('still lets a stable candidate beat an equally good drifting one, and never hedges with a drifting ensemble', () => {
    const drifting = { driftingFeatures: ['light'] };
    const list = [
      candidate('stable-gbt', 'gbt', [0.9, 0.9, 0.9]),
      candidate('light-forest', 'forest', [0.91, 0.91, 0.91], drifting),
      candidate('stable-logistic', 'logistic', [0.899, 0.899, 0.899]),
      candidate('ensemble-with-light', 'ensemble', [0.905, 0.905, 0.905], drifting),
    ];
    expect(0.91 - 0.9).toBeLessThan(DRIFT_MARGIN);
    // The drift-free band holds two candidates the folds cannot rank, but the only ensemble reads a drifting level.
    expect(selectCandidate(list)).toBe(2);
  });
});

describe('ensemble members and drifting features', () => {
  const drifting = { driftingFeatures: ['temperature'], features: ['sound', 'temperature'] };

  it('leaves out members reading drifting features when they do not win validation by DRIFT_MARGIN', () => {
    const list = [
      candidate('drifting-gbt', 'gbt', [0.9, 0.9, 0.9], drifting),
      candidate('stable-gbt', 'gbt', [0.89, 0.89, 0.89], { features: ['sound', 'co2'] }),
      candidate('stable-logistic', 'logistic', [0.85, 0.85, 0.85], { features: ['sound', 'co2'] }),
    ];
    expect(chooseMembers(list)).toEqual([1, 2]);
  });

  it('takes them when drifting features win by DRIFT_MARGIN, as the selection accepts them', () => {
    const list = [
      candidate('drifting-gbt', 'gbt', [0.9, 0.9, 0.9], drifting),
      candidate('stable-gbt', 'gbt', [0.8, 0.8, 0.8], { features: ['sound', 'co2'] }),
      candidate('drifting-forest', 'forest', [0.89, 0.89, 0.89], drifting),
    ];
    expect(chooseMembers(list)).toEqual([0, 2]);
  });
});
