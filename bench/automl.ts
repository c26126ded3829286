/**
 * `npx tsx bench/automl.ts [--skip-uci] [--skip-fleet] [--skip-sklearn] [--fleet 1m,20x14] [--max-seconds 30]`: JSON lines
 * `{dataset, engine, f1, accuracy, auc, train_seconds, peak_rss_mb}` for the local AutoML engine, the best
 * single-signal threshold and scikit-learn peers (skipped with a message when python3-sklearn is absent), on
 * (a) UCI Occupancy Detection (train datatraining.txt, holdouts datatest.txt and datatest2.txt) and
 * (b) simulated thermostat-fleet exports from the project's own simulator and exporter (`occupancy simulate` then
 * `occupancy baseline`): fleet-1m is 70 rooms × 10 days (≈1 M readings), fleet-20x14 is 20 rooms × 14 days.
 * Engines train on train + validation and are scored on holdout (the export's Parquet splits, also written as CSV). Exports are cached under
 * --fleet-root (default /tmp/occupancy-bench). The engine gets a 30 s job budget by default (`--max-seconds 0`: none);
 * its lines carry `max_seconds`. Each engine trains in its own child process so peak RSS is its own.
 * The pool line (`--skip-pool` to leave it out) times one fixed search (`--pool-candidates`, no budget) on
 * `--pool-dataset` with a candidate pool of 1 worker and of `--pool-size` (default: the cores), and prints
 * `{engine: 'automl-pool', seconds_pool_1, seconds_pool_n, ratio, same_leaderboard}` (goal: ratio ≤ 0.65), with
 * `cpu_spin_ratio_before/after` (n threads spinning vs one: 1.0 when the cores are free) to tell a busy machine,
 * and the winner's refit (serial, after the pool) apart: `refit_seconds_pool_1/n`, `ratio_without_refit`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { loadPredictor } from '../automl/artifact';
import { runSearchPool } from '../automl/pool';
import { concatTables, runSearch, type SearchResult } from '../automl/search';
import { applyThreshold, classificationMetrics, fitBestThreshold } from '../evaluation';
import type { LabelledTable } from '../telemetry/table';

const DATA = join(__dirname, '..', 'test', 'fixtures', 'uci-occupancy');
const UCI_FEATURES = ['Temperature', 'Humidity', 'Light', 'CO2', 'HumidityRatio'];
const FLEETS: Record<string, { rooms: number; days: number }> = {
  '1m': { rooms: 70, days: 10 },
  '20x14': { rooms: 20, days: 14 },
};

/** UCI files: header of 7 names, rows of 8 fields (a quoted row id first). */
function readUci(path: string): LabelledTable {
  const lines = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const rows = lines.slice(1).map((l) => l.split(','));
  const columns = UCI_FEATURES.map((_, c) => Float64Array.from(rows, (r) => Number(r[c + 2])));
  const target = Uint8Array.from(rows, (r) => Number(r[7]));
  return { names: UCI_FEATURES, columns, rowCount: rows.length, ignored: [], target, targetName: 'Occupancy' };
}

/** An all-numeric export CSV (header, target column named), parsed line by line to keep the footprint small. */
function readNumericCsv(path: string, targetName: string): LabelledTable {
  const text = readFileSync(path, 'latin1');
  let at = text.indexOf('\n');
  const header = text.slice(0, at).trim().split(',');
  const targetIndex = header.indexOf(targetName);
  if (targetIndex < 0) throw new Error(`${path}: no column "${targetName}"`);
  let rowCount = 0;
  for (let i = at + 1; i < text.length; i++) if (text.charCodeAt(i) === 10) rowCount++;
  if (!text.endsWith('\n')) rowCount++;
  const names = header.filter((_, i) => i !== targetIndex);
  const columns = names.map(() => new Float64Array(rowCount));
  const target = new Uint8Array(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const end = text.indexOf('\n', at + 1);
    const line = text.slice(at + 1, end < 0 ? text.length : end);
    at = end;
    const cells = line.split(',');
    let c = 0;
    for (let i = 0; i < cells.length; i++) {
      const v = cells[i] === '' ? Number.NaN : Number(cells[i]);
      if (i === targetIndex) target[r] = v === 1 ? 1 : 0;
      else {
        const col = columns[c++];
        if (col) col[r] = v;
      }
    }
  }
  return { names, columns, rowCount, ignored: [], target, targetName };
}

interface Dataset {
  readonly name: string;
  readonly train: LabelledTable;
  readonly validation: LabelledTable | undefined;
  readonly holdouts: { readonly name: string; readonly table: LabelledTable }[];
}

