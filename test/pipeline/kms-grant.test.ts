import { Match } from 'aws-cdk-lib/assertions';
import { synthRetraining } from './fixture';

/**
 * Issue 14, defect 2: CreateEndpoint/UpdateEndpoint with an endpoint config's KmsKeyId need
 * kms:CreateGrant for the caller (https://docs.aws.amazon.com/sagemaker/latest/dg/api-permissions-reference.html),
 * limited to grants SageMaker makes for its own resources.
 */

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };

describe('state machine role and the KMS key', () => {
  const { template } = synthRetraining({});
  const policies = template.findResources('AWS::IAM::Policy');
  const statements = Object.values(policies).flatMap(
    (p) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
  );
  const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

  it('may kms:CreateGrant on the key, for AWS resources via SageMaker only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'kms:CreateGrant',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
            Condition: {
              Bool: { 'kms:GrantIsForAWSResource': 'true' },
              StringEquals: { 'kms:ViaService': 'sagemaker.eu-west-1.amazonaws.com' },
            },
          }),
        ]),
      },
    });
  });

  it('has no other kms:CreateGrant statement (none unconditioned, none on other resources)', () => {
    const grants = statements.filter((s) => actionsOf(s).some((a) => a === 'kms:CreateGrant' || a === 'kms:*'));
    expect(grants).toHaveLength(1);
    expect(grants[0]?.Condition).toEqual({
      Bool: { 'kms:GrantIsForAWSResource': 'true' },
      StringEquals: { 'kms:ViaService': 'sagemaker.eu-west-1.amazonaws.com' },
    });
  });
});
