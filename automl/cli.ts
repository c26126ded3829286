/**
 * `occupancy automl --train <csv|parquet> [--validation <csv|parquet>] [--holdout <csv|parquet>] --target <col> [--objective F1]
 *  [--max-candidates N] [--max-seconds S] [--pool-size N] [--out <artifact.json>] [--work-dir <dir>] [--seed N] --json`
 * Progress goes to stderr; the result (JSON with --json) to stdout.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { classificationMetrics } from '../evaluation';
import { loadPredictor, parseArtifact } from './artifact';
import { readChannel } from './channel';
import { AUTOML_CSV, AUTOML_PARQUET, type ChannelContentType } from './content-types';
import { type AutoMLCandidate, type AutoMLJobDescription, AutoMLJobRunner } from './job';
import { OBJECTIVES, type Objective } from './objective';
import type { ValidationReport } from './report';

export class CliUsageError extends Error {
  constructor(
    message: string,
    readonly flag: string,
  ) {
    super(message);
    this.name = 'CliUsageError';
  }
}

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export const AUTOML_USAGE =
  'usage: occupancy automl --train <csv> [--validation <csv>] [--holdout <csv>] --target <col> [--objective F1] ' +
  '[--max-candidates N] [--max-seconds S] [--pool-size N] [--out <artifact.json>] [--work-dir <dir>] [--seed N] [--json]';

interface CliOptions {
  train: string;
  validation: string | undefined;
  holdout: string | undefined;
  target: string;
  objective: Objective;
  maxCandidates: number | undefined;
  maxSeconds: number | undefined;
  /** Worker threads training candidates; undefined = the cores. */
  poolSize: number | undefined;
  /** Of train and validation (Autopilot requires them to share it), from the files' extension. */
  contentType: ChannelContentType;
  out: string | undefined;
  workDir: string;
  seed: number;
  json: boolean;
}

function positiveNumber(value: string | undefined, flag: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new CliUsageError(`--${flag} must be a positive ${integer ? 'integer' : 'number'}, got "${value}"`, flag);
  }
  return n;
}

export function parseAutomlArgs(argv: string[]): CliOptions {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        train: { type: 'string' },
        validation: { type: 'string' },
        holdout: { type: 'string' },
        target: { type: 'string' },
        objective: { type: 'string' },
        'max-candidates': { type: 'string' },
        'max-seconds': { type: 'string' },
        'pool-size': { type: 'string' },
        out: { type: 'string' },
        'work-dir': { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
  }
  try {
    parsed = parse();
  } catch (error) {
    throw new CliUsageError(error instanceof Error ? error.message : String(error), 'argv');
  }
  const v = parsed.values;
  if (!v.train) throw new CliUsageError('--train <csv> is required', 'train');
  if (!v.target) throw new CliUsageError('--target <column> is required', 'target');
  for (const flag of ['train', 'validation', 'holdout'] as const) {
    const path = v[flag];
    if (path !== undefined && !existsSync(path)) throw new CliUsageError(`--${flag}: file "${path}" not found`, flag);
  }
  const objective = v.objective ?? 'F1';
  if (!(OBJECTIVES as readonly string[]).includes(objective)) {
    throw new CliUsageError(`--objective must be one of ${OBJECTIVES.join(', ')}, got "${objective}"`, 'objective');
  }
  const contentType = contentTypeOf(v.train);
  if (v.validation !== undefined && contentTypeOf(v.validation) !== contentType) {
    throw new CliUsageError(
      `--validation must be the same format as --train (${formatName(contentType)}): "${v.validation}"`,
      'validation',
    );
  }
  const seed = v.seed === undefined ? 1 : Number(v.seed);
  if (!Number.isInteger(seed)) throw new CliUsageError(`--seed must be an integer, got "${v.seed}"`, 'seed');
  return {
    train: resolve(v.train),
    validation: v.validation ? resolve(v.validation) : undefined,
    holdout: v.holdout ? resolve(v.holdout) : undefined,
    target: v.target,
    objective: objective as Objective,
    maxCandidates: positiveNumber(v['max-candidates'], 'max-candidates', true),
    maxSeconds: positiveNumber(v['max-seconds'], 'max-seconds', false),
    poolSize: positiveNumber(v['pool-size'], 'pool-size', true),
    contentType,
    out: v.out ? resolve(v.out) : undefined,
    workDir: resolve(v['work-dir'] ?? '.occupancy/automl'),
    seed,
    json: v.json ?? false,
  };
}

/** `occupancy baseline` writes its splits as Parquet: a `.parquet` file (or a folder of them) is read as Parquet. */
function contentTypeOf(path: string): ChannelContentType {
  const parquet = (p: string) => p.toLowerCase().endsWith('.parquet');
  if (parquet(path)) return AUTOML_PARQUET;
  const isFolder = statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  return isFolder && readdirSync(path).some(parquet) ? AUTOML_PARQUET : AUTOML_CSV;
}

const formatName = (type: ChannelContentType): string => (type === AUTOML_PARQUET ? 'Parquet' : 'CSV');

const round = (x: number | undefined): number | null =>
  x === undefined || !Number.isFinite(x) ? null : Number(x.toFixed(6));

function leaderboardRow(c: AutoMLCandidate) {
  const l = c.Leaderboard;
  return {
    name: c.CandidateName,
    family: l.family,
    status: c.CandidateStatus,
    objective: round(c.FinalAutoMLJobObjectiveMetric?.Value),
    features: l.featureSubset,
    beatsBaseline: l.beatsBaseline,
    baseline: l.isBaseline,
    foldValues: l.foldValues.map((x) => round(x)),
    robustValue: round(l.robustValue),
    driftingFeatures: l.driftingFeatures ?? [],
    // An ensemble candidate's members and their out-of-fold weights (summing to 1).
    ...(l.ensemble ? { ensemble: l.ensemble.map((m) => ({ ...m, weight: round(m.weight) })) } : {}),
    seconds: c.EndTime && c.CreationTime ? (c.EndTime.getTime() - c.CreationTime.getTime()) / 1000 : null,
  };
}

