import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPredictor, type ModelArtifact, parseArtifact, saveArtifact } from '../../automl/artifact';
import { outOfFoldPredictions } from '../../automl/calibrate-winner';
import {
  applyCalibration,
  brierScore,
  type Calibrator,
  calibrateArtifact,
  chooseCalibration,
  fitIsotonic,
  fitPlatt,
  logit,
} from '../../automl/calibration';
import { ArtifactError } from '../../automl/errors';
import { predictLogisticRow } from '../../automl/logistic';
import { objectiveValue, tuneThreshold } from '../../automl/objective';
import { mulberry32 } from '../../automl/random';
import { prepareSearch, runSearch } from '../../automl/search';
import { defaultModelLoader, startModelContainer } from '../../local/hosting/model';
import { syntheticExport } from './synthetic';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Normal draws by Box–Muller from the seeded stream. */
function normals(n: number, seed: number, sd: number): Float64Array {
  const rng = mulberry32(seed);
  return Float64Array.from(
    { length: n },
    () => sd * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()),
  );
}

/** Scores whose true probability of occupied is `truth(score)`; labels drawn from it. */
function labelled(n: number, seed: number, truth: (s: number) => number, raw: (s: number) => number) {
  const s = normals(n, seed, 2);
  const rng = mulberry32(seed + 1);
  const y = Uint8Array.from(s, (v) => (rng() < truth(v) ? 1 : 0));
  return { p: Float64Array.from(s, raw), y };
}

const calibrated = (c: Calibrator, p: Float64Array) => p.map((v) => applyCalibration(c, v));

describe('calibration (pure)', () => {
  it.each([
    ['squashed toward 0.5', (s: number) => 0.5 + (sigmoid(s) - 0.5) * 0.3],
    ['overconfident', (s: number) => sigmoid(3 * s)],
  ])('brings the Brier score down on a %s model, in the fit and on fresh rows', (_, raw) => {
    const train = labelled(6000, 11, sigmoid, raw);
    const c = chooseCalibration(train.p, train.y);
    expect(c.method).not.toBe('identity');
    expect(c.fit?.brierAfter).toBeLessThan((c.fit?.brierBefore ?? 0) - 0.005);
    const fresh = labelled(6000, 99, sigmoid, raw);
    expect(brierScore(fresh.y, calibrated(c, fresh.p))).toBeLessThan(brierScore(fresh.y, fresh.p) - 0.005);
  });

  it('keeps the identity on a model that is already calibrated', () => {
    const { p, y } = labelled(6000, 5, sigmoid, sigmoid);
    const c = chooseCalibration(p, y);
    expect(c.method).toBe('identity');
    expect(c.fit?.brierAfter).toBe(c.fit?.brierBefore);
  });

  it('Platt recovers a and b of data generated from a logistic of the logit', () => {
    const { p, y } = labelled(40000, 3, (s) => sigmoid(0.6 * s - 0.8), sigmoid);
    const { a, b } = fitPlatt(p, y);
    expect(a).toBeCloseTo(0.6, 1);
    expect(b).toBeCloseTo(-0.8, 1);
    expect(Math.abs(a - 0.6)).toBeLessThan(0.04);
    expect(Math.abs(b + 0.8)).toBeLessThan(0.05);
  });

  it('Platt stays finite when the classes separate perfectly', () => {
    const p = Float64Array.from([0.1, 0.2, 0.3, 0.7, 0.8, 0.9]);
    const { a, b } = fitPlatt(p, Uint8Array.from([0, 0, 0, 1, 1, 1]));
    expect(Number.isFinite(a) && Number.isFinite(b) && a > 0).toBe(true);
  });

  it('isotonic regression is monotone: breakpoints and calibrated values rise', () => {
    const { p, y } = labelled(3000, 8, sigmoid, (s) => sigmoid(2 * s));
    const { x, y: v } = fitIsotonic(p, y);
    expect(x.length).toBeGreaterThan(2);
    for (let i = 1; i < x.length; i++) {
      expect(x[i]).toBeGreaterThan(x[i - 1] ?? 0);
      expect(v[i]).toBeGreaterThan(v[i - 1] ?? 0);
    }
    const c: Calibrator = { method: 'isotonic', x, y: v };
    let previous = Number.NEGATIVE_INFINITY;
    for (let q = 0; q <= 1; q += 0.001) {
      const out = applyCalibration(c, q);
      expect(out).toBeGreaterThanOrEqual(previous);
      expect(out >= 0 && out <= 1).toBe(true);
      previous = out;
    }
  });

  it('isotonic pools violators into the mean of their labels (PAV)', () => {
    const { x, y } = fitIsotonic([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1]);
    expect(x).toEqual([0.1, 0.25, 0.4]);
    expect(y).toEqual([0, 0.5, 1]);
  });

  it('an absent or identity calibrator returns the raw score bit for bit', () => {
    for (const p of [0, 1e-300, 0.1234567890123, 0.5, 1]) {
      expect(Object.is(applyCalibration(undefined, p), p)).toBe(true);
      expect(Object.is(applyCalibration({ method: 'identity' }, p), p)).toBe(true);
    }
    expect(applyCalibration({ method: 'platt', a: 1, b: 0 }, 0.3)).toBeCloseTo(0.3, 12);
    expect(logit(0)).toBeLessThan(-13);
  });
});

