import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import { FLAG_COUNT_COLUMNS, SPLIT_PLAN_COLUMNS } from '../../features';

/**
 * The synthesized ASL run by aws-local-stepfunctions with every Task stubbed at its state name: the
 * outcome of a scenario depends only on the definition, never on the local adapters.
 */

export const EXECUTION_ID = 'arn:aws:states:eu-west-1:123456789012:execution:occupancy-retraining:run-1';
export const ENDPOINT_NAME = 'occupancy';
export const OTHER_EXECUTION_ID = 'arn:aws:states:eu-west-1:123456789012:execution:occupancy-retraining:run-0';

export function context(id = EXECUTION_ID) {
  const name = id.split(':').pop() ?? 'run';
  return {
    Execution: { Id: id, Name: name, StartTime: '2025-01-01T00:00:00Z', Input: {} },
    StateMachine: {
      Id: 'arn:aws:states:eu-west-1:123456789012:stateMachine:occupancy-retraining',
      Name: 'occupancy-retraining',
    },
    Task: { Token: 'token-1' },
  };
}

export type Handler = (input: Record<string, unknown>) => Promise<unknown>;

/** An error as Step Functions reports an aws-sdk task failure: `name` is the Error, `message` the Cause. */
export function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

export interface Scenario {
  running?: number;
  /** The serving endpoint: absent, or InService on config `occ-old`. */
  endpoint?: 'missing' | 'InService';
  /** Other endpoints whose names contain the endpoint's name (ListEndpoints NameContains matches them too). */
  neighbours?: string[];
  /** The error DescribeEndpoint throws for a missing endpoint. @default SageMaker.ValidationException */
  missingError?: string;
  promote?: boolean;
  /** The split plan's status (PlanSplit/ReadSplitPlan). @default 'ok' */
  splitPlan?: 'ok' | 'insufficient-data';
  rollBack?: boolean;
  /** Statuses PollEndpoint answers in turn (the last one repeats). @default ['InService'] */
  endpointStatuses?: string[];
}

