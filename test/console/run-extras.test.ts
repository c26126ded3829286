import {
  autoMLJobNameOf,
  deploymentPlanOf,
  foldLoops,
  leaderboardOf,
  membersText,
} from '../../local/console/run-extras';
import { candidateFixture, ensembleJobFixture, UNSEPARABLE_VALIDATION } from './fixtures';

const visit = (name: string, t: number, type = 'Task', status = 'succeeded') => ({
  name,
  type,
  status,
  enteredAt: t,
  exitedAt: t + 1,
});

describe('foldLoops', () => {
  it('folds a polling loop into one row with its round count and duration, leaving straight states alone', () => {
    const states = [
      visit('StartAutoML', 0),
      ...[0, 1, 2].flatMap((i) => [
        visit('WaitAutoML', 10 + i * 10, 'Wait'),
        visit('DescribeAutoML', 12 + i * 10),
        visit('CheckAutoML', 14 + i * 10, 'Choice'),
      ]),
      visit('Evaluate', 50),
    ];
    const rows = foldLoops(states, 100);
    expect(rows.map((r) => [r.names.join('→'), r.count, r.type])).toEqual([
      ['StartAutoML', 1, 'Task'],
      ['WaitAutoML→DescribeAutoML→CheckAutoML', 3, 'loop'],
      ['Evaluate', 1, 'Task'],
    ]);
    expect(rows[1]?.durationMs).toBe(35 - 10);
    expect(rows[1]?.last).toBe(9);
  });

  it('reports a loop that ended in a failure as failed and a running one as running', () => {
    const failed = foldLoops([visit('Poll', 0), visit('Poll', 5), visit('Poll', 9, 'Task', 'failed')], 20);
    expect(failed).toHaveLength(1);
    expect(failed[0]?.status).toBe('failed');
    const running = foldLoops([visit('Poll', 0), { ...visit('Poll', 5, 'Task', 'running'), exitedAt: null }], 20);
    expect(running[0]).toMatchObject({ status: 'running', durationMs: 20, count: 2 });
  });
});

describe('deploymentPlanOf', () => {
  it('reads the canary, bake time, termination wait and rollback alarms from the UpdateEndpoint parameters', () => {
    const definition = {
      States: {
        Deploy: {
          Type: 'Task',
          Parameters: {
            DeploymentConfig: {
              BlueGreenUpdatePolicy: {
                TrafficRoutingConfiguration: {
                  Type: 'CANARY',
                  CanarySize: { Type: 'CAPACITY_PERCENT', Value: 20 },
                  WaitIntervalInSeconds: 300,
                },
                TerminationWaitInSeconds: 60,
              },
              AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'a' }, { AlarmName: 'b' }] },
            },
          },
        },
      },
    };
    expect(deploymentPlanOf(definition)).toEqual({
      canary: '20 % of capacity',
      bakeSeconds: 300,
      terminationWaitSeconds: 60,
      rollbackAlarms: ['a', 'b'],
    });
    expect(deploymentPlanOf({ States: {} })).toBeNull();
  });
});

