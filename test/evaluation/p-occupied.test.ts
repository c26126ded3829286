import {
  assertScoresNotInverted,
  classificationMetrics,
  INFERENCE_OUTPUT,
  readOccupancyScore,
  ScoreInversionError,
} from '../../evaluation';
import { csvFields } from '../../evaluation/p-occupied';

describe('readOccupancyScore: P(occupied) from predicted_label,probabilities,labels', () => {
  it('asks for the keys whose meaning does not depend on the training mode', () => {
    expect(INFERENCE_OUTPUT).toBe('predicted_label,probabilities,labels');
  });

  it.each([
    // The documentation's own example: label "1" has 0.9.
    ['1,"[0.9, 0.1]","[\'1\', \'0\']"', { predicted: 1, pOccupied: 0.9 }],
    ['0,"[0.8, 0.2]","[\'0\', \'1\']"', { predicted: 0, pOccupied: 0.2 }],
    // A tuned threshold above 0.5: predicted empty although P(occupied) is 0.6 (what the old guess inverted).
    ['0,"[0.4, 0.6]","[\'0\', \'1\']"', { predicted: 0, pOccupied: 0.6 }],
    ['1,"[0.3, 0.7]","[\'1\', \'0\']"', { predicted: 1, pOccupied: 0.3 }],
    ['True,"[0.25,0.75]","[\'False\', \'True\']"\r', { predicted: 1, pOccupied: 0.75 }],
    ['0.0,"[1, 0]","[\'0.0\', \'1.0\']"', { predicted: 0, pOccupied: 0 }],
    ['1,"[1e-3, 0.999]","[""0"", ""1""]"', { predicted: 1, pOccupied: 0.999 }],
  ])('%s → %j', (line, score) => {
    expect(readOccupancyScore(line)).toEqual({ ok: true, score });
  });

  it.each([
    ['1,0.9', /2 fields/],
    ['1,0.9,"[0.1, 0.9]","[\'0\', \'1\']"', /4 fields/],
    ['yes,"[0.1, 0.9]","[\'0\', \'1\']"', /predicted_label "yes"/],
    ['1,"0.9","[\'0\', \'1\']"', /probabilities "0.9" is not a list/],
    ['1,"[0.1, 0.9]","0"', /labels "0" is not a list/],
    ["1,\"[0.1, 0.2, 0.7]\",\"['0', '1', '2']\"", /binary/],
    ['1,"[0.1, 0.9]","[\'a\', \'b\']"', /not one "occupied"/],
    ['1,"[0.1, 0.9]","[\'1\', \'1\']"', /not one "occupied"/],
    ['1,"[-0.1, 1.1]","[\'0\', \'1\']"', /not all in \[0, 1\]/],
    ['1,"[0.1, NaN]","[\'0\', \'1\']"', /not all in \[0, 1\]/],
    ['1,"[0.5, 0.9]","[\'0\', \'1\']"', /do not sum to 1/],
    ["1,\"[0.1, 0.9],\"['0', '1']\"", /fields|not closed|not a list/],
    ['1,"[0.1, 0.9]', /not closed/],
  ])('%s is refused (%s)', (line, reason) => {
    const read = readOccupancyScore(line);
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.reason).toMatch(reason);
  });

  it('splits CSV fields with RFC 4180 quoting', () => {
    expect(csvFields('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
    expect(csvFields('"x"y')).toBeUndefined();
  });
});

describe('assertScoresNotInverted: inverted scores fail loudly', () => {
  const y = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
  const predicted = [...y];
  const good = [0.9, 0.8, 0.7, 0.95, 0.1, 0.2, 0.05, 0.3, 0.15, 0.25];
  const inverted = good.map((p) => 1 - p);

  it('passes scores that rank like the labels', () => {
    expect(() =>
      assertScoresNotInverted('candidate', classificationMetrics(y, predicted, good), predicted, good),
    ).not.toThrow();
  });

  it('refuses F1 > 0.9 with ROC AUC < 0.5, naming the model and the field', () => {
    const metrics = classificationMetrics(y, predicted, inverted);
    expect(metrics.f1).toBe(1);
    expect(metrics.rocAuc).toBe(0);
    expect(() => assertScoresNotInverted('candidate', metrics, predicted, inverted)).toThrow(ScoreInversionError);
    expect(() => assertScoresNotInverted('candidate', metrics, predicted, inverted)).toThrow(
      /candidate: ROC AUC 0\.000 with F1 1\.000/,
    );
    try {
      assertScoresNotInverted('candidate', metrics, predicted, inverted);
    } catch (error) {
      expect(error).toMatchObject({ name: 'ScoreInversionError', field: 'probability' });
    }
  });

  it('refuses scores that rank a weak model’s own occupied predictions below its empty ones', () => {
    const weak = [1, 0, 1, 0, 1, 0, 1, 0, 1, 0];
    const scores = weak.map((p) => (p === 1 ? 0.2 : 0.8));
    const metrics = classificationMetrics(y, weak, scores);
    expect(metrics.f1).toBeLessThan(0.9);
    expect(() => assertScoresNotInverted('serving', metrics, weak, scores)).toThrow(/serving: .*own occupied/);
  });

  it('has nothing to check when a model predicts one class only', () => {
    const none = y.map(() => 0);
    const scores = y.map(() => 0.3);
    expect(() =>
      assertScoresNotInverted('candidate', classificationMetrics(y, none, scores), none, scores),
    ).not.toThrow();
  });
});
