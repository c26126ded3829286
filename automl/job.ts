/**
 * An Autopilot-V2-shaped job runner over the local engine: start / describe / listCandidates / stop /
 * waitFor. Each job runs in its own worker thread, its candidates in a pool of worker threads (pool.ts); its
 * state is persisted as JSON under `<workDir>/<jobName>/job.json`, so describe() works after a restart.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type {
  AutoMLJobSecondaryStatus,
  AutoMLJobStatus,
  AutoMLMetricEnum,
  DescribeAutoMLJobV2CommandOutput,
  AutoMLCandidate as SdkAutoMLCandidate,
} from '@aws-sdk/client-sagemaker';
import { CHANNEL_CONTENT_TYPES, type ChannelContentType } from './content-types';
import { AutoMLJobError } from './errors';
import { OBJECTIVES, type Objective } from './objective';
import type { EnsembleMember, ValidationReport } from './report';
import type { CandidateResult, SearchProgress } from './search';

export interface AutoMLJobSpec {
  /** SageMaker rules: 1–32 characters, letters, digits and inner hyphens. */
  readonly name: string;
  /** A file, or a folder standing for an S3 prefix (every file under it, in key order). */
  readonly trainPath: string;
  /** A later time period than train; appended to the time series the rolling-origin folds cover. */
  readonly validationPath?: string;
  /** Of both channels (Autopilot requires them to share it). @default 'text/csv;header=present' */
  readonly contentType?: ChannelContentType;
  readonly target: string;
  /** @default 'F1' */
  readonly objective?: Objective;
  readonly maxCandidates?: number;
  readonly maxRuntimePerCandidateSeconds?: number;
  readonly maxJobRuntimeSeconds?: number;
  readonly seed?: number;
  /** Worker threads training candidates side by side (same leaderboard whatever the size). @default the cores */
  readonly poolSize?: number;
}

export interface AutoMLJobProgress {
  readonly CandidatesCompleted: number;
  readonly CandidatesTotal: number;
  readonly CurrentCandidate?: string;
}

type Sdk = DescribeAutoMLJobV2CommandOutput;

/** A leaderboard row: the SDK's candidate plus what the local engine knows about it. */
export type AutoMLCandidate = SdkAutoMLCandidate & {
  readonly Leaderboard: {
    readonly family: CandidateResult['family'];
    readonly featureSubset: string;
    readonly features: string[];
    readonly hyperParameters: CandidateResult['hyperParameters'];
    readonly foldValues: number[];
    readonly threshold: number;
    readonly validation: CandidateResult['validation'];
    /** False when the best single-signal threshold does as well on validation: this candidate adds nothing. */
    readonly beatsBaseline: boolean;
    readonly isBaseline: boolean;
    /** Selection score: mean of the pooled objective and the worst fold's. */
    readonly robustValue?: number;
    /** Features it reads that the search found drifting between folds. */
    readonly driftingFeatures?: string[];
    /** Set on an ensemble candidate: its members and their out-of-fold weights. */
    readonly ensemble?: EnsembleMember[];
  };
};

export interface AutoMLJobDescription {
  readonly AutoMLJobName: NonNullable<Sdk['AutoMLJobName']>;
  readonly AutoMLJobArn: NonNullable<Sdk['AutoMLJobArn']>;
  readonly AutoMLJobStatus: AutoMLJobStatus;
  readonly AutoMLJobSecondaryStatus: AutoMLJobSecondaryStatus;
  readonly AutoMLJobObjective: { readonly MetricName: AutoMLMetricEnum };
  readonly FailureReason?: string;
  readonly CreationTime: Date;
  readonly EndTime?: Date;
  readonly LastModifiedTime: Date;
  readonly BestCandidate?: AutoMLCandidate;
  /** Local extension: candidate i of N. */
  readonly Progress: AutoMLJobProgress;
  /** Local extension: e.g. non-numeric columns ignored. */
  readonly Warnings: string[];
  /** Local extension: the folds, how separable the candidates were, per-feature stability (once the search ended). */
  readonly Validation?: ValidationReport;
}

/** Messages from the training worker. */
export type WorkerMessage =
  | { readonly type: 'secondary'; readonly status: AutoMLJobSecondaryStatus }
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'progress'; readonly event: SearchProgress }
  | {
      readonly type: 'done';
      readonly candidates: CandidateResult[];
      readonly baseline: CandidateResult;
      readonly bestCandidateName: string | undefined;
      readonly artifactPath: string | undefined;
      readonly stopped: boolean;
      readonly timedOut: boolean;
      readonly validation: ValidationReport;
    }
  | { readonly type: 'failed'; readonly message: string };

