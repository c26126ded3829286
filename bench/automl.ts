/**
 * `npm run bench:automl [-- --skip-uci --skip-fleet --skip-drift --skip-sklearn --skip-pool --fleet 1m,20x14
 *  --drift-scenarios season,usage --drift-rooms 10 --drift-days 14 --max-candidates N --max-seconds 0]`:
 * JSON lines, one run, every engine on the same data:
 * `{dataset, engine, f1, accuracy, auc, brier, train_seconds, peak_rss_mb}` for the local AutoML engine (plus
 * `max_seconds`, `budget_cut`, `winner`, `winner_family`, `calibration`, `folds`, `separable`), the best
 * single-signal threshold fitted on the same training data (`brier` null: hard labels) and scikit-learn's
 * HistGradientBoosting and LogisticRegression (skipped with a message when python3-sklearn is absent), on
 * (a) UCI Occupancy Detection (train datatraining.txt, holdouts datatest.txt and datatest2.txt),
 * (b) simulated fleets (fleet-1m: 70 rooms × 10 days ≈ 1 M readings; fleet-20x14) and
 * (c) each drift scenario of telemetry/drift.ts (`drift-<scenario>`: `occupancy simulate --drift`), all exported
 * with `occupancy baseline` and cached under --fleet-root (default /tmp/occupancy-bench); engines train on train +
 * validation and are scored on the holdout (after the change, for a drift scenario).
 * Then the pool line (automl-pool.ts) and a final `{engine: 'goals', goals: [...]}` line judging issue 20's goals
 * (automl-goals.ts). The engine runs without a job budget by default (`--max-seconds S` gives it one; its lines then
 * say whether it cut the search). Each engine trains in its own child process so peak RSS is its own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DRIFT_SCENARIOS } from '../telemetry/drift';
import { type DataOptions, DRIFT_PREFIX, fleetExport, loadDataset, UCI_DATA } from './automl-data';
import { automlLines, type EngineOptions, thresholdLines } from './automl-engines';
import { goalsLine, judgeGoals, parseBenchLine } from './automl-goals';
import { poolLine } from './automl-pool';
import { sklearnLines } from './automl-sklearn';

const OPTIONS = {
  child: { type: 'string' },
  dataset: { type: 'string' },
  fleet: { type: 'string', default: '1m,20x14' },
  'fleet-root': { type: 'string', default: join(tmpdir(), 'occupancy-bench') },
  'drift-scenarios': { type: 'string', default: DRIFT_SCENARIOS.join(',') },
  'drift-rooms': { type: 'string', default: '10' },
  'drift-days': { type: 'string', default: '14' },
  // Unset: the engine's own default (12 plans plus one logistic and one gbt per sensor view), as a user gets it.
  'max-candidates': { type: 'string' },
  // The job runtime budget, as `occupancy automl --max-seconds` would give it; 0 = none.
  'max-seconds': { type: 'string', default: '0' },
  'pool-dataset': { type: 'string', default: 'fleet-20x14' },
  'pool-candidates': { type: 'string', default: '24' },
  'pool-size': { type: 'string', default: String(availableParallelism()) },
  'skip-pool': { type: 'boolean', default: false },
  'skip-uci': { type: 'boolean', default: false },
  'skip-fleet': { type: 'boolean', default: false },
  'skip-drift': { type: 'boolean', default: false },
  'skip-sklearn': { type: 'boolean', default: false },
} as const;

/** Options a child needs to load the same data and run the engine the same way, as argv. */
const SHARED_FLAGS = [
  'fleet-root',
  'drift-rooms',
  'drift-days',
  'max-candidates',
  'max-seconds',
  'pool-candidates',
  'pool-size',
] as const;

function positiveInteger(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got "${value}"`);
  return n;
}

/** Runs this file as a child (one engine or the pool measurement on one dataset); returns its stdout lines. */
function runChild(child: string, dataset: string, shared: string[]): string[] {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', __filename, '--child', child, '--dataset', dataset, ...shared],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    },
  );
  if (run.status !== 0) process.stderr.write(`[bench] ${child} on ${dataset} exited ${run.status}\n`);
  return (run.stdout ?? '').split('\n').filter((l) => l.trim() !== '');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: OPTIONS });
  const data: DataOptions = {
    root: values['fleet-root'],
    driftRooms: positiveInteger(values['drift-rooms'], 'drift-rooms'),
    driftDays: positiveInteger(values['drift-days'], 'drift-days'),
  };
  const engine: EngineOptions = {
    maxCandidates:
      values['max-candidates'] === undefined ? undefined : positiveInteger(values['max-candidates'], 'max-candidates'),
    maxSeconds: Number(values['max-seconds']) > 0 ? Number(values['max-seconds']) : undefined,
    poolSize: undefined,
  };
  const print = (lines: string[]) => {
    for (const l of lines) process.stdout.write(`${l}\n`);
    return lines;
  };
  if (values.child) {
    const d = loadDataset(values.dataset ?? 'uci-occupancy', data);
    if (values.child === 'pool') {
      const candidates = positiveInteger(values['pool-candidates'], 'pool-candidates');
      print([await poolLine(d, candidates, positiveInteger(values['pool-size'], 'pool-size'))]);
    } else if (values.child === 'automl') print(await automlLines(d, engine));
    else if (values.child === 'threshold') print(thresholdLines(d));
    else throw new Error(`unknown --child "${values.child}" (automl, threshold, pool)`);
    return;
  }
  const shared = SHARED_FLAGS.flatMap((f) => (values[f] === undefined ? [] : [`--${f}`, String(values[f])]));
  const driftDatasets = values['skip-drift']
    ? []
    : values['drift-scenarios']
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '')
        .map((s) => {
          if (!(DRIFT_SCENARIOS as readonly string[]).includes(s)) {
            throw new Error(`--drift-scenarios: unknown scenario "${s}" (valid: ${DRIFT_SCENARIOS.join(', ')})`);
          }
          return `${DRIFT_PREFIX}${s}`;
        });
  const datasets = [
    ...(values['skip-uci'] || !existsSync(join(UCI_DATA, 'datatraining.txt')) ? [] : ['uci-occupancy']),
    ...(values['skip-fleet'] ? [] : values.fleet.split(',').map((f) => `fleet-${f.trim()}`)),
    ...driftDatasets,
  ];
  const lines: string[] = [];
  for (const name of datasets) {
    if (name !== 'uci-occupancy') fleetExport(name, data);
    for (const child of ['threshold', 'automl']) lines.push(...print(runChild(child, name, shared)));
    if (!values['skip-sklearn']) lines.push(...print(sklearnLines(name, data)));
  }
  if (!values['skip-pool']) {
    const name = values['pool-dataset'];
    if (name !== 'uci-occupancy') fleetExport(name, data);
    lines.push(...print(runChild('pool', name, shared)));
  }
  const parsed = lines.map(parseBenchLine).filter((l) => l !== undefined);
  // Every scenario's goal is listed, run or not, so a partial run never reads as all met.
  print([
    goalsLine(
      judgeGoals(
        parsed,
        DRIFT_SCENARIOS.map((s) => `${DRIFT_PREFIX}${s}`),
      ),
    ),
  ]);
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
