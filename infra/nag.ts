import { type App, Stack, Token, Validations } from 'aws-cdk-lib';
import type { PolicyValidationPluginReport } from 'aws-cdk-lib/core/lib/validation/report';
import type { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * Reviewed cdk-nag findings. cdk-nag 3 acknowledges findings one by one (`Rule[finding]`); rather than
 * hard-coding logical IDs, each entry matches a rule, a finding pattern and the construct paths it covers, and
 * carries the reason it is acceptable there. A finding on any other construct stays a finding, and an entry that
 * matches no finding is stale: both fail the nag test and `cdk synth`.
 */
export interface ReviewedFinding {
  readonly rule: string;
  /** Matches the text inside `[...]` of the finding id (absent = the rule has no detail). */
  readonly finding?: RegExp;
  /** Matches the construct path of each offending resource this entry covers (anchored). */
  readonly path: RegExp;
  readonly reason: string;
}

/** An anchored alternation of construct paths (`/` and spaces as in the tree). */
function paths(...alternatives: string[]): RegExp {
  return new RegExp(`^(?:${alternatives.join('|')})$`);
}

const POLICY = '/DefaultPolicy/Resource';
// Firehose delivery streams: telemetry, labels, predictions and the inference Lambda's refused readings (sensor_faults).
const FIREHOSE_STREAMS = '(?:TelemetryStream|LabelsStream|Predictions/Stream|SensorFaults/Stream)';
const FIREHOSE_ROLES = `OccupancyIngestion/${FIREHOSE_STREAMS}/(?:S3 Destination Role|Service Role)${POLICY}`;
// The monitor's, the shadow comparison's and the sensor health functions are constructs' children
// (infra/stacks/monitor.ts, shadow-compare.ts, sensor-health.ts): OccupancyPipeline/Monitor/Function, ….
const CONSTRUCT_FUNCTIONS = 'Monitor/Function|ShadowCompare/Function|SensorHealth/(?:Notify)?Function';
const PIPELINE_FUNCTION_ROLES = `OccupancyPipeline/(?:[A-Za-z]+Function|${CONSTRUCT_FUNCTIONS})/ServiceRole${POLICY}`;
const INFERENCE_ROLE = `OccupancyServing/InferOccupancy/ServiceRole${POLICY}`;
const STATE_MACHINE_ROLE =
  'OccupancyPipeline/Retraining/StateMachine/Role/(?:DefaultPolicy|OverflowPolicy\\d+)/Resource';
const SAGEMAKER_ROLE = `OccupancyServing/SageMakerExecutionRole${POLICY}`;
const FUNCTIONS = `(?:OccupancyPipeline/(?:[A-Za-z]+Function|${CONSTRUCT_FUNCTIONS})|OccupancyServing/InferOccupancy)`;
const APPROVAL_METHODS = 'OccupancyPipeline/ApprovalApi/Default/approval/(?:GET|POST)/Resource';

export const REVIEWED_FINDINGS: readonly ReviewedFinding[] = [
  {
    rule: 'AwsSolutions-IAM5',
    finding:
      /^Resource::arn:<AWS::Partition>:iot:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):topic\/\$aws\/things\/\*\/shadow\/update$/,
    path: paths(INFERENCE_ROLE),
    reason:
      'The inference Lambda answers any thermostat that reports: it may publish only to the shadow update topic of a thing, never elsewhere.',
  },
  {
    rule: 'AwsSolutions-IAM4',
    finding: /AWSLambdaBasicExecutionRole$/,
    path: paths(`${FUNCTIONS}/ServiceRole/Resource`),
    reason:
      'AWS managed policy for Lambda logging only (CreateLogStream/PutLogEvents), attached by the Lambda construct.',
  },
  {
    rule: 'AwsSolutions-IAM4',
    finding: /AmazonAPIGatewayPushToCloudWatchLogs$/,
    path: paths('OccupancyPipeline/ApprovalApi/CloudWatchRole/Resource'),
    reason: 'AWS managed policy of the API Gateway account logging role: it only lets API Gateway write its own logs.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Action::(kms:(GenerateDataKey|ReEncrypt)\*|s3:(Abort|GetObject|GetBucket|List|DeleteObject)\*)$/,
    path: paths(FIREHOSE_ROLES, PIPELINE_FUNCTION_ROLES, STATE_MACHINE_ROLE, SAGEMAKER_ROLE),
    reason: 'CDK grant helpers for S3 object access and KMS data keys: action families, on specific buckets/keys only.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding:
      /^Resource::(<[^>]*(Lake|Artifacts)[^>]*>|OccupancyIngestion:ExportsOutputFnGetAtt(Lake|Artifacts)[A-Za-z0-9]+)\/(\*|predictions\/\*|labels\/\*|athena\/\*|capture\/\*|telemetry\/\*|sensor_faults\/\*|health\/\*|runs\/\*(\/(athena|data\/(train|validation|holdout))\/\*)?)$/,
    path: paths(FIREHOSE_ROLES, PIPELINE_FUNCTION_ROLES, STATE_MACHINE_ROLE, SAGEMAKER_ROLE),
    reason:
      'Objects under the lake/artifacts buckets (or their run-scoped prefixes: the Athena folder and split prefixes a run writes; the monitor: the predictions/labels tables and Athena results; the shadow comparison: those and the data capture prefix, read only; the sensor health check: the telemetry and sensor_faults tables read, its reports under health/ written, which its notifier reads): keys are created per run, per day, per capture hour and per check.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding:
      /^Resource::arn:<AWS::Partition>:sagemaker:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):(automl-job|processing-job|training-job|hyper-parameter-tuning-job|transform-job|model|endpoint-config|model-package\/[a-z0-9-]+)\/(occ-)?\*$/,
    path: paths(STATE_MACHINE_ROLE, SAGEMAKER_ROLE, `OccupancyPipeline/Monitor/Function/ServiceRole${POLICY}`),
    reason:
      "SageMaker job, model and config names are derived per run (execution hash); the ARNs are scoped by type and prefix (the monitor: Describe only, of the serving endpoint's configs and models, and ListTags of those models).",
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding:
      /^Resource::arn:<AWS::Partition>:glue:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):table\/occupancy\/\*$/,
    path: paths(STATE_MACHINE_ROLE),
    reason: 'Athena export queries read the tables of the occupancy database (telemetry, labels) through Glue.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding:
      /^Resource::arn:<AWS::Partition>:(logs:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):log-group:\/aws\/sagemaker\/\*|ecr:(<AWS::Region>|[a-z0-9-]+):\*:repository\/\*)$/,
    path: paths(SAGEMAKER_ROLE),
    reason:
      'SageMaker job log groups are named per job; AWS-owned Autopilot images live in service accounts that vary by region.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::\*$/,
    path: paths(PIPELINE_FUNCTION_ROLES, INFERENCE_ROLE, STATE_MACHINE_ROLE, SAGEMAKER_ROLE),
    reason:
      'X-Ray segments, cloudwatch:PutMetricData, ecr:GetAuthorizationToken and the CloudWatch Logs delivery actions Step Functions logging needs support no resource-level permissions.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::\*$/,
    path: paths(`OccupancyIngestion/${FIREHOSE_STREAMS}/S3 Destination Role${POLICY}`),
    reason:
      'Parquet conversion: CDK’s SchemaConfiguration adds glue:GetSchemaVersion on * (for Glue Schema Registry schemas) beside GetTable on the lake tables; this account has no registry schemas for it to read, the conversion reads the Glue table.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::<ApprovalTokens[A-Za-z0-9]+\.Arn>\/index\/\*$/,
    path: paths(`OccupancyPipeline/Approval(?:Callback|Request)Function/ServiceRole${POLICY}`),
    reason: 'CDK table grant includes its secondary indexes; the callback queries the byModelPackage index.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding:
      /^Resource::arn:<AWS::Partition>:states:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):execution:occupancy-retraining:\*$/,
    path: paths(STATE_MACHINE_ROLE),
    reason:
      'DescribeExecution of the single-run lock holder: any execution of this state machine only (execution names are chosen at start).',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::<[A-Za-z0-9]+Function[A-Za-z0-9]+\.Arn>:\*$/,
    path: paths(STATE_MACHINE_ROLE),
    reason: 'The state machine may invoke any version/alias of its own task functions (CDK LambdaInvoke grant).',
  },
  {
    rule: 'AwsSolutions-L1',
    path: paths(`${FUNCTIONS}/Resource`),
    reason:
      'Node.js 22 (LTS) is the runtime the project targets and tests against; moving to 24 is a deliberate upgrade.',
  },
  {
    rule: 'AwsSolutions-APIG4',
    path: paths(APPROVAL_METHODS),
    reason:
      'The approval links are authorised by a single-use 256-bit secret in the link (hashed in DynamoDB, compared in constant time), since e-mail recipients hold no AWS identity.',
  },
  {
    rule: 'AwsSolutions-COG4',
    path: paths(APPROVAL_METHODS),
    reason:
      'No Cognito user pool: approvers authenticate with the single-use secret e-mailed to the notification list.',
  },
  {
    rule: 'AwsSolutions-APIG3',
    path: paths('OccupancyPipeline/ApprovalApi/DeploymentStage\\.prod/Resource'),
    reason:
      'Low-volume approval API (a few requests a day) protected by stage throttling (5 rps); WAF adds cost without benefit here.',
  },
];

