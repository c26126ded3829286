import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ExportManifest } from '../local/export';
import { compareExports, type SampleComparison } from './features-compare';
import { BENCH_START, generateBenchLake } from './features-data';

/**
 * Feature throughput, all measured in one run on the same generated lake:
 *   npm run bench:features -- [--readings N] [--devices D] [--ts-readings M] [--sample S] [--dir DIR] [--keep]
 *     [--no-peer] [--duckdb-memory-limit 5GB]
 * (default 10 000 000 readings over 5 796 devices = 4 meter types × 1 449 buildings, once a minute; the seed's
 * two weeks are --readings 117000000). Prints one JSON object on stdout; progress on stderr.
 * - The lake is generated in SQL by DuckDB into the lake layout (bench/features-data.ts), never held in JS memory.
 * - DuckDB: `exportDataset` (local/export.ts) in a child process (bench/features-duckdb.ts), timed whole.
 * - Peer: the same export with nodejs-polars in a child process (bench/features-polars.ts), at the DuckDB
 *   export's cutoffs, timed whole; the two outputs are checked equal on a sample (`sample_equal`).
 * - TS: FleetFeatureEvaluator.stepBatch over the lake's first M deduplicated readings (bench/features-ts.ts);
 *   ts_object_api_vectors_per_s: the first million through stepFeatures (the Lambda's object API).
 * Rows/s count readings (distinct (device, time)); peak RSS is each child's own (DuckDB runs in-process).
 * A reused --dir keeps its lake (generated once) and is not deleted.
 */

function argument(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const readings = argument('readings', 10_000_000);
const devices = argument('devices', 4 * 1449);
const tsReadings = argument('ts-readings', Math.min(readings, 10_000_000));
const sample = argument('sample', 1000);
const dirIndex = process.argv.indexOf('--dir');
const givenDir = dirIndex < 0 ? undefined : process.argv[dirIndex + 1];
const keep = process.argv.includes('--keep') || givenDir !== undefined;
// The peer holds the whole export in memory (~0.4 GB per million readings here): at 117 M it cannot fit in 24 GB.
const noPeer = process.argv.includes('--no-peer');

/** Why the polars peer cannot run here (its native module is missing), before minutes of generating data. */
function peerUnavailable(): string | undefined {
  try {
    require('nodejs-polars');
    return undefined;
  } catch (error) {
    // nodejs-polars' native package declares Node >= 22, so npm skips it on older Node (the project's engines: >=22).
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return `the polars peer cannot load nodejs-polars on Node ${process.version} (${reason}); run on Node 22 (npm ci installs its native module there) or pass --no-peer`;
  }
}
const memoryLimitIndex = process.argv.indexOf('--duckdb-memory-limit');
/** DuckDB's memory_limit for the export (e.g. 5GB); default: as the product runs it (DuckDB's own default). */
const memoryLimit = memoryLimitIndex < 0 ? undefined : process.argv[memoryLimitIndex + 1];
const progress = (message: string): void => {
  process.stderr.write(`[bench:features] ${new Date().toISOString().slice(11, 19)} ${message}\n`);
};
const load = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);

/**
 * Runs a bench child under tsx in `cwd`; its last stdout line is its JSON report. The cwd is the bench dir: an
 * in-memory DuckDB spills into `<cwd>/.tmp`, which must not be the repository (117 M readings spilled 34 GB there).
 */