/** The export's Parquet splits also as CSV (header, `occupied` last): what this bench's reader and scikit-learn take. */
function splitCsvs(exportDir: string): string {
  if (existsSync(join(exportDir, 'holdout.csv'))) return exportDir;
  const copies = ['train', 'validation', 'holdout'].map(
    (s) => `await c.run("COPY '${join(exportDir, `${s}.parquet`)}' TO '${join(exportDir, `${s}.csv`)}' (HEADER)");`,
  );
  const code = `import { DuckDBInstance } from '@duckdb/node-api'; const c = await (await DuckDBInstance.create(':memory:')).connect(); ${copies.join(' ')}`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: join(__dirname, '..'),
    stdio: 'inherit',
  });
  if (run.status !== 0) throw new Error(`writing the CSVs of ${exportDir} exited ${run.status}`);
  return exportDir;
}

/** The fleet export folder, simulated and exported with the project CLI when not cached. */
function fleetExport(root: string, fleet: string): string {
  const spec = FLEETS[fleet];
  if (!spec) throw new Error(`unknown fleet "${fleet}" (one of ${Object.keys(FLEETS).join(', ')})`);
  const stateDir = join(root, `fleet-${fleet}`);
  const exportDir = join(stateDir, 'export');
  // A cache of the previous version holds only the CSVs; either form is a finished export.
  if (['holdout.parquet', 'holdout.csv'].some((f) => existsSync(join(exportDir, f)))) return splitCsvs(exportDir);
  const cli = join(__dirname, '..', 'local', 'cli.ts');
  for (const args of [
    ['simulate', '--rooms', String(spec.rooms), '--days', String(spec.days), '--state-dir', stateDir],
    ['baseline', '--state-dir', stateDir, '--out', exportDir, '--json'],
  ]) {
    process.stderr.write(`[bench] occupancy ${args.join(' ')}\n`);
    const run = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
      stdio: ['ignore', args[0] === 'baseline' ? 'pipe' : 'inherit', 'inherit'],
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`occupancy ${args[0]} exited ${run.status}`);
    if (args[0] === 'baseline') writeFileSync(join(stateDir, 'baseline.json'), run.stdout);
  }
  return splitCsvs(exportDir);
}

