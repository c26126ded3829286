import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notifier } from '../../tasks/ports/notifier';
import { assertRequest } from '../aws-contract';
import { EndpointError } from '../aws-endpoints/http';
import { publishToLocalTopic } from '../aws-endpoints/sns';
import type { AlarmEvaluator } from '../metrics';
import type { Json } from './runner';

/**
 * SDK clients a synthesized function gets locally, answered in process: the request is checked against the SDK's own
 * schema (local/aws-contract), then served by the local part, with AWS's errors for what AWS refuses.
 */

/** Async invocation payloads are at most 1 MB: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html */
const ASYNC_PAYLOAD_MAX_BYTES = 1_048_576;

/** A function another may invoke asynchronously: its ARN (or name) and the queue its events go to. */
export interface LocalAsyncFunction {
  readonly arn: string;
  enqueue(event: Json): void;
}

/** Lambda Invoke with InvocationType Event, queued on the named local function. */
export function standInLambda(functions: readonly LocalAsyncFunction[]): LambdaClient {
  const send = async (command: unknown) => {
    if (!(command instanceof InvokeCommand))
      throw new Error(`The local Lambda stand-in does not answer ${String(command)}`);
    const input = command.input;
    assertRequest('lambda', 'Invoke', input, 'sdk');
    const name = input.FunctionName ?? '';
    const fn = functions.find((f) => f.arn === name || f.arn.endsWith(`:function:${name}`));
    // https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors
    if (!fn) throw new EndpointError('ResourceNotFoundException', 404, `Function not found: ${name}`);
    if (input.InvocationType !== 'Event')
      throw new Error(
        `Locally a function invokes another asynchronously only (InvocationType Event), not ${input.InvocationType ?? 'RequestResponse'}`,
      );
    const raw = input.Payload ?? new Uint8Array();
    if (typeof raw !== 'string' && !(raw instanceof Uint8Array))
      throw new Error('The local Lambda stand-in takes a string or Uint8Array Payload');
    const payload = typeof raw === 'string' ? new TextEncoder().encode(raw) : raw;
    if (payload.byteLength > ASYNC_PAYLOAD_MAX_BYTES)
      throw new EndpointError(
        'RequestEntityTooLargeException',
        413,
        `Request must be smaller than ${ASYNC_PAYLOAD_MAX_BYTES} bytes for the InvokeFunction operation`,
      );
    let event: Json;
    try {
      event = JSON.parse(new TextDecoder().decode(payload)) as Json;
    } catch {
      throw new EndpointError('InvalidRequestContentException', 400, 'Could not parse request body into json');
    }
    fn.enqueue(event);
    return { StatusCode: 202 };
  };
  return { send } as unknown as LambdaClient;
}

/** CloudWatch DescribeAlarms answered by the local alarm evaluator (which evaluates them on the way). */
export function standInCloudWatchAlarms(alarms: AlarmEvaluator): CloudWatchClient {
  const send = async (command: unknown) => {
    if (!(command instanceof DescribeAlarmsCommand))
      throw new Error(`The local CloudWatch stand-in does not answer ${String(command)}`);
    assertRequest('cloudwatch', 'DescribeAlarms', command.input, 'sdk');
    const names = command.input.AlarmNames ?? [];
    // AlarmNames holds 100 at most (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html);
    // the refusal's shape as CloudWatch words it for maxRecords (https://github.com/boto/boto3/issues/3475).
    if (names.length > 100)
      throw new EndpointError(
        'ValidationError',
        400,
        `1 validation error detected: Value '[${names.join(', ')}]' at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100`,
      );
    const types = command.input.AlarmTypes;
    if (types !== undefined && !types.includes('MetricAlarm')) return { MetricAlarms: [], CompositeAlarms: [] };
    return { ...alarms.describeAlarms(names.length > 0 ? { AlarmNames: names } : {}), CompositeAlarms: [] };
  };
  return { send } as unknown as CloudWatchClient;
}

/** SNS Publish to the local topic, answered in process as the local SNS endpoint answers it (publishToLocalTopic). */
export function standInSns(topicArn: string, notifier: Notifier): SNSClient {
  const send = async (command: unknown) => {
    if (!(command instanceof PublishCommand))
      throw new Error(`The local SNS stand-in does not answer ${String(command)}`);
    await publishToLocalTopic({ topicArn, notifier }, { ...command.input });
    return { MessageId: `local-${Date.now()}` };
  };
  return { send } as unknown as SNSClient;
}