function child<T>(script: string, args: readonly string[], cwd: string): T {
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  const run = spawnSync(process.execPath, ['--import', tsx, join(__dirname, script), ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const last = run.stdout?.trim().split('\n').pop();
  if (run.status !== 0 || !last) throw new Error(`${script} failed (exit ${run.status ?? run.signal})`);
  return JSON.parse(last) as T;
}

interface DuckReport {
  seconds: number;
  statements: { sql: string; seconds: number }[];
  manifest: ExportManifest;
  duckdb_version: string;
  max_rss_mb: number;
}
interface PeerReport {
  seconds: number;
  rows: Record<string, number>;
  files: Record<string, string>;
  max_rss_mb: number;
}
interface TsReport {
  vectors: number;
  seconds: number;
  vectors_per_s: number;
  object_api_vectors_per_s: number;
  max_rss_mb: number;
}

async function main(): Promise<void> {
  const unavailable = noPeer ? undefined : peerUnavailable();
  if (unavailable) {
    process.stderr.write(`bench:features: ${unavailable}\n`);
    process.exitCode = 2;
    return;
  }
  const dir = resolve(givenDir ?? mkdtempSync(join(tmpdir(), 'bench-features-')));
  const loadBefore = load();
  try {
    let generateSeconds: number | null = null;
    if (!existsSync(join(dir, 'lake', 'manifest.json'))) {
      progress(`generating ${readings} readings over ${devices} devices in SQL into ${dir}/lake`);
      const begin = process.hrtime.bigint();
      await generateBenchLake(dir, readings, devices);
      generateSeconds = Number(process.hrtime.bigint() - begin) / 1e9;
    } else progress(`reusing the lake in ${dir}`);

    const duckOut = join(dir, 'out-duckdb');
    const peerOut = join(dir, 'out-polars');
    rmSync(duckOut, { recursive: true, force: true });
    rmSync(peerOut, { recursive: true, force: true });
    progress('duckdb: exportDataset');
    const duck = child<DuckReport>('features-duckdb.ts', [dir, duckOut, ...(memoryLimit ? [memoryLimit] : [])], dir);
    progress(`duckdb: ${duck.seconds.toFixed(1)} s, peak RSS ${duck.max_rss_mb} MB`);
    const { manifest } = duck;
    let peer: PeerReport | undefined;
    let comparison: SampleComparison | undefined;
    if (!noPeer) {
      progress('polars peer: the same export');
      peer = child<PeerReport>('features-polars.ts', [dir, peerOut, join(duckOut, 'manifest.json')], dir);
      progress(`polars: ${peer.seconds.toFixed(1)} s, peak RSS ${peer.max_rss_mb} MB`);
      progress(`comparing ${sample} sampled rows`);
      const columns = [...manifest.featureNames, 'occupied'];
      const splits = ['train', 'validation', 'holdout'];
      comparison = await compareExports(splits, manifest.files, peer.files, columns, {
        sample,
        tolerance: 1e-9,
        seed: 7,
      });
    }
    progress(`ts evaluator: ${tsReadings} readings`);
    const tsBound = BENCH_START + Math.ceil(tsReadings / devices) * 60_000;
    const ts = child<TsReport>('features-ts.ts', [dir, String(tsReadings), String(tsBound)], dir);

    const rowsOut = Object.values(manifest.rows).reduce((n, r) => n + r, 0);
    const duckRate = readings / duck.seconds;
    const peerRate = peer === undefined ? null : readings / peer.seconds;
    const polarsVersion = (
      JSON.parse(readFileSync(require.resolve('nodejs-polars/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    process.stdout.write(
      `${JSON.stringify({
        readings,
        devices,
        days: Math.ceil(Math.ceil(readings / devices) / 1440),
        start: new Date(BENCH_START).toISOString(),
        duckdb_export_rows_per_s: Math.round(duckRate),
        peer_export_rows_per_s: peerRate === null ? null : Math.round(peerRate),
        export_vs_peer: peerRate === null ? null : Math.round((duckRate / peerRate) * 100) / 100,
        ts_vectors_per_s: ts.vectors_per_s,
        peak_rss_mb: duck.max_rss_mb,
        peer_peak_rss_mb: peer?.max_rss_mb ?? null,
        duckdb_export_seconds: Math.round(duck.seconds * 10) / 10,
        duckdb_slowest_statements: duck.statements.slice(0, 4),
        peer_export_seconds: peer === undefined ? null : Math.round(peer.seconds * 10) / 10,
        rows_out: rowsOut,
        rows_out_by_split: manifest.rows,
        readings_left_out: manifest.readingsLeftOut,
        // The sensor health rule runs in the export (none flagged in this data, so the peer's rows stay comparable).
        readings_flagged: manifest.readingsFlagged,
        output_format: manifest.files.train.endsWith('.csv') ? 'csv' : 'parquet',
        sample_equal: comparison?.equal ?? null,
        sample_compared: comparison?.sampled ?? 0,
        sample_max_abs_diff: comparison?.maxAbsDiff ?? null,
        ...(comparison?.firstMismatch ? { sample_first_mismatch: comparison.firstMismatch } : {}),
        ...(noPeer ? { peer_skipped: '--no-peer' } : {}),
        ts_vectors: ts.vectors,
        ts_object_api_vectors_per_s: ts.object_api_vectors_per_s,
        ts_peak_rss_mb: ts.max_rss_mb,
        generate_seconds: generateSeconds === null ? null : Math.round(generateSeconds * 10) / 10,
        duckdb_version: duck.duckdb_version,
        duckdb_memory_limit: memoryLimit ?? 'default',
        nodejs_polars_version: polarsVersion,
        load_average_before: loadBefore,
        load_average_after: load(),
      })}\n`,
    );
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
