import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * Transient failures of AWS calls, as Step Functions names them: `<ServiceName>.<ErrorName>` in PascalCase,
 * with an `Exception` suffix even where the service's own name has none, for aws-sdk integrations
 * (https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html), and the bare names
 * for optimised integrations. Validation errors and missing resources are deliberately absent: retrying them
 * only delays the Catch. So is the generic `SageMaker.AmazonSageMakerException` (`SageMakerException`): it is
 * the name unmodeled SageMaker errors get, among them every ValidationException (retrying those can never
 * succeed), so SageMaker throttling surfaces under a modeled name or not at all.
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

export type AwsService = 'SageMaker' | 'Athena' | 'S3' | 'Sfn' | 'SNS' | 'CloudWatch' | 'Lambda' | 'DynamoDB';

/**
 * How each service's name is spelled in error names. The Step Functions API (`aws-sdk:sfn:…`) and SNS are
 * spelled differently by different sources (`Sfn.`/`SFN.`, `SNS.`/`Sns.`): a Retry lists both, so the
 * pipeline does not depend on which one AWS uses.
 */
const SPELLINGS: Record<AwsService, readonly string[]> = {
  SageMaker: ['SageMaker'],
  Athena: ['Athena'],
  S3: ['S3'],
  Sfn: ['Sfn', 'SFN'],
  SNS: ['SNS', 'Sns'],
  CloudWatch: ['CloudWatch'],
  Lambda: ['Lambda'],
  DynamoDB: ['DynamoDB'],
};

export function transientErrors(service: AwsService): string[] {
  const names = TRANSIENT_EXCEPTIONS.flatMap((e) => [e, ...SPELLINGS[service].map((s) => `${s}.${e}`)]);
  if (service === 'Lambda') {
    // https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
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
