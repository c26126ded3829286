import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { acknowledgeReviewedFindings, NagReviewError, REVIEWED_FINDINGS, type ReviewedFinding } from '../../infra/nag';
import { synthesize } from './templates';

/** A stack holding one role whose policy allows X-Ray on every resource: the same finding the stacks' reviewed roles carry. */
function rogueApp(path: string): App {
  const app = new App();
  const stack = new Stack(app, 'OccupancyPipeline');
  const role = new iam.Role(stack, path, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['xray:PutTraceSegments'], resources: ['*'] }));
  return app;
}

describe('cdk-nag acknowledgements', () => {
  it('every entry names the construct paths it covers and the reason it is acceptable', () => {
    for (const review of REVIEWED_FINDINGS) {
      expect(review.path).toBeInstanceOf(RegExp);
      expect(review.path.source.startsWith('^')).toBe(true);
      expect(review.reason.length).toBeGreaterThan(40);
    }
  });

  it('the stacks: every finding is reviewed and every entry still matches a finding', () => {
    const { app } = synthesize({ notificationEmail: 'ops@example.com' });
    app.synth();
    const { unreviewed, stale } = acknowledgeReviewedFindings(app, new AwsSolutionsChecks(app));
    expect(unreviewed.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual([]);
    expect(stale.map((r) => `${r.rule} ${r.path}`)).toEqual([]);
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });

  it('a wildcard finding on a construct no entry covers stays unreviewed', () => {
    const app = rogueApp('RogueRole');
    app.synth();
    const { unreviewed } = acknowledgeReviewedFindings(app, new AwsSolutionsChecks(app));
    expect(unreviewed.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`))).toEqual([
      'AwsSolutions-IAM5[Resource::*] @ OccupancyPipeline/RogueRole/DefaultPolicy/Resource',
    ]);
  });

  it('an entry that matches no finding is stale, and stale entries fail the check', () => {
    const app = rogueApp('RogueRole');
    app.synth();
    const covering: ReviewedFinding = {
      rule: 'AwsSolutions-IAM5',
      finding: /^Resource::\*$/,
      path: /^OccupancyPipeline\/RogueRole\/DefaultPolicy\/Resource$/,
      reason: 'The test role writes X-Ray segments, which support no resource-level permissions.',
    };
    const staleEntry: ReviewedFinding = {
      rule: 'AwsSolutions-S1',
      path: /^OccupancyPipeline\/NoSuchBucket\/Resource$/,
      reason: 'An entry for a bucket that no longer exists: it must be deleted, not kept.',
    };
    const result = acknowledgeReviewedFindings(app, new AwsSolutionsChecks(app), [covering, staleEntry]);
    expect(result.unreviewed).toEqual([]);
    expect(result.stale).toEqual([staleEntry]);
    expect(() => NagReviewError.check(result)).toThrow(/stale.*AwsSolutions-S1.*NoSuchBucket/s);
  });
});
