import { App } from 'aws-cdk-lib';
import { synthesizeChecked } from './synth';

/** `npx cdk synth` / `npx cdk deploy --all`: offline synth needs no credentials (no lookups). */
synthesizeChecked(new App());