/** A one-input logistic artifact: P(occupied) = σ(3·a − 1). */
function logisticArtifact(): ModelArtifact {
  return {
    formatVersion: 1,
    version: 'job/c001-logistic-top1',
    family: 'logistic',
    featureNames: ['a', 'b'],
    usedFeatures: ['a'],
    target: 'occupied',
    preprocessing: { missingValues: 'mean', standardised: true },
    model: {
      family: 'logistic',
      inputs: [0],
      standardisation: { mean: [0], scale: [1] },
      weights: [3],
      intercept: -1,
    },
    threshold: 0.5,
    objective: { name: 'F1', value: 0.9 },
    training: {
      candidateName: 'c001-logistic-top1',
      trainedAt: '2026-01-01T00:00:00.000Z',
      rows: 100,
      featureSubset: 'top1',
      hyperParameters: {},
      validation: {},
      seed: 1,
    },
  };
}

describe('calibration in the artifact', () => {
  const rows = Array.from({ length: 200 }, (_, i) => [i / 50 - 2, 0]);
  rows.push([Number.NaN, 1]);

  it('an artifact without calibration scores exactly as before and saves without the field', () => {
    const artifact = logisticArtifact();
    const saved = saveArtifact(artifact);
    expect(saved).not.toContain('calibration');
    expect(parseArtifact(saved)).toEqual(artifact);
    const predictor = loadPredictor(artifact);
    const identity = loadPredictor({ ...artifact, calibration: { method: 'identity' } });
    for (const row of rows) {
      const raw = predictLogisticRow(artifact.model as Parameters<typeof predictLogisticRow>[0], row);
      expect(Object.is(predictor.predictRow(row).probability, raw)).toBe(true);
      expect(Object.is(identity.predictRow(row).probability, raw)).toBe(true);
    }
  });

  it('applies the calibration after the raw score, the threshold on the calibrated scale', () => {
    const calibration: Calibrator = { method: 'platt', a: 0.5, b: 0.2 };
    const artifact = { ...logisticArtifact(), calibration, threshold: 0.6 };
    const predictor = loadPredictor(parseArtifact(saveArtifact(artifact)));
    for (const row of rows) {
      const raw = predictLogisticRow(artifact.model as Parameters<typeof predictLogisticRow>[0], row);
      const expected = applyCalibration(calibration, raw);
      expect(predictor.predictRow(row)).toEqual({ probability: expected, label: expected >= 0.6 ? 1 : 0 });
    }
  });

  it('the endpoint host and the batch scorer read the calibration through the same predictor', () => {
    expect(defaultModelLoader).toBe(loadPredictor);
    const calibration: Calibrator = { method: 'isotonic', x: [0.1, 0.5, 0.9], y: [0.05, 0.3, 0.95] };
    const artifact = { ...logisticArtifact(), calibration };
    const dir = mkdtempSync(join(tmpdir(), 'calibration-'));
    try {
      const path = join(dir, 'artifact.json');
      writeFileSync(path, saveArtifact(artifact));
      const container = startModelContainer(
        path,
        { SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label,probability' },
        defaultModelLoader,
      );
      const engine = loadPredictor(artifact);
      for (const row of rows) {
        const hosted = container.predictRow(row);
        expect(hosted).toEqual(engine.predictRow(row));
        const raw = predictLogisticRow(artifact.model as Parameters<typeof predictLogisticRow>[0], row);
        expect(hosted.probability).toBe(applyCalibration(calibration, raw));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an isotonic calibration that does not rise, naming the field', () => {
    const bad = { ...logisticArtifact(), calibration: { method: 'isotonic', x: [0.1, 0.5, 0.4], y: [0.1, 0.2, 0.3] } };
    expect(() => loadPredictor(bad)).toThrow(ArtifactError);
    expect(() => loadPredictor(bad)).toThrow(expect.objectContaining({ field: 'calibration.x' }));
    const flat = { ...logisticArtifact(), calibration: { method: 'platt', a: 0, b: 1 } };
    expect(() => loadPredictor(flat)).toThrow(expect.objectContaining({ field: 'calibration.a' }));
  });

  it('calibrateArtifact moves the threshold to the calibrated scale, keeping the out-of-fold decisions', () => {
    const { p, y } = labelled(3000, 21, sigmoid, (s) => sigmoid(3 * s));
    const artifact = { ...logisticArtifact(), threshold: 0.35 };
    // A rule's fixed cut: the calibrated value of the cut, the same decision on every row.
    const fixed = calibrateArtifact(artifact, p, y, 'F1', true);
    expect(fixed.calibration?.method).not.toBe('identity');
    expect(fixed.threshold).toBeCloseTo(applyCalibration(fixed.calibration, 0.35), 12);
    const fixedP = p.map((v) => applyCalibration(fixed.calibration, v));
    for (let i = 0; i < p.length; i++) expect((fixedP[i] ?? 0) >= fixed.threshold).toBe((p[i] ?? 0) >= 0.35);
    // A tuned cut: re-tuned on the calibrated predictions, as good as the raw tuning (the map keeps the order).
    const tuned = calibrateArtifact(artifact, p, y, 'F1', false);
    const tunedP = p.map((v) => applyCalibration(tuned.calibration, v));
    const raw = tuneThreshold(y, p, 'F1');
    expect(objectiveValue(y, tunedP, tuned.threshold, 'F1')).toBeCloseTo(raw.value, 12);
    // The identity leaves the artifact's threshold alone.
    const calibratedAlready = labelled(3000, 4, sigmoid, sigmoid);
    const same = calibrateArtifact(artifact, calibratedAlready.p, calibratedAlready.y, 'F1', false);
    expect(same.calibration?.method).toBe('identity');
    expect(same.threshold).toBe(0.35);
  });
});

describe('calibration in the search', () => {
  const { table } = syntheticExport(3000, 13);
  const result = runSearch(table, undefined, { jobName: 'cal', maxCandidates: 3, seed: 2 });

  it('calibrates the winner on its out-of-fold predictions and reports the choice with the Brier scores', () => {
    const artifact = result.best?.artifact;
    const fit = artifact?.calibration?.fit;
    expect(fit?.rows).toBeGreaterThan(1000);
    expect(fit?.brierAfter).toBeLessThanOrEqual(fit?.brierBefore ?? 0);
    if (artifact?.calibration?.method === 'identity') expect(artifact.threshold).toBe(result.best?.candidate.threshold);
    else expect(fit?.brierAfter).toBeLessThan((fit?.brierBefore ?? 0) - 1e-4);
    // The rebuilt out-of-fold predictions are the ones the winner was scored on: its objective at the raw cut.
    const { setup } = prepareSearch(table, undefined, { jobName: 'cal', maxCandidates: 3, seed: 2 });
    const index = setup.plans.findIndex((p) => p.name === result.best?.candidate.name);
    const oof = outOfFoldPredictions(setup, index, undefined);
    const candidate = result.best?.candidate;
    expect(oof && candidate && objectiveValue(oof.y, oof.p, candidate.threshold, 'F1')).toBeCloseTo(
      candidate?.objective.value ?? -1,
      12,
    );
  });
});
