/** Runs one AutoML job's search in a worker thread; talks to the runner by messages only. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { saveArtifact } from './artifact';
import { readChannel } from './channel';
import type { AutoMLJobSpec, WorkerMessage } from './job';
import { runSearchPool } from './pool';

interface WorkerInput {
  readonly spec: AutoMLJobSpec;
  readonly jobDir: string;
  readonly stopFlag: SharedArrayBuffer;
}

const post = (message: WorkerMessage): void => parentPort?.postMessage(message);

async function main(input: WorkerInput): Promise<void> {
  const { spec, jobDir } = input;
  const startedAt = Date.now();
  const stop = new Int32Array(input.stopFlag);
  post({ type: 'secondary', status: 'AnalyzingData' });
  const contentType = spec.contentType ?? 'text/csv;header=present';
  const train = await readChannel(spec.trainPath, contentType, spec.target);
  const validation = spec.validationPath ? await readChannel(spec.validationPath, contentType, spec.target) : undefined;
  for (const warning of [...train.warnings, ...(validation?.warnings ?? [])])
    post({ type: 'warning', message: warning });
  post({ type: 'secondary', status: 'ModelTuning' });
  const result = await runSearchPool(train.table, validation?.table, {
    jobName: spec.name,
    poolSize: spec.poolSize,
    objective: spec.objective,
    maxCandidates: spec.maxCandidates,
    maxRuntimePerCandidateSeconds: spec.maxRuntimePerCandidateSeconds,
    // The job's runtime includes reading the channels: the search gets what is left of it.
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
    validation: result.validation,
  });
}

main(workerData as WorkerInput).catch((error: unknown) => {
  post({ type: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
});
