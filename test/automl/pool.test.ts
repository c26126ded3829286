import { join } from 'node:path';
import { trainCandidate } from '../../automl/candidate';
import { compactSetup, runSearchPool } from '../../automl/pool';
import { prepareSearch, runSearch, type SearchResult } from '../../automl/search';
import { syntheticExport } from './synthetic';
import { twoSensors } from './two-sensors';

/** What a leaderboard says, without the wall-clock fields. */
const board = (r: SearchResult) => r.candidates.map(({ startedAt: _s, endedAt: _e, ...rest }) => rest);

describe('runSearchPool', () => {
  const { table } = syntheticExport(3000, 11);

  it('gives the same leaderboard, winner and artifact with 1 or 2 workers, and as runSearch on this thread', async () => {
    const options = { jobName: 'p', maxCandidates: 14, seed: 5 };
    const one = await runSearchPool(table, undefined, { ...options, poolSize: 1 });
    const two = await runSearchPool(table, undefined, { ...options, poolSize: 2 });
    const inline = runSearch(table, undefined, options);
    expect(two.candidates.map((c) => c.name)).toEqual(one.candidates.map((c) => c.name));
    expect(board(two)).toEqual(board(one));
    expect(board(inline)).toEqual(board(one));
    expect(one.candidates).toHaveLength(14);
    expect(one.candidates.every((c) => c.status === 'Completed')).toBe(true);
    expect(two.best?.candidate.name).toBe(one.best?.candidate.name);
    expect(two.best?.artifact.model).toEqual(one.best?.artifact.model);
    // Two workers compute the training baseline beside the search: the same figures.
    expect(two.best?.artifact.trainingBaseline).toEqual(one.best?.artifact.trainingBaseline);
    expect(two.best?.artifact.trainingBaseline).toBeDefined();
    expect(two.validation).toEqual(one.validation);
    expect(two.validation).toEqual(inline.validation);
    expect(two.baseline.name).toBe(one.baseline.name);
  });

  it('refits the winner the same on 2 workers as on this thread when the refit rows are a sample', async () => {
    // Ensemble members refit on the workers' sample of bin codes; logistic ones on every row, on this thread.
    const train = twoSensors(2000, 21);
    const options = { jobName: 'r', seed: 3, refitRowLimit: 900 };
    const pooled = await runSearchPool(train, undefined, { ...options, poolSize: 2 });
    const inline = runSearch(train, undefined, options);
    expect(board(pooled)).toEqual(board(inline));
    expect(pooled.best?.candidate.family).toBe('ensemble');
    expect(pooled.best?.artifact.model).toEqual(inline.best?.artifact.model);
  });

  it('with a validation table, matches runSearch', async () => {
    const cut = 2000;
    const part = (from: number, to: number) => ({
      ...table,
      columns: table.columns.map((c) => c.slice(from, to)),
      target: table.target.slice(from, to),
      rowCount: to - from,
    });
    const [head, tail] = [part(0, cut), part(cut, table.rowCount)];
    const options = { jobName: 'v', maxCandidates: 5, seed: 2 };
    const pooled = await runSearchPool(head, tail, { ...options, poolSize: 2 });
    expect(board(pooled)).toEqual(board(runSearch(head, tail, options)));
  });

  it('on Stop, ends every worker and returns the best candidate so far', async () => {
    let finished = 0;
    let stop = false;
    const result = await runSearchPool(table, undefined, {
      jobName: 's',
      maxCandidates: 40,
      poolSize: 2,
      shouldStop: () => stop,
      onProgress: (e) => {
        if (e.type === 'candidate-finished' && e.candidate.status === 'Completed' && ++finished >= 3) stop = true;
      },
    });
    expect(result.stopped).toBe(true);
    expect(result.candidates.length).toBeLessThan(40);
    expect(result.candidates.filter((c) => c.status === 'Completed').length).toBeGreaterThanOrEqual(3);
    // Stopped candidates carry no failure reason: they were asked to stop.
    for (const c of result.candidates.filter((c) => c.status === 'Stopped')) expect(c.failureReason).toBeUndefined();
    expect(result.best?.candidate.status).toBe('Completed');
    expect(result.best?.artifact.version).toBe(`s/${result.best?.candidate.name}`);
  });

  it('honours the job runtime budget across the pool: no candidate starts after it, the best so far is kept', async () => {
    const result = await runSearchPool(table, undefined, {
      jobName: 'b',
      maxCandidates: 400,
      maxJobRuntimeSeconds: 1,
      poolSize: 2,
    });
    expect(result.timedOut).toBe(true);
    expect(result.stopped).toBe(false);
    expect(result.candidates.length).toBeLessThan(400);
    expect(result.candidates[0]?.status).toBe('Completed');
    for (const c of result.candidates.filter((c) => c.status === 'Stopped')) {
      expect(c.failureReason).toBe('MaxAutoMLJobRuntime reached before the candidate finished');
    }
    expect(result.best?.candidate.status).toBe('Completed');
  });

  it('fails a candidate whose worker crashes, with the reason, and finishes the others', async () => {
    const result = await runSearchPool(table, undefined, {
      jobName: 'c',
      maxCandidates: 6,
      poolSize: 2,
      workerScript: join(__dirname, 'fixtures', 'crashing-pool-worker.js'),
    });
    expect(result.candidates).toHaveLength(6);
    const crashed = result.candidates[2];
    expect(crashed?.status).toBe('Failed');
    expect(crashed?.failureReason).toBe('candidate worker crashed: exited with code 3');
    expect(result.candidates.filter((c) => c.status === 'Completed')).toHaveLength(5);
    expect(result.best?.candidate.status).toBe('Completed');
  });

  it('rejects a pool size that is not a whole number ≥ 1, naming the field', async () => {
    await expect(runSearchPool(table, undefined, { jobName: 'z', poolSize: 0 })).rejects.toMatchObject({
      name: 'AutoMLInputError',
      field: 'poolSize',
    });
  });
});

describe('compactSetup', () => {
  it('keeps only the rows the folds use, renumbered in order, and trains each candidate to the same result', () => {
    const { table } = syntheticExport(3000, 11);
    const { setup } = prepareSearch(table, undefined, { jobName: 'k', maxCandidates: 12, searchRowLimit: 1000 });
    const compact = compactSetup(setup);
    expect(compact.table.rowCount).toBeLessThan(table.rowCount / 2);
    expect(compact.data.codes[0]).toHaveLength(compact.table.rowCount);
    const last = compact.folds[compact.folds.length - 1];
    expect(Array.from(last?.valid ?? []).at(-1)).toBe(compact.table.rowCount - 1);
    const control = { now: () => 0 };
    for (const index of [0, 1, 9, 11]) {
      expect(trainCandidate(compact, index, control)).toEqual(trainCandidate(setup, index, control));
    }
  });
});
