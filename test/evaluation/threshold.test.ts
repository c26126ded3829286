import fc from 'fast-check';
import {
  applyThreshold,
  classificationMetrics,
  EvaluationError,
  evaluateBaselines,
  f1Score,
  fitBestThreshold,
  fitBestThresholdWithScore,
  type ThresholdModel,
} from '../../evaluation';
import { type LabelledTable, numericTableFromCsv } from '../../telemetry/table';

function table(columns: Record<string, number[]>, target: number[]): LabelledTable {
  const names = Object.keys(columns);
  return {
    names,
    columns: names.map((name) => Float64Array.from(columns[name] ?? [])),
    rowCount: target.length,
    ignored: [],
    target: Uint8Array.from(target),
    targetName: 'occupied',
  };
}

describe('applyThreshold', () => {
  const t = table({ sound: [5, 10, 10.5, Number.NaN, 30] }, [0, 0, 1, 1, 1]);

  it('predicts occupied strictly above the level', () => {
    expect(Array.from(applyThreshold({ signal: 'sound', level: 10, direction: 'above' }, t))).toEqual([0, 0, 1, 0, 1]);
  });

  it('predicts occupied strictly below the level, and never for a missing value', () => {
    expect(Array.from(applyThreshold({ signal: 'sound', level: 10, direction: 'below' }, t))).toEqual([1, 0, 0, 0, 0]);
  });

  it('names a missing signal in a typed error that wraps the table error', () => {
    try {
      applyThreshold({ signal: 'co2', level: 1, direction: 'above' }, t);
      throw new Error('expected an EvaluationError');
    } catch (error) {
      expect(error).toBeInstanceOf(EvaluationError);
      expect((error as EvaluationError).field).toBe('co2');
      expect((error as EvaluationError).cause).toBeInstanceOf(Error);
    }
  });

  it('rejects a non-finite level', () => {
    expect(() => applyThreshold({ signal: 'sound', level: Number.NaN, direction: 'above' }, t)).toThrow(
      expect.objectContaining({ field: 'level' }),
    );
  });
});

describe('fitBestThreshold', () => {
  it('finds the separating cut at the midpoint between classes', () => {
    const t = table({ sound: [1, 2, 3, 8, 9, 10] }, [0, 0, 0, 1, 1, 1]);
    expect(fitBestThreshold(t)).toEqual({ signal: 'sound', level: 5.5, direction: 'above' });
  });

  it('finds a "below" rule when low values mean occupied', () => {
    // Lights dimmed for a presentation: low light → occupied.
    const t = table({ light: [500, 450, 20, 30, 400, 25] }, [0, 0, 1, 1, 0, 1]);
    expect(fitBestThreshold(t)).toEqual({ signal: 'light', level: 215, direction: 'below' });
  });

  it('picks the most informative signal among several', () => {
    const t = table(
      {
        temperature: [21, 22, 21, 22, 21, 22],
        co2: [400, 420, 900, 950, 410, 1000],
      },
      [0, 0, 1, 1, 0, 1],
    );
    const fitted = fitBestThresholdWithScore(t);
    expect(fitted.model).toEqual({ signal: 'co2', level: 660, direction: 'above' });
    expect(fitted.trainF1).toBe(1);
  });

  it('handles tied values: a cut never splits rows with equal values', () => {
    // At sound = 5 two rows disagree; the best is either to include both (tp 3, fp 1) or neither (tp 2).
    const t = table({ sound: [1, 5, 5, 9, 9] }, [0, 0, 1, 1, 1]);
    const fitted = fitBestThresholdWithScore(t);
    expect(fitted.model).toEqual({ signal: 'sound', level: 3, direction: 'above' });
    expect(fitted.trainF1).toBeCloseTo(6 / 7, 12); // 2·3 / (2·3 + 1 + 0)
  });

  it('counts positives with a missing reading as missed (never predicted occupied)', () => {
    const t = table({ sound: [1, 20, Number.NaN, Number.NaN] }, [0, 1, 1, 1]);
    const fitted = fitBestThresholdWithScore(t);
    expect(fitted.model.direction).toBe('above');
    expect(fitted.trainF1).toBeCloseTo(0.5, 12); // tp 1, fn 2 → 2 / (2 + 0 + 2)
  });

  it('keeps the midpoint on the right side for adjacent floating-point values', () => {
    const low = 1;
    const high = 1 + Number.EPSILON;
    const t = table({ x: [low, low, high, high] }, [0, 0, 1, 1]);
    const rule = fitBestThreshold(t);
    expect(Array.from(applyThreshold(rule, t))).toEqual([0, 0, 1, 1]);
  });

  it('restricts the candidates to the given signals', () => {
    const t = table({ sound_delta: [0, 0, 5, 5], sound: [1, 3, 2, 4] }, [0, 0, 1, 1]);
    expect(fitBestThreshold(t).signal).toBe('sound_delta');
    expect(fitBestThreshold(t, ['sound']).signal).toBe('sound');
  });

  it('scores the same F1 on train as the brute-force search over every cut', () => {
    const rows = fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: -5, max: 5 })), {
      minLength: 1,
      maxLength: 40,
    });
    fc.assert(
      fc.property(
        rows.filter((r) => r.some(([label]) => label === 1)),
        (sample) => {
          const t = table(
            { v: sample.map(([, v]) => v) },
            sample.map(([label]) => label),
          );
          const fitted = fitBestThresholdWithScore(t);
          // Integer values: every cut is at some k + 0.5 in [-6, 6], both directions.
          let bruteForce = 0;
          for (let level = -6.5; level <= 6.5; level += 1) {
            for (const direction of ['above', 'below'] as const) {
              const rule: ThresholdModel = { signal: 'v', level, direction };
              bruteForce = Math.max(bruteForce, f1Score(t.target, applyThreshold(rule, t)));
            }
          }
          expect(fitted.trainF1).toBeCloseTo(bruteForce, 12);
          expect(f1Score(t.target, applyThreshold(fitted.model, t))).toBeCloseTo(fitted.trainF1, 12);
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });

  it('rejects training rows without positives, unknown signals and an empty candidate list', () => {
    expect(() => fitBestThreshold(table({ sound: [1, 2] }, [0, 0]))).toThrow(
      expect.objectContaining({ field: 'target' }),
    );
    expect(() => fitBestThreshold(table({ sound: [1, 2] }, [0, 1]), ['co2'])).toThrow(
      expect.objectContaining({ field: 'co2' }),
    );
    expect(() => fitBestThreshold(table({ sound: [1, 2] }, [0, 1]), [])).toThrow(
      expect.objectContaining({ field: 'signals' }),
    );
    expect(() => fitBestThreshold(table({ sound: [Number.NaN, Number.NaN] }, [0, 1]))).toThrow(EvaluationError);
  });
});