/** The search's evidence: folds, gap vs spread, per-feature stability, and the statement when not separable. */
function validationSummary(v: ValidationReport | undefined) {
  if (!v) return null;
  return {
    folds: v.folds,
    gap: round(v.gap),
    spread: round(v.spread),
    separable: v.separable,
    statement: v.statement ?? null,
    featureStability: v.featureStability.map((f) => ({ ...f, psi: round(f.psi), ks: round(f.ks) })),
  };
}

function describeProgress(d: AutoMLJobDescription): string {
  const p = d.Progress;
  return `[automl] ${d.AutoMLJobStatus}/${d.AutoMLJobSecondaryStatus} candidate ${p.CandidatesCompleted}/${p.CandidatesTotal}${
    p.CurrentCandidate ? ` running ${p.CurrentCandidate}` : ''
  }\n`;
}

export async function runAutomlCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let options: CliOptions;
  try {
    options = parseAutomlArgs(argv);
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.stderr(`occupancy automl: ${error.message}\n${AUTOML_USAGE}\n`);
      return 2;
    }
    throw error;
  }
  let lastLine = '';
  const runner = new AutoMLJobRunner({
    workDir: options.workDir,
    onProgress: (d) => {
      const line = describeProgress(d);
      if (line !== lastLine) io.stderr(line);
      lastLine = line;
    },
  });
  const name = `automl-${Date.now().toString(36)}-${process.pid % 10000}`;
  try {
    runner.start({
      name,
      trainPath: options.train,
      ...(options.validation ? { validationPath: options.validation } : {}),
      contentType: options.contentType,
      target: options.target,
      objective: options.objective,
      ...(options.maxCandidates !== undefined ? { maxCandidates: options.maxCandidates } : {}),
      ...(options.maxSeconds !== undefined ? { maxJobRuntimeSeconds: options.maxSeconds } : {}),
      ...(options.poolSize !== undefined ? { poolSize: options.poolSize } : {}),
      seed: options.seed,
    });
    const stopOnSignal = () => runner.stop(name);
    process.once('SIGINT', stopOnSignal);
    const description = await runner.waitFor(name).finally(() => process.removeListener('SIGINT', stopOnSignal));
    for (const warning of description.Warnings) io.stderr(`warning: ${warning}\n`);
    const best = description.BestCandidate;
    const modelUrl = best?.InferenceContainers?.[0]?.ModelDataUrl;
    if (!best || !modelUrl) {
      io.stderr(`occupancy automl: job ${description.AutoMLJobStatus}: ${description.FailureReason ?? 'no model'}\n`);
      return 1;
    }
    const artifactPath = fileURLToPath(modelUrl);
    const artifact = parseArtifact(readFileSync(artifactPath, 'utf8'));
    if (options.out) copyFileSync(artifactPath, options.out);
    let holdout: Record<string, number | null> | undefined;
    if (options.holdout) {
      const data = await readChannel(options.holdout, contentTypeOf(options.holdout), options.target);
      const scored = loadPredictor(artifact).predictTable(data.table);
      const m = classificationMetrics(data.table.target, scored.label, scored.probability);
      holdout = {
        f1: round(m.f1),
        precision: round(m.precision),
        recall: round(m.recall),
        accuracy: round(m.accuracy),
        auc: round(m.rocAuc),
      };
    }
    const result = {
      job: { name, status: description.AutoMLJobStatus, secondaryStatus: description.AutoMLJobSecondaryStatus },
      best: {
        name: best.CandidateName,
        family: artifact.family,
        objective: { name: artifact.objective.name, value: round(artifact.objective.value) },
        threshold: round(artifact.threshold),
        // Chosen on the out-of-fold predictions by their Brier score (lower is better); null in older artifacts.
        calibration: artifact.calibration
          ? {
              method: artifact.calibration.method,
              brierBefore: round(artifact.calibration.fit?.brierBefore),
              brierAfter: round(artifact.calibration.fit?.brierAfter),
              brierPlatt: round(artifact.calibration.fit?.brierPlatt),
              brierIsotonic: round(artifact.calibration.fit?.brierIsotonic),
            }
          : null,
        features: artifact.usedFeatures,
        artifact: options.out ?? artifactPath,
      },
      leaderboard: runner.listCandidates(name).map(leaderboardRow),
      validation: validationSummary(description.Validation),
      ...(holdout ? { holdout } : {}),
    };
    if (options.json) {
      io.stdout(`${JSON.stringify(result)}\n`);
    } else {
      io.stdout(
        `best ${result.best.name} (${result.best.family}) ${options.objective} ${result.best.objective.value}\n`,
      );
      for (const row of result.leaderboard) {
        const note = row.baseline
          ? ' (single-signal threshold baseline)'
          : row.beatsBaseline
            ? ''
            : ' (does not beat baseline)';
        io.stdout(
          `  ${String(row.name ?? '').padEnd(32)} ${String(row.status ?? '').padEnd(9)} ${String(row.objective).padEnd(10)}${note}\n`,
        );
      }
      if (result.validation && !result.validation.separable) io.stdout(`validation ${result.validation.statement}\n`);
      if (holdout) io.stdout(`holdout ${JSON.stringify(holdout)}\n`);
      io.stdout(`artifact ${result.best.artifact}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof Error) {
      io.stderr(`occupancy automl: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await runner.close();
  }
}
