import fc from 'fast-check';
import {
  evaluateBaselines,
  fitBestThresholdOnCounts,
  fitBestThresholdWithScore,
  mergeCounts,
  type TrainingCounts,
  ValueCountsBuilder,
  valueCountsOf,
} from '../../evaluation';
import type { LabelledTable } from '../../telemetry/table';

/**
 * Evaluate fits the threshold baselines on the train split's per-value counts, built in a stream (a bounded
 * buffer sorted and merged when full), instead of on the rows: the same rules and train F1, row for row.
 */

/** Few distinct values (ties), missing values, and both zeros: what makes cuts and counts disagree if anything does. */
const value = fc.oneof(
  fc.integer({ min: -5, max: 5 }).map((n) => n / 2),
  fc.constant(Number.NaN),
  fc.constant(-0),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
);
const rows = fc.array(fc.tuple(value, value, fc.constantFrom(0, 1)), { minLength: 1, maxLength: 300 });

function tableOf(data: [number, number, number][]): LabelledTable {
  return {
    names: ['a', 'b'],
    columns: [Float64Array.from(data.map((r) => r[0])), Float64Array.from(data.map((r) => r[1]))],
    rowCount: data.length,
    ignored: [],
    target: Uint8Array.from(data.map((r) => r[2])),
    targetName: 'occupied',
  };
}

function countsOf(data: [number, number, number][], chunk: number): TrainingCounts {
  const builders = [new ValueCountsBuilder(chunk), new ValueCountsBuilder(chunk)];
  for (const [a, b, label] of data) {
    builders[0]?.add(a, label);
    builders[1]?.add(b, label);
  }
  const positives = data.reduce((sum, r) => sum + r[2], 0);
  return {
    names: ['a', 'b'],
    rowCount: data.length,
    positives,
    counts: new Map([
      ['a', builders[0]?.counts() ?? valueCountsOf(new Float64Array(0), new Uint8Array(0))],
      ['b', builders[1]?.counts() ?? valueCountsOf(new Float64Array(0), new Uint8Array(0))],
    ]),
  };
}

/** The result, or the error's message: both ways must fail alike too. */
function outcome<T>(run: () => T): T | string {
  try {
    return run();
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`;
  }
}

describe('threshold fit on streamed per-value counts', () => {
  it('the builder counts what the rows hold, whatever the buffer size', () => {
    fc.assert(
      fc.property(rows, fc.integer({ min: 1, max: 40 }), (data, chunk) => {
        const table = tableOf(data);
        const expected = valueCountsOf(table.columns[0] ?? new Float64Array(0), table.target);
        const built = countsOf(data, chunk).counts.get('a');
        expect(built).toEqual(expected);
      }),
    );
  });

  it('fits the same rule with the same train F1 as the rows, and the baselines agree', () => {
    fc.assert(
      fc.property(rows, fc.integer({ min: 1, max: 40 }), (data, chunk) => {
        const table = tableOf(data);
        const counts = countsOf(data, chunk);
        const fromRows = outcome(() => fitBestThresholdWithScore(table, ['a', 'b']));
        expect(outcome(() => fitBestThresholdOnCounts(counts, ['a', 'b']))).toEqual(fromRows);
        const options = {
          holdout: table,
          staticRule: { signal: 'a', level: 0 },
          soundSignal: 'b',
          signals: ['a', 'b'],
        };
        expect(outcome(() => evaluateBaselines({ ...options, train: counts }))).toEqual(
          outcome(() => evaluateBaselines({ ...options, train: table })),
        );
      }),
    );
  });

  it('merging adds the counts of equal values and keeps the union sorted', () => {
    const a = valueCountsOf(Float64Array.from([1, 3, 3]), Uint8Array.from([1, 0, 1]));
    const b = valueCountsOf(Float64Array.from([2, 3]), Uint8Array.from([0, 1]));
    expect(mergeCounts(a, b)).toEqual({
      values: Float64Array.from([1, 2, 3]),
      rows: Float64Array.from([1, 1, 3]),
      positives: Float64Array.from([1, 0, 2]),
    });
  });
});
