import { loadPredictor } from '../../automl/artifact';
import {
  type CandidateResult,
  DRIFT_MARGIN,
  isRelativeFeature,
  levelDrift,
  runSearch,
  selectCandidate,
  timeBlockFolds,
} from '../../automl/search';
import { applyThreshold, fitBestThreshold } from '../../evaluation';
import { syntheticExport } from './synthetic';

const range = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

function candidate(
  name: string,
  family: CandidateResult['family'],
  features: number,
  robust: number,
  extra: Partial<CandidateResult> = {},
): CandidateResult {
  return {
    name,
    family,
    featureSubset: 'x',
    features: Array.from({ length: features }, (_, i) => `f${i}`),
    hyperParameters: {},
    status: 'Completed',
    objective: { name: 'F1', value: robust },
    foldValues: [robust, robust],
    threshold: 0.5,
    validation: undefined,
    beatsBaseline: true,
    robustValue: robust,
    startedAt: 0,
    endedAt: 0,
    ...extra,
  };
}

describe('AutoML search', () => {
  const { table } = syntheticExport(1500, 5);

  it('tries the single-signal threshold first, scores every candidate on the same folds, picks by selectCandidate', () => {
    const events: string[] = [];
    const result = runSearch(table, undefined, {
      jobName: 's',
      maxCandidates: 4,
      onProgress: (e) => events.push(e.type),
    });
    expect(result.candidates.map((c) => c.family)).toEqual(['threshold', 'gbt', 'logistic', 'logistic']);
    expect(result.baseline.name).toBe(result.candidates[0]?.name);
    const folds = result.baseline.foldValues.length;
    expect(folds).toBeGreaterThanOrEqual(1);
    for (const c of result.candidates.slice(1)) {
      expect(c.status).toBe('Completed');
      expect(c.foldValues).toHaveLength(folds);
      expect(c.beatsBaseline).toBe(c.objective.value > result.baseline.objective.value);
      expect(c.robustValue).toBeCloseTo((c.objective.value + Math.min(...c.foldValues)) / 2, 12);
    }
    expect(result.best?.candidate.name).toBe(result.candidates[selectCandidate(result.candidates)]?.name);
    expect(result.best?.artifact.threshold).toBe(result.best?.candidate.threshold);
    expect(events.filter((e) => e === 'candidate-finished')).toHaveLength(4);
    expect(events[events.length - 1]).toBe('refitting');
  });

  it('deploys the threshold rule as a real model: the same rule the evaluation core fits on all rows', () => {
    const result = runSearch(table, undefined, { jobName: 't', maxCandidates: 1 });
    const artifact = result.best?.artifact;
    expect(artifact?.family).toBe('threshold');
    const rule = fitBestThreshold(table);
    expect(artifact?.usedFeatures).toEqual([rule.signal]);
    const scored = loadPredictor(artifact).predictTable(table);
    expect(Array.from(scored.label)).toEqual(Array.from(applyThreshold(rule, table)));
  });

  it('is reproducible for a seed', () => {
    const a = runSearch(table, undefined, { jobName: 'r', maxCandidates: 3, seed: 3 });
    const b = runSearch(table, undefined, { jobName: 'r', maxCandidates: 3, seed: 3 });
    expect(a.candidates.map((c) => c.objective.value)).toEqual(b.candidates.map((c) => c.objective.value));
  });

  it('stops on request, keeping the best candidate so far', () => {
    let finished = 0;
    const result = runSearch(table, undefined, {
      jobName: 'stop',
      maxCandidates: 8,
      onProgress: (e) => {
        if (e.type === 'candidate-finished') finished++;
      },
      shouldStop: () => finished >= 2,
    });
    expect(result.stopped).toBe(true);
    expect(result.candidates.filter((c) => c.status === 'Completed')).toHaveLength(2);
    expect(result.best?.candidate.name).toMatch(/^c00[12]-/);
  });

  it('honours the job runtime budget: ends timed out with the best candidate so far', () => {
    let clock = 0;
    // Every clock reading advances one second: the 6 s budget (4.5 s for the search) runs out after a few candidates.
    const result = runSearch(table, undefined, {
      jobName: 'budget',
      maxCandidates: 12,
      maxJobRuntimeSeconds: 6,
      now: () => (clock += 1000),
    });
    expect(result.timedOut).toBe(true);
    expect(result.candidates.length).toBeLessThan(12);
    expect(result.best).toBeDefined();
  });

  it('rejects a target with a single class', () => {
    const single = { ...table, target: new Uint8Array(table.rowCount) };
    expect(() => runSearch(single, undefined, { jobName: 'x' })).toThrow(/single class/);
  });
});

