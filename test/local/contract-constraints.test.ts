import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { INFERENCE_OUTPUT } from '../../evaluation/p-occupied';
import { LocalHosting } from '../../local/hosting/hosting';
import type { Json } from '../../local/runtime/runner';
import { soundCutoffModel } from '../fixtures/sound-model';
import { dispatcherStack } from './dispatcher';

/**
 * Issue 14: constraints AWS documents outside the SDK schemas, enforced by the local parts with the service's
 * error: canary ≤ 50 % of the new fleet, SageMaker name lengths and patterns, "already exists", UpdateEndpoint only
 * on an InService endpoint, SNS Subject, and kms:CreateGrant for the caller of CreateEndpoint with a KmsKeyId.
 */

const RESOURCES = {
  AutoML: 'arn:aws:states:::aws-sdk:sagemaker:createAutoMLJobV2',
  CreateModel: 'arn:aws:states:::aws-sdk:sagemaker:createModel',
  CreateConfig: 'arn:aws:states:::aws-sdk:sagemaker:createEndpointConfig',
  CreateEndpoint: 'arn:aws:states:::aws-sdk:sagemaker:createEndpoint',
  Transform: 'arn:aws:states:::sagemaker:createTransformJob.sync',
  Notify: 'arn:aws:states:::sns:publish',
} as const;

// A state machine role without kms:CreateGrant (issue 14 defect 2 as it was).
const { stack, dir, run, failure } = dispatcherStack('constraints', RESOURCES, [
  'sagemaker:*',
  'kms:Decrypt',
  'kms:GenerateDataKey*',
]);
let modelUrl: string;

beforeAll(() => {
  const path = join(dir(), 'model.json');
  writeFileSync(path, JSON.stringify(soundCutoffModel('v1', 10)));
  modelUrl = pathToFileURL(path).href;
});

const container = (): Record<string, Json> => ({
  Image: 'local/occupancy',
  ModelDataUrl: modelUrl,
  Environment: { SAGEMAKER_INFERENCE_OUTPUT: INFERENCE_OUTPUT },
});
const variant = (model: string, instances = 1): Json => [
  { VariantName: 'AllTraffic', ModelName: model, InitialInstanceCount: instances, InstanceType: 'ml.m5.large' },
];

