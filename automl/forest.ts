/**
 * Random forest of histogram trees: each tree sees a bootstrap sample of rows and a random subset
 * of features at every split; the probability is the mean of the leaves' positive rates. Pure.
 */
import { TrainingStopped } from './errors';
import type { FitControl } from './gbt';
import { type BinnedData, buildTree, predictTreeRow, type Tree } from './tree';

export interface ForestParams {
  readonly trees: number;
  readonly maxLeaves: number;
  readonly maxDepth: number;
  readonly minSamplesLeaf: number;
  /** Features tried per split, as a share of the candidate's features (sqrt(p)/p is the classic). */
  readonly featureFraction: number;
  /** Bootstrap sample size per tree, capped to keep big datasets affordable. */
  readonly maxSamples: number;
}

export const DEFAULT_FOREST_PARAMS: ForestParams = {
  trees: 40,
  maxLeaves: 128,
  maxDepth: 20,
  minSamplesLeaf: 5,
  featureFraction: 0.5,
  maxSamples: 25_000,
};

export interface ForestModel {
  readonly trees: Tree[];
}

export function fitForest(
  data: BinnedData,
  y: Uint8Array,
  trainRows: Uint32Array,
  features: readonly number[],
  params: ForestParams,
  control: FitControl,
): ForestModel {
  const n = y.length;
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  for (let i = 0; i < trainRows.length; i++) {
    const r = trainRows[i] ?? 0;
    grad[r] = -(y[r] ?? 0);
    hess[r] = 1;
  }
  const sampleSize = Math.min(trainRows.length, params.maxSamples);
  const rows = new Uint32Array(sampleSize);
  const scratch = new Uint32Array(sampleSize);
  const featuresPerSplit = Math.max(1, Math.round(features.length * params.featureFraction));
  const treeParams = {
    maxLeaves: params.maxLeaves,
    maxDepth: params.maxDepth,
    minSamplesLeaf: params.minSamplesLeaf,
    minHessianLeaf: 0,
    lambda: 1e-9,
    minGain: 1e-12,
    featuresPerSplit,
  };
  const trees: Tree[] = [];
  for (let t = 0; t < params.trees; t++) {
    if (control.shouldStop?.()) throw new TrainingStopped();
    if (control.deadline !== undefined && t > 0 && Date.now() > control.deadline) break;
    for (let i = 0; i < sampleSize; i++) rows[i] = trainRows[Math.floor(control.rng() * trainRows.length)] ?? 0;
    rows.sort();
    trees.push(buildTree(data, features, rows, grad, hess, treeParams, control.rng, scratch).tree);
  }
  return { trees };
}

export function predictForestRow(model: ForestModel, values: ArrayLike<number>): number {
  if (model.trees.length === 0) return 0.5;
  let sum = 0;
  for (const tree of model.trees) sum += predictTreeRow(tree, values);
  return Math.min(1, Math.max(0, sum / model.trees.length));
}
