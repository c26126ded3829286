import { runSearch } from '../../automl/search';
import { syntheticExport } from './synthetic';

describe('AutoML search', () => {
  const { table } = syntheticExport(1500, 5);

  it('scores families on rolling-origin folds and reports the single-signal baseline', () => {
    const events: string[] = [];
    const result = runSearch(table, undefined, {
      jobName: 's',
      maxCandidates: 4,
      onProgress: (e) => events.push(e.type),
    });
    expect(result.candidates.map((c) => c.family)).toEqual(['gbt', 'logistic', 'forest', expect.any(String)]);
    for (const c of result.candidates) {
      expect(c.status).toBe('Completed');
      expect(c.foldValues).toHaveLength(3);
      expect(c.beatsBaseline).toBe(c.objective.value > result.baseline.objective.value);
    }
    expect(result.baseline.family).toBe('threshold');
    const best = result.best;
    expect(best).toBeDefined();
    const top = Math.max(...result.candidates.map((c) => c.objective.value));
    expect(best?.candidate.objective.value).toBe(top);
    expect(best?.artifact.threshold).toBe(best?.candidate.threshold);
    expect(events.filter((e) => e === 'candidate-finished')).toHaveLength(4);
    expect(events[events.length - 1]).toBe('refitting');
  });

  it('is reproducible for a seed', () => {
    const a = runSearch(table, undefined, { jobName: 'r', maxCandidates: 2, seed: 3 });
    const b = runSearch(table, undefined, { jobName: 'r', maxCandidates: 2, seed: 3 });
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

  it('rejects a target with a single class', () => {
    const single = { ...table, target: new Uint8Array(table.rowCount) };
    expect(() => runSearch(single, undefined, { jobName: 'x' })).toThrow(/single class/);
  });
});
