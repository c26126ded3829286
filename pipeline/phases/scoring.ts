import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { TRAINING_BASELINE_FILE, TRAINING_BASELINE_TAG } from '../../monitoring/baseline-location';
import { StateNames as S } from '../state-names';
import { passRoleToSageMaker } from './automl';
import type { PhaseContext } from './context';
import { adoptExisting, conflict, createFailed } from './idempotent';
import { pollLoop } from './poll-loop';

/** PrepareCandidateContainers: the best candidate's containers with probability output, at `$.candidate`. */
export function buildCandidateContainers(ctx: PhaseContext, next: sfn.IChainable): sfn.IChainable {
  return ctx
    .guard(
      new tasks.LambdaInvoke(ctx.scope, S.PrepareCandidateContainers, {
        lambdaFunction: ctx.props.candidateContainersFunction,
        comment: 'BestCandidate.InferenceContainers with probability output switched on',
        payload: sfn.TaskInput.fromObject({
          containers: sfn.JsonPath.listAt('$.autoML.BestCandidate.InferenceContainers'),
          candidateName: sfn.JsonPath.stringAt('$.autoML.BestCandidate.CandidateName'),
          objective: sfn.JsonPath.objectAt('$.autoML.BestCandidate.FinalAutoMLJobObjectiveMetric'),
        }),
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        // The artifact list is what an existing model of the same name is compared on (CreateCandidateModel).
        resultSelector: { 'containers.$': '$.containers', 'modelDataUrls.$': '$.containers[*].ModelDataUrl' },
        resultPath: '$.candidate',
      }),
      'Lambda',
    )
    .next(next);
}

/**
 * ScoreCandidates: the candidate (CreateCandidateModel → ScoreCandidateModel) and the serving model (if any)
 * scored by batch transform on the same holdout; `$.scoring` holds both predictions URIs.
 */
