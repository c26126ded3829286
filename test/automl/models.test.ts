import { binColumn, binOf, edgeForBin, fitFeatureBins } from '../../automl/binning';
import { fitForest, predictForestRow } from '../../automl/forest';
import { DEFAULT_GBT_PARAMS, fitGbt, predictGbtRow } from '../../automl/gbt';
import { DEFAULT_LOGISTIC_PARAMS, fitLogistic, predictLogisticRow } from '../../automl/logistic';
import { binaryMetrics, rocAuc, tuneThreshold } from '../../automl/objective';
import { mulberry32 } from '../../automl/random';
import { fitThresholdRuleBinned } from '../../automl/threshold';
import { buildTree, growTree, packRows, predictPackedRow, predictTreeBinned, predictTreeRow } from '../../automl/tree';

const range = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

/** XOR of two signs: no linear model separates it, trees do. */
function xorData(n: number, seed: number) {
  const rng = mulberry32(seed);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = rng() * 2 - 1;
    b[i] = rng() * 2 - 1;
    y[i] = (a[i] ?? 0) > 0 !== (b[i] ?? 0) > 0 ? 1 : 0;
  }
  return { columns: [a, b], y };
}

function binned(columns: Float64Array[]) {
  const rows = range(columns[0]?.length ?? 0);
  const bins = columns.map((c) => fitFeatureBins(c, rows));
  return { codes: columns.map((c, i) => binColumn(bins[i] ?? fitFeatureBins(c, rows), c)), bins };
}

const accuracy = (y: Uint8Array, score: (i: number) => number) => {
  let hits = 0;
  for (let i = 0; i < y.length; i++) hits += (score(i) >= 0.5 ? 1 : 0) === y[i] ? 1 : 0;
  return hits / y.length;
};

describe('binning', () => {
  it('maps a value to the bin whose raw edge sends it the same way, missing values to bin 0', () => {
    const values = Float64Array.from([5, 1, 3, 3, Number.NaN, 9, 7]);
    const bins = fitFeatureBins(values, range(values.length));
    expect(Array.from(bins.edges)).toEqual([2, 4, 6, 8]);
    expect(binOf(bins, Number.NaN)).toBe(0);
    for (const v of [0, 1, 2, 2.5, 4, 8, 100]) {
      const b = binOf(bins, v);
      for (let t = 0; t < bins.binCount; t++) expect(b <= t).toBe(v <= edgeForBin(bins, t));
    }
  });

  it('bins every value, edges included, by the number of edges below it, whatever the number of edges', () => {
    for (const size of [1, 2, 3, 100, 5000]) {
      const values = Float64Array.from({ length: size }, (_, i) => Math.round(Math.sin(i * 7.1) * 50));
      const bins = fitFeatureBins(values, range(size));
      const probes = [...Array.from(bins.edges), ...Array.from(values), -1e9, 1e9];
      for (const v of probes) {
        const below = Array.from(bins.edges).filter((e) => e < v).length;
        expect(binOf(bins, v)).toBe(below + 1);
      }
    }
  });

  it('caps the number of bins for continuous values', () => {
    const values = Float64Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 1000);
    const bins = fitFeatureBins(values, range(values.length));
    expect(bins.binCount).toBeLessThanOrEqual(256);
    expect(bins.binCount).toBeGreaterThan(200);
  });
});

