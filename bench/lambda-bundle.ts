import { statSync } from 'node:fs';
import { build } from 'esbuild';

/**
 * `entry` bundled as infra/stacks/node-function.ts has CDK's NodejsFunction bundle it (local esbuild, minified,
 * source map, node22, cjs, DuckDB external). The bench and the bundled-handler tests run this file.
 */
export async function bundleLambda(entry: string, outfile: string): Promise<{ file: string; bytes: number }> {
  await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    sourcemap: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    outfile,
    external: ['@duckdb/node-api', '@duckdb/node-bindings'],
    logLevel: 'error',
  });
  return { file: outfile, bytes: statSync(outfile).size };
}
