import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { ParseError } from '@aws-lambda-powertools/parser';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type * as z from 'zod';
import { type PipelineConfig, parsePipelineConfig } from '../pipeline/config';
import { ConfigError, TaskInputError } from './errors';
import { firstIssue } from './first-issue';

/**
 * The one handler shape of every Lambda: middy + Powertools' middlewares, as powertools-lambda-typescript's
 * own examples wire them (https://docs.powertools.aws.dev/lambda/typescript/latest/core/logger/#middy-middleware,
 * …/core/metrics/#middy-middleware, …/core/tracer/#lambda-handler, …/features/parser/#middy-middleware).
 */

/** The parts of Lambda's context object the handlers and Powertools read (@types/aws-lambda is not a dependency). */
export interface LambdaContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

export interface Powertools {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

export interface WrapOptions<S extends z.ZodType> extends Powertools {
  /** Parses the event (Parser middleware); the handler receives the schema's output. */
  readonly schema: S;
  /** Names the input in the TaskInputError a refused event becomes, e.g. "Evaluate input". */
  readonly inputName: string;
}

/** A Lambda handler as the runtime calls it: (event, context) → promise of the result. */
export type LambdaHandler<R> = (event: unknown, context: LambdaContext) => Promise<R>;

type IssuePath = readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;

/** Dotted path and message of the first Standard Schema issue (ParseError's cause). */
function firstParseIssue(cause: unknown): { field: string; message: string } {
  const issue = Array.isArray(cause) ? (cause[0] as { path?: IssuePath; message?: string } | undefined) : undefined;
  const path = (issue?.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p));
  const field = path.length > 0 ? path.join('.') : '(input)';
  return { field, message: `${field}: ${issue?.message ?? 'invalid'}` };
}

/**
 * A refused event surfaces as our TaskInputError (the name Step Functions' Catch and the tests match, with the
 * field) instead of Parser's generic ParseError. Registered before `parser`, so its onError runs after parser's.
 */
function taskInputErrors(inputName: string): MiddlewareObj {
  return {
    onError: (request) => {
      const error = request.error;
      if (!(error instanceof ParseError)) return;
      const { field, message } = firstParseIssue(error.cause);
      throw new TaskInputError(`Invalid ${inputName}: ${message}`, field, { cause: error });
    },
  };
}

export function wrapHandler<S extends z.ZodType, R>(
  fn: (event: z.output<S>, context: LambdaContext) => Promise<R>,
  options: WrapOptions<S>,
): LambdaHandler<R> {
  const { logger, metrics, tracer, schema, inputName } = options;
  const wrapped = middy(fn as (event: unknown, context: LambdaContext) => Promise<R>)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(taskInputErrors(inputName))
    .use(parser({ schema }));
  return (event, context) => wrapped(event, context as never) as Promise<R>;
}

/**
 * `handler` export of a Lambda module: deps (clients, config) are built on the first invocation, once per
 * instance, so importing the module does no I/O and reads no configuration (tests and the local runtime import it).
 */
export function onFirstInvoke<R>(create: () => LambdaHandler<R>): LambdaHandler<R> {
  let instance: LambdaHandler<R> | undefined;
  return (event, context) => {
    instance ??= create();
    return instance(event, context);
  };
}

/** The pipeline config a function is deployed with (PIPELINE_CONFIG: JSON of PipelineConfigInput), parsed once. */
export function pipelineConfigFromEnv(json: string): PipelineConfig {
  try {
    return parsePipelineConfig(JSON.parse(json));
  } catch (error) {
    throw new ConfigError(`Invalid function configuration: PIPELINE_CONFIG: ${String(error)}`, 'PIPELINE_CONFIG', {
      cause: error,
    });
  }
}

/** The function's environment, validated once (on the instance's first invocation). */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const { field, message } = firstIssue(result.error.issues);
    throw new ConfigError(`Invalid function configuration: ${message}`, field, { cause: result.error });
  }
  return result.data;
}
