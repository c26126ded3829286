import type { ArtifactModel } from '../../automl/artifact';
import { MemberRefits } from '../../automl/pool-refit';

const model: ArtifactModel = { family: 'gbt', initScore: 0, trees: [] };

describe('MemberRefits', () => {
  // Plans 0-5; 4 is logistic (refitted on the job's thread); cost = index (5 the costliest).
  const make = () =>
    new MemberRefits(
      6,
      (i) => i !== 4,
      (i) => i,
    );

  it('hands out the guessed members costliest first, each once, before the ensemble is known', () => {
    const refits = make();
    const guess = () => [1, 4, 3, undefined];
    expect(refits.next(guess)).toBe(3);
    expect(refits.next(guess)).toBe(1);
    expect(refits.next(guess)).toBeUndefined();
    expect(refits.complete()).toBe(false);
  });

  it('cancels running refits the ensemble left out, queues its other members longest first, keeps done ones', () => {
    const refits = make();
    const flags = new Int32Array(refits.cancelFlags);
    expect(refits.next(() => [2, 3])).toBe(3);
    expect(refits.next(() => [2, 3])).toBe(2);
    refits.done(2, model);
    refits.settle([2, 5, 1, 4]);
    expect(flags[3]).toBe(1);
    expect(flags[2]).toBe(0);
    refits.done(3, undefined);
    expect(refits.next(() => [])).toBe(5);
    expect(refits.next(() => [])).toBe(1);
    expect(refits.next(() => [])).toBeUndefined();
    refits.done(5, model);
    expect(refits.complete()).toBe(false);
    refits.done(1, model);
    expect(refits.complete()).toBe(true);
    expect([...refits.models.keys()].sort()).toEqual([1, 2, 5]);
  });

  it('counts a refit whose worker died as ended, for the job thread to redo, and never hands it out again', () => {
    const refits = make();
    refits.settle([0, 1]);
    expect(refits.next(() => [])).toBe(1);
    refits.done(1, undefined);
    expect(refits.next(() => [])).toBe(0);
    refits.done(0, model);
    expect(refits.next(() => [])).toBeUndefined();
    expect(refits.complete()).toBe(true);
    expect(refits.models.has(1)).toBe(false);
  });
});
