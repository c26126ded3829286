import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type {
  CreateModelPackageCommandInput,
  CreateModelPackageCommandOutput,
  DescribeModelPackageCommandOutput,
  ModelApprovalStatus,
  UpdateModelPackageCommandInput,
  UpdateModelPackageCommandOutput,
} from '@aws-sdk/client-sagemaker';
import * as z from 'zod';
import { writeFileAtomic } from '../fs';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../runtime/identity';
import { readStateFile, readStateFiles, type StateFileError } from '../state-file';

/** The SageMaker model registry, locally: model packages as JSON files per group, versioned 1, 2, … */

/** SageMaker's ValidationException (its Step Functions name is given by the Task binding, local/aws-contract). */
export class ModelRegistryError extends Error {
  readonly code = 'ValidationException';
  constructor(message: string) {
    super(message);
    this.name = 'ValidationException';
  }
}

type StoredPackage = Omit<DescribeModelPackageCommandOutput, '$metadata' | 'CreationTime' | 'LastModifiedTime'> & {
  CreationTime: string;
  LastModifiedTime?: string;
};

// ModelApprovalStatus: Approved | Rejected | PendingManualApproval; ApprovalDescription at most 1024 characters.
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html
const APPROVAL_STATUSES: readonly ModelApprovalStatus[] = ['Approved', 'Rejected', 'PendingManualApproval'];
const MAX_APPROVAL_DESCRIPTION = 1024;

const MODEL_PACKAGE = {
  what: 'model package',
  schema: z.looseObject({
    ModelPackageArn: z.string().min(1),
    ModelPackageGroupName: z.string().min(1),
    ModelPackageVersion: z.number().int(),
    ModelApprovalStatus: z.enum(['Approved', 'Rejected', 'PendingManualApproval']),
    CreationTime: z.string(),
    LastModifiedTime: z.string().optional(),
  }) as unknown as z.ZodType<StoredPackage>,
};

export class LocalModelRegistry {
  private readonly root: string;

  constructor(stateDir: string) {
    this.root = join(resolve(stateDir), 'registry');
  }

  private parseArn(arn: string | undefined): { group: string; version: number } {
    const match = /model-package\/([a-zA-Z0-9-]+)\/(\d+)$/.exec(arn ?? '');
    if (!match) throw new ModelRegistryError(`ModelPackageArn "${arn ?? ''}" is not a versioned model package ARN`);
    return { group: match[1] ?? '', version: Number(match[2]) };
  }

  private file(group: string, version: number): string {
    return join(this.root, group, `${version}.json`);
  }

  createModelPackage(input: CreateModelPackageCommandInput): CreateModelPackageCommandOutput {
    const group = input.ModelPackageGroupName;
    if (!group || !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(group)) {
      throw new ModelRegistryError(`ModelPackageGroupName "${group ?? ''}" is invalid`);
    }
    const status = input.ModelApprovalStatus ?? 'PendingManualApproval';
    if (!APPROVAL_STATUSES.includes(status)) throw new ModelRegistryError(`ModelApprovalStatus "${status}" is invalid`);
    const dir = join(this.root, group);
    mkdirSync(dir, { recursive: true });
    const version = this.list(group).length + 1;
    const arn = `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT}:model-package/${group.toLowerCase()}/${version}`;
    const stored: StoredPackage = {
      ModelPackageName: group,
      ModelPackageGroupName: group,
      ModelPackageVersion: version,
      ModelPackageArn: arn,
      ModelPackageDescription: input.ModelPackageDescription,
      ModelPackageStatus: 'Completed',
      ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] },
      ModelApprovalStatus: status,
      InferenceSpecification: input.InferenceSpecification,
      ModelMetrics: input.ModelMetrics,
      CustomerMetadataProperties: input.CustomerMetadataProperties,
      CreationTime: new Date().toISOString(),
    };
    writeFileAtomic(this.file(group.toLowerCase(), version), JSON.stringify(stored, null, 2));
    return { $metadata: {}, ModelPackageArn: arn };
  }

  describeModelPackage(input: { ModelPackageName?: string }): DescribeModelPackageCommandOutput {
    const { group, version } = this.parseArn(input.ModelPackageName);
    const path = this.file(group, version);
    if (!existsSync(path)) throw new ModelRegistryError(`Model package ${input.ModelPackageName} does not exist.`);
    const stored = readStateFile(path, MODEL_PACKAGE);
    return {
      $metadata: {},
      ...stored,
      CreationTime: new Date(stored.CreationTime),
      LastModifiedTime: stored.LastModifiedTime ? new Date(stored.LastModifiedTime) : undefined,
    };
  }

  updateModelPackage(input: UpdateModelPackageCommandInput): UpdateModelPackageCommandOutput {
    const { group, version } = this.parseArn(input.ModelPackageArn);
    const path = this.file(group, version);
    if (!existsSync(path)) throw new ModelRegistryError(`Model package ${input.ModelPackageArn} does not exist.`);
    const stored = readStateFile(path, MODEL_PACKAGE);
    if (input.ApprovalDescription !== undefined && input.ApprovalDescription.length > MAX_APPROVAL_DESCRIPTION) {
      throw new ModelRegistryError(
        `ApprovalDescription is ${input.ApprovalDescription.length} characters; at most ${MAX_APPROVAL_DESCRIPTION} are allowed`,
      );
    }
    if (input.ModelApprovalStatus) {
      if (!APPROVAL_STATUSES.includes(input.ModelApprovalStatus)) {
        throw new ModelRegistryError(`ModelApprovalStatus "${input.ModelApprovalStatus}" is invalid`);
      }
      stored.ModelApprovalStatus = input.ModelApprovalStatus;
    }
    if (input.ApprovalDescription !== undefined) stored.ApprovalDescription = input.ApprovalDescription;
    if (input.CustomerMetadataProperties) {
      stored.CustomerMetadataProperties = { ...stored.CustomerMetadataProperties, ...input.CustomerMetadataProperties };
    }
    stored.LastModifiedTime = new Date().toISOString();
    // Atomic: a crash mid-write must not leave a torn package that blocks every later run.
    writeFileAtomic(path, JSON.stringify(stored, null, 2));
    return { $metadata: {}, ModelPackageArn: input.ModelPackageArn };
  }

  /** Every package file of every group that could not be read back (`occupancy status` reports them). */
  scanAll(): { packages: StoredPackage[]; bad: StateFileError[] } {
    if (!existsSync(this.root)) return { packages: [], bad: [] };
    const files = readdirSync(this.root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) =>
        readdirSync(join(this.root, d.name))
          .filter((f) => /^\d+\.json$/.test(f))
          .map((f) => join(this.root, d.name, f)),
      );
    const { values, bad } = readStateFiles(files, MODEL_PACKAGE);
    return { packages: values, bad };
  }

  /** Packages of a group, oldest first. */
  list(group: string): DescribeModelPackageCommandOutput[] {
    const dir = join(this.root, group.toLowerCase());
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => /^\d+\.json$/.test(f))
      .map((f) => Number.parseInt(f, 10))
      .sort((a, b) => a - b)
      .map((v) =>
        this.describeModelPackage({
          ModelPackageName: `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT}:model-package/${group.toLowerCase()}/${v}`,
        }),
      );
  }
}
