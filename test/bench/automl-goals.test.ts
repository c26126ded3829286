import { goalsLine, judgeGoals, parseBenchLine } from '../../bench/automl-goals';

const line = (dataset: string, engine: string, fields: Record<string, unknown>) =>
  JSON.stringify({ dataset, engine, ...fields });

/** One run where every goal holds, as bench:automl prints it. */
const RUN = [
  line('uci-occupancy/datatest', 'threshold-Light', { f1: 0.9714 }),
  line('uci-occupancy/datatest', 'automl', { f1: 0.98 }),
  line('uci-occupancy/datatest2', 'threshold-Light', { f1: 0.98 }),
  line('uci-occupancy/datatest2', 'automl', { f1: 0.99 }),
  line('fleet-1m/holdout', 'automl', { f1: 0.9, train_seconds: 30, peak_rss_mb: 900, budget_cut: false }),
  line('fleet-1m/holdout', 'sklearn-HistGradientBoosting', { f1: 0.893, train_seconds: 31, peak_rss_mb: 700 }),
  line('drift-season/holdout', 'threshold-sound', { f1: 0.77 }),
  line('drift-season/holdout', 'automl', { f1: 0.8 }),
  line('drift-season/holdout', 'sklearn-HistGradientBoosting', { f1: 0.79 }),
  line('fleet-20x14', 'automl-pool', { ratio: 0.6 }),
  'not json',
];

const parsed = (lines: string[]) => lines.map(parseBenchLine).filter((l) => l !== undefined);

describe('bench:automl goals', () => {
  it('meets every goal the run measured, and lists each one with its figures', () => {
    const goals = judgeGoals(parsed(RUN), ['drift-season']);
    expect(goals.map((g) => [g.goal, g.met])).toEqual([
      ['uci-occupancy/datatest', true],
      ['uci-occupancy/datatest2', true],
      ['fleet-1m/holdout', true],
      ['drift-season/holdout', true],
      ['automl-pool', true],
    ]);
    expect(goals[2]?.figures).toEqual({
      automl_f1: 0.9,
      hgb_f1: 0.893,
      automl_train_seconds: 30,
      hgb_train_seconds: 31,
      automl_peak_rss_mb: 900,
      budget_cut: false,
    });
    expect(JSON.parse(goalsLine(goals))).toMatchObject({ engine: 'goals', met: 5, of: 5, all_met: true });
  });

  it('a tie with the threshold, a budget cut, or a slower engine misses the goal', () => {
    // The first line of a dataset and engine is the one judged: these stand in front of the good run's.
    const worse = [
      line('uci-occupancy/datatest', 'automl', { f1: 0.9714 }),
      line('fleet-1m/holdout', 'automl', { f1: 0.9, train_seconds: 30, peak_rss_mb: 900, budget_cut: true }),
      line('drift-season/holdout', 'automl', { f1: 0.78 }),
      ...RUN,
    ];
    const goals = judgeGoals(parsed(worse), ['drift-season']);
    expect(goals.filter((g) => !g.met).map((g) => g.goal)).toEqual([
      'uci-occupancy/datatest',
      'fleet-1m/holdout',
      'drift-season/holdout',
    ]);
  });

  it('a goal whose dataset the run skipped is not met and names what is missing', () => {
    const goals = judgeGoals(parsed(RUN), ['drift-season', 'drift-usage']);
    const usage = goals.find((g) => g.goal === 'drift-usage/holdout');
    expect(usage?.met).toBe(false);
    expect(usage?.missing).toEqual(['automl_f1', 'threshold_f1', 'hgb_f1']);
    expect(JSON.parse(goalsLine(goals)).all_met).toBe(false);
  });
});
