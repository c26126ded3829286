import type { Fold } from '../../automl/candidate';
import { mulberry32 } from '../../automl/random';
import { type CandidateResult, isRelativeFeature, runSearch, selectCandidate } from '../../automl/search';
import { PSI_SIGNIFICANT } from '../../automl/stability';
import { buildValidationReport, foldSpread } from '../../automl/validation-report';
import type { LabelledTable } from '../../telemetry/table';

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
    features: ['sound'],
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

const range = (from: number, to: number) => Uint32Array.from({ length: to - from }, (_, i) => from + i);

/** 400 rows, occupied every fourth; `folds` rolling-origin folds over the last 70%. */
function setup(folds: number) {
  const n = 400;
  const target = Uint8Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0));
  const table: LabelledTable = {
    names: ['sound', 'sound_delta'],
    columns: [Float64Array.from(target, (y, i) => y * 10 + (i % 7)), Float64Array.from(target, (_, i) => i % 3)],
    rowCount: n,
    ignored: [],
    target,
    targetName: 'occupied',
  };
  const size = Math.floor((n * 0.7) / folds);
  const list: Fold[] = Array.from({ length: folds }, (_, k) => {
    const start = 120 + k * size;
    return { train: range(0, start), valid: range(start, k === folds - 1 ? n : start + size) };
  });
  return { table, folds: list, drifting: [false, false] };
}

describe('validation report', () => {
  it('summarises the folds and calls the candidates separable when the gap exceeds the spread', () => {
    const input = setup(3);
    const list = [candidate('weak', 'threshold', [0.7, 0.72, 0.71]), candidate('strong', 'gbt', [0.9, 0.91, 0.9])];
    const report = buildValidationReport(input, list, selectCandidate(list), isRelativeFeature);
    expect(report.folds.map((f) => f.index)).toEqual([1, 2, 3]);
    expect(report.folds[0]).toEqual({ index: 1, trainRows: 120, validationRows: 93, validationPositives: 24 });
    expect(report.folds.reduce((a, f) => a + f.validationRows, 0)).toBe(280);
    expect(report.gap).toBeCloseTo((list[1]?.robustValue ?? 0) - (list[0]?.robustValue ?? 0), 12);
    expect(report.spread).toBeCloseTo(foldSpread([0.9, 0.91, 0.9]), 12);
    expect(report.separable).toBe(true);
    expect(report.statement).toBeUndefined();
    expect(report.featureStability.map((f) => [f.feature, f.relative, f.drifting])).toEqual([
      ['sound', false, false],
      ['sound_delta', true, false],
    ]);
  });

  it('says one fold cannot separate candidates, and what it preferred instead', () => {
    const list = [candidate('rule', 'threshold', [0.957]), candidate('trees', 'gbt', [0.96])];
    const report = buildValidationReport(setup(1), list, selectCandidate(list), isRelativeFeature);
    expect(report.separable).toBe(false);
    expect(report.spread).toBe(0);
    expect(report.statement).toContain('only 1 validation fold');
    // The one-standard-error rule took the simpler threshold rule: the statement says so.
    expect(report.statement).toContain('simplest candidate within one standard error');
    expect(report.statement).toContain('rule (threshold');
  });

  it('says tied candidates cannot be separated, and names the drifting features it set aside', () => {
    const list = [
      candidate('light-rule', 'threshold', [1, 1, 1], { features: ['Light'], driftingFeatures: ['Light'] }),
      candidate('sound-logistic', 'logistic', [1, 1, 1]),
    ];
    const chosen = selectCandidate(list);
    expect(chosen).toBe(1);
    const report = buildValidationReport(setup(3), list, chosen, isRelativeFeature);
    expect(report.gap).toBe(0);
    expect(report.separable).toBe(false);
    expect(report.statement).toContain('tie at 1.0000');
    expect(report.statement).toContain('set aside light-rule, which reads drifting feature(s) Light');
    expect(report.statement).toContain('sound-logistic (logistic, 1 feature(s), none drifting');
  });

  it('says when the best candidate varies more between folds than it leads by', () => {
    const list = [candidate('jumpy', 'gbt', [0.99, 0.88, 0.95]), candidate('steady', 'gbt', [0.9, 0.9, 0.9])];
    const report = buildValidationReport(setup(3), list, selectCandidate(list), isRelativeFeature);
    expect(report.spread).toBeGreaterThan(report.gap);
    expect(report.separable).toBe(false);
    expect(report.statement).toContain('fold-to-fold spread');
    expect(report.statement).toContain('kept the top candidate');
  });

  it('has no statement of preference when no candidate completed', () => {
    const failed = candidate('x', 'gbt', [0.9], { status: 'Failed' });
    const report = buildValidationReport(setup(3), [failed], -1, isRelativeFeature);
    expect(report.separable).toBe(false);
    expect(report.statement).toBe('Validation cannot separate the top candidates: no candidate completed.');
  });
});

/**
 * Two equally good signals: `co2_level`, whose empty-room level sinks over time (away from the occupied level,
 * so every fold still scores it perfectly), and `sound`, stable. The drifting one comes first, so plain
 * ordering would favour it.
 */
function driftingAndStable(n: number, seed: number): LabelledTable {
  const rng = mulberry32(seed);
  const columns = [new Float64Array(n), new Float64Array(n)];
  const target = new Uint8Array(n);
  let occupied = 0;
  for (let i = 0; i < n; i++) {
    if (rng() < 0.05) occupied = 1 - occupied;
    target[i] = occupied;
    (columns[0] as Float64Array)[i] = occupied ? 10 + rng() : -12 * (i / n) + rng();
    (columns[1] as Float64Array)[i] = occupied ? 10 + rng() : rng();
  }
  return { names: ['co2_level', 'sound'], columns, rowCount: n, ignored: [], target, targetName: 'occupied' };
}

describe('a feature whose level shifts between folds', () => {
  const result = runSearch(driftingAndStable(2000, 3), undefined, { jobName: 'drift', maxCandidates: 6 });

  it('loses to an equally good stable one', () => {
    const byFeatures = (f: string) => result.candidates.filter((c) => c.features.join() === f);
    // Each signal alone separates every fold.
    expect(byFeatures('sound').some((c) => Math.min(...c.foldValues) === 1)).toBe(true);
    expect(byFeatures('co2_level').every((c) => Math.min(...c.foldValues) > 0.99)).toBe(true);
    expect(result.best?.candidate.features).toEqual(['sound']);
    expect(result.best?.artifact.usedFeatures).toEqual(['sound']);
  });

  it('is reported as drifting, with its PSI and KS between folds', () => {
    const [co2, sound] = result.validation.featureStability;
    expect(co2).toMatchObject({ feature: 'co2_level', drifting: true, relative: false });
    expect(co2?.psi).toBeGreaterThan(PSI_SIGNIFICANT);
    expect(co2?.ks).toBeGreaterThan(0.9);
    expect(sound).toMatchObject({ feature: 'sound', drifting: false });
    expect(sound?.psi).toBeLessThan(PSI_SIGNIFICANT);
    expect(result.validation.folds).toHaveLength(3);
    // Several candidates score a perfect robust value: validation cannot rank them, and the report says so.
    expect(result.validation.separable).toBe(false);
    expect(result.validation.statement).toContain('tie');
    expect(result.validation.statement).toContain(result.best?.candidate.name ?? '?');
  });
});