describe('leaderboardOf', () => {
  const candidate = candidateFixture;

  it('marks the winner and says why each other candidate lost', () => {
    const board = leaderboardOf('job1', {
      listCandidates: () => [
        candidate('c1', 0.9),
        candidate('c2', 0.85),
        candidate('c3', 0.8, { beatsBaseline: false }),
        candidate('t', 0.7, { isBaseline: true, family: 'threshold' }),
      ],
      describe: () => ({ BestCandidate: { CandidateName: 'c1' } }),
    });
    expect(board.winner).toBe('c1');
    expect(board.rows.filter((r) => r.winner).map((r) => r.name)).toEqual(['c1']);
    expect(board.rows[0]?.why).toMatch(/^chosen/);
    expect(board.rows[0]?.seconds).toBe(2.5);
    expect(board.rows[1]?.why).toBe('lower score (0.850 vs 0.900)');
    expect(board.rows[2]?.why).toMatch(/no better than the single-signal threshold/);
    expect(board.rows[3]?.why).toMatch(/single-signal threshold every candidate is compared with/);
  });

  it('renders an older job (no validation report, robust value, drift or ensemble) as before', () => {
    const board = leaderboardOf('old', {
      listCandidates: () => [candidate('c1', 0.9), candidate('c2', 0.85)],
      describe: () => ({ BestCandidate: { CandidateName: 'c1' } }),
    });
    expect(board.validation).toBeNull();
    expect(board.rows.map((r) => [r.robustValue, r.driftingFeatures, r.ensemble])).toEqual([
      [null, [], null],
      [null, [], null],
    ]);
    expect(board.rows[0]?.why).toBe(
      'chosen: best score robust across folds (mean of pooled and worst fold), beats the single-signal threshold on validation',
    );
  });

  it('reports the folds, the engine’s statement and feature stability (least stable first) when validation cannot rank', () => {
    const board = leaderboardOf('job2', ensembleJobFixture());
    const validation = board.validation;
    expect(validation?.folds.map((f) => [f.index, f.trainRows, f.validationRows, f.validationPositives])).toEqual([
      [1, 4000, 1000, 310],
      [2, 5000, 1000, 280],
    ]);
    expect(validation).toMatchObject({ gap: 0.004, spread: 0.021, separable: false });
    expect(validation?.statement).toBe(UNSEPARABLE_VALIDATION.statement);
    expect(validation?.featureStability.map((s) => [s.feature, s.drifting])).toEqual([
      ['light', true],
      ['sound', false],
      ['co2_slope', false],
    ]);
  });

  it('shows the ensemble winner’s members heaviest first, robust values, drift read, and why in those terms', () => {
    const board = leaderboardOf('job2', ensembleJobFixture());
    const row = (name: string) => board.rows.find((r) => r.name === name);
    const winner = row('ensemble-1');
    expect(board.winner).toBe('ensemble-1');
    expect(winner?.ensemble?.map((m) => [m.candidateName, m.weight])).toEqual([
      ['sound-gbt', 0.55],
      ['co2-logistic', 0.45],
    ]);
    expect(membersText(winner?.ensemble ?? [])).toBe('sound·gbt 0.55, co2·logistic 0.45');
    expect(winner?.robustValue).toBe(0.935);
    expect(winner?.why).toContain(
      'an ensemble of 2 candidates across feature views (sound·gbt 0.55, co2·logistic 0.45)',
    );
    expect(winner?.why).toContain('validation could not rank the top candidates (gap 0.004 ≤ spread 0.021, 2 folds)');
    expect(row('sound-gbt')?.why).toBe('member of the chosen ensemble (weight 0.55)');
    expect(row('co2-logistic')?.why).toBe('member of the chosen ensemble (weight 0.45)');
    expect(row('light-logistic')?.driftingFeatures).toEqual(['light']);
    expect(row('light-logistic')?.why).toBe(
      'higher robust score (0.960 vs 0.935) but reads features drifting between folds without clearly beating the chosen one, which reads none',
    );
    expect(row('all-forest')?.why).toBe('lower robust score (0.870 vs 0.935)');
    expect(row('all-forest')?.ensemble).toBeNull();
  });

  it('explains a drifting winner and each loser on the robust value the search ranked by', () => {
    const board = leaderboardOf('job5', {
      listCandidates: () => [
        candidate('t', 0.7, { isBaseline: true, family: 'threshold', robustValue: 0.65 }),
        candidate('gbt-all', 0.874, { robustValue: 0.851, driftingFeatures: ['temperature'] }),
        candidate('ensemble', 0.874, { robustValue: 0.852, driftingFeatures: ['temperature'] }),
        candidate('stable', 0.88, { robustValue: 0.8, features: ['co2_slope'] }),
        candidate('worse', 0.8, { robustValue: 0.78 }),
        candidate('close', 0.87, { robustValue: 0.85112, driftingFeatures: ['temperature'] }),
      ],
      describe: () => ({ BestCandidate: { CandidateName: 'gbt-all' } }),
    });
    const why = Object.fromEntries(board.rows.map((r) => [r.name, r.why]));
    expect(why['gbt-all']).toContain(
      'it reads drifting features, yet beats the best candidate free of them (stable, 0.800) by 0.051',
    );
    expect(why.ensemble).toBe(
      'higher robust score (0.852 vs 0.851) but within one standard error of the chosen one, which is simpler',
    );
    expect(why.stable).toBe(
      'higher pooled score (0.880 vs 0.874) but lower robust score (0.800 vs 0.851): weaker on its worst fold',
    );
    expect(why.worse).toBe('lower robust score (0.780 vs 0.851)');
    // Scores equal to three digits get the digits that tell them apart.
    expect(why.close).toBe(
      'higher robust score (0.8511 vs 0.8510) but within one standard error of the chosen one, which is simpler',
    );
  });

  it('says a winning single-signal threshold is the reference itself, not that it fails to beat itself', () => {
    const board = leaderboardOf('job6', {
      listCandidates: () => [candidate('t', 0.8, { isBaseline: true, family: 'threshold', beatsBaseline: false })],
      describe: () => ({ BestCandidate: { CandidateName: 't' } }),
    });
    expect(board.rows[0]?.why).toBe(
      'chosen: best score robust across folds (mean of pooled and worst fold), it is the single-signal threshold itself',
    );
  });

  it('says validation separates the candidates, with gap and spread, and adds no caveat to the winner', () => {
    const separable = { ...UNSEPARABLE_VALIDATION, gap: 0.03, spread: 0.01, separable: true, statement: undefined };
    const board = leaderboardOf('job3', ensembleJobFixture(separable));
    expect(board.validation?.statement).toBe('Validation separates the top candidates (gap 0.030 > spread 0.010).');
    expect(board.rows.find((r) => r.winner)?.why).not.toMatch(/could not/);
  });

  it('writes its own statement when the engine marked validation unseparable without one', () => {
    const oneFold = {
      ...UNSEPARABLE_VALIDATION,
      folds: UNSEPARABLE_VALIDATION.folds.slice(0, 1),
      spread: 0,
      gap: 0,
      statement: undefined,
    };
    const board = leaderboardOf('job4', ensembleJobFixture(oneFold));
    expect(board.validation?.statement).toBe(
      'Validation could not separate the top candidates (1 fold, gap 0.000 ≤ spread 0.000).',
    );
  });

  it('finds the run’s AutoML job name in its states', () => {
    expect(autoMLJobNameOf([{ input: { x: 1 } }, { input: { job: { AutoMLJobName: 'abc' } } }, { output: {} }])).toBe(
      'abc',
    );
    expect(autoMLJobNameOf([{ input: {} }])).toBeUndefined();
  });
});
