/**
 * L2-regularised logistic regression on standardised features, fitted by Newton's method (IRLS)
 * with step halving. Minimises Σ logloss + ‖w‖² / (2C), as scikit-learn's LogisticRegression(C). Pure.
 */
import { TrainingStopped } from './errors';
import { sigmoid } from './gbt';

export interface LogisticParams {
  /** Inverse regularisation strength. */
  readonly C: number;
  readonly maxIterations: number;
  /** Rows beyond this are thinned systematically (every k-th row keeps all of time covered). */
  readonly maxRows: number;
}

export const DEFAULT_LOGISTIC_PARAMS: LogisticParams = { C: 1, maxIterations: 50, maxRows: 250_000 };

/** Standardisation statistics; missing values are imputed with the mean (0 after standardising). */
export interface Standardisation {
  readonly mean: number[];
  readonly scale: number[];
}

export interface LogisticModel {
  /** Feature indices (into the input columns) the weights apply to. */
  readonly inputs: number[];
  readonly standardisation: Standardisation;
  readonly weights: number[];
  readonly intercept: number;
}

export function fitStandardisation(columns: readonly Float64Array[], inputs: readonly number[], rows: Uint32Array) {
  const mean: number[] = [];
  const scale: number[] = [];
  for (const f of inputs) {
    const col = columns[f] ?? new Float64Array(0);
    let sum = 0;
    let sumSq = 0;
    let count = 0;
    for (let i = 0; i < rows.length; i++) {
      const v = col[rows[i] ?? 0] ?? Number.NaN;
      if (Number.isNaN(v)) continue;
      sum += v;
      sumSq += v * v;
      count++;
    }
    const m = count > 0 ? sum / count : 0;
    const variance = count > 0 ? Math.max(0, sumSq / count - m * m) : 0;
    mean.push(m);
    scale.push(variance > 1e-24 ? Math.sqrt(variance) : 1);
  }
  return { mean, scale } satisfies Standardisation;
}

/** Solves A x = b for symmetric positive definite A (row-major d×d) by Cholesky. */
function solveSpd(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * d + j] ?? 0;
      for (let k = 0; k < j; k++) sum -= (l[i * d + k] ?? 0) * (l[j * d + k] ?? 0);
      if (i === j) l[i * d + i] = Math.sqrt(Math.max(sum, 1e-12));
      else l[i * d + j] = sum / (l[j * d + j] ?? 1);
    }
  }
  const z = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let sum = b[i] ?? 0;
    for (let k = 0; k < i; k++) sum -= (l[i * d + k] ?? 0) * (z[k] ?? 0);
    z[i] = sum / (l[i * d + i] ?? 1);
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let sum = z[i] ?? 0;
    for (let k = i + 1; k < d; k++) sum -= (l[k * d + i] ?? 0) * (x[k] ?? 0);
    x[i] = sum / (l[i * d + i] ?? 1);
  }
  return x;
}

export function fitLogistic(
  columns: readonly Float64Array[],
  y: Uint8Array,
  trainRows: Uint32Array,
  inputs: readonly number[],
  params: LogisticParams,
  shouldStop?: () => boolean,
): LogisticModel {
  const step = Math.max(1, Math.ceil(trainRows.length / params.maxRows));
  const rows = step === 1 ? trainRows : trainRows.filter((_, i) => i % step === 0);
  const standardisation = fitStandardisation(columns, inputs, rows);
  const p = inputs.length;
  const d = p + 1; // last coordinate is the intercept
  const n = rows.length;
  // Row-major design matrix with a trailing 1 for the intercept.
  const x = new Float64Array(n * d);
  const target = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i] ?? 0;
    target[i] = y[r] ?? 0;
    for (let j = 0; j < p; j++) {
      const v = columns[inputs[j] ?? 0]?.[r] ?? Number.NaN;
      x[i * d + j] = Number.isNaN(v) ? 0 : (v - (standardisation.mean[j] ?? 0)) / (standardisation.scale[j] ?? 1);
    }
    x[i * d + p] = 1;
  }
  const lambda = 1 / params.C;
  const w = new Float64Array(d);
  const objective = (weights: Float64Array): number => {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let j = 0; j < d; j++) z += (x[i * d + j] ?? 0) * (weights[j] ?? 0);
      const s = target[i] === 1 ? -z : z;
      loss += s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s));
    }
    let penalty = 0;
    for (let j = 0; j < p; j++) penalty += (weights[j] ?? 0) ** 2;
    return loss + (lambda * penalty) / 2;
  };
  let current = objective(w);
  for (let iteration = 0; iteration < params.maxIterations; iteration++) {
    if (shouldStop?.()) throw new TrainingStopped();
    const gradient = new Float64Array(d);
    const hessian = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      const base = i * d;
      let z = 0;
      for (let j = 0; j < d; j++) z += (x[base + j] ?? 0) * (w[j] ?? 0);
      const prob = sigmoid(z);
      const residual = prob - (target[i] ?? 0);
      const weight = Math.max(prob * (1 - prob), 1e-12);
      for (let j = 0; j < d; j++) {
        const xj = x[base + j] ?? 0;
        gradient[j] = (gradient[j] ?? 0) + residual * xj;
        const wx = weight * xj;
        for (let k = 0; k <= j; k++) hessian[j * d + k] = (hessian[j * d + k] ?? 0) + wx * (x[base + k] ?? 0);
      }
    }
    for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) hessian[k * d + j] = hessian[j * d + k] ?? 0;
    for (let j = 0; j < p; j++) {
      gradient[j] = (gradient[j] ?? 0) + lambda * (w[j] ?? 0);
      hessian[j * d + j] = (hessian[j * d + j] ?? 0) + lambda;
    }
    const direction = solveSpd(hessian, gradient, d);
    let stepSize = 1;
    let next = new Float64Array(d);
    let nextObjective = Number.POSITIVE_INFINITY;
    for (let halvings = 0; halvings < 30; halvings++) {
      next = w.map((v, j) => v - stepSize * (direction[j] ?? 0));
      nextObjective = objective(next);
      if (nextObjective <= current) break;
      stepSize /= 2;
    }
    if (!(nextObjective <= current)) break;
    let change = 0;
    for (let j = 0; j < d; j++) change = Math.max(change, Math.abs((next[j] ?? 0) - (w[j] ?? 0)));
    w.set(next);
    const improvement = current - nextObjective;
    current = nextObjective;
    if (change < 1e-7 || improvement < 1e-10 * Math.max(1, Math.abs(current))) break;
  }
  return {
    inputs: [...inputs],
    standardisation,
    weights: Array.from(w.subarray(0, p)),
    intercept: w[p] ?? 0,
  };
}

export function predictLogisticRow(model: LogisticModel, values: ArrayLike<number>): number {
  let z = model.intercept;
  const { mean, scale } = model.standardisation;
  for (let j = 0; j < model.inputs.length; j++) {
    const v = values[model.inputs[j] ?? 0] ?? Number.NaN;
    if (!Number.isNaN(v)) z += (model.weights[j] ?? 0) * ((v - (mean[j] ?? 0)) / (scale[j] ?? 1));
  }
  return sigmoid(z);
}