export function stubs(scenario: Scenario, overrides: Record<string, Handler> = {}) {
  const calls: string[] = [];
  const subjects: string[] = [];
  const state = { createdConfig: '', polls: 0 };
  const record =
    (name: string, result: unknown): Handler =>
    async () => {
      calls.push(name);
      return result;
    };
  const missing = scenario.endpoint !== 'InService';
  // One handler for DescribeEndpoint and ListEndpoints: the states may call either.
  const endpointLookup =
    (name: string): Handler =>
    async (input) => {
      calls.push(name);
      if (input.NameContains !== undefined) {
        const names = [...(scenario.neighbours ?? []), ...(missing ? [] : [ENDPOINT_NAME])];
        return {
          Endpoints: names
            .filter((n) => n.includes(String(input.NameContains)))
            .map((n) => ({ EndpointName: n, EndpointStatus: 'InService' })),
        };
      }
      if (input.EndpointName !== ENDPOINT_NAME || missing) {
        throw awsError(
          scenario.missingError ?? 'SageMaker.ValidationException',
          `Could not find endpoint "${String(input.EndpointName)}".`,
        );
      }
      return { EndpointName: ENDPOINT_NAME, EndpointStatus: 'InService', EndpointConfigName: 'occ-old' };
    };
  const publish =
    (name: string): Handler =>
    async (input) => {
      calls.push(name);
      subjects.push(String(input.Subject));
      return { MessageId: 'm-1' };
    };
  const handlers: Record<string, Handler> = {
    // The single-run lock: held by another RUNNING execution when `running` > 1.
    GuardSingleRun: async () => {
      calls.push('GuardSingleRun');
      if ((scenario.running ?? 1) > 1)
        throw awsError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
      return {};
    },
    ReadRunLock: record('ReadRunLock', {
      Item: { lockId: { S: 'occupancy-retraining' }, executionArn: { S: OTHER_EXECUTION_ID } },
    }),
    DescribeRunLockHolder: record('DescribeRunLockHolder', {
      ExecutionArn: OTHER_EXECUTION_ID,
      Status: 'RUNNING',
      StartDate: '2025-01-01T00:00:00Z',
    }),
    ReleaseRunLock: record('ReleaseRunLock', {}),
    ReleaseRunLockOnFailure: record('ReleaseRunLockOnFailure', {}),
    FindTrainingWindow: record('FindTrainingWindow', { QueryExecution: { QueryExecutionId: 'q-window' } }),
    ReadTrainingWindow: record('ReadTrainingWindow', {
      ResultSet: { Rows: [{ Data: [{ VarCharValue: 'window_start' }] }, { Data: [{ VarCharValue: '2025-01-02' }] }] },
    }),
    PlanSplit: record('PlanSplit', { QueryExecution: { QueryExecutionId: 'q-plan' } }),
    ReadSplitPlan: record('ReadSplitPlan', {
      ResultSet: {
        Rows: [
          { Data: [...SPLIT_PLAN_COLUMNS, ...FLAG_COUNT_COLUMNS].map((VarCharValue) => ({ VarCharValue })) },
          {
            // status, message, cutoffs, six class counts, then the flagged readings: stuck, out of range, total.
            Data: [
              scenario.splitPlan ?? 'ok',
              'holdout has 0 occupied readings; need ≥ 50',
              '1000',
              '2000',
              ...['60', '60', '60', '60', '0', '60'],
              ...['7', '5', '11'],
            ].map((VarCharValue) => ({ VarCharValue })),
          },
        ],
      },
    }),
    UnloadTrainSplit: record('UnloadTrainSplit', { QueryExecution: { QueryExecutionId: 'q-train' } }),
    UnloadValidationSplit: record('UnloadValidationSplit', { QueryExecution: { QueryExecutionId: 'q-validation' } }),
    UnloadHoldoutSplit: record('UnloadHoldoutSplit', { QueryExecution: { QueryExecutionId: 'q-holdout' } }),
    PrepareScoringInput: record('PrepareScoringInput', { rows: 10 }),
    StartAutoML: record('StartAutoML', {}),
    DescribeAutoML: record('DescribeAutoML', {
      AutoMLJobStatus: 'Completed',
      AutoMLJobSecondaryStatus: 'Completed',
      BestCandidate: {
        CandidateName: 'best',
        InferenceContainers: [{ Image: 'img', ModelDataUrl: 's3://b/m.tar.gz', Environment: {} }],
        FinalAutoMLJobObjectiveMetric: { MetricName: 'F1', Value: 0.9 },
      },
    }),
    PrepareCandidateContainers: record('PrepareCandidateContainers', {
      containers: [{ Image: 'img', ModelDataUrl: 's3://b/m.tar.gz' }],
      candidateName: 'best',
    }),
    FindServingEndpoint: endpointLookup('FindServingEndpoint'),
    DescribeServingEndpoint: endpointLookup('DescribeServingEndpoint'),
    FindServingConfig: record('FindServingConfig', {
      EndpointConfigName: 'occ-old',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'occ-old-candidate' }],
    }),
    CreateCandidateModel: record('CreateCandidateModel', {}),
    ScoreCandidateModel: record('ScoreCandidateModel', { TransformOutput: { S3OutputPath: 's3://b/candidate' } }),
    ScoreServingModel: record('ScoreServingModel', { TransformOutput: { S3OutputPath: 's3://b/serving' } }),
    Evaluate: async () => {
      calls.push('Evaluate');
      return {
        promote: scenario.promote ?? true,
        summary: 'summary',
        evaluationUri: 's3://b/e.json',
        modelQualityUri: 's3://b/q.json',
        metricData: [],
        customerMetadata: {},
      };
    },
    PublishEvaluationMetrics: record('PublishEvaluationMetrics', {}),
    RegisterModel: record('RegisterModel', {
      ModelPackageArn: 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/occupancy/1',
    }),
    AwaitApproval: record('AwaitApproval', { approved: true, via: 'cli', decidedBy: 'test', waitedSeconds: 5 }),
    ApproveModelPackage: record('ApproveModelPackage', {}),
    CreateEndpointConfig: async (input) => {
      calls.push('CreateEndpointConfig');
      state.createdConfig = String(input.EndpointConfigName);
      return {};
    },
    FindEndpoint: endpointLookup('FindEndpoint'),
    DescribeEndpoint: endpointLookup('DescribeEndpoint'),
    CreateEndpoint: record('CreateEndpoint', {}),
    UpdateEndpoint: record('UpdateEndpoint', {}),
    PollEndpoint: async () => {
      calls.push('PollEndpoint');
      const statuses = scenario.endpointStatuses ?? ['InService'];
      const status = statuses[Math.min(state.polls++, statuses.length - 1)];
      return {
        EndpointStatus: status,
        EndpointConfigName: scenario.rollBack ? 'occ-old' : state.createdConfig,
        ...(status === 'Failed' ? { FailureReason: 'capacity' } : {}),
      };
    },
    RejectModelPackage: record('RejectModelPackage', {}),
    PublishMetrics: record('PublishMetrics', {}),
    Notify: publish('Notify'),
    NotifyFailure: publish('NotifyFailure'),
    ...overrides,
  };
  return { calls, subjects, handlers, state };
}

export interface LocalRun {
  status: 'SUCCEEDED' | 'FAILED';
  output: Record<string, unknown>;
  error?: string;
  cause?: string;
  calls: string[];
  subjects: string[];
}

/** Runs the definition to its end; a failed execution resolves with its Error and Cause. */
export async function runLocally(
  asl: unknown,
  scenario: Scenario,
  options: { id?: string; overrides?: Record<string, Handler>; input?: Record<string, unknown> } = {},
): Promise<LocalRun> {
  const { calls, subjects, handlers } = stubs(scenario, options.overrides);
  const machine = new StateMachine(asl as never, { validationOptions: { checkArn: false, checkPaths: false } });
  const waits = ['WaitAutoML', 'WaitEndpoint', 'WaitCandidateTransform', 'WaitServingTransform'];
  const execution = machine.run((options.input ?? {}) as never, {
    context: context(options.id),
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      waitTimeOverrides: Object.fromEntries(waits.map((w) => [w, 0])),
    },
  });
  try {
    const output = (await execution.result) as Record<string, unknown>;
    return { status: 'SUCCEEDED', output, calls, subjects };
  } catch (error) {
    if (!(error instanceof ExecutionError)) throw error;
    const failure = error.cause as { name?: string; message?: string; cause?: string } | undefined;
    return {
      status: 'FAILED',
      output: {},
      error: failure?.name,
      cause: String(failure?.cause ?? failure?.message ?? ''),
      calls,
      subjects,
    };
  }
}
