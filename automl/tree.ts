/**
 * Histogram regression tree on pre-binned features, grown leaf-wise (best gain first) with
 * histogram subtraction: only the smaller child's histogram is built, the larger one is parent − smaller.
 * Serves gradient boosting (gradients/hessians of the log loss) and random forests (g = −y, h = 1,
 * whose gain is the variance reduction). Pure.
 */
import { edgeForBin, type FeatureBins } from './binning';
import { type Rng, randomInt } from './random';

export interface BinnedData {
  /** Bin codes per feature, indexed by row id. */
  readonly codes: readonly Uint8Array[];
  readonly bins: readonly FeatureBins[];
}

export interface TreeParams {
  readonly maxLeaves: number;
  readonly maxDepth: number;
  readonly minSamplesLeaf: number;
  readonly minHessianLeaf: number;
  /** L2 penalty on leaf values. */
  readonly lambda: number;
  readonly minGain: number;
  /** Features drawn at random for each split (random forest); all features when undefined. */
  readonly featuresPerSplit?: number;
}

/** A fitted tree. Node i is a leaf when feature[i] < 0; rows go left when value <= threshold or missing. */
export interface Tree {
  readonly feature: number[];
  readonly threshold: number[];
  readonly left: number[];
  readonly right: number[];
  readonly value: number[];
}

export interface BuiltTree {
  readonly tree: Tree;
  /** Bin split per node (training-time traversal of binned rows). */
  readonly splitBin: number[];
  /** Each leaf's slice of the (partitioned) rows array. */
  readonly leaves: { readonly node: number; readonly start: number; readonly end: number }[];
}

interface OpenLeaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  histogram: Float64Array;
  g: number;
  h: number;
  count: number;
  split: { feature: number; bin: number; gain: number } | undefined;
}

const NO_HISTOGRAM = new Float64Array(0);

