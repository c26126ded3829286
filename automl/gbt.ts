/**
 * Gradient-boosted trees for binary log loss on pre-binned features, with early stopping on a
 * held-out (later-in-time) set of rows. Pure.
 */
import { TrainingStopped } from './errors';
import type { Rng } from './random';
import { type BinnedData, growTree, packRows, predictPackedRow, predictTreeRow, type Tree } from './tree';

export interface GbtParams {
  readonly learningRate: number;
  readonly maxIterations: number;
  readonly maxLeaves: number;
  readonly maxDepth: number;
  readonly minSamplesLeaf: number;
  /** L2 penalty on leaf values. */
  readonly lambda: number;
  /** Stop after this many rounds without a better validation log loss. */
  readonly earlyStoppingRounds: number;
  /** Share of rows drawn (without replacement) for each tree; 1 = all. */
  readonly rowSubsample: number;
}

export const DEFAULT_GBT_PARAMS: GbtParams = {
  learningRate: 0.15,
  maxIterations: 150,
  maxLeaves: 31,
  maxDepth: 8,
  minSamplesLeaf: 20,
  lambda: 1,
  earlyStoppingRounds: 10,
  rowSubsample: 1,
};

/** Trees carry the learning rate in their leaf values: raw score = initScore + Σ tree(x). */
export interface GbtModel {
  readonly initScore: number;
  readonly trees: Tree[];
}

export interface FitControl {
  readonly rng: Rng;
  /** Checked between iterations; when true the fit throws TrainingStopped. */
  readonly shouldStop?: () => boolean;
  /** Epoch ms after which no more trees are added (the model so far is kept). */
  readonly deadline?: number;
}

export interface GbtFit {
  readonly model: GbtModel;
  /** Trees kept (the best validation iteration, or all when there was no validation set). */
  readonly iterations: number;
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Mean log loss of raw scores `raw` against labels `y` (both indexed alike). */
function logLoss(y: Uint8Array, raw: Float64Array): number {
  let loss = 0;
  for (let i = 0; i < raw.length; i++) {
    const z = raw[i] ?? 0;
    // log(1 + e^{-z}) for y = 1, log(1 + e^{z}) for y = 0, computed stably.
    const s = y[i] === 1 ? -z : z;
    loss += s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s));
  }
  return loss / Math.max(1, raw.length);
}

const gatherLabels = (y: Uint8Array, rows: Uint32Array): Uint8Array => Uint8Array.from(rows, (r) => y[r] ?? 0);

export function fitGbt(
  data: BinnedData,
  y: Uint8Array,
  trainRows: Uint32Array,
  validRows: Uint32Array | undefined,
  features: readonly number[],
  params: GbtParams,
  control: FitControl,
): GbtFit {
  // Everything below is indexed by position in trainRows / validRows (packed rows), not by table row id.
  const m = trainRows.length;
  const packed = packRows(data, features, trainRows);
  const labels = gatherLabels(y, trainRows);
  let positives = 0;
  for (let i = 0; i < m; i++) positives += labels[i] ?? 0;
  const prior = Math.min(1 - 1e-6, Math.max(1e-6, positives / Math.max(1, m)));
  const initScore = Math.log(prior / (1 - prior));
  const raw = new Float64Array(m).fill(initScore);
  const grad = new Float64Array(m);
  const hess = new Float64Array(m);
  const allRows = Uint32Array.from({ length: m }, (_, i) => i);
  const rows = new Uint32Array(m);
  const scratch = new Uint32Array(m);
  const valid = validRows && validRows.length > 0 ? validRows : undefined;
  const validPacked = valid ? packRows(data, features, valid) : undefined;
  const validLabels = valid ? gatherLabels(y, valid) : new Uint8Array(0);
  const validRaw = new Float64Array(validLabels.length).fill(initScore);
  const trees: Tree[] = [];
  let bestLoss = Number.POSITIVE_INFINITY;
  let bestIterations = 0;
  const subsample = params.rowSubsample < 1 ? Math.max(1, Math.floor(m * params.rowSubsample)) : 0;
  const treeParams = {
    maxLeaves: params.maxLeaves,
    maxDepth: params.maxDepth,
    minSamplesLeaf: params.minSamplesLeaf,
    minHessianLeaf: 1e-3,
    lambda: params.lambda,
    minGain: 1e-9,
  };

  for (let iteration = 0; iteration < params.maxIterations; iteration++) {
    if (control.shouldStop?.()) throw new TrainingStopped();
    if (control.deadline !== undefined && iteration > 0 && Date.now() > control.deadline) break;
    for (let i = 0; i < m; i++) {
      const p = sigmoid(raw[i] ?? 0);
      grad[i] = p - (labels[i] ?? 0);
      hess[i] = Math.max(p * (1 - p), 1e-16);
    }
    let rowsForTree = rows;
    rows.set(allRows);
    if (subsample > 0) {
      // Partial Fisher–Yates: the first `subsample` entries are a uniform draw; keep them time-ordered.
      for (let i = 0; i < subsample; i++) {
        const j = i + Math.floor(control.rng() * (rows.length - i));
        const t = rows[i] ?? 0;
        rows[i] = rows[j] ?? 0;
        rows[j] = t;
      }
      rowsForTree = rows.subarray(0, subsample).sort();
    }
    const built = growTree(data, packed, rowsForTree, grad, hess, treeParams, control.rng, scratch);
    const value = built.tree.value;
    for (let k = 0; k < value.length; k++) value[k] = (value[k] ?? 0) * params.learningRate;
    trees.push(built.tree);
    if (subsample > 0) {
      for (let i = 0; i < m; i++) raw[i] = (raw[i] ?? 0) + predictPackedRow(built, packed, i);
    } else {
      // Every row sits in exactly one leaf's slice: add that leaf's value without walking the tree.
      for (const leaf of built.leaves) {
        const v = value[leaf.node] ?? 0;
        for (let i = leaf.start; i < leaf.end; i++) {
          const r = rowsForTree[i] ?? 0;
          raw[r] = (raw[r] ?? 0) + v;
        }
      }
    }
    if (validPacked) {
      for (let i = 0; i < validRaw.length; i++)
        validRaw[i] = (validRaw[i] ?? 0) + predictPackedRow(built, validPacked, i);
      const loss = logLoss(validLabels, validRaw);
      // Gains under 0.01% of the loss are noise on a time-ordered hold-out: they do not reset the patience.
      if (loss < bestLoss * (1 - 1e-4)) {
        bestLoss = loss;
        bestIterations = trees.length;
      } else if (trees.length - bestIterations >= params.earlyStoppingRounds) break;
    } else bestIterations = trees.length;
  }
  return { model: { initScore, trees: trees.slice(0, Math.max(1, bestIterations)) }, iterations: bestIterations };
}

export function predictGbtRow(model: GbtModel, values: ArrayLike<number>): number {
  let z = model.initScore;
  for (const tree of model.trees) z += predictTreeRow(tree, values);
  return sigmoid(z);
}
