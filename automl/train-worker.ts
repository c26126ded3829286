/** Runs one AutoML job's search in a worker thread; talks to the runner by messages only. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { saveArtifact } from './artifact';
import { trainingDataFromCsv } from './data';
import type { AutoMLJobSpec, WorkerMessage } from './job';
import { runSearch } from './search';

interface WorkerInput {
  readonly spec: AutoMLJobSpec;
  readonly jobDir: string;
  readonly stopFlag: SharedArrayBuffer;
}

const post = (message: WorkerMessage): void => parentPort?.postMessage(message);

function main(input: WorkerInput): void {
  const { spec, jobDir } = input;
  const startedAt = Date.now();
  const stop = new Int32Array(input.stopFlag);
  post({ type: 'secondary', status: 'AnalyzingData' });
  const train = trainingDataFromCsv(readFileSync(spec.trainCsvPath, 'utf8'), spec.target, spec.trainCsvPath);
  const validation = spec.validationCsvPath
    ? trainingDataFromCsv(readFileSync(spec.validationCsvPath, 'utf8'), spec.target, spec.validationCsvPath)
    : undefined;
  for (const warning of [...train.warnings, ...(validation?.warnings ?? [])])
    post({ type: 'warning', message: warning });
  post({ type: 'secondary', status: 'ModelTuning' });
  const result = runSearch(train.table, validation?.table, {
    jobName: spec.name,
    objective: spec.objective,
    maxCandidates: spec.maxCandidates,
    maxRuntimePerCandidateSeconds: spec.maxRuntimePerCandidateSeconds,
    // The job's runtime includes reading the CSVs: the search gets what is left of it.
    maxJobRuntimeSeconds:
      spec.maxJobRuntimeSeconds === undefined
        ? undefined
        : Math.max(0.5, spec.maxJobRuntimeSeconds - (Date.now() - startedAt) / 1000),
    seed: spec.seed,
    shouldStop: () => Atomics.load(stop, 0) !== 0,
    onProgress: (event) => post({ type: 'progress', event }),
  });
  let artifactPath: string | undefined;
  if (result.best) {
    const dir = join(jobDir, 'candidates', result.best.candidate.name);
    mkdirSync(dir, { recursive: true });
    artifactPath = join(dir, 'artifact.json');
    writeFileSync(artifactPath, saveArtifact(result.best.artifact));
  }
  post({
    type: 'done',
    candidates: result.candidates,
    baseline: result.baseline,
    bestCandidateName: result.best?.candidate.name,
    artifactPath,
    stopped: result.stopped,
    timedOut: result.timedOut,
  });
}

try {
  main(workerData as WorkerInput);
} catch (error) {
  post({ type: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
}
