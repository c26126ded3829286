import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * Transient failures of AWS calls, as Step Functions names them for SDK integrations
 * (`<Service>.<Exception>`) and for optimised integrations (bare names). Deterministic failures
 * (validation, missing resources) are deliberately absent: retrying them only delays the Catch.
 */
const TRANSIENT_EXCEPTIONS = [
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'InternalServerException',
  'InternalError',
  'SlowDown',
  'Throttled',
  'ThrottledException',
];

export type AwsService = 'SageMaker' | 'Athena' | 'S3' | 'SFN' | 'SNS' | 'CloudWatch' | 'IoTAnalytics' | 'Lambda';

export function transientErrors(service: AwsService): string[] {
  const names = TRANSIENT_EXCEPTIONS.flatMap((e) => [e, `${service}.${e}`]);
  if (service === 'SageMaker') names.push('SageMaker.SageMakerException');
  if (service === 'Lambda') {
    names.push(
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
    );
  }
  return [...new Set(names)];
}

/** Retry with exponential backoff and full jitter: 2 s, 4 s, 8 s … capped at 60 s, 6 attempts. */
export function awsRetry(service: AwsService): sfn.RetryProps {
  return {
    errors: transientErrors(service),
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 6,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  };
}
