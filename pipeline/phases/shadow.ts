import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { servedFeatureSpec } from '../../tasks/infer-occupancy/prediction-record';
import { signalSetOf } from '../config';
import { PipelineErrors } from '../state-names';
import { describeEndpointConfig, updateModelPackage } from './calls';
import { ERROR_PATH, type PhaseContext } from './context';
import { describeEndpoint } from './endpoint-lookup';
import { outcome, PACKAGE_EXTRA } from './evaluate-gate';
import { switchEndpointConfig } from './shadow-endpoint';

/**
 * Shadow before canary (issue 21 item 4). After the approval, when an endpoint already serves: an endpoint config
 * with the serving model as its one production variant and the candidate as its one shadow variant (SageMaker allows
 * exactly one of each: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html), data
 * capture on (request and response, so the shadow's answers, never returned to callers, are kept:
 * https://docs.aws.amazon.com/sagemaker/latest/dg/model-shadow-deployment.html); UpdateEndpoint to it (same
 * production variant name, as blue/green requires: https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-exclusions.html);
 * wait `shadow.bakeMinutes`; ShadowCompare (tasks/shadow-compare.ts) judges the candidate on the bake's labelled
 * readings. Pass → the deploy phase (blue/green canary). Fail → UpdateEndpoint back to the config that served, the
 * package rejected, outcome `shadow-rejected` with the figures (in the report's summary and `$.result.shadow`).
 */

/** State names of the shadow phase: stable identifiers, as pipeline/state-names.ts. */
export const ShadowStateNames = {
  CheckShadowServing: 'CheckShadowServing',
  DescribeShadowEndpoint: 'DescribeShadowEndpoint',
  CheckShadowEndpoint: 'CheckShadowEndpoint',
  DescribeShadowServingConfig: 'DescribeShadowServingConfig',
  NameShadowConfig: 'NameShadowConfig',
  CreateShadowEndpointConfig: 'CreateShadowEndpointConfig',
  StartShadow: 'StartShadow',
  InitShadowPoll: 'InitShadowPoll',
  WaitShadowEndpoint: 'WaitShadowEndpoint',
  PollShadowEndpoint: 'PollShadowEndpoint',
  CountShadowPoll: 'CountShadowPoll',
  CheckShadowDeployed: 'CheckShadowDeployed',
  ShadowEndpointFailed: 'ShadowEndpointFailed',
  ShadowPollLimit: 'ShadowPollLimit',
  BakeShadow: 'BakeShadow',
  CompareShadow: 'CompareShadow',
  CheckShadowComparison: 'CheckShadowComparison',
  MarkShadowRejected: 'MarkShadowRejected',
  RestoreServingConfig: 'RestoreServingConfig',
  InitRestorePoll: 'InitRestorePoll',
  WaitRestoreEndpoint: 'WaitRestoreEndpoint',
  PollRestoreEndpoint: 'PollRestoreEndpoint',
  CountRestorePoll: 'CountRestorePoll',
  CheckRestored: 'CheckRestored',
  RestoreFailed: 'RestoreFailed',
  RestorePollLimit: 'RestorePollLimit',
  RejectShadowedPackage: 'RejectShadowedPackage',
  SummarizeShadow: 'SummarizeShadow',
  MergeShadowSummary: 'MergeShadowSummary',
  KeepShadowSummary: 'KeepShadowSummary',
  // A create retried after a lost response meets "already exists": the config of that name is adopted if it is ours.
  DescribeExistingShadowConfig: 'DescribeExistingShadowConfig',
  CheckExistingShadowConfig: 'CheckExistingShadowConfig',
  ShadowConfigConflict: 'ShadowConfigConflict',
  ShadowConfigFailed: 'ShadowConfigFailed',
  // A canary rolled back onto the shadow config (pipeline/phases/deploy.ts): the serving config restored.
  CheckShadowAfterRollback: 'CheckShadowAfterRollback',
  RestoreAfterRollback: 'RestoreAfterRollback',
  InitRollbackRestorePoll: 'InitRollbackRestorePoll',
  WaitRollbackRestore: 'WaitRollbackRestore',
  PollRollbackRestore: 'PollRollbackRestore',
  CountRollbackRestorePoll: 'CountRollbackRestorePoll',
  CheckRollbackRestored: 'CheckRollbackRestored',
  RollbackRestoreFailed: 'RollbackRestoreFailed',
  RollbackRestorePollLimit: 'RollbackRestorePollLimit',
} as const;
const S = ShadowStateNames;

/** The outcome of a run whose candidate lost in shadow. */
export const SHADOW_REJECTED = 'shadow-rejected';
/** The shadow variant's name (the production variant keeps the serving config's own). */
export const SHADOW_VARIANT = 'Shadow';

export interface ShadowProps {
  readonly compareFunction: lambda.IFunction;
  /** DataCaptureConfig.DestinationS3Uri (a prefix of the lake bucket). */
  readonly captureS3Uri: string;
}

