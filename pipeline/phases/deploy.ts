import { ArnFormat, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { PipelineErrors, StateNames as S } from '../state-names';
import { describeEndpointConfig, updateModelPackage } from './calls';
import type { PhaseContext } from './context';
import { describeEndpoint, endpointLookup, whenEndpointInService } from './endpoint-lookup';
import { outcome, PACKAGE_EXTRA } from './evaluate-gate';
import { adoptExisting } from './idempotent';
import { pollLoop } from './poll-loop';
import { ShadowStateNames } from './shadow';
import { switchEndpointConfig } from './shadow-endpoint';

/** Endpoint states that will not become InService without a person: the run fails at once on them. */
export const ENDPOINT_DEAD_STATES = ['Failed', 'OutOfService', 'UpdateRollbackFailed'] as const;

/**
 * Deploy (a Parallel holding the blue/green sub-flow): approve the package, create the endpoint config,
 * create the endpoint on first deploy or update it blue/green with a canary, poll until it settles; then
 * CheckDeployment tells deployed from rolled-back. Both outcomes go to `report`.
 */
export function buildDeploy(ctx: PhaseContext, report: sfn.IChainable): sfn.IChainable {
  const { scope, stack, props, config } = ctx;
  const approveModelPackage = ctx.retryOnly(
    updateModelPackage(
      ctx,
      S.ApproveModelPackage,
      'Approved',
      sfn.JsonPath.format('Approved; deployed by run {}', sfn.JsonPath.stringAt('$.run.id')),
    ),
    'SageMaker',
  );
  const instanceType = `ml.${config.instances.endpoint}`;
  const createEndpointConfig = ctx.retryOnly(
    new tasks.CallAwsService(scope, S.CreateEndpointConfig, {
      service: 'sagemaker',
      action: 'createEndpointConfig',
      iamAction: 'sagemaker:CreateEndpointConfig',
      iamResources: [ctx.arns.endpointConfig],
      additionalIamStatements: [
        new iam.PolicyStatement({ actions: ['sagemaker:AddTags'], resources: [ctx.arns.endpointConfig] }),
      ],
      parameters: {
        EndpointConfigName: sfn.JsonPath.stringAt('$.run.endpointConfigName'),
        KmsKeyId: props.kmsKeyArn,
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: sfn.JsonPath.stringAt('$.run.candidateModelName'),
            InstanceType: instanceType,
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
  // The caller of CreateEndpointConfig/CreateEndpoint/UpdateEndpoint with a KmsKeyId needs kms:CreateGrant
  // (https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html), only for grants SageMaker
  // makes for its resources (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
  ctx.statements.push(
    new iam.PolicyStatement({
      actions: ['kms:CreateGrant'],
      resources: [props.kmsKeyArn],
      conditions: {
        Bool: { 'kms:GrantIsForAWSResource': 'true' },
        StringEquals: { 'kms:ViaService': `sagemaker.${stack.region}.amazonaws.com` },
      },
    }),
  );

  const createEndpoint = ctx.retryOnly(
    new tasks.CallAwsService(scope, S.CreateEndpoint, {
      service: 'sagemaker',
      action: 'createEndpoint',
      iamAction: 'sagemaker:CreateEndpoint',
      iamResources: [ctx.arns.endpoint, ctx.arns.endpointConfig],
      additionalIamStatements: [
        new iam.PolicyStatement({ actions: ['sagemaker:AddTags'], resources: [ctx.arns.endpoint] }),
      ],
      parameters: {
        EndpointName: config.endpointName,
        EndpointConfigName: sfn.JsonPath.stringAt('$.run.endpointConfigName'),
      },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'SageMaker',
  );
  const updateEndpoint = ctx.retryOnly(
    new tasks.CallAwsService(scope, S.UpdateEndpoint, {
      service: 'sagemaker',
      action: 'updateEndpoint',
      iamAction: 'sagemaker:UpdateEndpoint',
      iamResources: [ctx.arns.endpoint, ctx.arns.endpointConfig],
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
          AutoRollbackConfiguration: { Alarms: props.rollbackAlarmNames.map((AlarmName) => ({ AlarmName })) },
        },
      },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'SageMaker',
  );

  // ---- wait for the endpoint to settle ----
  const endpointFailed = new sfn.Fail(scope, S.EndpointFailed, {
    error: PipelineErrors.EndpointFailed,
    causePath: '$.endpointFailure.cause',
  });
  const explainEndpointFailure = new sfn.Pass(scope, S.ExplainEndpointFailure, {
    parameters: {
      'cause.$': `States.Format('Endpoint ${config.endpointName} is {} on config {}; DescribeEndpoint gives the FailureReason', $.endpointNow.status, $.endpointNow.endpointConfigName)`,
    },
    resultPath: '$.endpointFailure',
  }).next(endpointFailed);
  const endpointSettled = new sfn.Pass(scope, S.EndpointSettled, {
    parameters: {
      'status.$': '$.endpointNow.status',
      'endpointConfigName.$': '$.endpointNow.endpointConfigName',
      'expectedConfigName.$': '$.run.endpointConfigName',
    },
  });
  const settle = pollLoop(scope, {
    ids: { init: S.InitEndpointPoll, wait: S.WaitEndpoint, count: S.CountEndpointPoll, check: S.CheckEndpoint },
    poll: ctx.retryOnly(describeEndpoint(ctx, S.PollEndpoint, '$.endpointNow'), 'SageMaker'),
    counterPath: '$.endpointPoll',
    interval: Duration.seconds(config.poll.endpointSeconds),
    maxIterations: config.poll.endpointMaxIterations,
    exits: [
      { when: sfn.Condition.stringEquals('$.endpointNow.status', 'InService'), next: endpointSettled },
      // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html (EndpointStatus)
      {
        when: sfn.Condition.or(
          ...ENDPOINT_DEAD_STATES.map((s) => sfn.Condition.stringEquals('$.endpointNow.status', s)),
        ),
        next: explainEndpointFailure,
      },
    ],
    onLimit: new sfn.Fail(scope, S.EndpointPollLimit, {
      error: PipelineErrors.PollLimitExceeded,
      cause: `Endpoint ${config.endpointName} did not settle within ${config.poll.endpointMaxIterations} polls`,
    }),
  });
  createEndpoint.next(settle);
  updateEndpoint.next(settle);

  const endpointNotUpdatable = new sfn.Fail(scope, S.EndpointNotUpdatable, {
    error: PipelineErrors.EndpointNotUpdatable,
    cause: `Endpoint ${config.endpointName} is not InService; it was left as it is`,
  });
  const describeExisting = whenEndpointInService(ctx, {
    ids: { describe: S.DescribeEndpoint, check: S.CheckEndpointExists },
    resultPath: '$.endpointBefore',
    inService: updateEndpoint,
    otherwise: endpointNotUpdatable,
    errors: 'retryOnly',
  });
  const lookup = endpointLookup(ctx, {
    ids: {
      list: S.FindEndpoint,
      names: S.NameEndpoints,
      name: S.EndpointName,
      match: S.MatchEndpoint,
      check: S.CheckEndpointListed,
    },
    resultPath: '$.endpointLookup',
    found: describeExisting,
    missing: createEndpoint,
    errors: 'retryOnly',
  });
  adoptExisting(scope, {
    ids: { check: S.CheckNewEndpointConfig, conflict: S.EndpointConfigConflict, failed: S.EndpointConfigFailed },
    create: createEndpointConfig,
    describe: ctx.retryOnly(
      describeEndpointConfig(ctx, S.DescribeNewEndpointConfig, {
        iamResource: ctx.arns.endpointConfig,
        namePath: '$.run.endpointConfigName',
        resultSelector: {
          'variants.$': 'States.ArrayLength($.ProductionVariants)',
          'modelName.$': '$.ProductionVariants[0].ModelName',
          'instanceType.$': '$.ProductionVariants[0].InstanceType',
          'instanceCount.$': '$.ProductionVariants[0].InitialInstanceCount',
        },
        resultPath: '$.existingConfig',
      }),
      'SageMaker',
    ),
    same: sfn.Condition.and(
      sfn.Condition.numberEquals('$.existingConfig.variants', 1),
      sfn.Condition.stringEqualsJsonPath('$.existingConfig.modelName', '$.run.candidateModelName'),
      sfn.Condition.stringEquals('$.existingConfig.instanceType', instanceType),
      sfn.Condition.numberEquals('$.existingConfig.instanceCount', config.instances.endpointCount),
    ),
    conflictCause:
      "States.Format('Endpoint config {} already exists serving model {} on {} x {}', $.run.endpointConfigName, $.existingConfig.modelName, $.existingConfig.instanceCount, $.existingConfig.instanceType)",
    next: lookup,
  });
  createEndpointConfig.next(lookup);

  const deploy = ctx.guard(
    new sfn.Parallel(scope, S.Deploy, {
      comment: 'Create the endpoint on first deploy, else blue/green canary update with alarm-driven rollback',
      resultSelector: {
        'status.$': '$[0].status',
        'endpointConfigName.$': '$[0].endpointConfigName',
        'expectedConfigName.$': '$[0].expectedConfigName',
      },
      resultPath: '$.deploy',
    }).branch(approveModelPackage.next(createEndpointConfig)),
  );
  // SageMaker rolls back by returning the endpoint to InService on its previous config.
  const deployedExtra = { ...PACKAGE_EXTRA, 'endpointConfigName.$': '$.deploy.endpointConfigName' };
  const checkDeployment = new sfn.Choice(scope, S.CheckDeployment)
    .when(
      sfn.Condition.stringEqualsJsonPath('$.deploy.endpointConfigName', '$.deploy.expectedConfigName'),
      outcome(ctx, S.MarkDeployed, 'deployed', { promoted: 1, deployed: 1, ...deployedExtra }).next(report),
    )
    .otherwise(
      outcome(ctx, S.MarkRolledBack, 'rolled-back', { promoted: 1, rolledBack: 1, ...deployedExtra }).next(
        leaveNoShadow(ctx, report),
      ),
    );
  return deploy.next(checkDeployment);
}

/**
 * A canary that started from the shadow phase's config and was rolled back returns the endpoint to that config
 * (serving model, candidate still in shadow, capture on): the config that served before the shadow is restored.
 */
function leaveNoShadow(ctx: PhaseContext, report: sfn.IChainable): sfn.IChainable {
  const N = ShadowStateNames;
  return new sfn.Choice(ctx.scope, N.CheckShadowAfterRollback)
    .when(
      sfn.Condition.and(
        sfn.Condition.isPresent('$.shadowConfig.configName'),
        sfn.Condition.stringEqualsJsonPath('$.deploy.endpointConfigName', '$.shadowConfig.configName'),
      ),
      switchEndpointConfig(ctx, {
        update: N.RestoreAfterRollback,
        configPath: '$.shadowServing.endpointConfigName',
        poll: {
          init: N.InitRollbackRestorePoll,
          wait: N.WaitRollbackRestore,
          poll: N.PollRollbackRestore,
          count: N.CountRollbackRestorePoll,
          check: N.CheckRollbackRestored,
        },
        failed: N.RollbackRestoreFailed,
        limit: N.RollbackRestorePollLimit,
        next: report,
      }),
    )
    .otherwise(report);
}
