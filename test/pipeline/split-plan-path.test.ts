import { flattenStates } from '../../pipeline/render-asl';
import { StateNames } from '../../pipeline/state-names';
import { synthRetraining } from './fixture';
import { runLocally } from './local-run';

/** The split plan's Choice on the synthesized ASL, every Task stubbed: only the definition decides the path. */
const { asl } = synthRetraining({});
const states = flattenStates(asl);

describe('split plan (synthesized ASL)', () => {
  it('reads the plan with athena:getQueryResults before any export query', () => {
    expect(states.PlanSplit?.Resource).toBe('arn:aws:states:::athena:startQueryExecution.sync');
    expect(states.ReadSplitPlan?.Resource).toBe('arn:aws:states:::athena:getQueryResults');
    expect(states.PlanSplit?.Next).toBe(StateNames.ReadSplitPlan);
    expect(states.ReadSplitPlan?.Next).toBe(StateNames.CheckSplitPlan);
  });

  it('insufficient-data: reported with the plan message as the reason; nothing trained, scored or deployed', async () => {
    const { status, output, calls, subjects } = await runLocally(asl, { splitPlan: 'insufficient-data' });
    expect(status).toBe('SUCCEEDED');
    expect(output.outcome).toBe('insufficient-data');
    expect((output.evaluation as { reasons: string[] }).reasons).toEqual([
      'holdout has 0 occupied readings; need ≥ 50',
    ]);
    expect((output.result as Record<string, number>).promoted).toBe(0);
    for (const never of ['UnloadTrainSplit', 'StartAutoML', 'Evaluate', 'CreateEndpointConfig', 'UpdateEndpoint']) {
      expect(calls).not.toContain(never);
    }
    expect(calls).toEqual(expect.arrayContaining(['PlanSplit', 'ReadSplitPlan', 'Notify']));
    expect(subjects).toContain('occupancy retraining: insufficient-data');
    expect(output.splitPlan).toMatchObject({ flagged: { total: '11', excluded: true } });
  });

  it('ok: the export runs and the plan rides along to the summary', async () => {
    const messages: string[] = [];
    const notify = async (input: Record<string, unknown>) => {
      messages.push(String(input.Message));
      return { MessageId: 'm-1' };
    };
    const { output, calls } = await runLocally(
      asl,
      { endpoint: 'InService', promote: false },
      { overrides: { Notify: notify } },
    );
    expect(output.outcome).toBe('not-promoted');
    expect(calls).toContain('UnloadTrainSplit');
    expect(output.splitPlan).toMatchObject({ status: 'ok', validationStart: '1000', holdoutStart: '2000' });
    // The plan's trailing columns: readings the sensor health rule flagged, left out (the default config).
    expect(output.splitPlan).toMatchObject({ flagged: { stuck: '7', outOfRange: '5', total: '11', excluded: true } });
    expect(messages.join('\n')).toContain(
      'Flagged readings (stuck or out of range): 11 (stuck 7, out of range 5), left out of training',
    );
  });
});
