import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { type AwsContractError, assertRequest, enforceContract } from '../../local/aws-contract';
import { type LocalBroker, startBroker } from '../../local/iot/broker';
import { type DataPlaneServer, startDataPlane } from '../../local/iot/data-plane';
import { DynamoApprovalStore } from '../../tasks/ports/approval-store';
import { dispatcherStack } from './dispatcher';

/**
 * Issue 14, "close the class": every request reaching a local adapter is checked against the AWS SDK's own model
 * and refused as AWS refuses it, under the error name a Task state gets on AWS. Each family is exercised through
 * the local Step Functions runner where it is a Task state of the pipeline.
 */

const RESOURCES = {
  SageMaker: 'arn:aws:states:::aws-sdk:sagemaker:createModel',
  Transform: 'arn:aws:states:::sagemaker:createTransformJob.sync',
  Athena: 'arn:aws:states:::athena:startQueryExecution.sync',
  CloudWatch: 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData',
  SNS: 'arn:aws:states:::sns:publish',
  SFN: 'arn:aws:states:::aws-sdk:sfn:listExecutions',
  Approval: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
} as const;

const { stack, failure } = dispatcherStack('contract', RESOURCES);

const container = { Image: 'local/occupancy', ModelDataUrl: 'file:///nowhere/model.json' };

