import { flattenStates } from '../../pipeline/render-asl';
import { StateNames } from '../../pipeline/state-names';
import { synthRetraining } from './fixture';
import { type Handler, runLocally } from './local-run';

/**
 * The training window and the Parquet export on the synthesized ASL, run by aws-local-stepfunctions with every Task
 * stubbed: what reaches Athena, AutoML and PrepareScoringInput is what the definition builds at run time.
 */

type Inputs = Record<string, Record<string, unknown>>;

/** Stubs that keep the input each Task state received, and answer as the default stubs do. */
function capturing(names: readonly string[], inputs: Inputs): Record<string, Handler> {
  return Object.fromEntries(
    names.map((name) => [
      name,
      async (input: Record<string, unknown>) => {
        inputs[name] = input;
        return name === 'PrepareScoringInput' ? { rows: 10 } : { QueryExecution: { QueryExecutionId: `q-${name}` } };
      },
    ]),
  );
}

const queryOf = (inputs: Inputs, name: string): string => String(inputs[name]?.QueryString);
const SPLITS = [
  ['UnloadTrainSplit', 'train'],
  ['UnloadValidationSplit', 'validation'],
  ['UnloadHoldoutSplit', 'holdout'],
] as const;
const NAMES = ['PlanSplit', ...SPLITS.map(([state]) => state), 'PrepareScoringInput', 'StartAutoML'];

describe('training window (synthesized ASL)', () => {
  const { asl } = synthRetraining({ trainingWindowDays: 14 });
  const states = flattenStates(asl);

  it('finds the window before the split plan: one Athena query, its one row read into $.trainingWindow', () => {
    expect(states.FindTrainingWindow?.Resource).toBe('arn:aws:states:::athena:startQueryExecution.sync');
    expect(states.FindTrainingWindow?.Next).toBe(StateNames.ReadTrainingWindow);
    expect(states.ReadTrainingWindow?.Resource).toBe('arn:aws:states:::athena:getQueryResults');
    expect(states.ReadTrainingWindow?.Next).toBe(StateNames.PlanSplit);
    const query = String((states.FindTrainingWindow?.Parameters as { QueryString?: string } | undefined)?.QueryString);
    expect(query).toMatch(/INTERVAL '13' DAY/);
  });

  it('every scan of the split plan and of the three UNLOADs reads only the window, as read at run time', async () => {
    const inputs: Inputs = {};
    const run = await runLocally(
      asl,
      { endpoint: 'InService', promote: false },
      {
        overrides: capturing(NAMES, inputs),
      },
    );
    expect(run.output.outcome).toBe('not-promoted');
    // PlanSplit is captured (not recorded): the window is read before the plan.
    expect(run.calls.slice(0, 4)).toEqual([
      'GuardSingleRun',
      'FindTrainingWindow',
      'ReadTrainingWindow',
      'ReadSplitPlan',
    ]);
    for (const name of ['PlanSplit', ...SPLITS.map(([state]) => state)]) {
      const sql = queryOf(inputs, name);
      expect(sql).not.toContain('{}');
      // One predicate per scan of telemetry and of labels, each with the day ReadTrainingWindow read.
      const predicates = sql.match(/"dt" >= '([^']*)'/g) ?? [];
      expect(predicates.length).toBeGreaterThanOrEqual(2);
      expect(new Set(predicates)).toEqual(new Set([`"dt" >= '2025-01-02'`]));
    }
  });

  it('UNLOADs each split as Snappy Parquet to its run prefix; AutoML and scoring input read those prefixes', async () => {
    const inputs: Inputs = {};
    await runLocally(asl, { endpoint: 'InService', promote: false }, { overrides: capturing(NAMES, inputs) });
    const prefix = (split: string) => expect.stringMatching(new RegExp(`^s3://[^/]+/runs/run-1/data/${split}/$`));
    for (const [state, split] of SPLITS) {
      const sql = queryOf(inputs, state);
      expect(sql.startsWith('UNLOAD (')).toBe(true);
      const [, target] = /\) TO '([^']*)' WITH \(format = 'PARQUET', compression = 'SNAPPY'\)$/.exec(sql) ?? [];
      expect(target).toEqual(prefix(split));
      expect(sql).toContain(`WHERE "split" = '${split}'`);
    }
    const channels = (inputs.StartAutoML?.AutoMLJobInputDataConfig ?? []) as {
      ChannelType: string;
      ContentType: string;
      DataSource: { S3DataSource: { S3DataType: string; S3Uri: string } };
    }[];
    expect(channels.map((c) => [c.ChannelType, c.ContentType, c.DataSource.S3DataSource])).toEqual([
      ['training', 'x-application/vnd.amazon+parquet', { S3DataType: 'S3Prefix', S3Uri: prefix('train') }],
      ['validation', 'x-application/vnd.amazon+parquet', { S3DataType: 'S3Prefix', S3Uri: prefix('validation') }],
    ]);
    expect(inputs.PrepareScoringInput).toMatchObject({
      holdoutUri: prefix('holdout'),
      scoringInputUri: expect.stringMatching(/\/runs\/run-1\/data\/holdout-input\.csv$/),
    });
  });
});

describe('without a training window (trainingWindowDays 0)', () => {
  const { asl } = synthRetraining({ trainingWindowDays: 0 });
  const states = flattenStates(asl);

  it('has no window states; the split plan is fixed text with no partition predicate', async () => {
    expect(states.FindTrainingWindow).toBeUndefined();
    expect(states.ReadTrainingWindow).toBeUndefined();
    const inputs: Inputs = {};
    const run = await runLocally(
      asl,
      { endpoint: 'InService', promote: false },
      {
        overrides: capturing(NAMES, inputs),
      },
    );
    expect(run.calls).not.toContain('FindTrainingWindow');
    for (const name of ['PlanSplit', ...SPLITS.map(([state]) => state)]) {
      expect(queryOf(inputs, name)).not.toMatch(/"dt"|\{\}/);
    }
    expect(queryOf(inputs, 'UnloadHoldoutSplit')).toMatch(/TO 's3:\/\/[^']+\/runs\/run-1\/data\/holdout\/'/);
  });
});

describe('state machine role: S3 writes only where Athena writes', () => {
  it('PutObject on the run Athena folder and the three split prefixes, nothing else of the artifacts bucket', () => {
    const { template } = synthRetraining({});
    // The role's statements overflow from its default policy into managed policies.
    const policies = [
      ...Object.values(template.findResources('AWS::IAM::Policy')),
      ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
    ] as {
      Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
    }[];
    const puts = policies
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s) => [s.Action].flat().some((a) => a === 's3:PutObject' || a === 's3:*' || a === 's3:PutObject*'));
    const resources = JSON.stringify(puts.map((s) => s.Resource));
    for (const folder of ['athena', 'data/train', 'data/validation', 'data/holdout']) {
      expect(resources).toContain(`/runs/*/${folder}/*`);
    }
    expect(puts).toHaveLength(1);
    expect([puts[0]?.Resource].flat()).toHaveLength(4);
  });
});
