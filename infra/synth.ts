import { type App, Validations } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadInfraConfig } from './config';
import { acknowledgeReviewedFindings, NagReviewError } from './nag';
import { buildStacks } from './stacks';

/**
 * What `npx cdk synth` runs (infra/app.ts): the stacks from the app's context, cdk-nag AwsSolutions with the
 * reviewed findings acknowledged, and a synth that fails on an unreviewed finding or a stale acknowledgement.
 */
export function synthesizeChecked(app: App): CloudAssembly {
  buildStacks(app, loadInfraConfig(app));
  // A first synth resolves cross-stack references into the tree, so findings carry the ids the checked synth reports.
  app.synth();
  const pack = new AwsSolutionsChecks(app);
  NagReviewError.check(acknowledgeReviewedFindings(app, pack));
  Validations.of(app).addPlugins(pack);
  return app.synth({ force: true });
}