describe('histogram tree', () => {
  it('finds the one threshold that separates the classes', () => {
    const x = Float64Array.from({ length: 100 }, (_, i) => i);
    const y = Float64Array.from(x, (v) => (v > 60 ? 1 : 0));
    const data = binned([x]);
    const grad = Float64Array.from(y, (v) => -v);
    const hess = new Float64Array(100).fill(1);
    const built = buildTree(
      data,
      [0],
      range(100),
      grad,
      hess,
      {
        maxLeaves: 2,
        maxDepth: 4,
        minSamplesLeaf: 1,
        minHessianLeaf: 0,
        lambda: 0,
        minGain: 0,
      },
      mulberry32(1),
    );
    expect(built.tree.feature[0]).toBe(0);
    expect(built.tree.threshold[0]).toBeCloseTo(60.5);
    expect(predictTreeRow(built.tree, [10])).toBeCloseTo(0);
    expect(predictTreeRow(built.tree, [61])).toBeCloseTo(1);
    expect(predictTreeRow(built.tree, [Number.NaN])).toBeCloseTo(0);
  });
  it('grows on packed rows the same tree as on columns, and walks packed rows like binned ones', () => {
    const { columns, y } = xorData(3000, 5);
    const data = binned(columns);
    const grad = Float64Array.from(y, (v) => 0.5 - v);
    const hess = new Float64Array(y.length).fill(0.25);
    const params = { maxLeaves: 8, maxDepth: 4, minSamplesLeaf: 5, minHessianLeaf: 0, lambda: 1, minGain: 0 };
    // Features in non-ascending order: packed columns map back to the right feature indexes.
    const features = [1, 0];
    const rows = range(3000).filter((r) => r % 3 !== 0);
    const byColumn = buildTree(data, features, rows.slice(), grad, hess, params, mulberry32(1));
    const packed = packRows(data, features, rows);
    const local = range(rows.length);
    const g = Float64Array.from(rows, (r) => grad[r] ?? 0);
    const h = Float64Array.from(rows, (r) => hess[r] ?? 0);
    const grown = growTree(data, packed, local, g, h, params, mulberry32(1));
    expect(grown.tree).toEqual(byColumn.tree);
    for (let i = 0; i < rows.length; i++) {
      expect(predictPackedRow(grown, packed, i)).toBe(predictTreeBinned(grown, data.codes, rows[i] ?? 0));
    }
    // Each leaf's slice holds exactly the rows the tree sends to that leaf.
    for (const leaf of grown.leaves) {
      for (let i = leaf.start; i < leaf.end; i++) {
        expect(predictPackedRow(grown, packed, local[i] ?? 0)).toBe(grown.tree.value[leaf.node]);
      }
    }
  });
});

describe('model families', () => {
  const train = xorData(4000, 1);
  const test = xorData(2000, 2);
  const data = binned(train.columns);
  const row = (i: number) => [test.columns[0]?.[i] ?? 0, test.columns[1]?.[i] ?? 0];

  it('gradient-boosted trees learn XOR and stop early on the held-out rows', () => {
    const rows = range(4000);
    const fit = fitGbt(data, train.y, rows.subarray(0, 3400), rows.subarray(3400), [0, 1], DEFAULT_GBT_PARAMS, {
      rng: mulberry32(3),
    });
    expect(fit.iterations).toBeLessThan(DEFAULT_GBT_PARAMS.maxIterations);
    expect(accuracy(test.y, (i) => predictGbtRow(fit.model, row(i)))).toBeGreaterThan(0.97);
  });

  it('random forest learns XOR', () => {
    const model = fitForest(
      data,
      train.y,
      range(4000),
      [0, 1],
      {
        trees: 30,
        maxLeaves: 64,
        maxDepth: 12,
        minSamplesLeaf: 5,
        featureFraction: 1,
        maxSamples: 4000,
      },
      { rng: mulberry32(4) },
    );
    expect(model.trees).toHaveLength(30);
    expect(accuracy(test.y, (i) => predictForestRow(model, row(i)))).toBeGreaterThan(0.96);
  });

  it('logistic regression cannot learn XOR (a linear boundary)', () => {
    const model = fitLogistic(train.columns, train.y, range(4000), [0, 1], DEFAULT_LOGISTIC_PARAMS);
    expect(accuracy(test.y, (i) => predictLogisticRow(model, row(i)))).toBeLessThan(0.65);
  });

  it('logistic regression recovers the weights of a logistic model', () => {
    const rng = mulberry32(9);
    const n = 20000;
    const x = Float64Array.from({ length: n }, () => rng() * 4 - 2);
    const y = Uint8Array.from(x, (v) => (rng() < 1 / (1 + Math.exp(-(2 * v - 1))) ? 1 : 0));
    const model = fitLogistic([x], y, range(n), [0], { ...DEFAULT_LOGISTIC_PARAMS, C: 1e6 });
    const scale = model.standardisation.scale[0] ?? 1;
    const mean = model.standardisation.mean[0] ?? 0;
    const slope = (model.weights[0] ?? 0) / scale;
    expect(slope).toBeCloseTo(2, 0);
    expect(model.intercept - slope * mean).toBeCloseTo(-1, 0);
    expect(predictLogisticRow(model, [0.5])).toBeCloseTo(0.5, 1);
  });

  it('strong L2 regularisation shrinks the weights toward zero', () => {
    const loose = fitLogistic(train.columns, train.y, range(4000), [0], { ...DEFAULT_LOGISTIC_PARAMS, C: 100 });
    const x = train.columns[0] ?? new Float64Array(0);
    const y = Uint8Array.from(x, (v) => (v > 0 ? 1 : 0));
    const tight = fitLogistic([x], y, range(4000), [0], { ...DEFAULT_LOGISTIC_PARAMS, C: 1e-4 });
    const free = fitLogistic([x], y, range(4000), [0], { ...DEFAULT_LOGISTIC_PARAMS, C: 100 });
    expect(Math.abs(tight.weights[0] ?? 0)).toBeLessThan(Math.abs(free.weights[0] ?? 0));
    expect(Number.isFinite(loose.weights[0] ?? Number.NaN)).toBe(true);
  });

  it('logistic regression imputes missing values with the training mean', () => {
    const model = fitLogistic(train.columns, train.y, range(4000), [0, 1], DEFAULT_LOGISTIC_PARAMS);
    const atMean = predictLogisticRow(model, [model.standardisation.mean[0] ?? 0, 0.3]);
    expect(predictLogisticRow(model, [Number.NaN, 0.3])).toBeCloseTo(atMean, 12);
  });
});