describe('evaluateBaselines', () => {
  // Train: sound separates poorly (a noisy empty room at 14), co2 separates perfectly above 700.
  const trainCsv = [
    'thing_name,sound,co2,sound_delta,occupied',
    'room-1,2,410,0,0',
    'room-1,14,420,12,0',
    'room-1,12,800,-2,1',
    'room-1,30,900,18,1',
    'room-1,4,430,-26,0',
    'room-1,25,950,21,1',
  ].join('\n');
  const holdoutCsv = [
    'thing_name,sound,co2,sound_delta,occupied',
    'room-2,3,400,0,0',
    'room-2,11,450,8,0',
    'room-2,8,780,-3,1',
    'room-2,40,990,32,1',
  ].join('\n');
  const train = numericTableFromCsv(trainCsv, 'occupied');
  const holdout = numericTableFromCsv(holdoutCsv, 'occupied');

  it('scores the seed rule, the best threshold and the best sound threshold on the holdout', () => {
    const results = evaluateBaselines({ train, holdout, soundSignal: 'sound', signals: ['sound', 'co2'] });
    expect(results.map((r) => r.name)).toEqual(['static-rule', 'best-threshold', 'best-sound-threshold']);

    const [staticRule, best, sound] = results;
    expect(staticRule?.rule).toEqual({ signal: 'sound', level: 10, direction: 'above' });
    // Holdout sound > 10: predicts rows 1 (fp) and 3 (tp), misses row 2.
    expect(staticRule?.metrics).toMatchObject({ tp: 1, fp: 1, fn: 1, tn: 1, f1: 0.5 });

    expect(best?.rule).toEqual({ signal: 'co2', level: 615, direction: 'above' });
    expect(best?.metrics).toMatchObject({ tp: 2, fp: 0, fn: 0, tn: 2, f1: 1 });

    // Sound alone on train: > 13 gives tp 2, fp 1, fn 1 (F1 2/3); > 8 gives tp 3, fp 1 (F1 6/7) — the best.
    expect(sound?.rule).toEqual({ signal: 'sound', level: 8, direction: 'above' });
    expect(sound?.metrics).toEqual(
      classificationMetrics(holdout.target, applyThreshold({ signal: 'sound', level: 8, direction: 'above' }, holdout)),
    );
    expect(sound?.description).toContain('sound > 8');
  });

  it('leaves derived feature columns out when raw signals are named', () => {
    const raw = evaluateBaselines({ train, holdout, signals: ['sound'] }).find((r) => r.name === 'best-threshold');
    expect(raw?.rule.signal).toBe('sound');
    expect(raw?.description).toContain('[sound]');
    const everyColumn = evaluateBaselines({ train, holdout }).find((r) => r.name === 'best-threshold');
    expect(everyColumn?.description).toContain('[sound, co2, sound_delta]');
  });

  it('uses a configured static rule and omits it when the holdout lacks its signal', () => {
    const custom = evaluateBaselines({ train, holdout, staticRule: { signal: 'co2', level: 1000 } });
    expect(custom[0]?.rule).toEqual({ signal: 'co2', level: 1000, direction: 'above' });
    expect(custom[0]?.metrics.tp).toBe(0);

    const uci = numericTableFromCsv('light,co2,occupied\n10,400,0\n500,900,1\n', 'occupied');
    const names = evaluateBaselines({ train: uci, holdout: uci, soundSignal: 'sound' }).map((r) => r.name);
    expect(names).toEqual(['best-threshold']);

    const none = evaluateBaselines({ train, holdout, staticRule: null }).map((r) => r.name);
    expect(none).toEqual(['best-threshold']);
  });

  it('rejects candidate signals that are in neither table', () => {
    expect(() => evaluateBaselines({ train, holdout, signals: ['pir'] })).toThrow(
      expect.objectContaining({ field: 'signals' }),
    );
  });
});