type Violation = PolicyValidationPluginReport['violations'][number];

function parseRule(ruleName: string): { rule: string; finding?: string } {
  const match = /^([^[]+)(?:\[(.*)\])?$/.exec(ruleName);
  return { rule: match?.[1] ?? ruleName, finding: match?.[2] };
}

export function reviewFor(
  ruleName: string,
  constructPath: string,
  reviewed: readonly ReviewedFinding[] = REVIEWED_FINDINGS,
): ReviewedFinding | undefined {
  const { rule, finding } = parseRule(ruleName);
  return reviewed.find(
    (r) =>
      r.rule === rule &&
      (r.finding === undefined || (finding !== undefined && r.finding.test(finding))) &&
      r.path.test(constructPath),
  );
}

/**
 * cdk-nag's standalone scan prints `<AWS::Region>`/`<AWS::AccountId>` where the synth-time scan prints the
 * stack's concrete environment; acknowledge both spellings of the same finding.
 */
function findingIdVariants(ruleName: string, construct: IConstruct): string[] {
  const stack = Stack.of(construct);
  let concrete = ruleName;
  if (!Token.isUnresolved(stack.region)) concrete = concrete.split('<AWS::Region>').join(stack.region);
  if (!Token.isUnresolved(stack.account)) concrete = concrete.split('<AWS::AccountId>').join(stack.account);
  return [...new Set([ruleName, concrete])];
}

function findConstruct(app: App, path: string): IConstruct | undefined {
  return app.node.findAll().find((c) => c.node.path === path);
}

export interface ReviewResult {
  /** Findings no entry covers (rule and construct path). */
  readonly unreviewed: Violation[];
  /** Entries that covered no finding: delete them (or fix their path) rather than keep acknowledging nothing. */
  readonly stale: ReviewedFinding[];
}

/** Unreviewed findings or stale entries, named. */
export class NagReviewError extends Error {
  constructor(
    message: string,
    readonly result: ReviewResult,
  ) {
    super(message);
    this.name = 'NagReviewError';
  }

  static check(result: ReviewResult): void {
    const lines = [
      ...result.unreviewed.flatMap((v) =>
        v.violatingResources.map((r) => `unreviewed: ${v.ruleName} @ ${r.constructPath ?? '?'}`),
      ),
      ...result.stale.map((r) => `stale: ${r.rule}${r.finding ? ` ${r.finding}` : ''} @ ${r.path} (${r.reason})`),
    ];
    if (lines.length > 0) throw new NagReviewError(`cdk-nag review (infra/nag.ts):\n${lines.join('\n')}`, result);
  }
}

/** Runs the pack once, acknowledges the findings the table covers (with its reason), returns the rest and stale entries. */
export function acknowledgeReviewedFindings(
  app: App,
  pack: AwsSolutionsChecks,
  reviewed: readonly ReviewedFinding[] = REVIEWED_FINDINGS,
): ReviewResult {
  const report = pack.validateScope(app);
  const unreviewed: Violation[] = [];
  const used = new Set<ReviewedFinding>();
  for (const violation of report.violations) {
    const left = violation.violatingResources.filter((resource) => {
      const path = resource.constructPath ?? '';
      const review = reviewFor(violation.ruleName, path, reviewed);
      const construct = review ? findConstruct(app, path) : undefined;
      if (!review || !construct) return true;
      used.add(review);
      for (const id of findingIdVariants(violation.ruleName, construct)) {
        Validations.of(construct).acknowledge({ id, reason: review.reason });
      }
      return false;
    });
    if (left.length > 0) unreviewed.push({ ...violation, violatingResources: left });
  }
  return { unreviewed, stale: reviewed.filter((r) => !used.has(r)) };
}
