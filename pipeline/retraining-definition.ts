import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { PipelineConfig } from './config';
import { buildAutoML } from './phases/automl';
import { createContext, topicFromArn } from './phases/context';
import { buildTrigger } from './phases/cooldown';
import { buildDeploy } from './phases/deploy';
import { buildEvaluateAndGate } from './phases/evaluate-gate';
import { buildExport } from './phases/export';
import { buildFailurePath } from './phases/failure';
import { buildReport } from './phases/report';
import { buildRunIdentity } from './phases/run-identity';
import { buildCandidateContainers, buildScoring } from './phases/scoring';
import { buildServingLookup } from './phases/serving-lookup';
import { buildShadow, type ShadowProps } from './phases/shadow';

/**
 * The retraining state machine as a pure function of its props: no stack-level resources are
 * created here, only states. IAM statements the states need are returned for the caller to attach
 * (the construct attaches them to the state machine role). JSONPath only: the local runner
 * (aws-local-stepfunctions) does not support JSONata. Each phase is built in `phases/`.
 */

/**
 * The split plan (one row: status, message, cutoffs, per-split class counts; features/split-plan.ts) and the three
 * Athena queries (one per time split), each a SELECT of the features + `occupied`.
 */
export interface ExportQueries {
  /**
   * The training window's first day (one row, column `window_start`). When set, every other query holds one `{}`
   * placeholder per scan of a lake table, which the state machine fills with that day. @default all history
   */
  readonly trainingWindow?: string;
  /**
   * Set when the split plan's row ends with FLAG_COUNT_COLUMNS (features/split-plan.ts): the run reports them, and
   * whether the splits leave the flagged readings out. @default the plan has no flag counts
   */
  readonly flaggedReadings?: { readonly excluded: boolean };
  readonly splitPlan: string;
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
  /**
   * CheckRetrainingCooldown (tasks/retraining-cooldown.ts) for runs started by evidence (phases/cooldown.ts).
   * @default none: evidence-started runs have no cooldown
   */
  readonly cooldownFunction?: lambda.IFunction;
  /** Shadow before canary (phases/shadow.ts): the comparison Lambda and the capture prefix. @default no shadow phase */
  readonly shadow?: ShadowProps;
  /** CloudWatch alarm names SageMaker watches during the canary (rollback on ALARM). */
  readonly rollbackAlarmNames: readonly string[];
  /** Name of the state machine: the single-run lock's key, and the ARN prefix of its executions. */
  readonly stateMachineName: string;
  /** The single-run lock's table (partition key `lockId`, a string): see phases/run-lock.ts. */
  readonly runLockTable: dynamodb.ITable;
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

export function buildRetrainingDefinition(scope: Construct, props: RetrainingDefinitionProps): RetrainingDefinition {
  const { config } = props;
  const statements: iam.PolicyStatement[] = [];
  const notifyFailure = buildFailurePath(scope, topicFromArn(scope, props.notificationTopicArn), {
    table: props.runLockTable,
    lockName: props.stateMachineName,
  });
  const ctx = createContext(scope, props, notifyFailure, statements);

  // Built back to front: each phase is given the state it continues to.
  const report = buildReport(ctx);
  const deploy = buildDeploy(ctx, report);
  const decide = buildEvaluateAndGate(ctx, { deploy: buildShadow(ctx, props.shadow, { deploy, report }), report });
  const score = buildScoring(ctx).next(decide);
  const lookupServing = buildServingLookup(ctx, score);
  const automl = buildAutoML(ctx, buildCandidateContainers(ctx, lookupServing));
  const definition = buildRunIdentity(ctx, buildTrigger(ctx, buildExport(ctx, automl, report)));

  const timeout = Duration.seconds(
    config.autoML.maxJobRuntimeSeconds +
      config.approvalTimeoutSeconds +
      config.canary.maxExecutionTimeoutSeconds +
      config.poll.endpointSeconds * config.poll.endpointMaxIterations * (props.shadow ? 3 : 1) +
      (props.shadow ? config.shadow.bakeMinutes * 60 : 0) +
      6 * 3600,
  );
  return { definition, policyStatements: statements, timeout };
}
