import type { AutoMLCandidate } from '../../automl/job';
import { autoMLJobNameOf, deploymentPlanOf, foldLoops, leaderboardOf } from '../../local/console/run-extras';

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
  const candidate = (name: string, value: number, extra: Partial<AutoMLCandidate['Leaderboard']> = {}) =>
    ({
      CandidateName: name,
      CandidateStatus: 'Completed',
      FinalAutoMLJobObjectiveMetric: { MetricName: 'F1', Value: value },
      CreationTime: new Date(1000),
      EndTime: new Date(3500),
      Leaderboard: {
        family: 'gbt',
        featureSubset: 'all',
        features: ['temperature', 'sound'],
        hyperParameters: {},
        foldValues: [0.8, 0.9],
        threshold: 0.5,
        validation: undefined,
        beatsBaseline: true,
        isBaseline: false,
        ...extra,
      },
    }) as unknown as AutoMLCandidate;

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

  it('finds the run’s AutoML job name in its states', () => {
    expect(autoMLJobNameOf([{ input: { x: 1 } }, { input: { job: { AutoMLJobName: 'abc' } } }, { output: {} }])).toBe(
      'abc',
    );
    expect(autoMLJobNameOf([{ input: {} }])).toBeUndefined();
  });
});
