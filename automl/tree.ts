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

/**
 * Bin codes of some rows, row-major, each shifted by its column's offset into one shared histogram: row i's
 * entries for the `features` columns sit at codes[i·width … i·width+width). Building a histogram then reads one
 * short contiguous run per row (instead of one scattered byte per feature) and indexes the histogram directly.
 */
export interface PackedRows {
  /** 16-bit while the histogram has at most 65 536 bins (≤ 256 features at 256 bins), else 32-bit. */
  readonly codes: Uint16Array | Uint32Array;
  readonly width: number;
  /** Feature index (in BinnedData) of each packed column. */
  readonly features: readonly number[];
  /** Per packed column: where its bins start in the histogram, and how many it has. */
  readonly offsets: Int32Array;
  readonly binCounts: Int32Array;
  readonly totalBins: number;
  readonly rowCount: number;
}

/** Packs `rows` (row i of the result is rows[i]) on `features`. */
export function packRows(data: BinnedData, features: readonly number[], rows: Uint32Array): PackedRows {
  const width = features.length;
  const offsets = new Int32Array(width);
  const binCounts = new Int32Array(width);
  let totalBins = 0;
  for (let j = 0; j < width; j++) {
    offsets[j] = totalBins;
    binCounts[j] = data.bins[features[j] ?? 0]?.binCount ?? 0;
    totalBins += binCounts[j] ?? 0;
  }
  const codes = totalBins <= 0x10000 ? new Uint16Array(rows.length * width) : new Uint32Array(rows.length * width);
  for (let j = 0; j < width; j++) {
    const column = data.codes[features[j] ?? 0] ?? new Uint8Array(0);
    const offset = offsets[j] ?? 0;
    for (let i = 0, k = j; i < rows.length; i++, k += width) codes[k] = offset + (column[rows[i] ?? 0] ?? 0);
  }
  return { codes, width, features: [...features], offsets, binCounts, totalBins, rowCount: rows.length };
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
  /** `column` is a packed column index. */
  split: { column: number; bin: number; gain: number } | undefined;
}

const NO_HISTOGRAM = new Float64Array(0);

/**
 * Histograms of finished trees, reused (zeroed) by the next ones in this thread: a tree allocates ~30 of them
 * (tens of kB each), and two workers churning through fresh ones run each other's garbage collection.
 */
const spareHistograms: Float64Array[] = [];
const SPARE_LIMIT = 64;

function newHistogram(size: number): Float64Array {
  for (;;) {
    const spare = spareHistograms.pop();
    if (!spare) return new Float64Array(size);
    if (spare.length === size) return spare.fill(0);
  }
}

/** A tree built on packed rows: `splitColumn` (packed column per node) lets `predictPackedRow` walk packed rows. */
export interface PackedTree extends BuiltTree {
  readonly splitColumn: number[];
}

/**
 * Grows one tree on packed rows. `rows` holds packed row indexes (it is partitioned in place, each leaf's rows
 * keeping their order); `grad`/`hess` are indexed by packed row.
 */
export function growTree(
  data: BinnedData,
  packed: PackedRows,
  rows: Uint32Array,
  grad: Float64Array,
  hess: Float64Array,
  params: TreeParams,
  rng: Rng,
  scratch: Uint32Array = new Uint32Array(rows.length),
): PackedTree {
  const { codes, width, offsets, binCounts, totalBins } = packed;
  const columns = packed.features;
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const splitBin: number[] = [];
  const splitColumn: number[] = [];
  const newNode = (): number => {
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(0);
    splitBin.push(0);
    splitColumn.push(-1);
    return tree.feature.length - 1;
  };

  // (gradient, hessian, count) per bin; rows outer so each row's codes are read as one contiguous run.
  const buildHistogram = (start: number, end: number): Float64Array => {
    const histogram = newHistogram(totalBins * 3);
    for (let i = start; i < end; i++) {
      const r = rows[i] ?? 0;
      const g = grad[r] ?? 0;
      const h = hess[r] ?? 0;
      const base = r * width;
      for (let j = 0; j < width; j++) {
        const k = (codes[base + j] ?? 0) * 3;
        histogram[k] = (histogram[k] ?? 0) + g;
        histogram[k + 1] = (histogram[k + 1] ?? 0) + h;
        histogram[k + 2] = (histogram[k + 2] ?? 0) + 1;
      }
    }
    return histogram;
  };

  const lambda = params.lambda;
  const score = (g: number, h: number): number => (g * g) / (h + lambda);
  const allColumns = Array.from({ length: width }, (_, j) => j);

  const chooseColumns = (): readonly number[] => {
    const k = params.featuresPerSplit;
    if (k === undefined || k >= width) return allColumns;
    const pool = [...allColumns];
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
    for (const j of chooseColumns()) {
      const binCount = binCounts[j] ?? 0;
      const base = (offsets[j] ?? 0) * 3;
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
        if (gain > params.minGain && (best === undefined || gain > best.gain)) best = { column: j, bin: b, gain };
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
    const column = split.column;
    const cut = (offsets[column] ?? 0) + split.bin;
    let l = leaf.start;
    let rCount = 0;
    let gLeft = 0;
    let hLeft = 0;
    for (let i = leaf.start; i < leaf.end; i++) {
      const r = rows[i] ?? 0;
      if ((codes[r * width + column] ?? 0) <= cut) {
        rows[l++] = r;
        gLeft += grad[r] ?? 0;
        hLeft += hess[r] ?? 0;
      } else scratch[rCount++] = r;
    }
    rows.set(scratch.subarray(0, rCount), l);
    const mid = l;

    const node = leaf.node;
    const feature = columns[column] ?? 0;
    tree.feature[node] = feature;
    splitBin[node] = split.bin;
    splitColumn[node] = column;
    const bins = data.bins[feature];
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
  for (const leaf of open) {
    if (leaf.histogram.length > 0 && spareHistograms.length < SPARE_LIMIT) spareHistograms.push(leaf.histogram);
  }
  return {
    tree,
    splitBin,
    splitColumn,
    leaves: open.map((leaf) => ({ node: leaf.node, start: leaf.start, end: leaf.end })),
  };
}

/**
 * One tree on `rows` (row ids of `data`, partitioned in place like `growTree`'s), `grad`/`hess` indexed by row id.
 * Packs the rows first: for one-off trees (a forest's); boosting packs once and calls `growTree`.
 */
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
  const packed = packRows(data, features, rows);
  const local = Uint32Array.from({ length: rows.length }, (_, i) => i);
  const g = Float64Array.from(rows, (r) => grad[r] ?? 0);
  const h = Float64Array.from(rows, (r) => hess[r] ?? 0);
  const built = growTree(data, packed, local, g, h, params, rng, scratch);
  const ids = rows.slice();
  for (let i = 0; i < rows.length; i++) rows[i] = ids[local[i] ?? 0] ?? 0;
  return { tree: built.tree, splitBin: built.splitBin, leaves: built.leaves };
}

/** Leaf value for packed row `row` of a tree grown on the same packed columns. */
export function predictPackedRow(built: PackedTree, packed: PackedRows, row: number): number {
  const { tree, splitBin, splitColumn } = built;
  const { codes, width, offsets } = packed;
  const base = row * width;
  let node = 0;
  for (;;) {
    const column = splitColumn[node] ?? -1;
    if (column < 0) return tree.value[node] ?? 0;
    const code = (codes[base + column] ?? 0) - (offsets[column] ?? 0);
    node = code <= (splitBin[node] ?? 0) ? (tree.left[node] ?? 0) : (tree.right[node] ?? 0);
  }
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