interface JobState {
  spec: AutoMLJobSpec;
  status: AutoMLJobStatus;
  secondaryStatus: AutoMLJobSecondaryStatus;
  failureReason?: string;
  creationTime: number;
  endTime?: number;
  lastModifiedTime: number;
  candidatesCompleted: number;
  candidatesTotal: number;
  currentCandidate?: string;
  candidates: CandidateResult[];
  baseline?: CandidateResult;
  bestCandidateName?: string;
  artifactPath?: string;
  /** Set when the search ended (absent in jobs persisted before it existed). */
  validation?: ValidationReport;
  warnings: string[];
  ownerPid: number;
}

interface RunningJob {
  state: JobState;
  worker: Worker;
  stopFlag: Int32Array;
  done: Promise<void>;
}

export interface AutoMLJobRunnerOptions {
  readonly workDir: string;
  /** Called on every state change of a job this runner runs (candidate i/N, status). */
  readonly onProgress?: (description: AutoMLJobDescription) => void;
}

const JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$/;
const TERMINAL: readonly AutoMLJobStatus[] = ['Completed', 'Failed', 'Stopped'];
export const LOCAL_AUTOML_IMAGE = 'occupancy/automl-local:1';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function toCandidate(c: CandidateResult, state: JobState, isBaseline: boolean): AutoMLCandidate {
  const isBest = c.name === state.bestCandidateName && state.artifactPath !== undefined;
  return {
    CandidateName: c.name,
    FinalAutoMLJobObjectiveMetric: { MetricName: c.objective.name, Value: c.objective.value },
    ObjectiveStatus: c.status === 'Completed' ? 'Succeeded' : 'Failed',
    CandidateSteps: [],
    CandidateStatus: c.status,
    ...(isBest
      ? {
          InferenceContainers: [
            {
              Image: LOCAL_AUTOML_IMAGE,
              ModelDataUrl: `file://${state.artifactPath}`,
              // As Autopilot describes an ensembling candidate: predicted_label only until asked for more.
              // https://docs.aws.amazon.com/sagemaker/latest/dg/autopilot-automate-model-development-container-output.html
              Environment: {
                SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label',
                SAGEMAKER_INFERENCE_SUPPORTED: 'predicted_label,probability,labels,probabilities',
                MODEL_FAMILY: c.family,
              },
            },
          ],
        }
      : {}),
    CreationTime: new Date(c.startedAt),
    EndTime: new Date(c.endedAt),
    LastModifiedTime: new Date(c.endedAt),
    ...(c.failureReason ? { FailureReason: c.failureReason } : {}),
    Leaderboard: {
      family: c.family,
      featureSubset: c.featureSubset,
      features: c.features,
      hyperParameters: c.hyperParameters,
      foldValues: c.foldValues,
      threshold: c.threshold,
      validation: c.validation,
      beatsBaseline: c.beatsBaseline,
      isBaseline,
      ...(c.robustValue !== undefined ? { robustValue: c.robustValue } : {}),
      ...(c.driftingFeatures ? { driftingFeatures: c.driftingFeatures } : {}),
      ...(c.ensemble ? { ensemble: c.ensemble } : {}),
    },
  };
}

export class AutoMLJobRunner {
  private readonly workDir: string;
  private readonly running = new Map<string, RunningJob>();
  private readonly onProgress: AutoMLJobRunnerOptions['onProgress'];

  constructor(opts: AutoMLJobRunnerOptions) {
    this.workDir = resolve(opts.workDir);
    this.onProgress = opts.onProgress;
    mkdirSync(this.workDir, { recursive: true });
  }