export function buildScoring(ctx: PhaseContext): sfn.Parallel {
  const { scope, props } = ctx;
  const createCandidateModel = ctx.retryOnly(
    new tasks.CallAwsService(scope, S.CreateCandidateModel, {
      service: 'sagemaker',
      action: 'createModel',
      iamAction: 'sagemaker:CreateModel',
      iamResources: [ctx.arns.model],
      additionalIamStatements: [
        new iam.PolicyStatement({ actions: ['sagemaker:AddTags'], resources: [ctx.arns.model] }),
        passRoleToSageMaker(props.sageMakerRoleArn),
      ],
      parameters: {
        ModelName: sfn.JsonPath.stringAt('$.run.candidateModelName'),
        Containers: sfn.JsonPath.listAt('$.candidate.containers'),
        ExecutionRoleArn: props.sageMakerRoleArn,
        EnableNetworkIsolation: false,
        ...(props.vpcConfig
          ? {
              VpcConfig: {
                SecurityGroupIds: [...props.vpcConfig.securityGroupIds],
                Subnets: [...props.vpcConfig.subnets],
              },
            }
          : {}),
        Tags: [
          { Key: 'occupancy:execution', Value: sfn.JsonPath.stringAt('$.run.id') },
          // Where Evaluate writes the candidate's training baseline: the monitor's drift reference once it serves.
          {
            Key: TRAINING_BASELINE_TAG,
            Value: sfn.JsonPath.format(
              `s3://${props.artifactsBucketName}/runs/{}/${TRAINING_BASELINE_FILE}`,
              sfn.JsonPath.stringAt('$.run.id'),
            ),
          },
        ],
      },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'SageMaker',
  );
  const scoreCandidateModel = transformJob(ctx, 'Candidate', {
    id: S.ScoreCandidateModel,
    jobNamePath: '$.run.candidateTransformJobName',
    modelNamePath: '$.run.candidateModelName',
    outputPath: '$.run.candidatePredictions',
  });
  adoptExisting(scope, {
    ids: { check: S.CheckCandidateModel, conflict: S.CandidateModelConflict, failed: S.CandidateModelFailed },
    create: createCandidateModel,
    describe: ctx.retryOnly(
      new tasks.CallAwsService(scope, S.DescribeCandidateModel, {
        service: 'sagemaker',
        action: 'describeModel',
        iamAction: 'sagemaker:DescribeModel',
        iamResources: [ctx.arns.model],
        parameters: { ModelName: sfn.JsonPath.stringAt('$.run.candidateModelName') },
        resultSelector: { 'role.$': '$.ExecutionRoleArn', 'modelDataUrls.$': '$.Containers[*].ModelDataUrl' },
        resultPath: '$.existingModel',
      }),
      'SageMaker',
    ),
    // Choice compares strings, not lists: both artifact lists as JSON text.
    prepare: new sfn.Pass(scope, S.CompareCandidateModel, {
      parameters: {
        'role.$': '$.existingModel.role',
        'existing.$': 'States.JsonToString($.existingModel.modelDataUrls)',
        'expected.$': 'States.JsonToString($.candidate.modelDataUrls)',
      },
      resultPath: '$.existingModel',
    }),
    same: sfn.Condition.and(
      sfn.Condition.stringEqualsJsonPath('$.existingModel.existing', '$.existingModel.expected'),
      sfn.Condition.stringEquals('$.existingModel.role', props.sageMakerRoleArn),
    ),
    conflictCause:
      "States.Format('Model {} already exists with other artifacts or role: {}', $.run.candidateModelName, $.existingModel.existing)",
    next: scoreCandidateModel,
  });
  createCandidateModel.next(scoreCandidateModel);

  const scoreServingModel = transformJob(ctx, 'Serving', {
    id: S.ScoreServingModel,
    jobNamePath: '$.run.servingTransformJobName',
    modelNamePath: '$.serving.modelName',
    outputPath: '$.run.servingPredictions',
  });
  const skipServingModel = new sfn.Pass(scope, S.SkipServingModel, {
    result: sfn.Result.fromObject({ predictionsUri: null }),
    comment: 'First run: no model is serving, nothing to compare with',
  });
  const checkServingModel = new sfn.Choice(scope, S.CheckServingModel)
    .when(sfn.Condition.booleanEquals('$.serving.exists', true), scoreServingModel)
    .otherwise(skipServingModel);

  ctx.statements.push(
    new iam.PolicyStatement({
      actions: [
        'sagemaker:CreateTransformJob',
        'sagemaker:DescribeTransformJob',
        'sagemaker:StopTransformJob',
        'sagemaker:AddTags',
        'sagemaker:ListTags',
      ],
      resources: [ctx.arns.transformJob],
    }),
    new iam.PolicyStatement({
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: [
        ctx.stack.formatArn({
          service: 'events',
          resource: 'rule',
          resourceName: 'StepFunctionsGetEventsForSageMakerTransformJobsRule',
        }),
      ],
    }),
  );
  return ctx.guard(
    new sfn.Parallel(scope, S.ScoreCandidates, {
      comment: 'Candidate and serving model scored by batch transform on the same holdout',
      resultSelector: {
        'candidatePredictionsUri.$': '$[0].predictionsUri',
        'servingPredictionsUri.$': '$[1].predictionsUri',
      },
      resultPath: '$.scoring',
    })
      .branch(createCandidateModel)
      .branch(checkServingModel),
  );
}

interface TransformSpec {
  readonly id: string;
  readonly jobNamePath: string;
  readonly modelNamePath: string;
  readonly outputPath: string;
}

/** Batch transform names each output `<input file>.out`, row for row with the input. */
const PREDICTIONS = (outputPath: string) => `States.Format('{}/holdout-input.csv.out', ${outputPath})`;

/**
 * CreateTransformJob.sync; when it fails (a retry after a lost response meets "already exists"), the job of
 * that name is adopted if it scores the same model into the same place: polled until it completes.
 */
function transformJob(ctx: PhaseContext, who: 'Candidate' | 'Serving', spec: TransformSpec): sfn.CustomState {
  const { scope, stack, props, config } = ctx;
  const create = ctx.retryOnly(
    new sfn.CustomState(scope, spec.id, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${stack.partition}:states:::sagemaker:createTransformJob.sync`,
        Parameters: {
          'TransformJobName.$': spec.jobNamePath,
          'ModelName.$': spec.modelNamePath,
          BatchStrategy: 'MultiRecord',
          MaxPayloadInMB: 6,
          TransformInput: {
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', 'S3Uri.$': '$.run.scoringInputUri' } },
            ContentType: 'text/csv',
            SplitType: 'Line',
            CompressionType: 'None',
          },
          TransformOutput: {
            'S3OutputPath.$': spec.outputPath,
            Accept: 'text/csv',
            AssembleWith: 'Line',
            KmsKeyId: props.kmsKeyArn,
          },
          TransformResources: {
            InstanceType: `ml.${config.instances.transform}`,
            InstanceCount: 1,
            VolumeKmsKeyId: props.kmsKeyArn,
          },
          Tags: [{ Key: 'occupancy:execution', 'Value.$': '$.run.id' }],
        },
        ResultSelector: { 'predictionsUri.$': PREDICTIONS('$.TransformOutput.S3OutputPath') },
      },
    }),
    'SageMaker',
  );
  const ids = (pattern: string) => pattern.replace('#', who);
  const failed = createFailed(scope, ids('#TransformFailed'));
  const describe = ctx.retryOnly(
    new tasks.CallAwsService(scope, ids('Describe#Transform'), {
      service: 'sagemaker',
      action: 'describeTransformJob',
      iamAction: 'sagemaker:DescribeTransformJob',
      iamResources: [ctx.arns.transformJob],
      parameters: { TransformJobName: sfn.JsonPath.stringAt(spec.jobNamePath) },
      resultSelector: {
        'status.$': '$.TransformJobStatus',
        'modelName.$': '$.ModelName',
        'outputPath.$': '$.TransformOutput.S3OutputPath',
      },
      resultPath: '$.transformNow',
    }),
    'SageMaker',
  );
  describe.addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: '$.describeError' });
  const now = (field: string) => `$.transformNow.${field}`;
  const explain = conflict(
    scope,
    ids('#TransformConflict'),
    `States.Format('Transform job {} already exists and was not adopted: {}, model {}, output {}', ${spec.jobNamePath}, $.transformNow.status, $.transformNow.modelName, $.transformNow.outputPath)`,
    failed,
  );
  const adopt = new sfn.Pass(scope, ids('Adopt#Transform'), {
    parameters: { 'predictionsUri.$': PREDICTIONS(now('outputPath')) },
  });
  const entry = pollLoop(scope, {
    ids: {
      init: ids('Init#TransformPoll'),
      wait: ids('Wait#Transform'),
      count: ids('Count#TransformPoll'),
      check: ids('Check#Transform'),
    },
    poll: describe,
    counterPath: '$.transformPoll',
    // A transform of the holdout takes minutes: the endpoint's poll budget (default 2 h) is ample.
    interval: Duration.seconds(config.poll.endpointSeconds),
    maxIterations: config.poll.endpointMaxIterations,
    pollFirst: true,
    exits: [
      {
        when: sfn.Condition.not(
          sfn.Condition.and(
            sfn.Condition.stringEqualsJsonPath(now('modelName'), spec.modelNamePath),
            sfn.Condition.stringEqualsJsonPath(now('outputPath'), spec.outputPath),
          ),
        ),
        next: explain,
      },
      { when: sfn.Condition.stringEquals(now('status'), 'Completed'), next: adopt },
      // The job itself ended badly: the create's error (from .sync) says why.
      {
        when: sfn.Condition.or(
          sfn.Condition.stringEquals(now('status'), 'Failed'),
          sfn.Condition.stringEquals(now('status'), 'Stopped'),
        ),
        next: failed,
      },
    ],
    onLimit: explain,
  });
  create.addCatch(entry, { errors: [sfn.Errors.ALL], resultPath: '$.createError' });
  return create;
}
