import fc from 'fast-check';
import {
  averagePrecision,
  brierScore,
  calibrationBins,
  classificationMetrics,
  confusionMatrix,
  EvaluationError,
  prCurve,
  rocAuc,
  rocCurve,
} from '../../evaluation';

describe('confusionMatrix and hard-prediction metrics', () => {
  // tp: rows 0, 2, 7; fn: row 1; fp: row 4; tn: rows 3, 5, 6.
  const y = [1, 1, 1, 0, 0, 0, 0, 1];
  const predicted = [1, 0, 1, 0, 1, 0, 0, 1];

  it('counts the four cells', () => {
    expect(confusionMatrix(y, predicted)).toEqual({ tp: 3, fp: 1, tn: 3, fn: 1 });
  });

  it('derives the hand-computed ratios', () => {
    const m = classificationMetrics(y, predicted);
    expect(m).toMatchObject({ rows: 8, positives: 4, tp: 3, fp: 1, tn: 3, fn: 1 });
    expect(m.accuracy).toBeCloseTo(0.75, 12);
    expect(m.precision).toBeCloseTo(0.75, 12);
    expect(m.recall).toBeCloseTo(0.75, 12);
    expect(m.f1).toBeCloseTo(0.75, 12);
    // (3·3 − 1·1) / sqrt(4·4·4·4) = 8 / 16
    expect(m.mcc).toBeCloseTo(0.5, 12);
    expect(m.balancedAccuracy).toBeCloseTo(0.75, 12);
    expect(m.rocAuc).toBeUndefined();
    expect(m.brier).toBeUndefined();
  });

  it('matches an asymmetric case: imbalanced classes separate accuracy from balanced accuracy', () => {
    // y: 2 positives, 8 negatives. Predict 1 tp, 1 fn, 2 fp, 6 tn.
    const m = classificationMetrics([1, 1, 0, 0, 0, 0, 0, 0, 0, 0], [1, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(m.accuracy).toBeCloseTo(0.7, 12);
    expect(m.precision).toBeCloseTo(1 / 3, 12);
    expect(m.recall).toBeCloseTo(0.5, 12);
    expect(m.f1).toBeCloseTo(0.4, 12); // 2·1 / (2·1 + 2 + 1)
    expect(m.balancedAccuracy).toBeCloseTo((0.5 + 0.75) / 2, 12);
    // (1·6 − 2·1) / sqrt(3·2·8·7)
    expect(m.mcc).toBeCloseTo(4 / Math.sqrt(336), 12);
  });

  it('defines the 0/0 cases as documented', () => {
    const nothingPredicted = classificationMetrics([1, 0, 0], [0, 0, 0]);
    expect(nothingPredicted.precision).toBe(0);
    expect(nothingPredicted.f1).toBe(0);
    expect(nothingPredicted.mcc).toBe(0);
    expect(nothingPredicted.balancedAccuracy).toBeCloseTo(0.5, 12);

    const noPositives = classificationMetrics([0, 0, 0, 0], [0, 1, 0, 0]);
    expect(noPositives.recall).toBe(0);
    expect(noPositives.f1).toBe(0);
    expect(noPositives.mcc).toBe(0);
    // Only the negative class is present, so balanced accuracy is its recall (specificity).
    expect(noPositives.balancedAccuracy).toBeCloseTo(0.75, 12);

    const allNegativeAndRight = classificationMetrics([0, 0], [0, 0]);
    expect(allNegativeAndRight).toMatchObject({ accuracy: 1, precision: 0, recall: 0, f1: 0, mcc: 0 });
  });

  it('gives MCC −1 for perfectly inverted predictions', () => {
    expect(classificationMetrics([1, 0, 1, 0], [0, 1, 0, 1]).mcc).toBeCloseTo(-1, 12);
  });

  it('rejects a length mismatch naming the field', () => {
    expect(() => confusionMatrix([1, 0], [1])).toThrow(EvaluationError);
    try {
      classificationMetrics([1, 0], [1, 0], [0.5]);
      throw new Error('expected an EvaluationError');
    } catch (error) {
      expect(error).toBeInstanceOf(EvaluationError);
      expect((error as EvaluationError).field).toBe('probability');
    }
  });

  it('rejects non-binary labels and out-of-range probabilities naming the field', () => {
    expect(() => confusionMatrix([1, 2], [1, 0])).toThrow(expect.objectContaining({ field: 'y' }));
    expect(() => confusionMatrix([1, 0], [0.5, 0])).toThrow(expect.objectContaining({ field: 'predicted' }));
    expect(() => classificationMetrics([1, 0], [1, 0], [1.2, 0])).toThrow(
      expect.objectContaining({ field: 'probability' }),
    );
    expect(() => classificationMetrics([1, 0], [1, 0], [Number.NaN, 0])).toThrow(EvaluationError);
    expect(() => confusionMatrix([], [])).toThrow(expect.objectContaining({ field: 'y' }));
  });
});

describe('probability-based metrics', () => {
  // scikit-learn's documented example: roc_auc_score = 0.75, average_precision_score ≈ 0.8333.
  const y = [0, 0, 1, 1];
  const scores = [0.1, 0.4, 0.35, 0.8];

  it('reproduces the scikit-learn ROC-AUC and average precision example', () => {
    expect(rocAuc(y, scores)).toBeCloseTo(0.75, 12);
    // Thresholds 0.8 (P 1, R .5), 0.4 (P .5, R .5), 0.35 (P 2/3, R 1): 0.5·1 + 0 + 0.5·2/3
    expect(averagePrecision(y, scores)).toBeCloseTo(5 / 6, 12);
  });

  it('counts tied scores as half a win (average ranks)', () => {
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBeCloseTo(0.5, 12);
    // Pairs: (0.9 vs 0.2) wins, (0.2 vs 0.2) ties → (1 + 0.5) / 2
    expect(rocAuc([0, 1, 1], [0.2, 0.2, 0.9])).toBeCloseTo(0.75, 12);
    // Ties enter average precision as one threshold: 0.9 → P 1, R .5; 0.2 → P 2/3, R 1
    expect(averagePrecision([0, 1, 1], [0.2, 0.2, 0.9])).toBeCloseTo(0.5 + 0.5 * (2 / 3), 12);
  });

  it('reproduces the scikit-learn Brier score example', () => {
    // (0.01 + 0.01 + 0.04 + 0.09) / 4
    expect(brierScore([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3])).toBeCloseTo(0.0375, 12);
  });

  it('adds the probability metrics to classificationMetrics only when defined', () => {
    const m = classificationMetrics(y, [0, 1, 0, 1], scores);
    expect(m.rocAuc).toBeCloseTo(0.75, 12);
    expect(m.prAuc).toBeCloseTo(5 / 6, 12);
    expect(m.brier).toBeCloseTo((0.01 + 0.16 + 0.65 ** 2 + 0.04) / 4, 12);

    const onlyNegatives = classificationMetrics([0, 0], [0, 0], [0.2, 0.4]);
    expect(onlyNegatives.rocAuc).toBeUndefined();
    expect(onlyNegatives.prAuc).toBeUndefined();
    expect(onlyNegatives.brier).toBeCloseTo(0.1, 12);

    const onlyPositives = classificationMetrics([1, 1], [1, 1], [0.2, 0.4]);
    expect(onlyPositives.rocAuc).toBeUndefined();
    expect(onlyPositives.prAuc).toBeCloseTo(1, 12);
  });

  it('refuses ROC-AUC with a single class and AP without positives', () => {
    expect(() => rocAuc([1, 1], [0.2, 0.3])).toThrow(expect.objectContaining({ field: 'y' }));
    expect(() => averagePrecision([0, 0], [0.2, 0.3])).toThrow(EvaluationError);
  });

  it('agrees with the pairwise definition of ROC-AUC on random inputs', () => {
    const arbitraryScored = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 10 })), {
        minLength: 2,
        maxLength: 60,
      })
      .filter((rows) => rows.some(([label]) => label === 1) && rows.some(([label]) => label === 0));
    fc.assert(
      fc.property(arbitraryScored, (rows) => {
        const labels = rows.map(([label]) => label);
        const probabilities = rows.map(([, s]) => s / 10); // coarse scores force many ties
        let wins = 0;
        let pairs = 0;
        rows.forEach(([li], i) => {
          rows.forEach(([lj], j) => {
            if (li !== 1 || lj !== 0) return;
            pairs++;
            const pi = probabilities[i] ?? 0;
            const pj = probabilities[j] ?? 0;
            wins += pi > pj ? 1 : pi === pj ? 0.5 : 0;
          });
        });
        expect(rocAuc(labels, probabilities)).toBeCloseTo(wins / pairs, 10);
      }),
      { numRuns: 200, seed: 42 },
    );
  });
});