  start(spec: AutoMLJobSpec): void {
    if (!JOB_NAME.test(spec.name)) {
      throw new AutoMLJobError(
        `AutoML job name "${spec.name}" must be 1-32 letters, digits or inner hyphens`,
        spec.name,
      );
    }
    if (spec.objective !== undefined && !OBJECTIVES.includes(spec.objective)) {
      throw new AutoMLJobError(`Unknown objective "${spec.objective}"; one of ${OBJECTIVES.join(', ')}`, spec.name);
    }
    if (this.running.has(spec.name) || existsSync(this.statePath(spec.name))) {
      throw new AutoMLJobError(`AutoML job "${spec.name}" already exists`, spec.name);
    }
    if (spec.contentType !== undefined && !CHANNEL_CONTENT_TYPES.includes(spec.contentType)) {
      throw new AutoMLJobError(
        `Unknown content type "${spec.contentType}"; one of ${CHANNEL_CONTENT_TYPES.join(', ')}`,
        spec.name,
      );
    }
    for (const [field, path] of [
      ['trainPath', spec.trainPath],
      ['validationPath', spec.validationPath],
    ] as const) {
      if (path !== undefined && !existsSync(path)) {
        throw new AutoMLJobError(`${field} "${path}" does not exist`, spec.name);
      }
    }
    const jobDir = join(this.workDir, spec.name);
    mkdirSync(jobDir, { recursive: true });
    const now = Date.now();
    const normalised: AutoMLJobSpec = {
      ...spec,
      trainPath: resolve(spec.trainPath),
      ...(spec.validationPath ? { validationPath: resolve(spec.validationPath) } : {}),
    };
    const state: JobState = {
      spec: normalised,
      status: 'InProgress',
      secondaryStatus: 'Starting',
      creationTime: now,
      lastModifiedTime: now,
      candidatesCompleted: 0,
      candidatesTotal: spec.maxCandidates ?? 0,
      candidates: [],
      warnings: [],
      ownerPid: process.pid,
    };
    this.persist(state);
    const stopBuffer = new SharedArrayBuffer(4);
    const worker = new Worker(join(__dirname, 'worker.js'), {
      workerData: { spec: normalised, jobDir, stopFlag: stopBuffer },
    });
    let settled = false;
    const done = new Promise<void>((resolveDone) => {
      const finish = (update: Partial<JobState>) => {
        if (settled) return;
        settled = true;
        this.update(state, { ...update, endTime: Date.now(), currentCandidate: undefined });
        this.running.delete(spec.name);
        resolveDone();
      };
      worker.on('message', (message: WorkerMessage) => {
        switch (message.type) {
          case 'secondary':
            if (state.status === 'InProgress') this.update(state, { secondaryStatus: message.status });
            return;
          case 'warning':
            this.update(state, { warnings: [...state.warnings, message.message] });
            return;
          case 'progress': {
            const e = message.event;
            if (e.type === 'candidate-started') {
              this.update(state, { candidatesTotal: e.total, currentCandidate: e.name });
            } else if (e.type === 'candidate-finished') {
              this.update(state, {
                candidatesTotal: e.total,
                candidatesCompleted: e.index,
                candidates: [...state.candidates, e.candidate],
                currentCandidate: undefined,
              });
            } else {
              this.update(state, { currentCandidate: e.name });
            }
            return;
          }
          case 'done': {
            const stopped = message.stopped || state.status === 'Stopping';
            const secondary: AutoMLJobSecondaryStatus = stopped
              ? 'Stopped'
              : message.timedOut
                ? 'MaxAutoMLJobRuntimeReached'
                : 'MaxCandidatesReached';
            const noModel = message.bestCandidateName === undefined;
            finish({
              status: stopped ? 'Stopped' : noModel ? 'Failed' : 'Completed',
              secondaryStatus: !stopped && noModel ? 'Failed' : secondary,
              candidates: message.candidates,
              baseline: message.baseline,
              bestCandidateName: message.bestCandidateName,
              artifactPath: message.artifactPath,
              validation: message.validation,
              ...(!stopped && noModel ? { failureReason: 'No candidate completed training' } : {}),
            });
            return;
          }
          case 'failed':
            finish({ status: 'Failed', secondaryStatus: 'Failed', failureReason: message.message });
            return;
        }
      });
      worker.on('error', (error) =>
        finish({ status: 'Failed', secondaryStatus: 'Failed', failureReason: `worker error: ${error.message}` }),
      );
      worker.on('exit', (code) =>
        finish({ status: 'Failed', secondaryStatus: 'Failed', failureReason: `worker exited (code ${code})` }),
      );
    });
    this.running.set(spec.name, { state, worker, stopFlag: new Int32Array(stopBuffer), done });
  }

