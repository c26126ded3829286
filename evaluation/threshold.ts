import { column, type LabelledTable, type NumericTable, TableError } from '../telemetry/table';
import { EvaluationError } from './errors';
import { f1FromCounts } from './metrics';
import type { ValueCounts } from './value-counts';

/** A single-signal rule: `above` means value > level → occupied, `below` means value < level → occupied. */
export interface ThresholdModel {
  readonly signal: string;
  readonly level: number;
  readonly direction: 'above' | 'below';
}

/** A fitted rule with its score on the rows it was fitted on. */
export interface FittedThreshold {
  readonly model: ThresholdModel;
  readonly trainF1: number;
}

function signalColumn(table: NumericTable, signal: string): Float64Array {
  try {
    return column(table, signal);
  } catch (error) {
    if (error instanceof TableError) {
      throw new EvaluationError(`Signal "${signal}" is not a numeric column of the table`, signal, { cause: error });
    }
    throw error;
  }
}

/** Predictions of a threshold rule, one per row. Missing values (NaN) are predicted "not occupied". */
export function applyThreshold(model: ThresholdModel, table: NumericTable): Uint8Array {
  if (!Number.isFinite(model.level)) {
    throw new EvaluationError(`Threshold level must be finite, got ${model.level}`, 'level');
  }
  const values = signalColumn(table, model.signal);
  const predicted = new Uint8Array(table.rowCount);
  // NaN compares false either way, so missing readings fall through to 0 without a special case.
  if (model.direction === 'above') {
    for (let i = 0; i < predicted.length; i++) predicted[i] = (values[i] ?? Number.NaN) > model.level ? 1 : 0;
  } else if (model.direction === 'below') {
    for (let i = 0; i < predicted.length; i++) predicted[i] = (values[i] ?? Number.NaN) < model.level ? 1 : 0;
  } else {
    throw new EvaluationError(
      `Threshold direction must be "above" or "below", got "${String(model.direction)}"`,
      'direction',
    );
  }
  return predicted;
}

/** A level strictly between two adjacent distinct values that keeps `lowerValue` on the "not above" side. */
function levelAbove(lowerValue: number, upperValue: number): number {
  const mid = lowerValue + (upperValue - lowerValue) / 2;
  // Adjacent doubles can round the midpoint onto the upper value, which would move it to the wrong side.
  return mid < upperValue ? mid : lowerValue;
}

/** A level strictly between two adjacent distinct values that keeps `upperValue` on the "not below" side. */
function levelBelow(lowerValue: number, upperValue: number): number {
  const mid = lowerValue + (upperValue - lowerValue) / 2;
  return mid > lowerValue ? mid : upperValue;
}

/** Rows and positives per distinct value of one column (NaN left out), ascending. */
export function valueCountsOf(values: Float64Array, target: Uint8Array): ValueCounts {
  let present = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i] ?? Number.NaN)) present++;
  const order = new Uint32Array(present);
  for (let i = 0, k = 0; i < values.length; i++) if (!Number.isNaN(values[i] ?? Number.NaN)) order[k++] = i;
  order.sort((a, b) => (values[a] ?? 0) - (values[b] ?? 0));

  const distinct: number[] = [];
  const positivesAt: number[] = [];
  const rowsAt: number[] = [];
  for (let k = 0; k < order.length; k++) {
    const row = order[k] ?? 0;
    const value = values[row] ?? 0;
    if (distinct.length === 0 || distinct[distinct.length - 1] !== value) {
      // -0 and 0 are one value; kept as 0, so every way of counting names it alike.
      distinct.push(value === 0 ? 0 : value);
      positivesAt.push(0);
      rowsAt.push(0);
    }
    const last = distinct.length - 1;
    positivesAt[last] = (positivesAt[last] ?? 0) + (target[row] ?? 0);
    rowsAt[last] = (rowsAt[last] ?? 0) + 1;
  }
  return {
    values: Float64Array.from(distinct),
    rows: Float64Array.from(rowsAt),
    positives: Float64Array.from(positivesAt),
  };
}

/**
 * Best rule on one signal by F1, scanning every cut between sorted distinct values in both directions (one
 * linear pass over the counts). Cuts below the minimum and above the maximum are included,
 * so "everything with a reading is occupied" is a candidate too; its level lies
 * at least 1 below the minimum (above) or above the maximum (below).
 */
