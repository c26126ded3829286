import { EvaluationError, f1Score, gateDecision } from '../../evaluation';

/** 400 rows, every third row occupied. */
const y = Uint8Array.from({ length: 400 }, (_, i) => (i % 3 === 0 ? 1 : 0));

/** A copy of `y` that is wrong on every `step`-th row starting at `offset`. */
function wrongEvery(step: number, offset = 0): Uint8Array {
  const predicted = Uint8Array.from(y);
  for (let i = offset; i < predicted.length; i += step) predicted[i] = 1 - (predicted[i] ?? 0);
  return predicted;
}

const candidate = { name: 'candidate', predicted: wrongEvery(40) }; // 10 errors
const staticRule = { name: 'static-rule', predicted: wrongEvery(4, 1) }; // 100 errors
const bestThreshold = { name: 'best-threshold', predicted: wrongEvery(6, 2) }; // 67 errors

describe('gateDecision', () => {
  it('promotes a candidate that clearly beats every baseline and the serving model', () => {
    const serving = { name: 'serving', predicted: wrongEvery(5, 3) };
    const decision = gateDecision({ y, candidate, baselines: [staticRule, bestThreshold], serving, margin: 0.02 });
    expect(decision.promote).toBe(true);
    expect(decision.comparisons.map((c) => c.against)).toEqual(['static-rule', 'best-threshold', 'serving']);
    for (const comparison of decision.comparisons) {
      expect(comparison.passed).toBe(true);
      expect(comparison.candidateF1).toBeCloseTo(f1Score(y, candidate.predicted), 12);
      expect(comparison.delta).toBeCloseTo(comparison.candidateF1 - comparison.otherF1, 12);
      expect(comparison.lower).toBeGreaterThan(0);
    }
    expect(decision.comparisons[1]?.otherF1).toBeCloseTo(f1Score(y, bestThreshold.predicted), 12);
    expect(decision.reasons).toHaveLength(3);
    expect(decision.reasons[0]).toMatch(
      /^beats static-rule by 0\.\d{3} F1 \(95% CI 0\.\d{3}\.\.0\.\d{3}\) ≥ margin 0\.02/,
    );
  });

  it('does not promote a candidate that beats the baselines but not the serving model', () => {
    const serving = { name: 'serving', predicted: wrongEvery(36, 5) }; // 12 errors: as good as the candidate
    const decision = gateDecision({ y, candidate, baselines: [staticRule, bestThreshold], serving, margin: 0.01 });
    expect(decision.promote).toBe(false);
    expect(decision.comparisons.map((c) => c.passed)).toEqual([true, true, false]);
    expect(decision.reasons[2]).toMatch(/^does not beat serving: ΔF1 .* < margin 0\.01/);
  });

  it('does not promote when ΔF1 clears the margin but the CI lower bound is not above zero', () => {
    // 60 rows: the candidate and the baseline differ on three rows only, so the gain may be luck.
    const small = Uint8Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const candidatePredicted = Uint8Array.from(small);
    candidatePredicted[0] = 0;
    const baselinePredicted = Uint8Array.from(small);
    baselinePredicted[2] = 0;
    baselinePredicted[1] = 1;
    const decision = gateDecision({
      y: small,
      candidate: { name: 'candidate', predicted: candidatePredicted },
      baselines: [{ name: 'static-rule', predicted: baselinePredicted }],
      margin: 0.01,
      seed: 1,
    });
    const [comparison] = decision.comparisons;
    expect(comparison?.delta).toBeGreaterThanOrEqual(0.01);
    expect(comparison?.lower).toBeLessThanOrEqual(0);
    expect(decision.promote).toBe(false);
    expect(decision.reasons[0]).toContain('CI lower bound');
    expect(decision.reasons[0]).not.toContain('< margin');
  });

  it('does not promote a candidate worse than a baseline, and says both conditions failed', () => {
    const decision = gateDecision({ y, candidate: bestThreshold, baselines: [candidate], margin: 0 });
    expect(decision.promote).toBe(false);
    expect(decision.comparisons[0]?.delta).toBeLessThan(0);
    expect(decision.reasons[0]).toMatch(/< margin 0 and CI lower bound -0\.\d{3} ≤ 0/);
  });

  it('needs no serving model on the first run', () => {
    const decision = gateDecision({ y, candidate, baselines: [staticRule], margin: 0.05 });
    expect(decision.promote).toBe(true);
    expect(decision.comparisons).toHaveLength(1);
  });

  it('is deterministic for a seed', () => {
    const opts = { y, candidate, baselines: [bestThreshold], margin: 0.01, seed: 12, resamples: 300 };
    expect(gateDecision(opts)).toEqual(gateDecision(opts));
  });

  it('honours the confidence level in its reasons', () => {
    const decision = gateDecision({ y, candidate, baselines: [staticRule], margin: 0.01, confidence: 0.9 });
    expect(decision.reasons[0]).toContain('90% CI');
  });

  it('rejects bad inputs naming the field', () => {
    const base = { y, candidate, baselines: [staticRule], margin: 0.01 };
    expect(() => gateDecision({ ...base, margin: -0.1 })).toThrow(expect.objectContaining({ field: 'margin' }));
    expect(() => gateDecision({ ...base, margin: Number.NaN })).toThrow(EvaluationError);
    expect(() => gateDecision({ ...base, baselines: [] })).toThrow(expect.objectContaining({ field: 'baselines' }));
    expect(() => gateDecision({ ...base, resamples: 10 })).toThrow(expect.objectContaining({ field: 'resamples' }));
    expect(() => gateDecision({ ...base, candidate: { name: 'c', predicted: [1, 0] } })).toThrow(
      expect.objectContaining({ field: 'candidate.predicted' }),
    );
    expect(() =>
      gateDecision({ ...base, baselines: [staticRule, { name: 'short', predicted: y.subarray(1) }] }),
    ).toThrow(expect.objectContaining({ field: 'baselines[1].predicted' }));
    expect(() => gateDecision({ ...base, serving: { name: 'serving', predicted: y.subarray(2) } })).toThrow(
      expect.objectContaining({ field: 'serving.predicted' }),
    );
  });
});
