import type { CreateTransformJobCommandInput, DescribeTransformJobCommandOutput } from '@aws-sdk/client-sagemaker';
import { csvRecords } from '../../telemetry/csv';
import {
  artifactPathOf,
  ContainerConfigError,
  defaultModelLoader,
  type LocalHosting,
  primaryContainer,
  startModelContainer,
  ValidationException,
} from '../hosting';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../runtime/identity';
import type { FolderObjectStore } from './s3';

/**
 * SageMaker CreateTransformJob (`.sync`) → batch scoring with the model's artifact: each headerless CSV
 * line of the input becomes the container's answer line (the keys its SAGEMAKER_INFERENCE_OUTPUT asks for,
 * local/hosting/model.ts) in `<S3OutputPath>/<input name>.out`, as a batch transform of an Autopilot model does.
 */

export class TransformJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SageMaker.ValidationException';
  }
}

export interface TransformFaults {
  /** Fail every transform job (fault injection: transform-failed). */
  failTransforms?: boolean;
}

export class LocalTransformJobs {
  private readonly jobs = new Map<string, DescribeTransformJobCommandOutput>();

  constructor(
    private readonly hosting: LocalHosting,
    private readonly store: FolderObjectStore,
    private readonly faults: TransformFaults = {},
  ) {}

  /** Runs the job to completion, as the `.sync` integration waits for it. */
  async createTransformJobSync(input: CreateTransformJobCommandInput): Promise<DescribeTransformJobCommandOutput> {
    const name = input.TransformJobName;
    if (!name) throw new TransformJobError('TransformJobName is required');
    const arn = `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT}:transform-job/${name.toLowerCase()}`;
    // A job name is taken once the job exists, whatever became of it; a retry with the same name is refused.
    // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateTransformJob.html#sagemaker-CreateTransformJob-request-TransformJobName
    if (this.jobs.has(name)) {
      throw new ValidationException(
        `Job name must be unique within an AWS account and region, and a job with this name already exists (${arn})`,
      );
    }
    const inputUri = input.TransformInput?.DataSource?.S3DataSource?.S3Uri;
    const outputPath = input.TransformOutput?.S3OutputPath;
    if (!inputUri || !outputPath)
      throw new TransformJobError('TransformInput S3Uri and TransformOutput S3OutputPath are required');
    const started = new Date();
    // An unknown model refuses the call itself (no job is created); everything after runs as the job.
    const model = this.hosting.describeModel({ ModelName: input.ModelName });
    const job: DescribeTransformJobCommandOutput = {
      $metadata: {},
      TransformJobName: name,
      TransformJobArn: arn,
      TransformJobStatus: 'InProgress',
      ModelName: input.ModelName,
      TransformInput: input.TransformInput,
      TransformOutput: input.TransformOutput,
      TransformResources: input.TransformResources,
      CreationTime: started,
    };
    this.jobs.set(name, job);
    try {
      return await this.run(name, arn, input, model, started, inputUri, outputPath);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.jobs.set(name, {
        ...job,
        TransformJobStatus: 'Failed',
        FailureReason: reason,
        TransformEndTime: new Date(),
      });
      throw error;
    }
  }

  private async run(
    name: string,
    arn: string,
    input: CreateTransformJobCommandInput,
    model: ReturnType<LocalHosting['describeModel']>,
    started: Date,
    inputUri: string,
    outputPath: string,
  ): Promise<DescribeTransformJobCommandOutput> {
    if (this.faults.failTransforms) {
      throw new TransformJobError(`Transform job ${name} failed: injected fault (transform-failed)`);
    }
    const container = primaryContainer(model, input.ModelName ?? '');
    let predictor: ReturnType<typeof startModelContainer>;
    try {
      predictor = startModelContainer(
        artifactPathOf(container.ModelDataUrl, input.ModelName ?? ''),
        container.Environment,
        defaultModelLoader,
      );
    } catch (error) {
      if (!(error instanceof ContainerConfigError)) throw error;
      throw new TransformJobError(`Transform job ${name} failed: ${error.message}`, { cause: error });
    }
    const lines: string[] = [];
    for (const inputObject of this.store.list(inputUri)) {
      const text = await this.store.getText(inputObject);
      lines.length = 0;
      let row = 0;
      for (const record of csvRecords(text)) {
        row++;
        if (record.length !== predictor.featureNames.length) {
          throw new TransformJobError(
            `Transform job ${name}: ${inputObject} line ${row} has ${record.length} fields, the model takes ${predictor.featureNames.length}`,
          );
        }
        const values = record.map((cell, i) => {
          const v = cell === '' ? Number.NaN : Number(cell);
          if (cell !== '' && Number.isNaN(v)) {
            throw new TransformJobError(
              `Transform job ${name}: ${inputObject} line ${row} field ${i + 1} is not numeric: "${cell}"`,
            );
          }
          return v;
        });
        lines.push(predictor.answerRow(values));
      }
      const base = inputObject.split('/').pop() ?? 'input';
      await this.store.putText(`${outputPath.replace(/\/$/, '')}/${base}.out`, `${lines.join('\n')}\n`);
    }
    const described: DescribeTransformJobCommandOutput = {
      $metadata: {},
      TransformJobName: name,
      TransformJobArn: arn,
      TransformJobStatus: 'Completed',
      ModelName: input.ModelName,
      TransformInput: input.TransformInput,
      TransformOutput: input.TransformOutput,
      TransformResources: input.TransformResources,
      CreationTime: started,
      TransformStartTime: started,
      TransformEndTime: new Date(),
    };
    this.jobs.set(name, described);
    return described;
  }

  /** DescribeTransformJob of a job run here (what a Step Functions retry adopts after a lost response). */
  describeTransformJob(input: { TransformJobName?: string }): DescribeTransformJobCommandOutput {
    const job = input.TransformJobName === undefined ? undefined : this.jobs.get(input.TransformJobName);
    if (!job) throw new ValidationException(`Could not find requested job with name ${String(input.TransformJobName)}`);
    return job;
  }
}
