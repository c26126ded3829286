import { statSync } from 'node:fs';
import { build } from 'esbuild';
import { lambdaEsbuildOptions } from '../infra/stacks/lambda-bundling';

/**
 * `entry` bundled as CDK's NodejsFunction bundles it (infra/stacks/lambda-bundling.ts). The bench and the
 * bundled-handler tests run this file.
 */
export async function bundleLambda(entry: string, outfile: string): Promise<{ file: string; bytes: number }> {
  await build({ ...lambdaEsbuildOptions(entry, outfile), logLevel: 'error' });
  return { file: outfile, bytes: statSync(outfile).size };
}