describe('time-block folds', () => {
  it('merges a validation block holding one class into the next, so every block has both', () => {
    // 100 rows: validation covers rows 30..99 in blocks of ~23; rows 30..75 have no positives (a weekend).
    const y = Uint8Array.from({ length: 100 }, (_, i) => (i < 30 || i >= 76 ? i % 3 === 0 : 0) as number);
    const folds = timeBlockFolds(range(100), y, 3);
    expect(folds).toHaveLength(1);
    expect(folds[0]?.valid[0]).toBe(30);
    expect(folds[0]?.train.length).toBe(30);
    for (const f of folds) {
      const labels = Array.from(f.valid, (r) => y[r]);
      expect(labels).toContain(0);
      expect(labels).toContain(1);
    }
  });

  it('keeps equal blocks, each trained on everything before it, when every block has both classes', () => {
    const y = Uint8Array.from({ length: 300 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const folds = timeBlockFolds(range(300), y, 3);
    expect(folds.map((f) => f.valid.length)).toEqual([70, 70, 70]);
    expect(folds.map((f) => f.train.length)).toEqual([90, 160, 230]);
  });
});

describe('feature stability', () => {
  it('counts level shifts among empty-room rows as drift, not the occupancy signal itself', () => {
    const n = 1000;
    const y = Uint8Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 1 : 0));
    const light = Float64Array.from(y, (label) => (label ? 500 : 0));
    // Humidity: a small occupancy effect on a level that climbs over time.
    const humidity = Float64Array.from(y, (label, i) => 20 + i / 50 + label);
    expect(levelDrift(light, y, range(n))).toBe(0);
    expect(levelDrift(humidity, y, range(n))).toBeGreaterThan(1);
  });

  it('recognises relative export features and not level ones', () => {
    for (const name of [
      'temperature_delta',
      'sound_std_5',
      'sound_secs_since_cross',
      'hvac_status_is_fan',
      'hour_sin',
      'weekday_cos',
    ]) {
      expect(isRelativeFeature(name)).toBe(true);
    }
    for (const name of ['temperature', 'temperature_mean_5', 'humidity', 'sound', 'Light', 'CO2']) {
      expect(isRelativeFeature(name)).toBe(false);
    }
  });
});

describe('candidate selection', () => {
  it('prefers the simplest candidate within one standard error of the best', () => {
    const list = [
      candidate('gbt', 'gbt', 5, 0.95),
      candidate('logistic', 'logistic', 1, 0.948),
      candidate('threshold', 'threshold', 1, 0.9),
    ];
    expect(selectCandidate(list)).toBe(1);
  });

  it('keeps a clearly better complex candidate', () => {
    const list = [candidate('threshold', 'threshold', 1, 0.7), candidate('gbt', 'gbt', 20, 0.88)];
    expect(selectCandidate(list)).toBe(1);
  });

  it('lets a candidate reading drifting features win only by DRIFT_MARGIN over the best drift-free one', () => {
    const drifting = { driftingFeatures: ['humidity'] };
    const close = [
      candidate('stable', 'gbt', 3, 0.95),
      candidate('forest', 'forest', 5, 0.95 + DRIFT_MARGIN / 2, drifting),
    ];
    expect(selectCandidate(close)).toBe(0);
    const far = [
      candidate('stable', 'gbt', 3, 0.9),
      candidate('forest', 'forest', 5, 0.9 + DRIFT_MARGIN * 2, drifting),
    ];
    expect(selectCandidate(far)).toBe(1);
  });

  it('ignores failed candidates and returns -1 when none completed', () => {
    const failed = candidate('x', 'gbt', 1, 0.99, { status: 'Failed' });
    expect(selectCandidate([failed, candidate('y', 'logistic', 2, 0.5)])).toBe(1);
    expect(selectCandidate([failed])).toBe(-1);
  });
});
