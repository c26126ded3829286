import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { lambdaEsbuildOptions } from '../../infra/stacks/lambda-bundling';
import { writeFileAtomic } from '../fs';

/**
 * The Lambda bundles the local runtime runs: each entry under tasks/ built with esbuild the way CDK's NodejsFunction
 * builds it in infra/stacks/node-function.ts (bundle, minify, source map, CommonJS, DuckDB external), so the code a
 * local run executes is the code a deployment uploads. Built once per process and cached on disk: a bundle is
 * reused while none of the files it was built from changed (size and mtime of each esbuild input).
 */

const ROOT = resolve(__dirname, '..', '..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'occupancy-lambdas');

interface CacheMeta {
  readonly entry: string;
  readonly inputs: Record<string, string>;
}

const stamp = (path: string): string => {
  const s = statSync(path, { throwIfNoEntry: false });
  return s ? `${s.size}:${s.mtimeMs}` : 'missing';
};

function upToDate(metaPath: string, outfile: string, entry: string): boolean {
  if (!existsSync(metaPath) || !existsSync(outfile)) return false;
  try {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as CacheMeta;
    return meta.entry === entry && Object.entries(meta.inputs).every(([p, s]) => stamp(join(ROOT, p)) === s);
  } catch {
    return false;
  }
}

async function build(entry: string): Promise<string> {
  const name = createHash('sha256').update(entry).digest('hex').slice(0, 12);
  const dir = join(CACHE, name);
  const outfile = join(dir, 'index.js');
  const metaPath = join(dir, 'inputs.json');
  if (upToDate(metaPath, outfile, entry)) return outfile;
  mkdirSync(dir, { recursive: true });
  // Loaded only when a bundle is missing or stale: esbuild is a build tool, not needed to run a cached bundle.
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    // NodejsFunction targets node22 (the Lambda runtime); locally the bundle runs on this Node.
    // A folder of this process's own: two processes may build the same entry at once (the renames are atomic).
    ...lambdaEsbuildOptions(
      join(ROOT, entry),
      join(dir, `tmp-${process.pid}`, 'index.js'),
      `node${process.versions.node.split('.')[0]}`,
    ),
    metafile: true,
    logLevel: 'silent',
  });
  renameSync(join(dir, `tmp-${process.pid}`, 'index.js.map'), `${outfile}.map`);
  renameSync(join(dir, `tmp-${process.pid}`, 'index.js'), outfile);
  rmSync(join(dir, `tmp-${process.pid}`), { recursive: true, force: true });
  const inputs = Object.fromEntries(
    Object.keys(result.metafile.inputs).map((p) => {
      const rel = relative(ROOT, resolve(ROOT, p));
      return [rel, stamp(join(ROOT, rel))];
    }),
  );
  writeFileAtomic(metaPath, JSON.stringify({ entry, inputs } satisfies CacheMeta));
  return outfile;
}

const built = new Map<string, Promise<string>>();

/** Path of the bundle of `entry` (relative to the repository, e.g. "tasks/evaluate.ts"), built at most once. */
export function lambdaBundle(entry: string): Promise<string> {
  let pending = built.get(entry);
  if (!pending) {
    pending = build(entry);
    built.set(entry, pending);
    pending.catch(() => built.delete(entry));
  }
  return pending;
}
