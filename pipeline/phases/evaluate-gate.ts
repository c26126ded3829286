import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { customSignalSet } from '../config';
import { awsRetry } from '../retry';
import { PipelineErrors, StateNames as S } from '../state-names';
import { putMetricData, updateModelPackage } from './calls';
import type { PhaseContext } from './context';

/** A `$.result` outcome Pass (modelPackageArn / endpointConfigName only for outcomes that have them). */
export function outcome(ctx: PhaseContext, id: string, value: string, extra: Record<string, unknown> = {}): sfn.Pass {
  return new sfn.Pass(ctx.scope, id, {
    parameters: { outcome: value, promoted: 0, deployed: 0, rolledBack: 0, ...extra },
    resultPath: '$.result',
  });
}

export const PACKAGE_EXTRA = { 'modelPackageArn.$': '$.registration.modelPackageArn' };

export interface DecisionExits {
  /** After an approval: the deploy phase. */
  readonly deploy: sfn.IChainable;
  /** Every outcome that deploys nothing (not-promoted, rejected, approval-timeout) goes here. */
  readonly report: sfn.IChainable;
}

/**
 * Evaluate → PublishEvaluationMetrics → Gate → RegisterModel → AwaitApproval. Rejection and timeout reject
 * the package and report; approval goes to the deploy phase.
 */
export function buildEvaluateAndGate(ctx: PhaseContext, exits: DecisionExits): sfn.IChainable {
  const { scope, props, config } = ctx;
  const evaluate = ctx.guard(
    new tasks.LambdaInvoke(scope, S.Evaluate, {
      lambdaFunction: props.evaluateFunction,
      payload: sfn.TaskInput.fromObject({
        runId: sfn.JsonPath.stringAt('$.run.id'),
        signalSetId: config.signalSetId,
        // A user's set is not known to the Lambda by id: the document rides along.
        ...(customSignalSet(config) ? { signalSet: customSignalSet(config) } : {}),
        // No static rule: the key is left out and Evaluate scores the fitted thresholds only.
        ...(config.staticRule
          ? { staticRule: { signal: config.staticRule.signal, level: config.staticRule.level } }
          : {}),
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
  const publishEvaluationMetrics = ctx.guard(
    putMetricData(ctx, S.PublishEvaluationMetrics, sfn.JsonPath.listAt('$.evaluation.metricData')),
    'CloudWatch',
  );
  const registerModel = ctx.guard(
    new tasks.CallAwsService(scope, S.RegisterModel, {
      service: 'sagemaker',
      action: 'createModelPackage',
      iamAction: 'sagemaker:CreateModelPackage',
      iamResources: [ctx.arns.modelPackageGroup, ctx.arns.modelPackage],
      parameters: {
        ModelPackageGroupName: config.modelPackageGroupName,
        ModelPackageDescription: sfn.JsonPath.stringAt('$.evaluation.summary'),
        ModelApprovalStatus: 'PendingManualApproval',
        // Idempotent by itself: a retried CreateModelPackage with the same token returns the same package.
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
    taskTimeout: sfn.Timeout.duration(Duration.seconds(config.approvalTimeoutSeconds)),
    retryOnServiceExceptions: false,
    resultPath: '$.approval',
  });
  awaitApproval.addRetry(awsRetry('Lambda'));
  const rejectModelPackage = ctx
    .guard(
      updateModelPackage(
        ctx,
        S.RejectModelPackage,
        'Rejected',
        sfn.JsonPath.format('Run {}: {}', sfn.JsonPath.stringAt('$.run.id'), sfn.JsonPath.stringAt('$.result.outcome')),
      ),
      'SageMaker',
    )
    .next(exits.report);
  const markRejected = outcome(ctx, S.MarkRejected, 'rejected', PACKAGE_EXTRA).next(rejectModelPackage);
  const markApprovalTimeout = outcome(ctx, S.MarkApprovalTimeout, 'approval-timeout', PACKAGE_EXTRA).next(
    rejectModelPackage,
  );
  awaitApproval.addCatch(markRejected, { errors: [PipelineErrors.ApprovalRejected], resultPath: '$.approvalError' });
  awaitApproval.addCatch(markApprovalTimeout, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.approvalError' });
  awaitApproval.addCatch(ctx.notifyFailure, { resultPath: '$.error' });

  const gate = new sfn.Choice(scope, S.Gate)
    .when(
      sfn.Condition.booleanEquals('$.evaluation.promote', true),
      registerModel.next(awaitApproval).next(exits.deploy),
    )
    .otherwise(outcome(ctx, S.MarkNotPromoted, 'not-promoted').next(exits.report));
  return evaluate.next(publishEvaluationMetrics).next(gate);
}
