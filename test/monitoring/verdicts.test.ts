import type { FeatureDrift } from '../../monitoring/drift';
import { countRows, type LiveMetrics, type LiveRow, liveMetrics } from '../../monitoring/live-metrics';
import { judge, judgeFallback, type VerdictThresholds, type WindowFigures } from '../../monitoring/verdicts';

const t: VerdictThresholds = {
  minLabelledReadings: 10,
  minReadings: 20,
  fallbackRateLimit: 0.05,
  consecutiveWindows: 3,
};

function row(over: Partial<LiveRow>): LiveRow {
  return {
    windowIndex: 0,
    modelVersion: 'v1',
    variant: 'AllTraffic',
    source: 'model',
    decision: 1,
    probability: 0.8,
    label: 1,
    ruleDecision: 1,
    ...over,
  };
}

describe('live metrics', () => {
  it('F1 of the model on its labelled answers, the static rule on the same readings, fallbacks only in the rate', () => {
    const rows: LiveRow[] = [
      row({ decision: 1, label: 1, ruleDecision: 0, probability: 0.9 }), // model tp, rule fn
      row({ decision: 0, label: 0, ruleDecision: 1, probability: 0.2 }), // model tn, rule fp
      row({ decision: 1, label: 0, ruleDecision: 0, probability: 0.6 }), // model fp, rule tn
      row({ decision: 0, label: 1, ruleDecision: 1, probability: 0.4 }), // model fn, rule tp
      row({ label: null }), // label not known yet: answered, not measured
      row({ source: 'fallback', decision: 1, label: 0, ruleDecision: 1 }), // fallback: rate only
    ];
    const [counts] = countRows(rows);
    if (!counts) throw new Error('no group');
    expect(counts).toMatchObject({ answered: 6, fallbacks: 1, labelled: 4, tp: 1, fp: 1, fn: 1, tn: 1, ruleTp: 1 });
    const m = liveMetrics(counts);
    expect(m).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5, staticRuleF1: 0.5, labelledReadings: 4 });
    expect(m.fallbackRate).toBeCloseTo(1 / 6, 12);
    expect(m.brier).toBeCloseTo((0.01 + 0.04 + 0.36 + 0.36) / 4, 12);
  });

  it('groups per window, model version and variant, newest window first', () => {
    const groups = countRows([row({ windowIndex: 1 }), row({ variant: 'shadow', modelVersion: 'v2' }), row({})]);
    expect(groups.map((g) => [g.windowIndex, g.modelVersion, g.variant, g.answered])).toEqual([
      [0, 'v1', 'AllTraffic', 1],
      [0, 'v2', 'shadow', 1],
      [1, 'v1', 'AllTraffic', 1],
    ]);
  });
});

function figures(windowIndex: number, over: Partial<LiveMetrics>, drifting: string[] = []): WindowFigures {
  const metrics: LiveMetrics = {
    windowIndex,
    modelVersion: 'v1',
    variant: 'AllTraffic',
    answered: 100,
    labelledReadings: 50,
    fallbackRate: 0,
    precision: 0.9,
    recall: 0.9,
    f1: 0.9,
    staticRuleF1: 0.8,
    brier: 0.1,
    ...over,
  };
  const drift: FeatureDrift[] = ['sound', 'co2'].map((feature) => ({
    feature,
    readings: metrics.answered,
    psi: drifting.includes(feature) ? 0.6 : 0.01,
    chiSquare: 0,
    pValue: drifting.includes(feature) ? 1e-8 : 0.5,
    drifting: drifting.includes(feature),
  }));
  return { metrics, drift };
}

describe('verdicts', () => {
  it('a healthy model gets none', () => {
    expect(judge([figures(0, {}), figures(1, {}), figures(2, {})], t)).toEqual([]);
  });

  it('live F1 below the static rule, only with enough labelled readings', () => {
    expect(judge([figures(0, { f1: 0.7, staticRuleF1: 0.8 })], t)).toEqual([
      expect.objectContaining({
        reason: 'live-f1-below-static-rule',
        detail: expect.stringMatching(/0\.700 below .*0\.800 on the same 50/),
      }),
    ]);
    expect(judge([figures(0, { f1: 0.7, labelledReadings: 9 })], t)).toEqual([]);
    expect(judge([figures(0, { f1: 0.8, staticRuleF1: 0.8 })], t)).toEqual([]); // equal is not below
  });

  it('drift only when the same feature drifts in every one of the consecutive windows', () => {
    const sustained = judge(
      [figures(0, {}, ['sound']), figures(1, {}, ['sound', 'co2']), figures(2, {}, ['sound'])],
      t,
    );
    expect(sustained).toEqual([expect.objectContaining({ reason: 'sustained-drift', features: ['sound'] })]);
    // One window without drift, a missing window, or a window with too few readings breaks the run.
    expect(judge([figures(0, {}, ['sound']), figures(1, {}), figures(2, {}, ['sound'])], t)).toEqual([]);
    expect(judge([figures(0, {}, ['sound']), figures(1, {}, ['sound'])], t)).toEqual([]);
    expect(
      judge([figures(0, {}, ['sound']), figures(1, { answered: 19 }, ['sound']), figures(2, {}, ['sound'])], t),
    ).toEqual([]);
  });

  it("the endpoint's fallback rate above the limit in the newest window, with enough answers", () => {
    const w = (answered: number, fallbacks: number) => ({
      windowIndex: 0,
      answered,
      fallbacks,
      fallbackRate: fallbacks / answered,
    });
    expect(judgeFallback(w(100, 6), t)).toEqual([
      { reason: 'fallback-rate', detail: '0.060 of 100 answers came from the fallback (limit 0.050)' },
    ]);
    expect(judgeFallback(w(100, 5), t)).toEqual([]); // at the limit is not above it
    expect(judgeFallback(w(10, 5), t)).toEqual([]); // too few answers
    expect(judgeFallback(undefined, t)).toEqual([]);
    // The per-variant verdicts never judge the fallback rate.
    expect(judge([figures(0, { fallbackRate: 0.5 })], t)).toEqual([]);
  });
});