export function buildTree(
  data: BinnedData,
  features: readonly number[],
  rows: Uint32Array,
  grad: Float64Array,
  hess: Float64Array,
  params: TreeParams,
  rng: Rng,
  scratch: Uint32Array = new Uint32Array(rows.length),
): BuiltTree {
  const offsets = new Int32Array(data.codes.length);
  let totalBins = 0;
  for (const f of features) {
    offsets[f] = totalBins;
    totalBins += data.bins[f]?.binCount ?? 0;
  }
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const splitBin: number[] = [];
  const newNode = (): number => {
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(0);
    splitBin.push(0);
    return tree.feature.length - 1;
  };

  const buildHistogram = (start: number, end: number): Float64Array => {
    const histogram = new Float64Array(totalBins * 3);
    for (const f of features) {
      const codes = data.codes[f];
      if (!codes) continue;
      const base = (offsets[f] ?? 0) * 3;
      for (let i = start; i < end; i++) {
        const r = rows[i] ?? 0;
        const k = base + (codes[r] ?? 0) * 3;
        histogram[k] = (histogram[k] ?? 0) + (grad[r] ?? 0);
        histogram[k + 1] = (histogram[k + 1] ?? 0) + (hess[r] ?? 0);
        histogram[k + 2] = (histogram[k + 2] ?? 0) + 1;
      }
    }
    return histogram;
  };

  const lambda = params.lambda;
  const score = (g: number, h: number): number => (g * g) / (h + lambda);

  const chooseFeatures = (): readonly number[] => {
    const k = params.featuresPerSplit;
    if (k === undefined || k >= features.length) return features;
    const pool = [...features];
    for (let i = 0; i < k; i++) {
      const j = i + randomInt(rng, pool.length - i);
      const t = pool[i] ?? 0;
      pool[i] = pool[j] ?? 0;
      pool[j] = t;
    }
    return pool.slice(0, k);
  };

  const findSplit = (leaf: OpenLeaf): void => {
    leaf.split = undefined;
    if (leaf.depth >= params.maxDepth || leaf.count < 2 * params.minSamplesLeaf || leaf.histogram.length === 0) return;
    const parentScore = score(leaf.g, leaf.h);
    let best: OpenLeaf['split'];
    const histogram = leaf.histogram;
    for (const f of chooseFeatures()) {
      const binCount = data.bins[f]?.binCount ?? 0;
      const base = (offsets[f] ?? 0) * 3;
      let gl = 0;
      let hl = 0;
      let cl = 0;
      for (let b = 0; b < binCount - 1; b++) {
        const k = base + b * 3;
        gl += histogram[k] ?? 0;
        hl += histogram[k + 1] ?? 0;
        cl += histogram[k + 2] ?? 0;
        if (cl < params.minSamplesLeaf || hl < params.minHessianLeaf) continue;
        const cr = leaf.count - cl;
        if (cr < params.minSamplesLeaf) break;
        const hr = leaf.h - hl;
        if (hr < params.minHessianLeaf) continue;
        const gain = score(gl, hl) + score(leaf.g - gl, hr) - parentScore;
        if (gain > params.minGain && (best === undefined || gain > best.gain)) best = { feature: f, bin: b, gain };
      }
    }
    leaf.split = best;
  };

  const openLeaf = (
    node: number,
    start: number,
    end: number,
    depth: number,
    histogram: Float64Array,
    totals?: { g: number; h: number },
  ): OpenLeaf => {
    let g = totals?.g ?? 0;
    let h = totals?.h ?? 0;
    if (!totals) {
      for (let i = start; i < end; i++) {
        const r = rows[i] ?? 0;
        g += grad[r] ?? 0;
        h += hess[r] ?? 0;
      }
    }
    const leaf: OpenLeaf = { node, start, end, depth, histogram, g, h, count: end - start, split: undefined };
    tree.value[node] = -g / (h + lambda);
    findSplit(leaf);
    return leaf;
  };

  const root = newNode();
  const open: OpenLeaf[] = [openLeaf(root, 0, rows.length, 0, buildHistogram(0, rows.length))];
  const done: OpenLeaf[] = [];
  let leafCount = 1;
  while (leafCount < params.maxLeaves) {
    let bestIndex = -1;
    for (let i = 0; i < open.length; i++) {
      const gain = open[i]?.split?.gain;
      if (gain !== undefined && (bestIndex < 0 || gain > (open[bestIndex]?.split?.gain ?? 0))) bestIndex = i;
    }
    if (bestIndex < 0) break;
    const leaf = open[bestIndex];
    const split = leaf?.split;
    if (!leaf || !split) break;
    open.splice(bestIndex, 1);

    // Stable partition of the leaf's rows: bin <= split.bin goes left.
    const codes = data.codes[split.feature] ?? new Uint8Array(0);
    let l = leaf.start;
    let rCount = 0;
    let gLeft = 0;
    let hLeft = 0;
    for (let i = leaf.start; i < leaf.end; i++) {
      const r = rows[i] ?? 0;
      if ((codes[r] ?? 0) <= split.bin) {
        rows[l++] = r;
        gLeft += grad[r] ?? 0;
        hLeft += hess[r] ?? 0;
      } else scratch[rCount++] = r;
    }
    rows.set(scratch.subarray(0, rCount), l);
    const mid = l;

    const node = leaf.node;
    tree.feature[node] = split.feature;
    splitBin[node] = split.bin;
    const bins = data.bins[split.feature];
    tree.threshold[node] = bins ? edgeForBin(bins, split.bin) : 0;
    const leftNode = newNode();
    const rightNode = newNode();
    tree.left[node] = leftNode;
    tree.right[node] = rightNode;
    const depth = leaf.depth + 1;
    const canSplit = (count: number) =>
      depth < params.maxDepth && count >= 2 * params.minSamplesLeaf && leafCount + 1 < params.maxLeaves;
    const leftIsSmaller = mid - leaf.start <= leaf.end - mid;
    let small: Float64Array = NO_HISTOGRAM;
    let large: Float64Array = NO_HISTOGRAM;
    // Children that will never be split need no histogram (the last split of every tree, most small leaves).
    if (canSplit(mid - leaf.start) || canSplit(leaf.end - mid)) {
      small = leftIsSmaller ? buildHistogram(leaf.start, mid) : buildHistogram(mid, leaf.end);
      large = leaf.histogram;
      for (let k = 0; k < large.length; k++) large[k] = (large[k] ?? 0) - (small[k] ?? 0);
    }
    const leftTotals = { g: gLeft, h: hLeft };
    const rightTotals = { g: leaf.g - gLeft, h: leaf.h - hLeft };
    open.push(
      openLeaf(leftNode, leaf.start, mid, depth, leftIsSmaller ? small : large, leftTotals),
      openLeaf(rightNode, mid, leaf.end, depth, leftIsSmaller ? large : small, rightTotals),
    );
    leafCount++;
  }
  done.push(...open);
  return { tree, splitBin, leaves: done.map((leaf) => ({ node: leaf.node, start: leaf.start, end: leaf.end })) };
}

/** Leaf value for one raw row (values indexed by feature index). */
export function predictTreeRow(tree: Tree, values: ArrayLike<number>): number {
  let node = 0;
  for (;;) {
    const f = tree.feature[node] ?? -1;
    if (f < 0) return tree.value[node] ?? 0;
    const v = values[f] ?? Number.NaN;
    node = Number.isNaN(v) || v <= (tree.threshold[node] ?? 0) ? (tree.left[node] ?? 0) : (tree.right[node] ?? 0);
  }
}

/** Leaf value for one row of binned data. */
export function predictTreeBinned(built: BuiltTree, codes: readonly Uint8Array[], row: number): number {
  const { tree, splitBin } = built;
  let node = 0;
  for (;;) {
    const f = tree.feature[node] ?? -1;
    if (f < 0) return tree.value[node] ?? 0;
    node = (codes[f]?.[row] ?? 0) <= (splitBin[node] ?? 0) ? (tree.left[node] ?? 0) : (tree.right[node] ?? 0);
  }
}