describe('objective', () => {
  it('computes ROC AUC with ties given half credit', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75);
    expect(rocAuc([0, 1], [0.5, 0.5])).toBeCloseTo(0.5);
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
  });

  it('tunes the threshold that maximises F1', () => {
    const y = [0, 0, 0, 1, 0, 1, 1, 1];
    const p = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
    const tuned = tuneThreshold(y, p, 'F1');
    // Cutting between 0.3 and 0.4 catches all four positives with one false positive: F1 = 8/9.
    expect(tuned.threshold).toBeCloseTo(0.35);
    expect(tuned.value).toBeCloseTo(8 / 9);
    expect(binaryMetrics(y, p, tuned.threshold).recall).toBe(1);
  });

  it('tunes a stricter threshold for Accuracy than for Recall', () => {
    const y = [0, 0, 0, 1, 0, 1, 1, 1];
    const p = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
    expect(tuneThreshold(y, p, 'Recall').threshold).toBeLessThanOrEqual(tuneThreshold(y, p, 'Precision').threshold);
    expect(tuneThreshold(y, p, 'Accuracy').value).toBeCloseTo(7 / 8);
  });
});

describe('binned threshold rule', () => {
  it('finds the signal and the level that separate the classes, in either direction', () => {
    const rng = mulberry32(4);
    const n = 2000;
    const noise = Float64Array.from({ length: n }, () => rng());
    const signal = Float64Array.from({ length: n }, () => rng() * 100);
    const y = Uint8Array.from(signal, (v) => (v > 60 ? 1 : 0));
    const data = binned([noise, signal]);
    const fitted = fitThresholdRuleBinned(data, [noise, signal], y, range(n), [0, 1], 'F1');
    expect(fitted?.rule.feature).toBe(1);
    expect(fitted?.rule.direction).toBe('above');
    expect(fitted?.rule.level).toBeGreaterThan(59);
    expect(fitted?.rule.level).toBeLessThan(61);
    expect(fitted?.value).toBeGreaterThan(0.99);
    const inverted = Uint8Array.from(signal, (v) => (v < 30 ? 1 : 0));
    const below = fitThresholdRuleBinned(data, [noise, signal], inverted, range(n), [0, 1], 'F1');
    expect(below?.rule.direction).toBe('below');
    expect(below?.rule.level).toBeCloseTo(30, 0);
  });
});