describe('SageMaker names: length and pattern as the API reference gives them', () => {
  it('refuses an AutoML job name over 32 characters and a model name over 63, or off-pattern', async () => {
    const automl = await failure('AutoML', {
      AutoMLJobName: 'a'.repeat(33),
      AutoMLJobInputDataConfig: [
        { ChannelType: 'training', DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/t' } } },
      ],
      OutputDataConfig: { S3OutputPath: 's3://b/out' },
      AutoMLProblemTypeConfig: { TabularJobConfig: { TargetAttributeName: 'occupied' } },
      RoleArn: 'arn:aws:iam::000000000000:role/sm',
    });
    expect(automl).toEqual({
      error: 'SageMaker.SageMakerException',
      cause: expect.stringContaining(
        "at 'AutoMLJobName' failed to satisfy constraint: Member must have length less than or equal to 32",
      ),
    });
    const long = await failure('CreateModel', { ModelName: 'm'.repeat(64), PrimaryContainer: container() });
    expect(long.cause).toContain('Member must have length less than or equal to 63');
    const pattern = await failure('CreateModel', { ModelName: 'model_1', PrimaryContainer: container() });
    expect(pattern.cause).toContain('Member must satisfy regular expression pattern');
  });
});

describe('CreateAutoMLJobV2 channels: tabular content types, the same on both channels', () => {
  const job = (channels: Record<string, Json>[]) => ({
    AutoMLJobName: 'channels',
    AutoMLJobInputDataConfig: channels,
    OutputDataConfig: { S3OutputPath: 's3://b/out' },
    AutoMLProblemTypeConfig: { TabularJobConfig: { TargetAttributeName: 'occupied' } },
    RoleArn: 'arn:aws:iam::000000000000:role/sm',
  });
  const channel = (ChannelType: string, ContentType: string) => ({
    ChannelType,
    ContentType,
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://b/${ChannelType}/` } },
  });
  it('refuses a non-tabular content type, channels that differ, and two channels of one type', async () => {
    const parquet = 'x-application/vnd.amazon+parquet';
    expect(await failure('AutoML', job([channel('training', 'image/png')]))).toEqual({
      error: 'SageMaker.SageMakerException',
      cause: expect.stringContaining("Invalid ContentType 'image/png' for a tabular problem type"),
    });
    const mixed = await failure(
      'AutoML',
      job([channel('training', parquet), channel('validation', 'text/csv;header=present')]),
    );
    expect(mixed.cause).toContain('Channels for training and validation must share the same ContentType');
    const twice = await failure('AutoML', job([channel('training', parquet), channel('training', parquet)]));
    expect(twice.cause).toContain('Only one training channel is allowed.');
  });
});

describe('create on an existing name: the "already exists" ValidationException, never a silent success', () => {
  it('CreateModel, CreateEndpointConfig and CreateTransformJob', async () => {
    expect((await run('CreateModel', { ModelName: 'dup', PrimaryContainer: container() })).status).toBe('SUCCEEDED');
    expect(await failure('CreateModel', { ModelName: 'dup', PrimaryContainer: container() })).toEqual({
      error: 'SageMaker.SageMakerException',
      cause: expect.stringContaining('Cannot create already existing model'),
    });
    const config = { EndpointConfigName: 'dup-config', ProductionVariants: variant('dup') };
    expect((await run('CreateConfig', config)).status).toBe('SUCCEEDED');
    expect((await failure('CreateConfig', config)).cause).toContain(
      'Cannot create already existing endpoint configuration',
    );

    const transform = {
      TransformJobName: 'dup-job',
      ModelName: 'dup',
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://bucket/in/rows.csv' } } },
      TransformOutput: { S3OutputPath: 's3://bucket/out' },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    };
    await stack().store.putText('s3://bucket/in/rows.csv', '21,40,12\n');
    expect(await run('Transform', transform)).toMatchObject({ status: 'SUCCEEDED' });
    // The call is refused (the service's error), not a job that ran and failed (SageMaker.TransformJobFailed).
    expect(await failure('Transform', transform)).toEqual({
      error: 'SageMaker.SageMakerException',
      cause: expect.stringContaining('a job with this name already exists'),
    });
  });
});

describe('kms:CreateGrant: CreateEndpoint on a config with KmsKeyId needs it in the caller role', () => {
  it('is refused when the synthesized state machine role lacks it', async () => {
    expect((await run('CreateModel', { ModelName: 'kms', PrimaryContainer: container() })).status).toBe('SUCCEEDED');
    const key = 'arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const config = { EndpointConfigName: 'kms-config', ProductionVariants: variant('kms'), KmsKeyId: key };
    expect((await run('CreateConfig', config)).status).toBe('SUCCEEDED');
    const refused = await failure('CreateEndpoint', { EndpointName: 'kms-endpoint', EndpointConfigName: 'kms-config' });
    expect(refused.cause).toMatch(/not authorized to perform kms:CreateGrant/);
  });

  it('is allowed when the role holds it', async () => {
    const hosting = new LocalHosting({ callerAllows: (action) => action === 'kms:CreateGrant' });
    hosting.createModel({ ModelName: 'kms', PrimaryContainer: { ModelDataUrl: modelUrl } });
    hosting.createEndpointConfig({
      EndpointConfigName: 'kms-config',
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'kms', InitialInstanceCount: 1 }],
      KmsKeyId: 'alias/occupancy',
    });
    expect(() =>
      hosting.createEndpoint({ EndpointName: 'kms-endpoint', EndpointConfigName: 'kms-config' }),
    ).not.toThrow();
    hosting.close();
  });
});