export interface ShadowExits {
  /** The deploy phase (its canary UpdateEndpoint starts from the shadow config). */
  readonly deploy: sfn.IChainable;
  readonly report: sfn.IChainable;
}

export function buildShadow(ctx: PhaseContext, shadow: ShadowProps | undefined, exits: ShadowExits): sfn.IChainable {
  const { scope, props, config } = ctx;
  if (!shadow || !config.shadow.enabled) return exits.deploy;
  const instanceType = `ml.${config.instances.endpoint}`;

  const describeServingConfig = ctx.guard(
    describeEndpointConfig(ctx, S.DescribeShadowServingConfig, {
      iamResource: ctx.arns.anyEndpointConfig,
      namePath: '$.shadowEndpoint.endpointConfigName',
      resultSelector: {
        'endpointConfigName.$': '$.EndpointConfigName',
        'variantName.$': '$.ProductionVariants[0].VariantName',
        'modelName.$': '$.ProductionVariants[0].ModelName',
        'instanceCount.$': '$.ProductionVariants[0].InitialInstanceCount',
      },
      resultPath: '$.shadowServing',
    }),
    'SageMaker',
  );
  const nameConfig = new sfn.Pass(scope, S.NameShadowConfig, {
    parameters: { 'configName.$': "States.Format('{}-shadow', $.run.endpointConfigName)" },
    resultPath: '$.shadowConfig',
  });
  const createConfig = ctx.retryOnly(
    new tasks.CallAwsService(scope, S.CreateShadowEndpointConfig, {
      service: 'sagemaker',
      action: 'createEndpointConfig',
      iamAction: 'sagemaker:CreateEndpointConfig',
      iamResources: [ctx.arns.endpointConfig],
      parameters: {
        EndpointConfigName: sfn.JsonPath.stringAt('$.shadowConfig.configName'),
        KmsKeyId: props.kmsKeyArn,
        ProductionVariants: [
          {
            VariantName: sfn.JsonPath.stringAt('$.shadowServing.variantName'),
            ModelName: sfn.JsonPath.stringAt('$.shadowServing.modelName'),
            InstanceType: instanceType,
            InitialInstanceCount: sfn.JsonPath.numberAt('$.shadowServing.instanceCount'),
            InitialVariantWeight: 1,
          },
        ],
        // Equal weights: the shadow receives a copy of every request.
        ShadowProductionVariants: [
          {
            VariantName: SHADOW_VARIANT,
            ModelName: sfn.JsonPath.stringAt('$.run.candidateModelName'),
            InstanceType: instanceType,
            InitialInstanceCount: 1,
            InitialVariantWeight: 1,
          },
        ],
        // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfig.html
        DataCaptureConfig: {
          EnableCapture: true,
          InitialSamplingPercentage: config.shadow.samplingPercent,
          DestinationS3Uri: shadow.captureS3Uri,
          KmsKeyId: props.kmsKeyArn,
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
          // Text, not BASE64: the comparison reads the CSV rows.
          CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
        },
      },
      resultPath: sfn.JsonPath.DISCARD,
    }),
    'SageMaker',
  );
  // ---- compare ----
  const features = servedFeatureSpec(signalSetOf(config)).features.map((f) => f.name);
  const compare = ctx.guard(
    new tasks.LambdaInvoke(scope, S.CompareShadow, {
      lambdaFunction: shadow.compareFunction,
      payload: sfn.TaskInput.fromObject({
        runId: sfn.JsonPath.stringAt('$.run.id'),
        endpointName: config.endpointName,
        servingVariant: sfn.JsonPath.stringAt('$.shadowServing.variantName'),
        shadowVariant: SHADOW_VARIANT,
        captureUri: shadow.captureS3Uri,
        // A lower bound of the bake's start ($$.State is not available in the local emulator); the function
        // starts the bake at the shadow's first captured answer and ends it at its own clock.
        startedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
        features,
        settings: {
          maxF1Loss: config.shadow.maxF1Loss,
          minPairedReadings: config.shadow.minPairedReadings,
          resamples: config.gate.bootstrapResamples,
          seed: config.gate.seed,
        },
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath: '$.shadowComparison',
    }),
    'Lambda',
  );

  // ---- rejected: back to the serving config, package rejected, figures in the summary ----
  const keepSummary = new sfn.Pass(scope, S.KeepShadowSummary, {
    inputPath: '$.shadowMerged.evaluation',
    resultPath: '$.evaluation',
  }).next(exits.report);
  const mergeSummary = new sfn.Pass(scope, S.MergeShadowSummary, {
    parameters: { 'evaluation.$': 'States.JsonMerge($.evaluation, $.shadowPatch, false)' },
    resultPath: '$.shadowMerged',
  }).next(keepSummary);
  const summarizeShadow = new sfn.Pass(scope, S.SummarizeShadow, {
    parameters: { 'summary.$': "States.Format('{}\n{}', $.evaluation.summary, $.shadowComparison.summary)" },
    resultPath: '$.shadowPatch',
  }).next(mergeSummary);
  const rejectPackage = ctx
    .guard(
      updateModelPackage(
        ctx,
        S.RejectShadowedPackage,
        'Rejected',
        sfn.JsonPath.format('Run {}: {}', sfn.JsonPath.stringAt('$.run.id'), sfn.JsonPath.stringAt('$.result.outcome')),
      ),
      'SageMaker',
    )
    .next(summarizeShadow);
  const restore = switchEndpointConfig(ctx, {
    update: S.RestoreServingConfig,
    configPath: '$.shadowServing.endpointConfigName',
    poll: {
      init: S.InitRestorePoll,
      wait: S.WaitRestoreEndpoint,
      poll: S.PollRestoreEndpoint,
      count: S.CountRestorePoll,
      check: S.CheckRestored,
    },
    failed: S.RestoreFailed,
    limit: S.RestorePollLimit,
    next: rejectPackage,
  });
  const markRejected = outcome(ctx, S.MarkShadowRejected, SHADOW_REJECTED, {
    ...PACKAGE_EXTRA,
    'shadow.$': '$.shadowComparison',
  }).next(restore);

  const check = new sfn.Choice(scope, S.CheckShadowComparison)
    .when(sfn.Condition.booleanEquals('$.shadowComparison.passed', true), exits.deploy)
    .otherwise(markRejected);
  const bake = new sfn.Wait(scope, S.BakeShadow, {
    time: sfn.WaitTime.duration(Duration.minutes(config.shadow.bakeMinutes)),
  });
  bake.next(compare).next(check);

  const start = switchEndpointConfig(ctx, {
    update: S.StartShadow,
    configPath: '$.shadowConfig.configName',
    poll: {
      init: S.InitShadowPoll,
      wait: S.WaitShadowEndpoint,
      poll: S.PollShadowEndpoint,
      count: S.CountShadowPoll,
      check: S.CheckShadowDeployed,
    },
    failed: S.ShadowEndpointFailed,
    limit: S.ShadowPollLimit,
    next: bake,
  });
  describeServingConfig.next(nameConfig).next(createConfig).next(start);
  adoptShadowConfig(ctx, createConfig, start);

  const describe = ctx.guard(describeEndpoint(ctx, S.DescribeShadowEndpoint, '$.shadowEndpoint'), 'SageMaker');
  describe.next(
    new sfn.Choice(scope, S.CheckShadowEndpoint)
      .when(sfn.Condition.stringEquals('$.shadowEndpoint.status', 'InService'), describeServingConfig)
      .otherwise(exits.deploy),
  );
  // First deploy (no endpoint when the run looked): no shadow phase.
  return new sfn.Choice(scope, S.CheckShadowServing)
    .when(sfn.Condition.booleanEquals('$.serving.exists', true), describe)
    .otherwise(exits.deploy);
}

/**
 * As phases/idempotent.ts, outside a Parallel: a failed CreateShadowEndpointConfig describes the config of that name;
 * the same serving model in production and the candidate in shadow continue, another config fails the run as a
 * conflict, no config at all fails it with the create's own error (both down the failure path).
 */
function adoptShadowConfig(ctx: PhaseContext, create: tasks.CallAwsService, next: sfn.IChainable): void {
  // The create's own error, down the failure path.
  const failed = new sfn.Pass(ctx.scope, S.ShadowConfigFailed, {
    parameters: { 'Error.$': '$.createError.Error', 'Cause.$': '$.createError.Cause' },
    resultPath: ERROR_PATH,
  });
  failed.next(ctx.notifyFailure);
  create.addCatch(
    ctx
      .retryOnly(
        describeEndpointConfig(ctx, S.DescribeExistingShadowConfig, {
          iamResource: ctx.arns.endpointConfig,
          namePath: '$.shadowConfig.configName',
          resultSelector: {
            'modelName.$': '$.ProductionVariants[0].ModelName',
            'shadowModelName.$': '$.ShadowProductionVariants[0].ModelName',
          },
          resultPath: '$.existingShadowConfig',
        }),
        'SageMaker',
      )
      .addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: '$.describeError' })
      .next(
        new sfn.Choice(ctx.scope, S.CheckExistingShadowConfig)
          .when(
            sfn.Condition.and(
              sfn.Condition.stringEqualsJsonPath('$.existingShadowConfig.modelName', '$.shadowServing.modelName'),
              sfn.Condition.stringEqualsJsonPath('$.existingShadowConfig.shadowModelName', '$.run.candidateModelName'),
            ),
            next,
          )
          .otherwise(
            ctx.failWith(
              S.ShadowConfigConflict,
              PipelineErrors.ResourceConflict,
              "States.Format('Endpoint config {} already exists serving {} with shadow {}', $.shadowConfig.configName, $.existingShadowConfig.modelName, $.existingShadowConfig.shadowModelName)",
            ),
          ),
      ),
    { errors: [sfn.Errors.ALL], resultPath: '$.createError' },
  );
}
