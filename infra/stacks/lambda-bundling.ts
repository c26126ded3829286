import type { BuildOptions } from 'esbuild';

/**
 * How every Lambda is bundled: CDK's NodejsFunction options (node-function.ts), and the same options for the esbuild
 * builds the local runtime, the bundled-handler tests and the inference bench run, so they execute what deploys.
 */
export const LAMBDA_BUNDLING = {
  minify: true,
  sourceMap: true,
  target: 'node22',
  // DuckDB and the local runtime are never reached from the handlers; keep native modules out.
  externalModules: ['@duckdb/node-api', '@duckdb/node-bindings'],
} as const;

/** esbuild options equivalent to LAMBDA_BUNDLING (NodejsFunction bundles to CommonJS for the Node.js runtime). */
export function lambdaEsbuildOptions(
  entry: string,
  outfile: string,
  target: string = LAMBDA_BUNDLING.target,
): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourceMap,
    target,
    external: [...LAMBDA_BUNDLING.externalModules],
    outfile,
  };
}