describe('curves', () => {
  const y = [0, 0, 1, 1];
  const scores = [0.1, 0.4, 0.35, 0.8];

  it('ROC curve matches scikit-learn roc_curve on its documented example', () => {
    const curve = rocCurve(y, scores);
    expect(curve.fpr).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(curve.tpr).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(curve.thresholds).toEqual([Number.POSITIVE_INFINITY, 0.8, 0.4, 0.35, 0.1]);
  });

  it('ROC curve drops points in the middle of straight runs and keeps the area', () => {
    // Three positives above three negatives: the curve is (0,0) → (0,1) → (1,1).
    const labels = [1, 1, 1, 0, 0, 0];
    const probabilities = [0.9, 0.8, 0.7, 0.3, 0.2, 0.1];
    const curve = rocCurve(labels, probabilities);
    expect(curve.fpr).toEqual([0, 0, 1]);
    expect(curve.tpr).toEqual([0, 1, 1]);
    expect(curve.thresholds).toEqual([Number.POSITIVE_INFINITY, 0.7, 0.1]);
  });

  it('PR curve lists precision and recall at every threshold, highest first', () => {
    const curve = prCurve(y, scores);
    expect(curve.thresholds).toEqual([Number.POSITIVE_INFINITY, 0.8, 0.4, 0.35, 0.1]);
    expect(curve.recall).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(curve.precision[0]).toBe(1);
    expect(curve.precision[1]).toBe(1);
    expect(curve.precision[2]).toBeCloseTo(0.5, 12);
    expect(curve.precision[3]).toBeCloseTo(2 / 3, 12);
    expect(curve.precision[4]).toBeCloseTo(0.5, 12);
  });

  it('calibration bins count rows per probability range and keep empty bins', () => {
    const bins = calibrationBins([0, 1, 1, 0, 1], [0.05, 0.15, 0.12, 0.95, 1], 4);
    expect(bins.map((b) => b.count)).toEqual([3, 0, 0, 2]);
    expect(bins[0]?.lower).toBe(0);
    expect(bins[0]?.upper).toBe(0.25);
    expect(bins[0]?.meanProbability).toBeCloseTo((0.05 + 0.15 + 0.12) / 3, 12);
    expect(bins[0]?.fractionPositive).toBeCloseTo(2 / 3, 12);
    expect(bins[1]?.meanProbability).toBeNull();
    expect(bins[1]?.fractionPositive).toBeNull();
    // A probability of exactly 1 belongs to the last bin.
    expect(bins[3]?.fractionPositive).toBeCloseTo(0.5, 12);
    expect(calibrationBins([1], [0.5])).toHaveLength(10);
    expect(() => calibrationBins([1], [0.5], 0)).toThrow(expect.objectContaining({ field: 'bins' }));
  });

  it('curves reject mismatched lengths', () => {
    expect(() => rocCurve([0, 1], [0.1])).toThrow(expect.objectContaining({ field: 'probability' }));
    expect(() => prCurve([0, 1], [0.1, 0.2, 0.3])).toThrow(EvaluationError);
  });
});
