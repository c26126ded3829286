import {
  loadPredictor,
  type ModelArtifact,
  PredictionInputError,
  parseArtifact,
  saveArtifact,
} from '../../automl/artifact';
import { ArtifactError } from '../../automl/errors';
import { runSearch } from '../../automl/search';
import { syntheticExport } from './synthetic';

describe('model artifact', () => {
  const { table } = syntheticExport(1500, 11);
  const result = runSearch(table, undefined, { jobName: 'art', maxCandidates: 3, seed: 2 });
  const artifact = result.best?.artifact as ModelArtifact;

  it('round-trips: save → parse → load gives identical predictions', () => {
    expect(artifact).toBeDefined();
    const original = loadPredictor(artifact).predictTable(table);
    const reloaded = loadPredictor(parseArtifact(saveArtifact(artifact))).predictTable(table);
    expect(Array.from(reloaded.probability)).toEqual(Array.from(original.probability));
    expect(Array.from(reloaded.label)).toEqual(Array.from(original.label));
  });

  it('scores a row in featureNames order the same as the table, mapping the table by column name', () => {
    const predictor = loadPredictor(artifact);
    expect(predictor.featureNames).toEqual(table.names);
    expect(predictor.version).toBe(`art/${result.best?.candidate.name}`);
    const reversed = { ...table, names: [...table.names].reverse(), columns: [...table.columns].reverse() };
    const byName = predictor.predictTable(reversed);
    for (const r of [0, 500, 1499]) {
      const row = table.columns.map((c) => c[r] ?? Number.NaN);
      const single = predictor.predictRow(row);
      expect(single.probability).toBe(byName.probability[r]);
      expect(single.label).toBe(byName.label[r]);
    }
  });

  it('rejects a row of the wrong width and a table missing a column', () => {
    const predictor = loadPredictor(artifact);
    expect(() => predictor.predictRow([1, 2])).toThrow(PredictionInputError);
    const missing = { ...table, names: table.names.slice(1), columns: table.columns.slice(1) };
    expect(() => predictor.predictTable(missing)).toThrow(expect.objectContaining({ field: table.names[0] }));
  });

  it('rejects a bad artifact with a typed error naming the field', () => {
    expect(() => loadPredictor({ ...artifact, formatVersion: 99 })).toThrow(ArtifactError);
    expect(() => loadPredictor({ ...artifact, threshold: 2 })).toThrow(expect.objectContaining({ field: 'threshold' }));
    expect(() => parseArtifact('{not json')).toThrow(ArtifactError);
    expect(() => loadPredictor({ ...artifact, featureNames: ['only_one'] })).toThrow(ArtifactError);
  });

  it('rejects a tree whose children point backwards (a cycle)', () => {
    const cyclic = {
      ...artifact,
      family: 'gbt',
      model: {
        family: 'gbt',
        initScore: 0,
        trees: [{ feature: [0, -1], threshold: [1, 0], left: [0, -1], right: [1, -1], value: [0, 1] }],
      },
    };
    expect(() => loadPredictor(cyclic)).toThrow(ArtifactError);
  });

  it('loads a threshold rule: probability 0.5 at the level, missing values not occupied, index checked', () => {
    const rule = {
      ...artifact,
      family: 'threshold',
      threshold: 0.5,
      // The rule's own ramp, uncalibrated (the search's artifact may carry a calibration of another model).
      calibration: undefined,
      preprocessing: { missingValues: 'native', standardised: false },
      model: { family: 'threshold', feature: 1, level: 10, direction: 'above', scale: 2 },
    };
    const predictor = loadPredictor(rule);
    const row = (sound: number) => table.names.map((_, i) => (i === 1 ? sound : 0));
    expect(predictor.predictRow(row(10)).probability).toBeCloseTo(0.5, 12);
    expect(predictor.predictRow(row(11)).label).toBe(1);
    expect(predictor.predictRow(row(9)).label).toBe(0);
    expect(predictor.predictRow(row(Number.NaN))).toEqual({ probability: 0, label: 0 });
    const below = loadPredictor({ ...rule, model: { ...rule.model, direction: 'below' } });
    expect(below.predictRow(row(9)).label).toBe(1);
    expect(() => loadPredictor({ ...rule, model: { ...rule.model, feature: 99 } })).toThrow(
      expect.objectContaining({ field: 'model.feature' }),
    );
  });
});
