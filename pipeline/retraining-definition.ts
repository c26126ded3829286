import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { PipelineConfig } from './config';
import { type AwsService, awsRetry } from './retry';
import { METRICS_NAMESPACE, PipelineErrors, PipelineMetrics, StateNames as S } from './state-names';

/**
 * The retraining state machine as a pure function of its props: no stack-level resources are
 * created here, only states. IAM statements the states need are returned for the caller to attach
 * (the construct attaches them to the state machine role). JSONPath only: the local runner
 * (aws-local-stepfunctions) does not support JSONata.
 */

/** The three Athena queries (one per time split), each a SELECT of the features + `occupied`. */
export interface ExportQueries {
  readonly train: string;
  readonly validation: string;
  readonly holdout: string;
}

export interface RetrainingDefinitionProps {
  readonly config: PipelineConfig;
  /** Queries rendered by the feature SQL generator (Athena dialect). */
  readonly exportQueries: ExportQueries;
  /** Bucket for run artifacts (splits, AutoML output, predictions, evaluation). */
  readonly artifactsBucketName: string;
  readonly artifactsBucketArn: string;
  /** KMS key encrypting artifacts, AutoML volumes, transform output, endpoint storage. */
  readonly kmsKeyArn: string;
  /** Glue database and Athena workgroup the export queries run in. */
  readonly glueDatabaseName: string;
  readonly athenaWorkGroupName: string;
  /** Role SageMaker assumes for AutoML, transform jobs and the endpoint's models. */
  readonly sageMakerRoleArn: string;
  readonly notificationTopicArn: string;
  /** Lambdas: evaluate, approval request, candidate containers, scoring input. */
  readonly evaluateFunction: lambda.IFunction;
  readonly approvalRequestFunction: lambda.IFunction;
  readonly candidateContainersFunction: lambda.IFunction;
  readonly scoringInputFunction: lambda.IFunction;
  /** CloudWatch alarm names SageMaker watches during the canary (rollback on ALARM). */
  readonly rollbackAlarmNames: readonly string[];
  /** Name of the state machine, known in advance so the single-run guard can list its executions. */
  readonly stateMachineName: string;
  /** Legacy IoT Analytics dataset (required when `config.dataSource` is 'iot-analytics'). */
  readonly legacyDatasetName?: string;
  /** Optional VPC for AutoML and transform containers. */
  readonly vpcConfig?: { readonly securityGroupIds: readonly string[]; readonly subnets: readonly string[] };
}

export interface RetrainingDefinition {
  readonly definition: sfn.IChainable;
  /** Statements the state machine role needs beyond what CDK's task constructs grant. */
  readonly policyStatements: iam.PolicyStatement[];
  /** Overall execution timeout: the longest legitimate run (AutoML + approval + canary) plus slack. */
  readonly timeout: Duration;
}

/** Catch target: the failure path expects `$.error` = { Error, Cause }. */
const ERROR_PATH = '$.error';

