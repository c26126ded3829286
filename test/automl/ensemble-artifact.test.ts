import {
  ARTIFACT_FORMAT_VERSION,
  loadPredictor,
  type ModelArtifact,
  parseArtifact,
  saveArtifact,
} from '../../automl/artifact';
import { ArtifactError } from '../../automl/errors';
import { SOUND_MODEL, sigmoid } from '../fixtures/sound-model';

/** Two one-input logistic members over (a, b): σ(a − 5) and σ(b − 5), weighted 0.75 / 0.25, Platt on the second. */
function ensemble(): ModelArtifact {
  const member = (input: number) => ({
    family: 'logistic' as const,
    inputs: [input],
    standardisation: { mean: [0], scale: [1] },
    weights: [1],
    intercept: -5,
  });
  return {
    formatVersion: ARTIFACT_FORMAT_VERSION,
    version: 'job/c009-ensemble-views',
    family: 'ensemble',
    featureNames: ['a', 'b'],
    usedFeatures: ['a', 'b'],
    target: 'occupied',
    preprocessing: { missingValues: 'native', standardised: false },
    model: {
      family: 'ensemble',
      members: [
        {
          candidateName: 'c002-logistic-view-a',
          weight: 0.75,
          preprocessing: { missingValues: 'mean', standardised: true },
          model: member(0),
        },
        {
          candidateName: 'c003-logistic-view-b',
          weight: 0.25,
          preprocessing: { missingValues: 'mean', standardised: true },
          model: member(1),
          calibration: { method: 'platt', a: 2, b: 0 },
        },
      ],
    },
    calibration: { method: 'identity' },
    threshold: 0.5,
    objective: { name: 'F1', value: 0.9 },
    training: {
      candidateName: 'c009-ensemble-views',
      trainedAt: '2026-01-01T00:00:00Z',
      rows: 10,
      featureSubset: 'views',
      hyperParameters: {},
      validation: {},
      seed: 1,
    },
  };
}

const withMembers = (
  artifact: ModelArtifact,
  edit: (members: Record<string, unknown>[]) => Record<string, unknown>[],
): Record<string, unknown> => {
  const model = artifact.model as { members: Record<string, unknown>[] };
  return { ...artifact, model: { family: 'ensemble', members: edit(model.members.map((m) => ({ ...m }))) } };
};

describe('ensemble artifact', () => {
  it('scores the weighted mean of its members’ calibrated probabilities, then its own threshold', () => {
    const predictor = loadPredictor(ensemble());
    // Member b's Platt calibration: σ(2·logit(p)) = σ(2(b − 5)).
    const expected = (a: number, b: number) => 0.75 * sigmoid(a - 5) + 0.25 * sigmoid(2 * (b - 5));
    for (const [a, b] of [
      [5, 5],
      [7, 2],
      [3, 9],
    ] as const) {
      expect(predictor.predictRow([a, b]).probability).toBeCloseTo(expected(a, b), 12);
    }
    expect(predictor.predictRow([7, 2]).label).toBe(1);
    expect(predictor.predictRow([3, 9]).label).toBe(0);
  });

  it('round-trips: save → parse → load gives identical predictions', () => {
    const table = {
      names: ['b', 'a'],
      columns: [Float64Array.from([1, 5, 9, Number.NaN]), Float64Array.from([2, 5, 8, 6])],
      rowCount: 4,
      ignored: [],
    };
    const original = loadPredictor(ensemble()).predictTable(table);
    const reloaded = loadPredictor(parseArtifact(saveArtifact(ensemble()))).predictTable(table);
    expect(Array.from(reloaded.probability)).toEqual(Array.from(original.probability));
    expect(Array.from(reloaded.label)).toEqual(Array.from(original.label));
  });

  it('refuses a bad ensemble with a typed error naming the field', () => {
    const refused = (artifact: unknown, field: string) =>
      expect(() => loadPredictor(artifact)).toThrow(expect.objectContaining({ name: 'ArtifactError', field }));
    refused(
      withMembers(ensemble(), (m) => m.map((x) => ({ ...x, weight: 0.4 }))),
      'model.members.weight',
    );
    refused(
      withMembers(ensemble(), (m) => [
        { ...m[0], weight: -0.25 },
        { ...m[1], weight: 1.25 },
      ]),
      'model.members.0.weight',
    );
    refused(
      withMembers(ensemble(), (m) => [{ ...m[0], model: { ...(m[0]?.model as object), inputs: [2] } }, m[1] ?? {}]),
      'model.members.0.model.inputs',
    );
    refused(
      withMembers(ensemble(), () => []),
      'model.members',
    );
    // Version 1 readers cannot score an ensemble: it needs format 2.
    refused({ ...ensemble(), formatVersion: 1 }, 'formatVersion');
    expect(() => loadPredictor({ ...ensemble(), formatVersion: 3 })).toThrow(ArtifactError);
  });

  it('still loads a version 1 artifact (models already deployed) and scores it as before', () => {
    expect(SOUND_MODEL.formatVersion).toBe(1);
    const predictor = loadPredictor(parseArtifact(JSON.stringify(SOUND_MODEL)));
    expect(predictor.predictRow([12]).probability).toBeCloseTo(sigmoid(2), 12);
    expect(predictor.predictRow([10]).label).toBe(0);
    expect(predictor.predictRow([12]).label).toBe(1);
  });
});