function bestOnCounts(counts: ValueCounts, totalPositives: number): FittedThreshold | undefined {
  const { values: distinct, positives: positivesAt, rows: rowsAt } = counts;
  if (distinct.length === 0) return undefined;
  const m = distinct.length;
  const first = distinct[0] ?? 0;
  const lastValue = distinct[m - 1] ?? 0;
  // Outside-the-range levels move by at least 1 and scale with magnitude, so `x ± 1` cannot round back onto x.
  const belowAll = first - Math.max(1, Math.abs(first));
  const aboveAll = lastValue + Math.max(1, Math.abs(lastValue));

  // F1 = 2tp / (2tp + fp + fn) = 2tp / (tp + fp + P): rows with NaN are never predicted, so their positives are fn.
  let best: FittedThreshold | undefined;
  const consider = (tp: number, predictedPositive: number, model: ThresholdModel): void => {
    const f1 = f1FromCounts(tp, predictedPositive - tp, totalPositives - tp);
    if (best === undefined || f1 > best.trainF1) best = { model, trainF1: f1 };
  };

  // "above": cut c (0..m) predicts distinct[c..m-1] positive. Scan from c = m (nothing) down to c = 0 (everything).
  let tpAbove = 0;
  let predictedAbove = 0;
  consider(0, 0, { signal: '', level: aboveAll, direction: 'above' });
  for (let c = m - 1; c >= 0; c--) {
    tpAbove += positivesAt[c] ?? 0;
    predictedAbove += rowsAt[c] ?? 0;
    const level = c === 0 ? belowAll : levelAbove(distinct[c - 1] ?? 0, distinct[c] ?? 0);
    consider(tpAbove, predictedAbove, { signal: '', level, direction: 'above' });
  }
  // "below": cut c (1..m) predicts distinct[0..c-1] positive; c = m (everything) equals "above everything", but
  // is still scored so a tie keeps the "above" form.
  let tpBelow = 0;
  let predictedBelow = 0;
  for (let c = 1; c <= m; c++) {
    tpBelow += positivesAt[c - 1] ?? 0;
    predictedBelow += rowsAt[c - 1] ?? 0;
    const level = c === m ? aboveAll : levelBelow(distinct[c - 1] ?? 0, distinct[c] ?? 0);
    consider(tpBelow, predictedBelow, { signal: '', level, direction: 'below' });
  }
  return best;
}

/**
 * The best single-signal threshold rule on `train` by F1 over every candidate signal (default: every numeric
 * column), both directions, every cut between distinct values. Ties keep the earlier signal, then "above".
 */
export function fitBestThreshold(train: LabelledTable, signals?: string[], objective: 'f1' = 'f1'): ThresholdModel {
  return fitBestThresholdWithScore(train, signals, objective).model;
}

/** As `fitBestThreshold`, also returning the rule's F1 on the training rows. */
export function fitBestThresholdWithScore(
  train: LabelledTable,
  signals?: string[],
  objective: 'f1' = 'f1',
): FittedThreshold {
  if (objective !== 'f1') throw new EvaluationError(`Unsupported objective "${String(objective)}"`, 'objective');
  if (train.target.length !== train.rowCount) {
    throw new EvaluationError(`target has ${train.target.length} rows but the table has ${train.rowCount}`, 'target');
  }
  let totalPositives = 0;
  for (let i = 0; i < train.target.length; i++) {
    const label = train.target[i];
    if (label !== 0 && label !== 1) throw new EvaluationError(`target[${i}] must be 0 or 1, got ${label}`, 'target');
    totalPositives += label;
  }
  return bestOverSignals(signals ?? train.names, totalPositives, (signal) =>
    valueCountsOf(signalColumn(train, signal), train.target),
  );
}

/**
 * The training rows as a fit needs them, whatever their number: per signal, rows and positives per distinct
 * value (built in a stream by ValueCountsBuilder), and the total of positives.
 */
export interface TrainingCounts {
  readonly names: readonly string[];
  readonly rowCount: number;
  readonly positives: number;
  readonly counts: ReadonlyMap<string, ValueCounts>;
}

/** As `fitBestThresholdWithScore`, from the training rows' counts: the same rule and F1 as from the rows. */
export function fitBestThresholdOnCounts(train: TrainingCounts, signals?: readonly string[]): FittedThreshold {
  return bestOverSignals(signals ?? train.names, train.positives, (signal) => {
    const counts = train.counts.get(signal);
    if (!counts) throw new EvaluationError(`Signal "${signal}" is not a numeric column of the table`, signal);
    return counts;
  });
}

/** Every candidate signal's best rule, the best of them; ties keep the earlier signal, then "above". */
function bestOverSignals(
  candidates: readonly string[],
  totalPositives: number,
  countsOf: (signal: string) => ValueCounts,
): FittedThreshold {
  if (candidates.length === 0) throw new EvaluationError('No candidate signals to fit a threshold on', 'signals');
  if (totalPositives === 0) {
    throw new EvaluationError('Training rows have no positives: no threshold can be fitted for F1', 'target');
  }
  let best: FittedThreshold | undefined;
  for (const signal of candidates) {
    const fitted = bestOnCounts(countsOf(signal), totalPositives);
    if (fitted !== undefined && (best === undefined || fitted.trainF1 > best.trainF1)) {
      best = { model: { ...fitted.model, signal }, trainF1: fitted.trainF1 };
    }
  }
  if (best === undefined) {
    throw new EvaluationError(`Every candidate signal is missing on every row: ${candidates.join(', ')}`, 'signals');
  }
  return best;
}
