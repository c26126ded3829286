import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadInfraConfig } from './config';
import { acknowledgeReviewedFindings } from './nag';
import { buildStacks } from './stacks';

/** `npx cdk synth` / `npx cdk deploy --all`: offline synth needs no credentials (no lookups). */
const app = new App();
buildStacks(app, loadInfraConfig(app));
// A first synth resolves cross-stack references into the tree, so findings carry the ids the checked synth reports.
app.synth();
const pack = new AwsSolutionsChecks(app);
acknowledgeReviewedFindings(app, pack);
Validations.of(app).addPlugins(pack);
app.synth({ force: true });
