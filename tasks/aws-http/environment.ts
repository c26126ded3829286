import * as z from 'zod';
import { firstIssue } from '../first-issue';
import type { AwsCredentials } from './sigv4';

/** The Lambda runtime's identity: its region and its role's temporary credentials, set in every function's env. */
const AwsEnvironmentSchema = z.object({
  AWS_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be a region name such as eu-west-1'),
  AWS_ACCESS_KEY_ID: z.string().min(1),
  AWS_SECRET_ACCESS_KEY: z.string().min(1),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
});

export interface AwsEnvironment {
  readonly region: string;
  readonly credentials: AwsCredentials;
}

/** The Lambda environment lacks its region or credentials; `field` is the variable. */
export class AwsEnvironmentError extends Error {
  constructor(
    message: string,
    readonly field: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AwsEnvironmentError';
  }
}

export function awsEnvironment(env: Readonly<Record<string, string | undefined>>): AwsEnvironment {
  const result = AwsEnvironmentSchema.safeParse({
    AWS_REGION: env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID || undefined,
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY || undefined,
    AWS_SESSION_TOKEN: env.AWS_SESSION_TOKEN || undefined,
  });
  if (!result.success) {
    const { field, message } = firstIssue(result.error.issues);
    throw new AwsEnvironmentError(`Invalid AWS environment: ${message}`, field, { cause: result.error });
  }
  const e = result.data;
  return {
    region: e.AWS_REGION,
    credentials: {
      accessKeyId: e.AWS_ACCESS_KEY_ID,
      secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
      ...(e.AWS_SESSION_TOKEN === undefined ? {} : { sessionToken: e.AWS_SESSION_TOKEN }),
    },
  };
}

/** `amazonaws.com`, or `amazonaws.com.cn` in the China partition. */
export function awsDnsSuffix(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/** SageMaker Runtime's regional URL, as the SDK resolves it. */
export function sagemakerRuntimeUrl(region: string): string {
  return `https://runtime.sagemaker.${region}.${awsDnsSuffix(region)}`;
}

/** The IoT data plane's default ATS URL, as the SDK resolves it (the account's own endpoint is better). */
export function iotDataUrl(region: string): string {
  return region.startsWith('cn-')
    ? `https://data.ats.iot.${region}.${awsDnsSuffix(region)}`
    : `https://data-ats.iot.${region}.${awsDnsSuffix(region)}`;
}