function dataset(name: string, root: string): Dataset {
  if (name === 'uci-occupancy') {
    return {
      name,
      train: readUci(join(DATA, 'datatraining.txt')),
      validation: undefined,
      holdouts: ['datatest', 'datatest2'].map((h) => ({ name: h, table: readUci(join(DATA, `${h}.txt`)) })),
    };
  }
  const dir = fleetExport(root, name.replace(/^fleet-/, ''));
  const read = (file: string) => readNumericCsv(join(dir, `${file}.csv`), 'occupied');
  return {
    name,
    train: read('train'),
    validation: read('validation'),
    holdouts: [{ name: 'holdout', table: read('holdout') }],
  };
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const r4 = (x: number | undefined) => (x === undefined ? null : Number(x.toFixed(4)));

function line(
  d: Dataset,
  holdout: string,
  engine: string,
  m: ReturnType<typeof classificationMetrics>,
  seconds: number,
  extra: Record<string, number | null> = {},
) {
  return JSON.stringify({
    dataset: `${d.name}/${holdout}`,
    engine,
    f1: r4(m.f1),
    accuracy: r4(m.accuracy),
    auc: r4(m.rocAuc),
    train_seconds: Number(seconds.toFixed(2)),
    peak_rss_mb: peakRssMb(),
    ...extra,
  });
}

interface ChildOptions {
  readonly maxCandidates: number;
  readonly maxSeconds: number | undefined;
  readonly root: string;
  readonly poolCandidates: number;
  readonly poolSize: number;
}

/**
 * Wall time of `n` threads each spinning the same fixed loop, over one thread's: 1.0 when `n` cores are free,
 * `n` when the machine gives only one. Printed with the pool figures so a ratio measured on a busy machine reads
 * as such.
 */
async function spinRatio(n: number): Promise<number> {
  const code = `let x = 0; for (let i = 0; i < 2e8; i++) x = (x + i * 7) % 1000003; require('node:worker_threads').parentPort.postMessage(x);`;
  const wall = async (threads: number) => {
    const start = performance.now();
    await Promise.all(
      Array.from(
        { length: threads },
        () => new Promise((done) => new Worker(code, { eval: true }).once('message', done)),
      ),
    );
    return performance.now() - start;
  };
  const one = await wall(1);
  return Number(((await wall(n)) / one).toFixed(2));
}

/** Child mode `pool`: the same fixed search with 1 worker, then with `poolSize`; wall times and their ratio. */
async function poolChild(name: string, options: ChildOptions): Promise<void> {
  const d = dataset(name, options.root);
  const run = async (poolSize: number) => {
    const start = performance.now();
    let refitAt = Number.NaN;
    const result = await runSearchPool(d.train, d.validation, {
      jobName: 'bench-pool',
      maxCandidates: options.poolCandidates,
      seed: 1,
      poolSize,
      onProgress: (e) => {
        if (e.type === 'refitting') refitAt = performance.now();
      },
    });
    const end = performance.now();
    return { seconds: (end - start) / 1000, refitSeconds: (end - refitAt) / 1000, result };
  };
  const board = (r: SearchResult) => JSON.stringify(r.candidates.map((c) => [c.name, c.status, c.objective.value]));
  const spinBefore = await spinRatio(options.poolSize);
  const one = await run(1);
  const many = await run(options.poolSize);
  const spinAfter = await spinRatio(options.poolSize);
  console.log(
    JSON.stringify({
      dataset: name,
      engine: 'automl-pool',
      candidates: options.poolCandidates,
      pool_size: options.poolSize,
      cores: availableParallelism(),
      seconds_pool_1: Number(one.seconds.toFixed(2)),
      seconds_pool_n: Number(many.seconds.toFixed(2)),
      ratio: Number((many.seconds / one.seconds).toFixed(3)),
      // The winner's refit runs on the job's thread after the pool: the serial part of the ratio.
      refit_seconds_pool_1: Number(one.refitSeconds.toFixed(2)),
      refit_seconds_pool_n: Number(many.refitSeconds.toFixed(2)),
      ratio_without_refit: Number(((many.seconds - many.refitSeconds) / (one.seconds - one.refitSeconds)).toFixed(3)),
      same_leaderboard: board(one.result) === board(many.result),
      cpu_spin_ratio_before: spinBefore,
      cpu_spin_ratio_after: spinAfter,
      best: many.result.best?.candidate.name ?? null,
      peak_rss_mb: peakRssMb(),
    }),
  );
}

/** Child mode: train one engine on one dataset, print its lines. */
function child(engine: string, name: string, options: ChildOptions): void {
  const d = dataset(name, options.root);
  const start = performance.now();
  if (engine === 'automl') {
    const result = runSearch(d.train, d.validation, {
      jobName: 'bench',
      maxCandidates: options.maxCandidates,
      seed: 1,
      ...(options.maxSeconds !== undefined ? { maxJobRuntimeSeconds: options.maxSeconds } : {}),
    });
    const seconds = (performance.now() - start) / 1000;
    if (!result.best) throw new Error('no candidate completed');
    const predictor = loadPredictor(result.best.artifact);
    const c = result.best.candidate;
    process.stderr.write(
      `[bench] ${name}: best ${c.name} [${result.best.artifact.usedFeatures.join(', ')}] F1(validation) ${c.objective.value.toFixed(4)} robust ${(c.robustValue ?? 0).toFixed(4)}; baseline ${result.baseline.name} ${result.baseline.objective.value.toFixed(4)}; ${result.candidates.length} candidates${result.timedOut ? ' (budget reached)' : ''}\n`,
    );
    for (const h of d.holdouts) {
      const scored = predictor.predictTable(h.table);
      console.log(
        line(d, h.name, 'automl', classificationMetrics(h.table.target, scored.label, scored.probability), seconds, {
          max_seconds: options.maxSeconds ?? null,
        }),
      );
    }
  } else {
    const rule = fitBestThreshold(concatTables(d.train, d.validation));
    const seconds = (performance.now() - start) / 1000;
    process.stderr.write(`[bench] ${name}: best threshold ${rule.signal} ${rule.direction} ${rule.level}\n`);
    for (const h of d.holdouts) {
      const predicted = applyThreshold(rule, h.table);
      console.log(
        line(d, h.name, `threshold-${rule.signal}`, classificationMetrics(h.table.target, predicted), seconds),
      );
    }
  }
}

function writeCsv(path: string, t: LabelledTable): void {
  const out: string[] = [[...t.names, t.targetName].join(',')];
  for (let r = 0; r < t.rowCount; r++) out.push([...t.columns.map((c) => c[r]), t.target[r]].join(','));
  writeFileSync(path, `${out.join('\n')}\n`);
}

function sklearn(name: string, root: string): void {
  const python = ['/usr/bin/python3', 'python3'].find(
    (p) => spawnSync(p, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0,
  );
  if (!python) {
    process.stderr.write('[bench] scikit-learn skipped: no python3 with sklearn (apt-get install python3-sklearn)\n');
    return;
  }
  let train: string[];
  let holdouts: string[];
  let target: string;
  if (name === 'uci-occupancy') {
    const d = dataset(name, root);
    const dir = mkdtempSync(join(tmpdir(), 'bench-automl-'));
    writeCsv(join(dir, 'train.csv'), d.train);
    train = [join(dir, 'train.csv')];
    holdouts = d.holdouts.map((h) => {
      const path = join(dir, `${h.name}.csv`);
      writeCsv(path, h.table);
      return `${h.name}=${path}`;
    });
    target = d.train.targetName;
  } else {
    // The export CSVs as they are: train and validation together, like the other engines.
    const dir = fleetExport(root, name.replace(/^fleet-/, ''));
    train = [join(dir, 'train.csv'), join(dir, 'validation.csv')];
    holdouts = [`holdout=${join(dir, 'holdout.csv')}`];
    target = 'occupied';
  }
  const script = join(__dirname, 'sklearn_baseline.py');
  const run = spawnSync(python, [script, name, target, train.join(','), ...holdouts], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  process.stdout.write(run.stdout);
  if (run.status !== 0) process.stderr.write(`[bench] scikit-learn failed: ${run.stderr}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      dataset: { type: 'string' },
      fleet: { type: 'string', default: '1m,20x14' },
      'fleet-root': { type: 'string', default: join(tmpdir(), 'occupancy-bench') },
      'max-candidates': { type: 'string', default: '12' },
      // The job runtime budget the engine is given, as `occupancy automl --max-seconds` would; 0 = none.
      'max-seconds': { type: 'string', default: '30' },
      'pool-dataset': { type: 'string', default: 'fleet-20x14' },
      'pool-candidates': { type: 'string', default: '24' },
      'pool-size': { type: 'string', default: String(availableParallelism()) },
      'skip-pool': { type: 'boolean', default: false },
      'skip-uci': { type: 'boolean', default: false },
      'skip-fleet': { type: 'boolean', default: false },
      'skip-sklearn': { type: 'boolean', default: false },
    },
  });
  const options: ChildOptions = {
    maxCandidates: Number(values['max-candidates']),
    maxSeconds: Number(values['max-seconds']) > 0 ? Number(values['max-seconds']) : undefined,
    root: values['fleet-root'],
    poolCandidates: Number(values['pool-candidates']),
    poolSize: Number(values['pool-size']),
  };
  if (values.child === 'pool') return poolChild(values.dataset ?? 'uci-occupancy', options);
  if (values.child) {
    child(values.child, values.dataset ?? 'uci-occupancy', options);
    return;
  }
  const datasets = [
    ...(values['skip-uci'] || !existsSync(join(DATA, 'datatraining.txt')) ? [] : ['uci-occupancy']),
    ...(values['skip-fleet'] ? [] : values.fleet.split(',').map((f) => `fleet-${f.trim()}`)),
  ];
  for (const name of datasets) {
    if (name !== 'uci-occupancy') fleetExport(options.root, name.replace(/^fleet-/, ''));
    for (const engine of ['threshold', 'automl']) {
      const run = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          __filename,
          '--child',
          engine,
          '--dataset',
          name,
          '--fleet-root',
          options.root,
          '--max-candidates',
          String(options.maxCandidates),
          ...(options.maxSeconds !== undefined ? ['--max-seconds', String(options.maxSeconds)] : []),
        ],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
      if (run.status !== 0) process.stderr.write(`[bench] ${engine} on ${name} exited ${run.status}\n`);
    }
    if (!values['skip-sklearn']) sklearn(name, options.root);
  }
  if (!values['skip-pool']) {
    const name = values['pool-dataset'];
    if (name !== 'uci-occupancy') fleetExport(options.root, name.replace(/^fleet-/, ''));
    const args = ['--child', 'pool', '--dataset', name, '--fleet-root', options.root];
    args.push('--pool-candidates', String(options.poolCandidates), '--pool-size', String(options.poolSize));
    const run = spawnSync(process.execPath, ['--import', 'tsx', __filename, ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (run.status !== 0) process.stderr.write(`[bench] the pool measurement on ${name} exited ${run.status}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
