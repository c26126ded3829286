import { type AwsService, assertRequest, stepFunctionsNameOf } from '../aws-contract';
import type { LocalFunction, LocalLambdas } from './lambdas';
import type { Json, ResourceBinding } from './runner';

/**
 * How a Task state of the synthesized state machine reaches a local adapter: the ARN it calls, the request checked
 * against the SDK's model, and the error named as Step Functions names it.
 */

/** An AWS service error as Step Functions names it (`SageMaker.SageMakerException`), keeping the message. */
export class ServiceError extends Error {
  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

/** JSON as a state sees it: Dates as ISO strings, no SDK `$metadata`. */
export function toJson(value: unknown): Json {
  return JSON.parse(JSON.stringify(value, (key, v) => (key === '$metadata' ? undefined : v))) as Json;
}

/** Step Functions' service names (`aws-sdk:<service>:…`) → the SDK client whose model validates the request. */
const SDK_SERVICES: Record<string, AwsService> = {
  sagemaker: 'sagemaker',
  s3: 's3',
  sfn: 'sfn',
  cloudwatch: 'cloudwatch',
  athena: 'athena',
  sns: 'sns',
  dynamodb: 'dynamodb',
  iotdata: 'iot-data-plane',
  lambda: 'lambda',
};

/**
 * A Task state's call reaching a local adapter: the input is checked against the SDK's model for the operation
 * (as Step Functions passes it: PascalCase members, JSON values) and any error surfaces under the name Step
 * Functions would give it on AWS (see local/aws-contract/errors.ts for which names are certain).
 */
export async function serviceCall(
  service: AwsService,
  operation: string,
  input: Json,
  handler: (input: Record<string, unknown>) => unknown,
): Promise<Json> {
  try {
    assertRequest(service, operation, input ?? {}, 'stepfunctions');
    return toJson(await handler((input ?? {}) as Record<string, unknown>));
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    throw new ServiceError(stepFunctionsNameOf(service, e), e.message, { cause: error });
  }
}

export function sdk(
  service: string,
  action: string,
  handler: (input: Record<string, unknown>) => unknown,
): ResourceBinding {
  const awsService = SDK_SERVICES[service];
  if (!awsService) throw new Error(`No SDK model is known for Step Functions service "${service}"`);
  return {
    resource: `arn:aws:states:::aws-sdk:${service}:${action}`,
    handler: (input) => serviceCall(awsService, action, input, handler),
  };
}

/** A Task state invoking a Lambda function by ARN (payloadResponseOnly): the function's bundled handler runs. */
export function lambda(functionPattern: RegExp, fn: LocalFunction, lambdas: LocalLambdas): ResourceBinding {
  return {
    resource: new RegExp(`^arn:aws:lambda:[^:]+:\\d+:function:${functionPattern.source}`),
    handler: async (input) => toJson(await lambdas.invoke(fn, input)),
  };
}