export function buildRetrainingDefinition(scope: Construct, props: RetrainingDefinitionProps): RetrainingDefinition {
  const { config } = props;
  const stack = Stack.of(scope);
  const statements: iam.PolicyStatement[] = [];
  const sageMakerArn = (resourceType: string, name: string): string =>
    stack.formatArn({ service: 'sagemaker', resource: resourceType, resourceName: name });
  const endpointArn = sageMakerArn('endpoint', config.endpointName.toLowerCase());
  const endpointConfigArn = sageMakerArn('endpoint-config', 'occ-*');
  const modelArn = sageMakerArn('model', 'occ-*');
  const transformJobArn = sageMakerArn('transform-job', 'occ-*');
  const autoMLJobArn = sageMakerArn('automl-job', '*');
  const modelPackageArn = sageMakerArn('model-package', `${config.modelPackageGroupName.toLowerCase()}/*`);
  const modelPackageGroupArn = sageMakerArn('model-package-group', config.modelPackageGroupName.toLowerCase());
  const stateMachineArn = stack.formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: props.stateMachineName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });

  // ---- the failure path ------------------------------------------------------------------------
  const runFailed = new sfn.Fail(scope, S.RunFailed, { errorPath: '$.error.Error', causePath: '$.error.Cause' });
  const notifyFailure = new tasks.SnsPublish(scope, S.NotifyFailure, {
    topic: topicFromArn(scope, props.notificationTopicArn),
    subject: sfn.JsonPath.format('occupancy retraining {} failed', sfn.JsonPath.stringAt('$.run.id')),
    message: sfn.TaskInput.fromJsonPathAt(
      "States.Format('Run {} failed.\nError: {}\nCause: {}', $.run.id, $.error.Error, $.error.Cause)",
    ),
    resultPath: sfn.JsonPath.DISCARD,
  });
  notifyFailure.addRetry(awsRetry('SNS'));
  notifyFailure.addCatch(runFailed, { resultPath: '$.notifyError' });
  notifyFailure.next(runFailed);

  /** Retry transient errors, then send everything else down the failure path. */
  const guard = <T extends sfn.TaskStateBase | sfn.Parallel | sfn.CustomState>(state: T, service?: AwsService): T => {
    if (service) state.addRetry(awsRetry(service));
    state.addCatch(notifyFailure, { resultPath: ERROR_PATH });
    return state;
  };
  const retryOnly = <T extends sfn.TaskStateBase | sfn.CustomState>(state: T, service: AwsService): T => {
    state.addRetry(awsRetry(service));
    return state;
  };
  const failWith = (id: string, error: string, cause: string): sfn.Pass => {
    const pass = new sfn.Pass(scope, id, {
      parameters: { Error: error, 'Cause.$': cause },
      resultPath: ERROR_PATH,
    });
    pass.next(notifyFailure);
    return pass;
  };

  // ---- run identity ------------------------------------------------------------------------------
  // AutoML job names are ≤ 32 chars: an MD5 is exactly 32 hex characters. Its input, "<state machine>/<execution
  // name>", is unique per execution (names are unique per state machine). Not the full execution ARN: the local
  // emulator's States.Hash is wrong for inputs of 56 bytes or more, and every ARN is longer than that.
  const runKey = `States.Hash(States.Format('${props.stateMachineName}/{}', $$.Execution.Name), 'MD5')`;
  const bucket = props.artifactsBucketName;
  const nameRun = new sfn.Pass(scope, S.NameRun, {
    parameters: {
      'id.$': '$$.Execution.Name',
      'executionArn.$': '$$.Execution.Id',
      'startedAt.$': '$$.Execution.StartTime',
      'key.$': runKey,
      'autoMLJobName.$': runKey,
      'candidateModelName.$': `States.Format('occ-{}-candidate', ${runKey})`,
      'candidateTransformJobName.$': `States.Format('occ-{}-candidate', ${runKey})`,
      'servingTransformJobName.$': `States.Format('occ-{}-serving', ${runKey})`,
      'endpointConfigName.$': `States.Format('occ-{}', ${runKey})`,
      bucket,
      'prefix.$': "States.Format('runs/{}', $$.Execution.Name)",
      'athenaOutput.$': `States.Format('s3://${bucket}/runs/{}/athena/', $$.Execution.Name)`,
      'trainUri.$': `States.Format('s3://${bucket}/runs/{}/data/train.csv', $$.Execution.Name)`,
      'validationUri.$': `States.Format('s3://${bucket}/runs/{}/data/validation.csv', $$.Execution.Name)`,
      'holdoutUri.$': `States.Format('s3://${bucket}/runs/{}/data/holdout.csv', $$.Execution.Name)`,
      'scoringInputUri.$': `States.Format('s3://${bucket}/runs/{}/data/holdout-input.csv', $$.Execution.Name)`,
      'autoMLOutput.$': `States.Format('s3://${bucket}/runs/{}/automl', $$.Execution.Name)`,
      'candidatePredictions.$': `States.Format('s3://${bucket}/runs/{}/predictions/candidate', $$.Execution.Name)`,
      'servingPredictions.$': `States.Format('s3://${bucket}/runs/{}/predictions/serving', $$.Execution.Name)`,
      'evaluationPrefix.$': `States.Format('s3://${bucket}/runs/{}/evaluation', $$.Execution.Name)`,
    },
    resultPath: '$.run',
  });

  // ---- single-run guard --------------------------------------------------------------------------
  const guardSingleRun = guard(
    new tasks.CallAwsService(scope, S.GuardSingleRun, {
      service: 'sfn',
      action: 'listExecutions',
      iamAction: 'states:ListExecutions',
      iamResources: [stateMachineArn],
      parameters: { StateMachineArn: sfn.JsonPath.stringAt('$$.StateMachine.Id'), StatusFilter: 'RUNNING' },
      resultSelector: { 'running.$': 'States.ArrayLength($.Executions)' },
      resultPath: '$.guard',
    }),
    'SFN',
  );
  const alreadyRunning = new sfn.Pass(scope, S.MarkAlreadyRunning, {
    parameters: {
      outcome: 'already-running',
      'runId.$': '$.run.id',
      'executionArn.$': '$.run.executionArn',
      'running.$': '$.guard.running',
    },
  }).next(new sfn.Succeed(scope, S.AlreadyRunning, { comment: 'Another execution is running; this one exits.' }));

  // ---- export ------------------------------------------------------------------------------------
  const exportDataset = new sfn.Parallel(scope, S.ExportDataset, {
    comment: 'One Athena query per time split, copied to a stable run-scoped key with its header',
    resultPath: sfn.JsonPath.DISCARD,
  });
  const splits = [
    { split: 'train', query: props.exportQueries.train, q: S.QueryTrainSplit, c: S.CopyTrainSplit },
    { split: 'validation', query: props.exportQueries.validation, q: S.QueryValidationSplit, c: S.CopyValidationSplit },
    { split: 'holdout', query: props.exportQueries.holdout, q: S.QueryHoldoutSplit, c: S.CopyHoldoutSplit },
  ] as const;
  for (const { split, query, q, c } of splits) {
    // Athena names its result `<QueryExecutionId>.csv` beside a `.metadata` file; Autopilot reads every
    // object under an S3 prefix, so each split is copied to a key of its own.
    const runQuery = retryOnly(
      new sfn.CustomState(scope, q, {
        stateJson: {
          Type: 'Task',
          Resource: `arn:${stack.partition}:states:::athena:startQueryExecution.sync`,
          Parameters: {
            QueryString: query,
            QueryExecutionContext: { Database: props.glueDatabaseName, Catalog: 'AwsDataCatalog' },
            WorkGroup: props.athenaWorkGroupName,
            ResultConfiguration: {
              'OutputLocation.$': '$.run.athenaOutput',
              EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: props.kmsKeyArn },
            },
          },
          ResultSelector: { 'queryExecutionId.$': '$.QueryExecution.QueryExecutionId' },
          ResultPath: '$.query',
        },
      }),
      'Athena',
    );
    const copy = retryOnly(
      new tasks.CallAwsService(scope, c, {
        service: 's3',
        action: 'copyObject',
        iamAction: 's3:GetObject',
        iamResources: [`${props.artifactsBucketArn}/runs/*`],
        additionalIamStatements: [
          new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [`${props.artifactsBucketArn}/runs/*`] }),
        ],
        parameters: {
          Bucket: bucket,
          Key: sfn.JsonPath.format(`runs/{}/data/${split}.csv`, sfn.JsonPath.stringAt('$.run.id')),
          CopySource: sfn.JsonPath.format(
            `${bucket}/runs/{}/athena/{}.csv`,
            sfn.JsonPath.stringAt('$.run.id'),
            sfn.JsonPath.stringAt('$.query.queryExecutionId'),
          ),
        },
        resultPath: sfn.JsonPath.DISCARD,
      }),
      'S3',
    );
    exportDataset.branch(runQuery.next(copy));
  }
  guard(exportDataset);
  const workGroupArn = stack.formatArn({
    service: 'athena',
    resource: 'workgroup',
    resourceName: props.athenaWorkGroupName,
  });
  statements.push(
    new iam.PolicyStatement({
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution'],
      resources: [workGroupArn],
    }),
    new iam.PolicyStatement({
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions', 'glue:GetPartition'],
      resources: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: props.glueDatabaseName }),
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${props.glueDatabaseName}/*` }),
      ],
    }),
  );

  const prepareScoringInput = guard(
    new tasks.LambdaInvoke(scope, S.PrepareScoringInput, {
      lambdaFunction: props.scoringInputFunction,
      comment: 'Holdout without header and target: what a batch transform scores',
      payload: sfn.TaskInput.fromObject({
        holdoutUri: sfn.JsonPath.stringAt('$.run.holdoutUri'),
        scoringInputUri: sfn.JsonPath.stringAt('$.run.scoringInputUri'),
        target: 'occupied',
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: '$.scoringInput',
    }),
    'Lambda',
  );

  // ---- AutoML ------------------------------------------------------------------------------------
  const channel = (type: 'training' | 'validation', uriPath: string) => ({
    ChannelType: type,
    ContentType: 'text/csv;header=present',
    CompressionType: 'None',
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: sfn.JsonPath.stringAt(uriPath) } },
  });
  const securityConfig: Record<string, unknown> = {
    VolumeKmsKeyId: props.kmsKeyArn,
    EnableInterContainerTrafficEncryption: true,
  };
  if (props.vpcConfig) {
    securityConfig.VpcConfig = {
      SecurityGroupIds: [...props.vpcConfig.securityGroupIds],
      Subnets: [...props.vpcConfig.subnets],
    };
  }
  const startAutoML = guard(
    new tasks.CallAwsService(scope, S.StartAutoML, {
      service: 'sagemaker',
      action: 'createAutoMLJobV2',
      iamAction: 'sagemaker:CreateAutoMLJobV2',
      iamResources: [autoMLJobArn],
      additionalIamStatements: [
        new iam.PolicyStatement({ actions: ['sagemaker:AddTags'], resources: [autoMLJobArn] }),
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [props.sageMakerRoleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        }),
      ],
      parameters: {
        AutoMLJobName: sfn.JsonPath.stringAt('$.run.autoMLJobName'),
        AutoMLJobInputDataConfig: [channel('training', '$.run.trainUri'), channel('validation', '$.run.validationUri')],
        OutputDataConfig: { S3OutputPath: sfn.JsonPath.stringAt('$.run.autoMLOutput'), KmsKeyId: props.kmsKeyArn },
        AutoMLProblemTypeConfig: {
          TabularJobConfig: {
            TargetAttributeName: 'occupied',
            ProblemType: 'BinaryClassification',
            Mode: config.autoML.mode,
            CompletionCriteria: {
              MaxCandidates: config.autoML.maxCandidates,
              MaxRuntimePerTrainingJobInSeconds: config.autoML.maxRuntimePerTrainingJobSeconds,
              MaxAutoMLJobRuntimeInSeconds: config.autoML.maxJobRuntimeSeconds,
            },
          },
        },
        AutoMLJobObjective: { MetricName: config.autoML.objective },
        RoleArn: props.sageMakerRoleArn,
        SecurityConfig: securityConfig,
        Tags: [{ Key: 'occupancy:execution', Value: sfn.JsonPath.stringAt('$.run.id') }],
      },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'SageMaker',
  );
  const initAutoMLPoll = new sfn.Pass(scope, S.InitAutoMLPoll, {
    result: sfn.Result.fromObject({ count: 0 }),
    resultPath: '$.autoMLPoll',
  });
  const waitAutoML = new sfn.Wait(scope, S.WaitAutoML, {
    time: sfn.WaitTime.duration(Duration.seconds(config.poll.autoMLSeconds)),
  });
  const describeAutoML = guard(
    new tasks.CallAwsService(scope, S.DescribeAutoML, {
      service: 'sagemaker',
      action: 'describeAutoMLJobV2',
      iamAction: 'sagemaker:DescribeAutoMLJobV2',
      iamResources: [autoMLJobArn],
      parameters: { AutoMLJobName: sfn.JsonPath.stringAt('$.run.autoMLJobName') },
      resultPath: '$.autoML',
    }),
    'SageMaker',
  );
  const countAutoMLPoll = new sfn.Pass(scope, S.CountAutoMLPoll, {
    parameters: { 'count.$': 'States.MathAdd($.autoMLPoll.count, 1)' },
    resultPath: '$.autoMLPoll',
  });
  const autoMLFailed = failWith(
    S.AutoMLFailed,
    PipelineErrors.AutoMLFailed,
    "States.Format('AutoML job {} ended {}: {}', $.run.autoMLJobName, $.autoML.AutoMLJobStatus, $.autoML.FailureReason)",
  );
  const autoMLStopped = failWith(
    S.AutoMLStopped,
    PipelineErrors.AutoMLFailed,
    "States.Format('AutoML job {} ended {} ({})', $.run.autoMLJobName, $.autoML.AutoMLJobStatus, $.autoML.AutoMLJobSecondaryStatus)",
  );
  const autoMLPollLimit = failWith(
    S.AutoMLPollLimit,
    PipelineErrors.PollLimitExceeded,
    `States.Format('AutoML job {} still {} after {} polls', $.run.autoMLJobName, $.autoML.AutoMLJobStatus, $.autoMLPoll.count)`,
  );

  // ---- serving model lookup --------------------------------------------------------------------
  const noServingModel = new sfn.Pass(scope, S.NoServingModel, {
    parameters: { exists: false, endpointName: config.endpointName },
    resultPath: '$.serving',
  });
  const findServingEndpoint = retryOnly(
    new tasks.CallAwsService(scope, S.FindServingEndpoint, {
      service: 'sagemaker',
      action: 'describeEndpoint',
      iamAction: 'sagemaker:DescribeEndpoint',
      iamResources: [endpointArn],
      parameters: { EndpointName: config.endpointName },
      resultSelector: { 'status.$': '$.EndpointStatus', 'endpointConfigName.$': '$.EndpointConfigName' },
      resultPath: '$.servingEndpoint',
    }),
    'SageMaker',
  );
  // A missing endpoint is the normal first run, not a failure.
  findServingEndpoint.addCatch(noServingModel, { errors: ENDPOINT_NOT_FOUND, resultPath: '$.servingLookupError' });
  findServingEndpoint.addCatch(notifyFailure, { resultPath: ERROR_PATH });
  const findServingConfig = guard(
    new tasks.CallAwsService(scope, S.FindServingConfig, {
      service: 'sagemaker',
      action: 'describeEndpointConfig',
      iamAction: 'sagemaker:DescribeEndpointConfig',
      iamResources: [sageMakerArn('endpoint-config', '*')],
      parameters: { EndpointConfigName: sfn.JsonPath.stringAt('$.servingEndpoint.endpointConfigName') },
      resultSelector: {
        exists: true,
        endpointName: config.endpointName,
        'endpointConfigName.$': '$.EndpointConfigName',
        'modelName.$': '$.ProductionVariants[0].ModelName',
      },
      resultPath: '$.serving',
    }),
    'SageMaker',
  );
  const checkServingEndpoint = new sfn.Choice(scope, S.CheckServingEndpoint)
    .when(sfn.Condition.stringEquals('$.servingEndpoint.status', 'InService'), findServingConfig)
    .otherwise(noServingModel);

  // ---- candidate containers and scoring --------------------------------------------------------
  const prepareCandidateContainers = guard(
    new tasks.LambdaInvoke(scope, S.PrepareCandidateContainers, {
      lambdaFunction: props.candidateContainersFunction,
      comment: 'BestCandidate.InferenceContainers with probability output switched on',
      payload: sfn.TaskInput.fromObject({
        containers: sfn.JsonPath.listAt('$.autoML.BestCandidate.InferenceContainers'),
        candidateName: sfn.JsonPath.stringAt('$.autoML.BestCandidate.CandidateName'),
        objective: sfn.JsonPath.objectAt('$.autoML.BestCandidate.FinalAutoMLJobObjectiveMetric'),
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: '$.candidate',
    }),
    'Lambda',
  );

  const transformJob = (id: string, jobNamePath: string, modelNamePath: string, outputPath: string) =>
    retryOnly(
      new sfn.CustomState(scope, id, {
        stateJson: {
          Type: 'Task',
          Resource: `arn:${stack.partition}:states:::sagemaker:createTransformJob.sync`,
          Parameters: {
            'TransformJobName.$': jobNamePath,
            'ModelName.$': modelNamePath,
            BatchStrategy: 'MultiRecord',
            MaxPayloadInMB: 6,
            TransformInput: {
              DataSource: { S3DataSource: { S3DataType: 'S3Prefix', 'S3Uri.$': '$.run.scoringInputUri' } },
              ContentType: 'text/csv',
              SplitType: 'Line',
              CompressionType: 'None',
            },
            TransformOutput: {
              'S3OutputPath.$': outputPath,
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
          // Batch transform names each output `<input file>.out`, row for row with the input.
          ResultSelector: {
            'predictionsUri.$': "States.Format('{}/holdout-input.csv.out', $.TransformOutput.S3OutputPath)",
          },
        },
      }),
      'SageMaker',
    );

  const createCandidateModel = retryOnly(
    new tasks.CallAwsService(scope, S.CreateCandidateModel, {
      service: 'sagemaker',
      action: 'createModel',
      iamAction: 'sagemaker:CreateModel',
      iamResources: [modelArn],
      additionalIamStatements: [
        new iam.PolicyStatement({ actions: ['sagemaker:AddTags'], resources: [modelArn] }),
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [props.sageMakerRoleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        }),
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
        Tags: [{ Key: 'occupancy:execution', Value: sfn.JsonPath.stringAt('$.run.id') }],
      },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'SageMaker',
  );
  const scoreCandidateModel = transformJob(
    S.ScoreCandidateModel,
    '$.run.candidateTransformJobName',
    '$.run.candidateModelName',
    '$.run.candidatePredictions',
  );
  const scoreServingModel = transformJob(
    S.ScoreServingModel,
    '$.run.servingTransformJobName',
    '$.serving.modelName',
    '$.run.servingPredictions',
  );
  const skipServingModel = new sfn.Pass(scope, S.SkipServingModel, {
    result: sfn.Result.fromObject({ predictionsUri: null }),
    comment: 'First run: no model is serving, nothing to compare with',
  });
  const checkServingModel = new sfn.Choice(scope, S.CheckServingModel)
    .when(sfn.Condition.booleanEquals('$.serving.exists', true), scoreServingModel)
    .otherwise(skipServingModel);
  const scoreCandidates = guard(
    new sfn.Parallel(scope, S.ScoreCandidates, {
      comment: 'Candidate and serving model scored by batch transform on the same holdout',
      resultSelector: {
        'candidatePredictionsUri.$': '$[0].predictionsUri',
        'servingPredictionsUri.$': '$[1].predictionsUri',
      },
      resultPath: '$.scoring',
    })
      .branch(createCandidateModel.next(scoreCandidateModel))
      .branch(checkServingModel),
  );
  statements.push(
    new iam.PolicyStatement({
      actions: [
        'sagemaker:CreateTransformJob',
        'sagemaker:DescribeTransformJob',
        'sagemaker:StopTransformJob',
        'sagemaker:AddTags',
        'sagemaker:ListTags',
      ],
      resources: [transformJobArn],
    }),
    new iam.PolicyStatement({
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: [
        stack.formatArn({
          service: 'events',
          resource: 'rule',
          resourceName: 'StepFunctionsGetEventsForSageMakerTransformJobsRule',
        }),
      ],
    }),
  );

  // ---- evaluate and gate -------------------------------------------------------------------------
  const evaluate = guard(
    new tasks.LambdaInvoke(scope, S.Evaluate, {
      lambdaFunction: props.evaluateFunction,
      payload: sfn.TaskInput.fromObject({
        runId: sfn.JsonPath.stringAt('$.run.id'),
        signalSetId: config.signalSetId,
        staticRule: { signal: config.staticRule.signal, level: config.staticRule.level },
        gate: { margin: config.gate.margin, resamples: config.gate.bootstrapResamples, seed: config.gate.seed },
        trainUri: sfn.JsonPath.stringAt('$.run.trainUri'),
        holdoutUri: sfn.JsonPath.stringAt('$.run.holdoutUri'),
        candidatePredictionsUri: sfn.JsonPath.stringAt('$.scoring.candidatePredictionsUri'),
        servingPredictionsUri: sfn.JsonPath.stringAt('$.scoring.servingPredictionsUri'),
        serving: sfn.JsonPath.objectAt('$.serving'),
        evaluationPrefix: sfn.JsonPath.stringAt('$.run.evaluationPrefix'),
        endpointName: config.endpointName,
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: '$.evaluation',
    }),
    'Lambda',
  );
  const publishEvaluationMetrics = guard(
    new tasks.CallAwsService(scope, S.PublishEvaluationMetrics, {
      service: 'cloudwatch',
      action: 'putMetricData',
      iamAction: 'cloudwatch:PutMetricData',
      iamResources: ['*'],
      parameters: { Namespace: METRICS_NAMESPACE, MetricData: sfn.JsonPath.listAt('$.evaluation.metricData') },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'CloudWatch',
  );

  const outcome = (id: string, value: string, extra: Record<string, unknown>): sfn.Pass =>
    new sfn.Pass(scope, id, {
      // modelPackageArn / endpointConfigName are present only for outcomes that have them.
      parameters: { outcome: value, promoted: 0, deployed: 0, rolledBack: 0, ...extra },
      resultPath: '$.result',
    });

  const markNotPromoted = outcome(S.MarkNotPromoted, 'not-promoted', {});
  const registerModel = guard(
    new tasks.CallAwsService(scope, S.RegisterModel, {
      service: 'sagemaker',
      action: 'createModelPackage',
      iamAction: 'sagemaker:CreateModelPackage',
      iamResources: [modelPackageGroupArn, modelPackageArn],
      parameters: {
        ModelPackageGroupName: config.modelPackageGroupName,
        ModelPackageDescription: sfn.JsonPath.stringAt('$.evaluation.summary'),
        ModelApprovalStatus: 'PendingManualApproval',
        ClientToken: sfn.JsonPath.stringAt('$.run.key'),
        InferenceSpecification: {
          Containers: sfn.JsonPath.listAt('$.candidate.containers'),
          SupportedContentTypes: ['text/csv'],
          SupportedResponseMIMETypes: ['text/csv'],
          SupportedRealtimeInferenceInstanceTypes: [`ml.${config.instances.endpoint}`],
          SupportedTransformInstanceTypes: [`ml.${config.instances.transform}`],
        },
        ModelMetrics: {
          ModelQuality: {
            Statistics: {
              ContentType: 'application/json',
              S3Uri: sfn.JsonPath.stringAt('$.evaluation.modelQualityUri'),
            },
          },
        },
        CustomerMetadataProperties: sfn.JsonPath.objectAt('$.evaluation.customerMetadata'),
      },
      resultSelector: { 'modelPackageArn.$': '$.ModelPackageArn' },
      resultPath: '$.registration',
    }),
    'SageMaker',
  );

  const approvalTimeout = Duration.seconds(config.approvalTimeoutSeconds);
  const awaitApproval = new tasks.LambdaInvoke(scope, S.AwaitApproval, {
    lambdaFunction: props.approvalRequestFunction,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    comment: 'Stores the task token and e-mails signed approve/reject links; a console decision also answers',
    payload: sfn.TaskInput.fromObject({
      taskToken: sfn.JsonPath.taskToken,
      runId: sfn.JsonPath.stringAt('$.run.id'),
      executionArn: sfn.JsonPath.stringAt('$.run.executionArn'),
      modelPackageArn: sfn.JsonPath.stringAt('$.registration.modelPackageArn'),
      modelPackageGroupName: config.modelPackageGroupName,
      summary: sfn.JsonPath.stringAt('$.evaluation.summary'),
      timeoutSeconds: config.approvalTimeoutSeconds,
    }),
    taskTimeout: sfn.Timeout.duration(approvalTimeout),
    retryOnServiceExceptions: false,
    resultPath: '$.approval',
  });
  awaitApproval.addRetry(awsRetry('Lambda'));
  const rejectModelPackage = guard(
    new tasks.CallAwsService(scope, S.RejectModelPackage, {
      service: 'sagemaker',
      action: 'updateModelPackage',
      iamAction: 'sagemaker:UpdateModelPackage',
      iamResources: [modelPackageArn],
      parameters: {
        ModelPackageArn: sfn.JsonPath.stringAt('$.registration.modelPackageArn'),
        ModelApprovalStatus: 'Rejected',
        ApprovalDescription: sfn.JsonPath.format(
          'Run {}: {}',
          sfn.JsonPath.stringAt('$.run.id'),
          sfn.JsonPath.stringAt('$.result.outcome'),
        ),
      },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'SageMaker',
  );
  const packageExtra = { 'modelPackageArn.$': '$.registration.modelPackageArn' };
  const markRejected = outcome(S.MarkRejected, 'rejected', packageExtra).next(rejectModelPackage);
  const markApprovalTimeout = outcome(S.MarkApprovalTimeout, 'approval-timeout', packageExtra).next(rejectModelPackage);
  awaitApproval.addCatch(markRejected, { errors: [PipelineErrors.ApprovalRejected], resultPath: '$.approvalError' });
  awaitApproval.addCatch(markApprovalTimeout, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.approvalError' });
  awaitApproval.addCatch(notifyFailure, { resultPath: ERROR_PATH });

  // ---- deploy (blue/green) -------------------------------------------------------------------------
  const approveModelPackage = retryOnly(
    new tasks.CallAwsService(scope, S.ApproveModelPackage, {
      service: 'sagemaker',
      action: 'updateModelPackage',
      iamAction: 'sagemaker:UpdateModelPackage',
      iamResources: [modelPackageArn],
      parameters: {
        ModelPackageArn: sfn.JsonPath.stringAt('$.registration.modelPackageArn'),
        ModelApprovalStatus: 'Approved',
        ApprovalDescription: sfn.JsonPath.format('Approved; deployed by run {}', sfn.JsonPath.stringAt('$.run.id')),
      },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'SageMaker',
  );
  const createEndpointConfig = retryOnly(
    new tasks.CallAwsService(scope, S.CreateEndpointConfig, {
      service: 'sagemaker',
      action: 'createEndpointConfig',
      iamAction: 'sagemaker:CreateEndpointConfig',
      iamResources: [endpointConfigArn],
      additionalIamStatements: [
        new iam.PolicyStatement({ actions: ['sagemaker:AddTags'], resources: [endpointConfigArn] }),
      ],
      parameters: {
        EndpointConfigName: sfn.JsonPath.stringAt('$.run.endpointConfigName'),
        KmsKeyId: props.kmsKeyArn,
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: sfn.JsonPath.stringAt('$.run.candidateModelName'),
            InstanceType: `ml.${config.instances.endpoint}`,
            InitialInstanceCount: config.instances.endpointCount,
            InitialVariantWeight: 1,
          },
        ],
        Tags: [{ Key: 'occupancy:execution', Value: sfn.JsonPath.stringAt('$.run.id') }],
      },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'SageMaker',
  );
  const describeEndpoint = retryOnly(
    new tasks.CallAwsService(scope, S.DescribeEndpoint, {
      service: 'sagemaker',
      action: 'describeEndpoint',
      iamAction: 'sagemaker:DescribeEndpoint',
      iamResources: [endpointArn],
      parameters: { EndpointName: config.endpointName },
      resultSelector: { 'status.$': '$.EndpointStatus', 'endpointConfigName.$': '$.EndpointConfigName' },
      resultPath: '$.endpointBefore',
    }),
    'SageMaker',
  );
  const createEndpoint = retryOnly(
    new tasks.CallAwsService(scope, S.CreateEndpoint, {
      service: 'sagemaker',
      action: 'createEndpoint',
      iamAction: 'sagemaker:CreateEndpoint',
      iamResources: [endpointArn, endpointConfigArn],
      additionalIamStatements: [new iam.PolicyStatement({ actions: ['sagemaker:AddTags'], resources: [endpointArn] })],
      parameters: {
        EndpointName: config.endpointName,
        EndpointConfigName: sfn.JsonPath.stringAt('$.run.endpointConfigName'),
      },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'SageMaker',
  );
  const updateEndpoint = retryOnly(
    new tasks.CallAwsService(scope, S.UpdateEndpoint, {
      service: 'sagemaker',
      action: 'updateEndpoint',
      iamAction: 'sagemaker:UpdateEndpoint',
      iamResources: [endpointArn, endpointConfigArn],
      additionalIamStatements: [
        new iam.PolicyStatement({
          actions: ['cloudwatch:DescribeAlarms'],
          resources: props.rollbackAlarmNames.map((name) =>
            stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: name,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ),
        }),
      ],
      parameters: {
        EndpointName: config.endpointName,
        EndpointConfigName: sfn.JsonPath.stringAt('$.run.endpointConfigName'),
        RetainAllVariantProperties: false,
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: {
              Type: 'CANARY',
              CanarySize: { Type: 'CAPACITY_PERCENT', Value: config.canary.sizePercent },
              WaitIntervalInSeconds: config.canary.waitIntervalSeconds,
            },
            TerminationWaitInSeconds: config.canary.terminationWaitSeconds,
            MaximumExecutionTimeoutInSeconds: config.canary.maxExecutionTimeoutSeconds,
          },
          AutoRollbackConfiguration: {
            Alarms: props.rollbackAlarmNames.map((AlarmName) => ({ AlarmName })),
          },
        },
      },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'SageMaker',
  );
  const endpointNotUpdatable = new sfn.Fail(scope, S.EndpointNotUpdatable, {
    error: PipelineErrors.EndpointNotUpdatable,
    cause: `Endpoint ${config.endpointName} is not InService; it was left as it is`,
  });
  const initEndpointPoll = new sfn.Pass(scope, S.InitEndpointPoll, {
    result: sfn.Result.fromObject({ count: 0 }),
    resultPath: '$.endpointPoll',
  });
  const waitEndpoint = new sfn.Wait(scope, S.WaitEndpoint, {
    time: sfn.WaitTime.duration(Duration.seconds(config.poll.endpointSeconds)),
  });
  const pollEndpoint = retryOnly(
    new tasks.CallAwsService(scope, S.PollEndpoint, {
      service: 'sagemaker',
      action: 'describeEndpoint',
      iamAction: 'sagemaker:DescribeEndpoint',
      iamResources: [endpointArn],
      parameters: { EndpointName: config.endpointName },
      resultSelector: { 'status.$': '$.EndpointStatus', 'endpointConfigName.$': '$.EndpointConfigName' },
      resultPath: '$.endpointNow',
    }),
    'SageMaker',
  );
  const countEndpointPoll = new sfn.Pass(scope, S.CountEndpointPoll, {
    parameters: { 'count.$': 'States.MathAdd($.endpointPoll.count, 1)' },
    resultPath: '$.endpointPoll',
  });
  const endpointFailed = new sfn.Fail(scope, S.EndpointFailed, {
    error: PipelineErrors.EndpointFailed,
    cause: `Endpoint ${config.endpointName} went to Failed during deployment`,
  });
  const endpointPollLimit = new sfn.Fail(scope, S.EndpointPollLimit, {
    error: PipelineErrors.PollLimitExceeded,
    cause: `Endpoint ${config.endpointName} did not settle within ${config.poll.endpointMaxIterations} polls`,
  });
  const endpointSettled = new sfn.Pass(scope, S.EndpointSettled, {
    parameters: {
      'status.$': '$.endpointNow.status',
      'endpointConfigName.$': '$.endpointNow.endpointConfigName',
      'expectedConfigName.$': '$.run.endpointConfigName',
    },
  });
  const checkEndpoint = new sfn.Choice(scope, S.CheckEndpoint)
    .when(sfn.Condition.stringEquals('$.endpointNow.status', 'InService'), endpointSettled)
    .when(sfn.Condition.stringEquals('$.endpointNow.status', 'Failed'), endpointFailed)
    .when(
      sfn.Condition.numberGreaterThanEquals('$.endpointPoll.count', config.poll.endpointMaxIterations),
      endpointPollLimit,
    )
    .otherwise(waitEndpoint);
  initEndpointPoll.next(waitEndpoint).next(pollEndpoint).next(countEndpointPoll).next(checkEndpoint);
  createEndpoint.next(initEndpointPoll);
  updateEndpoint.next(initEndpointPoll);
  describeEndpoint.addCatch(createEndpoint, { errors: ENDPOINT_NOT_FOUND, resultPath: '$.endpointLookupError' });
  const checkEndpointExists = new sfn.Choice(scope, S.CheckEndpointExists)
    .when(sfn.Condition.stringEquals('$.endpointBefore.status', 'InService'), updateEndpoint)
    .otherwise(endpointNotUpdatable);
  const deploy = guard(
    new sfn.Parallel(scope, S.Deploy, {
      comment: 'Create the endpoint on first deploy, else blue/green canary update with alarm-driven rollback',
      resultSelector: {
        'status.$': '$[0].status',
        'endpointConfigName.$': '$[0].endpointConfigName',
        'expectedConfigName.$': '$[0].expectedConfigName',
      },
      resultPath: '$.deploy',
    }).branch(approveModelPackage.next(createEndpointConfig).next(describeEndpoint).next(checkEndpointExists)),
  );
  // SageMaker rolls back by returning the endpoint to InService on its previous config.
  const markDeployed = outcome(S.MarkDeployed, 'deployed', {
    promoted: 1,
    deployed: 1,
    ...packageExtra,
    'endpointConfigName.$': '$.deploy.endpointConfigName',
  });
  const markRolledBack = outcome(S.MarkRolledBack, 'rolled-back', {
    promoted: 1,
    rolledBack: 1,
    ...packageExtra,
    'endpointConfigName.$': '$.deploy.endpointConfigName',
  });
  const checkDeployment = new sfn.Choice(scope, S.CheckDeployment)
    .when(
      sfn.Condition.stringEqualsJsonPath('$.deploy.endpointConfigName', '$.deploy.expectedConfigName'),
      markDeployed,
    )
    .otherwise(markRolledBack);

  // ---- report ------------------------------------------------------------------------------------
  const publishMetrics = guard(
    new tasks.CallAwsService(scope, S.PublishMetrics, {
      service: 'cloudwatch',
      action: 'putMetricData',
      iamAction: 'cloudwatch:PutMetricData',
      iamResources: ['*'],
      parameters: {
        Namespace: METRICS_NAMESPACE,
        MetricData: [
          metric(PipelineMetrics.Promoted, '$.result.promoted', config.endpointName),
          metric(PipelineMetrics.Deployed, '$.result.deployed', config.endpointName),
          metric(PipelineMetrics.RolledBack, '$.result.rolledBack', config.endpointName),
        ],
      },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'CloudWatch',
  );
  const notify = guard(
    new tasks.SnsPublish(scope, S.Notify, {
      topic: topicFromArn(scope, props.notificationTopicArn),
      subject: sfn.JsonPath.format(
        'occupancy retraining {}: {}',
        sfn.JsonPath.stringAt('$.run.id'),
        sfn.JsonPath.stringAt('$.result.outcome'),
      ),
      message: sfn.TaskInput.fromJsonPathAt(
        "States.Format('Run {} finished: {}.\n{}\n\nDetails: {}', $.run.id, $.result.outcome, $.evaluation.summary, $.evaluation.evaluationUri)",
      ),
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'SNS',
  );
  const summarize = new sfn.Pass(scope, S.Summarize, {
    parameters: {
      'outcome.$': '$.result.outcome',
      'runId.$': '$.run.id',
      'executionArn.$': '$.run.executionArn',
      'result.$': '$.result',
      'evaluation.$': '$.evaluation',
      'serving.$': '$.serving',
      endpointName: config.endpointName,
    },
  });
  const done = new sfn.Succeed(scope, S.Done);
  publishMetrics.next(notify).next(summarize).next(done);
  markNotPromoted.next(publishMetrics);
  rejectModelPackage.next(publishMetrics);
  markDeployed.next(publishMetrics);
  markRolledBack.next(publishMetrics);

  // ---- wire the happy path -------------------------------------------------------------------------
  const checkAutoML = new sfn.Choice(scope, S.CheckAutoML)
    .when(sfn.Condition.stringEquals('$.autoML.AutoMLJobStatus', 'Completed'), prepareCandidateContainers)
    .when(
      sfn.Condition.and(
        sfn.Condition.or(
          sfn.Condition.stringEquals('$.autoML.AutoMLJobStatus', 'Failed'),
          sfn.Condition.stringEquals('$.autoML.AutoMLJobStatus', 'Stopped'),
        ),
        sfn.Condition.isPresent('$.autoML.FailureReason'),
      ),
      autoMLFailed,
    )
    .when(
      sfn.Condition.or(
        sfn.Condition.stringEquals('$.autoML.AutoMLJobStatus', 'Failed'),
        sfn.Condition.stringEquals('$.autoML.AutoMLJobStatus', 'Stopped'),
      ),
      autoMLStopped,
    )
    .when(sfn.Condition.numberGreaterThanEquals('$.autoMLPoll.count', config.poll.autoMLMaxIterations), autoMLPollLimit)
    .otherwise(waitAutoML);
  startAutoML.next(initAutoMLPoll).next(waitAutoML).next(describeAutoML).next(countAutoMLPoll).next(checkAutoML);
  prepareCandidateContainers.next(findServingEndpoint);
  findServingEndpoint.next(checkServingEndpoint);
  findServingConfig.next(scoreCandidates);
  noServingModel.next(scoreCandidates);
  const gate = new sfn.Choice(scope, S.Gate)
    .when(sfn.Condition.booleanEquals('$.evaluation.promote', true), registerModel)
    .otherwise(markNotPromoted);
  scoreCandidates.next(evaluate).next(publishEvaluationMetrics).next(gate);
  registerModel.next(awaitApproval).next(deploy).next(checkDeployment);
  exportDataset.next(prepareScoringInput).next(startAutoML);

  let afterGuard: sfn.IChainable = exportDataset;
  if (config.dataSource === 'iot-analytics') {
    afterGuard = buildLegacyRefresh(scope, props, guard, failWith, exportDataset);
  }
  const checkSingleRun = new sfn.Choice(scope, S.CheckSingleRun)
    .when(sfn.Condition.numberGreaterThan('$.guard.running', 1), alreadyRunning)
    .otherwise(afterGuard);
  const definition = nameRun.next(guardSingleRun).next(checkSingleRun);

  const timeout = Duration.seconds(
    config.autoML.maxJobRuntimeSeconds +
      config.approvalTimeoutSeconds +
      config.canary.maxExecutionTimeoutSeconds +
      config.poll.endpointSeconds * config.poll.endpointMaxIterations +
      6 * 3600,
  );
  return { definition, policyStatements: statements, timeout };
}

/** How Step Functions reports DescribeEndpoint on a missing endpoint (SageMaker answers ValidationException). */
export const ENDPOINT_NOT_FOUND = [
  'SageMaker.ValidationException',
  'SageMaker.AmazonSageMakerException',
  'SageMaker.ResourceNotFoundException',
  'SageMaker.ResourceNotFound',
];

function metric(name: string, valuePath: string, endpointName: string): Record<string, unknown> {
  return {
    MetricName: name,
    Unit: 'Count',
    Value: sfn.JsonPath.numberAt(valuePath),
    Dimensions: [{ Name: 'EndpointName', Value: endpointName }],
  };
}

/** Imported once per scope: both Notify and NotifyFailure publish to the same topic. */
function topicFromArn(scope: Construct, topicArn: string): sns.ITopic {
  const id = 'NotificationTopicRef';
  const existing = scope.node.tryFindChild(id);
  if (existing) return existing as sns.ITopic;
  return sns.Topic.fromTopicArn(scope, id, topicArn);
}

function buildLegacyRefresh(
  scope: Construct,
  props: RetrainingDefinitionProps,
  guard: <T extends sfn.TaskStateBase | sfn.Parallel | sfn.CustomState>(state: T, service?: AwsService) => T,
  failWith: (id: string, error: string, cause: string) => sfn.Pass,
  next: sfn.IChainable,
): sfn.IChainable {
  const { config } = props;
  const datasetName = props.legacyDatasetName;
  if (!datasetName) {
    throw new Error('legacyDatasetName is required when dataSource is "iot-analytics"');
  }
  const datasetArn = Stack.of(scope).formatArn({
    service: 'iotanalytics',
    resource: 'dataset',
    resourceName: datasetName,
  });
  const refresh = guard(
    new tasks.CallAwsService(scope, S.RefreshLegacyDataset, {
      service: 'iotanalytics',
      action: 'createDatasetContent',
      iamAction: 'iotanalytics:CreateDatasetContent',
      iamResources: [datasetArn],
      parameters: { DatasetName: datasetName },
      resultSelector: { 'versionId.$': '$.VersionId', count: 0 },
      resultPath: '$.legacyDataset',
    }),
    'IoTAnalytics',
  );
  const wait = new sfn.Wait(scope, S.WaitLegacyDataset, {
    time: sfn.WaitTime.duration(Duration.seconds(config.poll.legacyDatasetSeconds)),
  });
  const get = guard(
    new tasks.CallAwsService(scope, S.GetLegacyDatasetContent, {
      service: 'iotanalytics',
      action: 'getDatasetContent',
      iamAction: 'iotanalytics:GetDatasetContent',
      iamResources: [datasetArn],
      parameters: { DatasetName: datasetName, VersionId: sfn.JsonPath.stringAt('$.legacyDataset.versionId') },
      resultSelector: { 'state.$': '$.Status.State' },
      resultPath: '$.legacyDatasetStatus',
    }),
    'IoTAnalytics',
  );
  const count = new sfn.Pass(scope, S.CountLegacyDatasetPoll, {
    parameters: {
      'versionId.$': '$.legacyDataset.versionId',
      'count.$': 'States.MathAdd($.legacyDataset.count, 1)',
    },
    resultPath: '$.legacyDataset',
  });
  const failed = failWith(
    S.LegacyDatasetFailed,
    PipelineErrors.LegacyDatasetFailed,
    `States.Format('IoT Analytics dataset ${datasetName} content {} ended {}', $.legacyDataset.versionId, $.legacyDatasetStatus.state)`,
  );
  const limit = failWith(
    S.LegacyDatasetPollLimit,
    PipelineErrors.PollLimitExceeded,
    `States.Format('IoT Analytics dataset ${datasetName} still {} after {} polls', $.legacyDatasetStatus.state, $.legacyDataset.count)`,
  );
  const check = new sfn.Choice(scope, S.CheckLegacyDataset)
    .when(sfn.Condition.stringEquals('$.legacyDatasetStatus.state', 'SUCCEEDED'), next)
    .when(sfn.Condition.stringEquals('$.legacyDatasetStatus.state', 'FAILED'), failed)
    .when(sfn.Condition.numberGreaterThanEquals('$.legacyDataset.count', config.poll.legacyDatasetMaxIterations), limit)
    .otherwise(wait);
  refresh.next(wait).next(get).next(count).next(check);
  return refresh;
}
