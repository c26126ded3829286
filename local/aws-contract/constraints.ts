import type { AutoMLJobChannel, CapacitySize, DeploymentConfig } from '@aws-sdk/client-sagemaker';
import { CHANNEL_CONTENT_TYPES, type ChannelContentType } from '../../automl/content-types';
import { AwsConstraintError } from './errors';

/**
 * Constraints AWS documents outside the SDK's static schemas (which carry no lengths, patterns or ranges) and that
 * our stacks depend on. Each is refused with the service's validation error, naming the field.
 */

/** SageMaker entity names (model, endpoint config, endpoint, transform job): 1–63 characters. */
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModel.html#sagemaker-CreateModel-request-ModelName
const ENTITY_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** AutoML job names: 1–32 characters. */
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateAutoMLJobV2.html#sagemaker-CreateAutoMLJobV2-request-AutoMLJobName
const AUTOML_JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$/;

export type SageMakerNameKind =
  | 'ModelName'
  | 'EndpointConfigName'
  | 'EndpointName'
  | 'TransformJobName'
  | 'AutoMLJobName';

/** Refuses a SageMaker name AWS would refuse, with AWS's validation message shape. */
export function assertSageMakerName(
  field: SageMakerNameKind | string,
  value: unknown,
  kind?: SageMakerNameKind,
): string {
  const max = (kind ?? field) === 'AutoMLJobName' ? 32 : 63;
  const pattern = max === 32 ? AUTOML_JOB_NAME : ENTITY_NAME;
  if (typeof value !== 'string' || value === '') {
    throw new AwsConstraintError(
      'sagemaker',
      field,
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (value.length > max) {
    throw new AwsConstraintError(
      'sagemaker',
      field,
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  }
  if (!pattern.test(value)) {
    throw new AwsConstraintError(
      'sagemaker',
      field,
      `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source}`,
    );
  }
  return value;
}

/** Instances a CapacitySize turns on out of a fleet of `instances`. */
function capacityInstances(size: CapacitySize, instances: number): number {
  const value = size.Value ?? 0;
  return size.Type === 'INSTANCE_COUNT' ? value : Math.max(1, Math.ceil((instances * value) / 100));
}

/**
 * Blue/green traffic sizes against the new fleet's instance count. CanarySize "must be less than or equal to 50% of
 * the variant's total instance count"; LinearStepSize "must be 10-50%"; WaitIntervalInSeconds 0–3600; Value ≥ 1.
 */
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html
// https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green-canary.html
export function assertBlueGreenPolicy(deploymentConfig: DeploymentConfig | undefined, instances: number): void {
  const routing = deploymentConfig?.BlueGreenUpdatePolicy?.TrafficRoutingConfiguration;
  if (!routing) return;
  const base = 'DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration';
  const wait = routing.WaitIntervalInSeconds;
  if (wait !== undefined && (wait < 0 || wait > 3600)) {
    throw new AwsConstraintError(
      'sagemaker',
      `${base}.WaitIntervalInSeconds`,
      `Value '${wait}' at '${base}.WaitIntervalInSeconds' failed to satisfy constraint: Member must have value between 0 and 3600`,
    );
  }
  const check = (field: 'CanarySize' | 'LinearStepSize', minShare: number): void => {
    const size = routing[field];
    if (!size) {
      throw new AwsConstraintError(
        'sagemaker',
        `${base}.${field}`,
        `${field} is required for ${routing.Type} traffic routing.`,
      );
    }
    if (!(typeof size.Value === 'number' && size.Value >= 1)) {
      throw new AwsConstraintError(
        'sagemaker',
        `${base}.${field}.Value`,
        `Value '${String(size.Value)}' at '${base}.${field}.Value' failed to satisfy constraint: Member must have value greater than or equal to 1`,
      );
    }
    const on = capacityInstances(size, instances);
    // How SageMaker rounds a percentage is not documented: the stricter reading is taken (whole instances rounded
    // up, at least one), and those instances must be at most half the fleet; so 1 instance can never canary.
    const share =
      size.Type === 'INSTANCE_COUNT' ? (2 * on) / instances : Math.max((2 * on) / instances, size.Value / 50);
    const minOk = size.Type === 'INSTANCE_COUNT' ? on >= Math.ceil(instances * minShare) : size.Value >= minShare * 100;
    if (share > 1 || on >= instances || !minOk) {
      throw new AwsConstraintError(
        'sagemaker',
        `${base}.${field}`,
        `${field} ${size.Value} ${size.Type === 'INSTANCE_COUNT' ? 'instance(s)' : '%'} turns on ${on} of the new fleet's ${instances} instance(s); it must be ${minShare > 0 ? `${minShare * 100}-` : 'at most '}50% of the fleet's capacity.`,
      );
    }
  };
  if (routing.Type === 'CANARY') check('CanarySize', 0);
  if (routing.Type === 'LINEAR') check('LinearStepSize', 0.1);
}

/**
 * SNS Subject: "UTF-8 text with no line breaks or control characters, and less than 100 characters long"; SNS
 * email delivery requires ASCII. Enforced as the doc reads: 1–99 printable ASCII characters.
 */
// https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_RequestParameters
export function assertSnsSubject(subject: unknown): void {
  if (subject === undefined || subject === null) return;
  if (typeof subject !== 'string' || subject.length === 0 || subject.length >= 100 || !/^[\x20-\x7e]+$/.test(subject)) {
    throw new AwsConstraintError(
      'sns',
      'Subject',
      'Invalid parameter: Subject (must be less than 100 printable ASCII characters with no line breaks)',
    );
  }
}

/**
 * CreateAutoMLJobV2 channels of a tabular job: at most one per ChannelType (default training), a tabular content type
 * (default CSV with header), the same one on both channels. Returns it. The local AutoML reads S3Prefix channels
 * without compression only: Gzip (valid on AWS for S3Prefix tabular input) is refused as not implemented locally.
 */
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AutoMLJobChannel.html
export function assertAutoMLChannels(channels: readonly AutoMLJobChannel[]): ChannelContentType {
  const field = 'AutoMLJobInputDataConfig';
  const types = new Set<string>();
  const contentTypes = new Set<string>();
  for (const [i, channel] of channels.entries()) {
    const type = channel.ChannelType ?? 'training';
    if (types.has(type)) {
      throw new AwsConstraintError('sagemaker', `${field}.${i}.ChannelType`, `Only one ${type} channel is allowed.`);
    }
    types.add(type);
    const contentType = channel.ContentType ?? CHANNEL_CONTENT_TYPES[0];
    if (!(CHANNEL_CONTENT_TYPES as readonly string[]).includes(contentType)) {
      throw new AwsConstraintError(
        'sagemaker',
        `${field}.${i}.ContentType`,
        `Invalid ContentType '${contentType}' for a tabular problem type; use ${CHANNEL_CONTENT_TYPES.join(' or ')}.`,
      );
    }
    contentTypes.add(contentType);
    if ((channel.CompressionType ?? 'None') !== 'None') {
      throw new AwsConstraintError(
        'sagemaker',
        `${field}.${i}.CompressionType`,
        `CompressionType ${channel.CompressionType} is valid on AWS but the local AutoML reads uncompressed channels only.`,
      );
    }
    if (channel.DataSource?.S3DataSource?.S3DataType !== 'S3Prefix') {
      throw new AwsConstraintError(
        'sagemaker',
        `${field}.${i}.DataSource.S3DataSource.S3DataType`,
        'The local AutoML reads S3Prefix data sources only.',
      );
    }
  }
  if (contentTypes.size > 1) {
    throw new AwsConstraintError(
      'sagemaker',
      `${field}.ContentType`,
      `Channels for training and validation must share the same ContentType, got ${[...contentTypes].join(' and ')}.`,
    );
  }
  return (contentTypes.values().next().value ?? CHANNEL_CONTENT_TYPES[0]) as ChannelContentType;
}