describe('UpdateEndpoint: only an InService endpoint, with a canary of at most 50 % of the new fleet', () => {
  let hosting: LocalHosting;
  beforeEach(() => {
    hosting = new LocalHosting({ timeScale: 0.001, provisioningSeconds: 3600 });
    hosting.createModel({ ModelName: 'a', PrimaryContainer: { ModelDataUrl: modelUrl } });
    for (const [name, instances] of [
      ['one', 1],
      ['five', 5],
    ] as const) {
      hosting.createEndpointConfig({
        EndpointConfigName: name,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'a', InitialInstanceCount: instances }],
      });
    }
  });
  afterEach(() => hosting.close());

  const canary = (size: { Type: 'CAPACITY_PERCENT' | 'INSTANCE_COUNT'; Value: number }) => ({
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: { Type: 'CANARY' as const, CanarySize: size, WaitIntervalInSeconds: 60 },
    },
  });

  it('refuses an update while the endpoint is Creating', () => {
    hosting.createEndpoint({ EndpointName: 'e', EndpointConfigName: 'one' });
    expect(hosting.describeEndpoint({ EndpointName: 'e' }).EndpointStatus).toBe('Creating');
    expect(() => hosting.updateEndpoint({ EndpointName: 'e', EndpointConfigName: 'five' })).toThrow(
      expect.objectContaining({ name: 'ValidationException', message: expect.stringContaining('in-progress') }),
    );
  });

  it('refuses a 10 % canary on a 1-instance fleet and 3 of 5 instances; accepts 2 of 5', async () => {
    const fast = new LocalHosting({ timeScale: 0.001 });
    fast.createModel({ ModelName: 'a', PrimaryContainer: { ModelDataUrl: modelUrl } });
    for (const [name, instances] of [
      ['one', 1],
      ['five', 5],
    ] as const) {
      fast.createEndpointConfig({
        EndpointConfigName: name,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'a', InitialInstanceCount: instances }],
      });
    }
    fast.createEndpoint({ EndpointName: 'e', EndpointConfigName: 'one' });
    expect((await fast.whenSettled('e', 10_000)).EndpointStatus).toBe('InService');
    const update = (config: string, size: { Type: 'CAPACITY_PERCENT' | 'INSTANCE_COUNT'; Value: number }) => () =>
      fast.updateEndpoint({ EndpointName: 'e', EndpointConfigName: config, DeploymentConfig: canary(size) });
    expect(update('one', { Type: 'CAPACITY_PERCENT', Value: 10 })).toThrow(
      expect.objectContaining({ name: 'ValidationException', message: expect.stringMatching(/CanarySize.*50%/) }),
    );
    expect(update('five', { Type: 'INSTANCE_COUNT', Value: 3 })).toThrow(/CanarySize/);
    expect(update('five', { Type: 'CAPACITY_PERCENT', Value: 60 })).toThrow(/CanarySize/);
    // 50 % of 5 is 2.5 instances: rounded up, 3 of 5 is more than half (the same reading as pipeline/config.ts).
    expect(update('five', { Type: 'CAPACITY_PERCENT', Value: 50 })).toThrow(/CanarySize/);
    expect(update('five', { Type: 'INSTANCE_COUNT', Value: 2 })).not.toThrow();
    fast.close();
  });
});

describe('SNS Subject: less than 100 printable ASCII characters, no line breaks', () => {
  const topic = 'arn:aws:sns:us-east-1:000000000000:occupancy';
  it('refuses a long, multi-line or non-ASCII subject with InvalidParameter', async () => {
    for (const Subject of ['x'.repeat(100), 'run\nfailed', 'Lüftung']) {
      expect(await failure('Notify', { TopicArn: topic, Subject, Message: 'm' })).toEqual({
        error: 'SNS.InvalidParameterException',
        cause: expect.stringContaining('Subject'),
      });
    }
    expect((await run('Notify', { TopicArn: topic, Subject: 'x'.repeat(99), Message: 'm' })).status).toBe('SUCCEEDED');
  });
});