describe('a Task state whose request breaks the service model fails with the service error', () => {
  it('SageMaker (aws-sdk createModel, optimized createTransformJob.sync): ValidationException', async () => {
    // Unmodeled in SageMaker's API model: Step Functions' name for it is not documented (local/aws-contract/errors.ts).
    const unknown = await failure('SageMaker', { ModelName: 'm1', PrimaryContainer: container, Colour: 'red' });
    expect(unknown).toEqual({
      error: 'SageMaker.SageMakerException',
      cause: expect.stringMatching(/Unknown parameter 'Colour'.*ModelName/),
    });
    const missing = await failure('SageMaker', { PrimaryContainer: container });
    expect(missing.cause).toContain("Value null at 'ModelName' failed to satisfy constraint: Member must not be null");
    const wrongType = await failure('SageMaker', { ModelName: 'm1', PrimaryContainer: { Environment: ['A=1'] } });
    expect(wrongType.cause).toContain("'PrimaryContainer.Environment'");

    const transform = {
      TransformJobName: 't1',
      ModelName: 'm1',
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/in' } } },
      TransformOutput: { S3OutputPath: 's3://b/out' },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    };
    const { TransformJobName: _, ...withoutName } = transform;
    expect(await failure('Transform', withoutName)).toEqual({
      error: 'SageMaker.SageMakerException',
      cause: expect.stringContaining("Value null at 'TransformJobName'"),
    });
    expect((await failure('Transform', { ...transform, Priority: 1 })).cause).toContain("Unknown parameter 'Priority'");
  });

  it('Athena (optimized startQueryExecution.sync): InvalidRequestException', async () => {
    const out = { OutputLocation: 's3://b/athena/' };
    expect(await failure('Athena', { QueryString: 'SELECT 1', ResultConfiguration: out, Engine: 'duckdb' })).toEqual({
      error: 'Athena.InvalidRequestException',
      cause: expect.stringContaining("Unknown parameter 'Engine'"),
    });
    expect((await failure('Athena', { ResultConfiguration: out })).cause).toContain("Value null at 'QueryString'");
  });

  it('CloudWatch (aws-sdk putMetricData): InvalidParameterValue / MissingParameter', async () => {
    const data = [{ MetricName: 'Runs', Value: 1, Unit: 'Count' }];
    expect(await failure('CloudWatch', { Namespace: 'Occupancy', MetricData: data, Region: 'x' })).toEqual({
      error: 'CloudWatch.InvalidParameterValueException',
      cause: expect.stringContaining("Unknown parameter 'Region'"),
    });
    expect(await failure('CloudWatch', { MetricData: data })).toEqual({
      error: 'CloudWatch.MissingRequiredParameterException',
      cause: expect.stringContaining("Value null at 'Namespace'"),
    });
    const wrongType = await failure('CloudWatch', {
      Namespace: 'Occupancy',
      MetricData: [{ MetricName: 'Runs', Value: '1' }],
    });
    expect(wrongType.cause).toContain("'MetricData[0].Value'");
  });

  it('SNS (optimized publish): InvalidParameter', async () => {
    const topic = 'arn:aws:sns:us-east-1:000000000000:occupancy';
    expect(await failure('SNS', { TopicArn: topic, Message: 'hi', Priority: 'high' })).toEqual({
      error: 'SNS.InvalidParameterException',
      cause: expect.stringContaining("Unknown parameter 'Priority'"),
    });
    expect((await failure('SNS', { TopicArn: topic, Subject: 'no message' })).cause).toContain(
      "Value null at 'Message'",
    );
  });

  it('Step Functions (aws-sdk listExecutions): members in PascalCase, as Step Functions passes them', async () => {
    const camel = await failure('SFN', { stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:x' });
    expect(camel).toEqual({ error: 'Sfn.ValidationException', cause: expect.stringContaining('StateMachineArn') });
  });

  it('Lambda (optimized invoke.waitForTaskToken): InvalidParameterValueException', async () => {
    expect(await failure('Approval', { Payload: { runId: 'r' } })).toEqual({
      error: 'Lambda.InvalidParameterValueException',
      cause: expect.stringContaining("Value null at 'FunctionName'"),
    });
  });
});

describe('DynamoDB: the approval store requests, through a client that enforces the model', () => {
  /** A client that validates every command, then answers locally instead of sending it. */
  function client(sent: string[]): DynamoDBClient {
    const c = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    c.middlewareStack.add(
      (_next, context) => async () => {
        sent.push(context.commandName ?? '');
        return { output: { $metadata: {}, Attributes: {}, Items: [] }, response: {} };
      },
      { step: 'build', name: 'answerLocally' },
    );
    return enforceContract(c, 'dynamodb');
  }

  it("accepts the store's own requests and refuses an unknown or a missing member with ValidationException", async () => {
    const sent: string[] = [];
    const dynamo = client(sent);
    const store = new DynamoApprovalStore(dynamo, 'approvals');
    await store.put({
      runId: 'run-1',
      taskToken: 't',
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:m:run-1',
      modelPackageArn: 'arn:aws:sagemaker:us-east-1:000000000000:model-package/g/1',
      approveSecretHash: 'a',
      rejectSecretHash: 'r',
      createdAt: 1,
      expiresAt: 2,
      status: 'pending',
    });
    await store.decide('run-1', 'approved', 'test');
    expect(sent).toEqual(['PutItemCommand', 'UpdateItemCommand']);

    const item = { runId: { S: 'run-1' } };
    await expect(
      dynamo.send(new PutItemCommand({ TableName: 'approvals', Item: item, Ttl: 5 } as never)),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining("Unknown parameter 'Ttl'"),
    });
    await expect(dynamo.send(new GetItemCommand({ Key: item } as never))).rejects.toMatchObject({
      name: 'ValidationException',
      stepFunctionsName: 'DynamoDB.DynamoDBException',
      message: expect.stringContaining("Value null at 'TableName'"),
    });
    expect(sent).toHaveLength(2);
  });
});

describe('IoT data plane host (Publish, GetThingShadow over HTTP)', () => {
  let broker: LocalBroker;
  let plane: DataPlaneServer;
  beforeAll(async () => {
    broker = await startBroker();
    plane = await startDataPlane(broker);
  });
  afterAll(async () => {
    await plane.close();
    await broker.close();
  });

  const post = (path: string) => fetch(`${plane.url}${path}`, { method: 'POST', body: '{}' });

  it('refuses a request without the required topic, or with a member of the wrong type: InvalidRequestException', async () => {
    const missing = await post('/topics/?qos=0');
    expect(missing.status).toBe(400);
    expect(missing.headers.get('x-amzn-errortype')).toBe('InvalidRequestException');
    expect(await missing.json()).toEqual({ message: expect.stringContaining("Value null at 'topic'") });
    const wrongType = await post('/topics/occupancy%2Fdesired?qos=once');
    expect(wrongType.status).toBe(400);
    expect(await wrongType.json()).toEqual({ message: expect.stringContaining("'qos'") });
    const retain = await post('/topics/occupancy%2Fdesired?retain=yes');
    expect(retain.headers.get('x-amzn-errortype')).toBe('InvalidRequestException');
    expect((await post('/topics/occupancy%2Fdesired?qos=1')).status).toBe(200);
  });
});

describe('SageMaker Runtime host (InvokeEndpoint over HTTP)', () => {
  it('refuses an invocation without the required Body: ValidationError', async () => {
    const res = await fetch(`${stack().endpointUrl}/endpoints/occupancy/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv' },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('ValidationError');
    expect(await res.json()).toEqual({ message: expect.stringContaining("Value null at 'Body'") });
  });
});

describe('the validator reads the SDK model, not a field list', () => {
  it('knows members of nested structures, lists, maps and unions from the schema', () => {
    const refused = (service: Parameters<typeof assertRequest>[0], op: string, input: unknown) => {
      try {
        assertRequest(service, op, input);
        return undefined;
      } catch (error) {
        return (error as AwsContractError).message;
      }
    };
    expect(refused('dynamodb', 'putItem', { TableName: 't', Item: { n: { N: 1 } } })).toContain("'Item.n.N'");
    expect(refused('dynamodb', 'putItem', { TableName: 't', Item: { n: { Number: '1' } } })).toContain(
      "Unknown parameter 'Item.n.Number'",
    );
    expect(refused('sagemaker', 'createEndpointConfig', { EndpointConfigName: 'c', ProductionVariants: {} })).toContain(
      'Member must be a list',
    );
    expect(refused('dynamodb', 'putItem', { TableName: 't', Item: { n: { N: '1', S: '1' } } })).toContain(
      "'Item.n' failed to satisfy constraint: Member must be a union with exactly one member set",
    );
    expect(refused('sagemaker', 'describeEndpoint', { EndpointName: 'e' })).toBeUndefined();
    expect(() => assertRequest('sagemaker', 'launchRocket', {})).toThrow(/no operation launchRocket/);
  });
});
