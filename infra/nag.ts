import { type App, Stack, Token, Validations } from 'aws-cdk-lib';
import type { PolicyValidationPluginReport } from 'aws-cdk-lib/core/lib/validation/report';
import type { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * Reviewed cdk-nag findings. cdk-nag 3 acknowledges findings one by one (`Rule[finding]`); rather than
 * hard-coding logical IDs, each entry matches a rule and a finding pattern and carries the reason it is
 * acceptable here. Anything not matched stays a finding and fails the nag test.
 */
export interface ReviewedFinding {
  readonly rule: string;
  /** Matches the text inside `[...]` of the finding id (absent = the rule has no detail). */
  readonly finding?: RegExp;
  /** Matches the construct path of the offending resource. */
  readonly path?: RegExp;
  readonly reason: string;
}

export const REVIEWED_FINDINGS: readonly ReviewedFinding[] = [
  {
    rule: 'AwsSolutions-IAM5',
    finding:
      /^Resource::arn:<AWS::Partition>:iot:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):topic\/\$aws\/things\/\*\/shadow\/update$/,
    path: /\/InferOccupancy\//,
    reason:
      'The inference Lambda answers any thermostat that reports: it may publish only to the shadow update topic of a thing, never elsewhere.',
  },
  {
    rule: 'AwsSolutions-S1',
    path: /\/AccessLogs\//,
    reason: 'The server access log bucket itself; logging it into itself would loop.',
  },
  {
    rule: 'AwsSolutions-IAM4',
    finding: /AWSLambdaBasicExecutionRole|AmazonAPIGatewayPushToCloudWatchLogs/,
    reason: 'AWS managed policies scoped to logging only (Lambda basic execution, API Gateway account logging role).',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Action::(kms:(GenerateDataKey|ReEncrypt)\*|s3:(Abort|GetObject|GetBucket|List|DeleteObject)\*)$/,
    reason: 'CDK grant helpers for S3 object access and KMS data keys: action families, on specific buckets/keys only.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding:
      /^Resource::(<[^>]*(Lake|Artifacts)[^>]*>|OccupancyIngestion:ExportsOutputFnGetAtt(Lake|Artifacts)[A-Za-z0-9]+)\/(\*|runs\/\*|legacy\/\*)$/,
    reason:
      'Objects under the lake/artifacts buckets (or their run-scoped prefixes): keys are created per run and per day.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding:
      /^Resource::arn:<AWS::Partition>:sagemaker:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):(automl-job|processing-job|training-job|hyper-parameter-tuning-job|transform-job|model|endpoint-config|model-package\/[a-z0-9-]+)\/(occ-)?\*$/,
    reason:
      'SageMaker job, model and config names are derived per run (execution hash); the ARNs are scoped by type and prefix.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding:
      /^Resource::arn:<AWS::Partition>:(glue:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):table\/occupancy\/\*|logs:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):log-group:\/aws\/sagemaker\/\*|ecr:(<AWS::Region>|[a-z0-9-]+):\*:repository\/\*|iot:(<AWS::Region>|[a-z0-9-]+):(<AWS::AccountId>|\d{12}):thing\/\*)$/,
    reason:
      'Tables of the occupancy database; SageMaker job log groups; AWS-owned Autopilot images (account varies by region); every thermostat thing shadow.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::\*$/,
    reason:
      'cloudwatch:PutMetricData, ecr:GetAuthorizationToken and X-Ray PutTraceSegments support no resource-level permissions.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::(<[^>]*Logs[^>]*\.Arn>:\*|arn:<AWS::Partition>:logs:.*)$/,
    reason: 'Log streams inside the stack-owned, KMS-encrypted log groups are created at run time.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::<ApprovalTokens[A-Za-z0-9]+\.Arn>\/index\/\*$/,
    reason: 'CDK table grant includes its secondary indexes; the callback queries the byModelPackage index.',
  },
  {
    rule: 'AwsSolutions-IAM5',
    finding: /^Resource::<[A-Za-z0-9]+Function[A-Za-z0-9]+\.Arn>:\*$/,
    reason: 'The state machine may invoke any version/alias of its own task functions (CDK LambdaInvoke grant).',
  },
  {
    rule: 'AwsSolutions-L1',
    reason:
      'Node.js 22 (LTS) is the runtime the project targets and tests against; moving to 24 is a deliberate upgrade.',
  },
  {
    rule: 'AwsSolutions-APIG4',
    reason:
      'The approval links are authorised by a single-use 256-bit secret in the link (hashed in DynamoDB, compared in constant time), since e-mail recipients hold no AWS identity.',
  },
  {
    rule: 'AwsSolutions-COG4',
    reason:
      'No Cognito user pool: approvers authenticate with the single-use secret e-mailed to the notification list.',
  },
  {
    rule: 'AwsSolutions-APIG3',
    reason:
      'Low-volume approval API (a few requests a day) protected by stage throttling (5 rps); WAF adds cost without benefit here.',
  },
];

type Violation = PolicyValidationPluginReport['violations'][number];

function parseRule(ruleName: string): { rule: string; finding?: string } {
  const match = /^([^[]+)(?:\[(.*)\])?$/.exec(ruleName);
  return { rule: match?.[1] ?? ruleName, finding: match?.[2] };
}

export function reviewFor(ruleName: string, constructPath: string): ReviewedFinding | undefined {
  const { rule, finding } = parseRule(ruleName);
  return REVIEWED_FINDINGS.find(
    (r) =>
      r.rule === rule &&
      (r.finding === undefined || (finding !== undefined && r.finding.test(finding))) &&
      (r.path === undefined || r.path.test(constructPath)),
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

/** Runs the pack once, acknowledges the findings the table covers (with its reason), returns the rest. */
export function acknowledgeReviewedFindings(app: App, pack: AwsSolutionsChecks): Violation[] {
  const report = pack.validateScope(app);
  const unreviewed: Violation[] = [];
  for (const violation of report.violations) {
    const left = violation.violatingResources.filter((resource) => {
      const path = resource.constructPath ?? '';
      const review = reviewFor(violation.ruleName, path);
      const construct = review ? findConstruct(app, path) : undefined;
      if (!review || !construct) return true;
      for (const id of findingIdVariants(violation.ruleName, construct)) {
        Validations.of(construct).acknowledge({ id, reason: review.reason });
      }
      return false;
    });
    if (left.length > 0) unreviewed.push({ ...violation, violatingResources: left });
  }
  return unreviewed;
}
