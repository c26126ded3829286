import { type AwsService, errorCode, isModeledError, serviceExceptionName } from './schema';
import type { Violation } from './validate';

/**
 * How each service refuses a request that breaks its model, and the error name a Step Functions Task state gets.
 *
 * Step Functions names an aws-sdk integration error `ServiceName.ErrorName`, both PascalCase, always with the
 * `Exception` suffix even where the service's own code lacks it (S3 `BucketAlreadyExists` →
 * `S3.BucketAlreadyExistsException`): https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
 * Lambda errors are `Lambda.<ErrorName>`: https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 *
 * Not documented, so nothing in the pipeline may depend on them:
 * - an error the service's model does not declare (SageMaker's and DynamoDB's `ValidationException`, S3's
 *   `InvalidArgument`) is named here after the SDK's generic exception (`SageMaker.SageMakerException`), which is
 *   what an unmodeled code becomes in the AWS SDKs; AWS may name it otherwise;
 * - the optimized integrations (athena:startQueryExecution.sync, sagemaker:createTransformJob.sync, sns:publish)
 *   document no error names (https://docs.aws.amazon.com/step-functions/latest/dg/connect-athena.html,
 *   connect-sagemaker.html, connect-sns.html); the same rule is used for them;
 * - the service-name spelling for SNS, SFN and the IoT data plane (`SNS`/`Sns`, `SFN`/`Sfn`, `IoTDataPlane`).
 */

interface ServiceRefusal {
  /** Service name in Step Functions error names. */
  readonly stepFunctions: string;
  /** Error shape (or unmodeled code) for an unknown member or a value of the wrong type. */
  readonly invalid: string;
  /** Error shape (or unmodeled code) for a missing required member. */
  readonly missing: string;
  readonly status: number;
}

const REFUSALS: Record<AwsService, ServiceRefusal> = {
  // https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html (InvalidArgumentException, 400)
  firehose: {
    stepFunctions: 'Firehose',
    invalid: 'InvalidArgumentException',
    missing: 'InvalidArgumentException',
    status: 400,
  },
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/CommonErrors.html (ValidationException, 400)
  sagemaker: {
    stepFunctions: 'SageMaker',
    invalid: 'ValidationException',
    missing: 'ValidationException',
    status: 400,
  },
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html (ValidationError, 400)
  'sagemaker-runtime': {
    stepFunctions: 'SageMakerRuntime',
    invalid: 'ValidationError',
    missing: 'ValidationError',
    status: 400,
  },
  // https://docs.aws.amazon.com/athena/latest/APIReference/API_StartQueryExecution.html (InvalidRequestException)
  athena: {
    stepFunctions: 'Athena',
    invalid: 'InvalidRequestException',
    missing: 'InvalidRequestException',
    status: 400,
  },
  // https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (InvalidArgument, 400)
  s3: { stepFunctions: 'S3', invalid: 'InvalidArgument', missing: 'InvalidArgument', status: 400 },
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html (InvalidParameterValue, MissingParameter)
  cloudwatch: {
    stepFunctions: 'CloudWatch',
    invalid: 'InvalidParameterValueException',
    missing: 'MissingRequiredParameterException',
    status: 400,
  },
  // https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (InvalidParameter, 400)
  sns: {
    stepFunctions: 'SNS',
    invalid: 'InvalidParameterException',
    missing: 'InvalidParameterException',
    status: 400,
  },
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html (ValidationException)
  dynamodb: { stepFunctions: 'DynamoDB', invalid: 'ValidationException', missing: 'ValidationException', status: 400 },
  // https://docs.aws.amazon.com/iot/latest/apireference/API_iotdata_Publish.html (InvalidRequestException, 400)
  'iot-data-plane': {
    stepFunctions: 'IoTDataPlane',
    invalid: 'InvalidRequestException',
    missing: 'InvalidRequestException',
    status: 400,
  },
  // https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html
  // PascalCase of the resource's service name (aws-sdk:sfn → Sfn), as the doc's acmpca → AcmPca example.
  sfn: { stepFunctions: 'Sfn', invalid: 'ValidationException', missing: 'MissingRequiredParameter', status: 400 },
  // https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html (InvalidParameterValueException, 400)
  lambda: {
    stepFunctions: 'Lambda',
    invalid: 'InvalidParameterValueException',
    missing: 'InvalidParameterValueException',
    status: 400,
  },
};

const withException = (name: string): string => (name.endsWith('Exception') ? name : `${name}Exception`);

/** The Step Functions error name for an error shape (or unmodeled code) of a service; see the header for what is certain. */
export function stepFunctionsErrorName(service: AwsService, shapeOrCode: string): string {
  const prefix = REFUSALS[service].stepFunctions;
  if (isModeledError(service, shapeOrCode)) return `${prefix}.${withException(shapeOrCode)}`;
  return `${prefix}.${serviceExceptionName(service).replace(/ServiceException$/, 'Exception')}`;
}

function describeViolation(v: Violation): string {
  switch (v.kind) {
    case 'missing':
      return `Value null at '${v.path}' failed to satisfy constraint: Member must not be null`;
    case 'type':
      return `Value of type ${v.got} at '${v.path}' failed to satisfy constraint: Member must be a ${v.expected}`;
    default:
      return `Unknown parameter '${v.path}', must be one of: ${v.allowed.join(', ')}`;
  }
}

/**
 * A refusal as the service answers it: `name`/`code` are the wire error code an SDK client would see
 * (`ValidationException`, `InvalidParameterValue`); `stepFunctionsName` is what a Task state's Catch matches.
 */
abstract class AwsRefusal extends Error {
  readonly $fault = 'client' as const;
  readonly code: string;
  readonly statusCode: number;
  readonly stepFunctionsName: string;

  constructor(service: AwsService, shape: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = errorCode(service, shape);
    this.name = this.code;
    this.statusCode = REFUSALS[service].status;
    this.stepFunctionsName = stepFunctionsErrorName(service, shape);
  }
}

/** A request the service's model refuses. */
export class AwsContractError extends AwsRefusal {
  constructor(
    readonly service: AwsService,
    readonly operation: string,
    readonly violations: readonly Violation[],
  ) {
    const refusal = REFUSALS[service];
    const count = violations.length;
    super(
      service,
      violations[0]?.kind === 'missing' ? refusal.missing : refusal.invalid,
      `${count} validation error${count === 1 ? '' : 's'} detected in ${operation}: ${violations.map(describeViolation).join('; ')}`,
    );
  }
}

/**
 * A constraint AWS documents outside the schemas (name lengths, canary size, …), refused with the service's
 * validation error. `field` names the member at fault.
 */
export class AwsConstraintError extends AwsRefusal {
  constructor(
    readonly service: AwsService,
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(service, REFUSALS[service].invalid, message, options);
  }
}

/**
 * The error a Task state sees when a local adapter of `service` throws: contract errors keep their Step Functions
 * name, names already in `Service.Error` form (and `States.*`) pass through, anything else is named from its code.
 */
export function stepFunctionsNameOf(service: AwsService, error: unknown): string {
  if (error instanceof AwsRefusal) return error.stepFunctionsName;
  const name = error instanceof Error ? error.name : '';
  if (name.includes('.')) return name;
  return stepFunctionsErrorName(service, name === '' || name === 'Error' ? '' : name);
}