  describe(name: string): AutoMLJobDescription {
    const state = this.load(name);
    const best = state.candidates.find((c) => c.name === state.bestCandidateName);
    return {
      AutoMLJobName: state.spec.name,
      AutoMLJobArn: `arn:aws:sagemaker:local:000000000000:automl-job/${state.spec.name.toLowerCase()}`,
      AutoMLJobStatus: state.status,
      AutoMLJobSecondaryStatus: state.secondaryStatus,
      AutoMLJobObjective: { MetricName: state.spec.objective ?? 'F1' },
      ...(state.failureReason ? { FailureReason: state.failureReason } : {}),
      CreationTime: new Date(state.creationTime),
      ...(state.endTime !== undefined ? { EndTime: new Date(state.endTime) } : {}),
      LastModifiedTime: new Date(state.lastModifiedTime),
      ...(best && state.artifactPath ? { BestCandidate: toCandidate(best, state, false) } : {}),
      Progress: {
        CandidatesCompleted: state.candidatesCompleted,
        CandidatesTotal: state.candidatesTotal,
        ...(state.currentCandidate ? { CurrentCandidate: state.currentCandidate } : {}),
      },
      Warnings: state.warnings,
      ...(state.validation ? { Validation: state.validation } : {}),
    };
  }

  /** The leaderboard, best objective first; the single-signal threshold baseline is included and flagged. */
  listCandidates(name: string): AutoMLCandidate[] {
    const state = this.load(name);
    const baselineName = state.baseline?.name;
    // The single-signal threshold is usually a candidate itself; it is flagged rather than listed twice.
    const rows = state.candidates.map((c) => toCandidate(c, state, c.name === baselineName));
    if (state.baseline && !state.candidates.some((c) => c.name === baselineName)) {
      rows.push(toCandidate(state.baseline, state, true));
    }
    const value = (c: AutoMLCandidate) =>
      c.CandidateStatus === 'Completed' ? (c.FinalAutoMLJobObjectiveMetric?.Value ?? 0) : Number.NEGATIVE_INFINITY;
    return rows.sort((a, b) => value(b) - value(a));
  }

  /** StopAutoMLJob: the job goes Stopping, then Stopped with the best candidate so far. */
  stop(name: string): void {
    const job = this.running.get(name);
    if (!job) {
      const state = this.load(name);
      if (TERMINAL.includes(state.status)) return;
      throw new AutoMLJobError(`AutoML job "${name}" is not run by this process`, name);
    }
    if (job.state.status !== 'InProgress') return;
    Atomics.store(job.stopFlag, 0, 1);
    this.update(job.state, { status: 'Stopping', secondaryStatus: 'Stopping' });
  }

  async waitFor(name: string): Promise<AutoMLJobDescription> {
    const job = this.running.get(name);
    if (job) await job.done;
    return this.describe(name);
  }

  /** Names of every job in the work folder. */
  listJobs(): string[] {
    return readdirSync(this.workDir).filter((n) => existsSync(this.statePath(n)));
  }

  /** Terminates running workers (jobs end Failed); for shutdown. */
  async close(): Promise<void> {
    const jobs = [...this.running.values()];
    await Promise.all(jobs.map((j) => j.worker.terminate()));
    await Promise.all(jobs.map((j) => j.done));
  }

  private statePath(name: string): string {
    return join(this.workDir, name, 'job.json');
  }

  private load(name: string): JobState {
    const running = this.running.get(name);
    if (running) return running.state;
    const path = this.statePath(name);
    if (!JOB_NAME.test(name) || !existsSync(path)) {
      throw new AutoMLJobError(`AutoML job "${name}" not found in ${this.workDir}`, name);
    }
    let state: JobState;
    try {
      state = JSON.parse(readFileSync(path, 'utf8')) as JobState;
    } catch (error) {
      throw new AutoMLJobError(`AutoML job "${name}" state is unreadable`, name, { cause: error });
    }
    if (!TERMINAL.includes(state.status) && state.ownerPid !== process.pid && !isAlive(state.ownerPid)) {
      // The process that ran it is gone: the job cannot finish any more.
      state = {
        ...state,
        status: 'Failed',
        secondaryStatus: 'Failed',
        failureReason: 'Interrupted: the process running the job ended before it finished',
        endTime: state.lastModifiedTime,
      };
      this.persist(state);
    }
    return state;
  }

  private update(state: JobState, changes: Partial<JobState>): void {
    Object.assign(state, changes, { lastModifiedTime: Date.now() });
    this.persist(state);
    this.onProgress?.(this.describe(state.spec.name));
  }

  private persist(state: JobState): void {
    const path = this.statePath(state.spec.name);
    const temporary = `${path}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(temporary, path);
  }
}
