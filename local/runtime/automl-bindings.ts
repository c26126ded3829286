import type { AutoMLJobChannel } from '@aws-sdk/client-sagemaker';
import type { AutoMLJobRunner } from '../../automl/job';
import type { FolderObjectStore } from '../adapters/s3';
import { assertAutoMLChannels, assertSageMakerName } from '../aws-contract';
import { ValidationException } from '../hosting';
import type { FaultName } from './faults';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './identity';
import type { ResourceBinding } from './runner';
import { sdk } from './task-bindings';

/** The state machine's CreateAutoMLJobV2 and DescribeAutoMLJobV2 on the local AutoML job runner. */
export interface AutoMLBindingOptions {
  readonly automl: AutoMLJobRunner;
  /** Where the job's S3 channels are read from. */
  readonly store: FolderObjectStore;
  /** The objective when the request names none (the config's autoML.objective). */
  readonly defaultObjective: string;
  readonly faults: ReadonlySet<FaultName>;
  /** Local time per AWS second: Autopilot's runtime limits are scaled like Wait states. */
  readonly timeScale: number;
  /** "candidate 3/8" lines while a job runs. */
  readonly onProgress?: (line: string) => void;
}

export function autoMLBindings(options: AutoMLBindingOptions): ResourceBinding[] {
  const { automl, store, faults, timeScale } = options;
  let lastNote = '';
  return [
    sdk('sagemaker', 'createAutoMLJobV2', (input) => {
      assertSageMakerName('AutoMLJobName', input.AutoMLJobName);
      const spec = input as {
        AutoMLJobName: string;
        AutoMLJobInputDataConfig: AutoMLJobChannel[];
        AutoMLProblemTypeConfig?: {
          TabularJobConfig?: { TargetAttributeName?: string; CompletionCriteria?: Record<string, number> };
        };
        AutoMLJobObjective?: { MetricName?: string };
      };
      const contentType = assertAutoMLChannels(spec.AutoMLJobInputDataConfig);
      const channel = (type: string) =>
        spec.AutoMLJobInputDataConfig.find((c) => (c.ChannelType ?? 'training') === type)?.DataSource?.S3DataSource
          ?.S3Uri;
      const train = channel('training');
      if (!train) throw new ValidationException('AutoMLJobInputDataConfig: a training channel is required.');
      const validation = channel('validation');
      const tabular = spec.AutoMLProblemTypeConfig?.TabularJobConfig;
      const criteria = tabular?.CompletionCriteria ?? {};
      automl.start({
        name: spec.AutoMLJobName,
        // An S3Prefix channel: the local AutoML reads every object under the prefix's folder, in key order.
        trainPath: store.pathOf(train),
        validationPath: validation ? store.pathOf(validation) : undefined,
        contentType,
        target: tabular?.TargetAttributeName ?? 'occupied',
        objective: (spec.AutoMLJobObjective?.MetricName ?? options.defaultObjective) as never,
        maxCandidates: criteria.MaxCandidates,
        // Local runs train on one machine in seconds: Autopilot's runtime limits are scaled like Wait states.
        maxRuntimePerCandidateSeconds: scaledSeconds(criteria.MaxRuntimePerTrainingJobInSeconds, timeScale),
        maxJobRuntimeSeconds: scaledSeconds(criteria.MaxAutoMLJobRuntimeInSeconds, timeScale),
      });
      return { AutoMLJobArn: `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT}:automl-job/${spec.AutoMLJobName}` };
    }),
    sdk('sagemaker', 'describeAutoMLJobV2', (input) => {
      const name = String(input.AutoMLJobName);
      const described = automl.describe(name);
      if (faults.has('automl-failed')) {
        if (described.AutoMLJobStatus === 'InProgress') automl.stop(name);
        return {
          ...described,
          AutoMLJobStatus: 'Failed',
          FailureReason: 'Injected fault: automl-failed',
          BestCandidate: undefined,
        };
      }
      const note = described.Progress
        ? `candidate ${described.Progress.CandidatesCompleted}/${described.Progress.CandidatesTotal}`
        : '';
      if (note && note !== lastNote && described.AutoMLJobStatus === 'InProgress') {
        options.onProgress?.(`           AutoML: ${note}`);
      }
      lastNote = note;
      return described;
    }),
  ];
}

/** Autopilot's limits (hours) scaled to local time, never below what a small search needs. */
function scaledSeconds(seconds: number | undefined, timeScale: number): number | undefined {
  return seconds === undefined ? undefined : Math.max(10, Math.round(seconds * timeScale));
}
