import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { ParsedResult } from '@aws-lambda-powertools/parser/types';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import { INFERENCE_SERVICE } from '../../pipeline/state-names';
import type { LambdaHandler } from '../lambda-handler';
import { powertools } from '../powertools';
import { type ClientTarget, createInferenceClients, type InferenceClients } from './clients';
import { type InferenceConfig, parseInferenceConfig } from './config';
import { type ShadowDocumentsEvent, ShadowDocumentsEventSchema } from './documents';
import { type EndpointPort, SageMakerEndpoint } from './endpoint';
import type { DeviceHistory } from './history';
import { createParsedInference, type InferenceOutcome } from './infer';
import { firehosePredictionSink, type PredictionSink } from './predictions';
import { IotDataShadowPublisher, type ShadowPublisher } from './publisher';
import { firehoseSensorFaultSink, type SensorFaultSink } from './sensor-faults';

/**
 * The inference Lambda's one shape: `createHandler(deps)` wraps the use case with middy and Powertools'
 * middlewares as powertools-lambda-typescript's examples do
 * (https://docs.powertools.aws.dev/lambda/typescript/latest/features/parser/#middy-middleware). Parser runs in
 * safeParse mode: a refused event reaches the handler, which logs, counts and returns it (an IoT rule's async
 * invocation would retry a throw, and bad input fails the same way every time). tasks/lambda-handler.ts's
 * wrapHandler throws refused input instead (right for the Step Functions tasks), hence this inline wiring.
 */

export type { LambdaContext } from '../lambda-handler';

export type InferenceLambda = LambdaHandler<InferenceOutcome>;

export interface InferenceLambdaDeps {
  readonly config: InferenceConfig;
  readonly endpoint: EndpointPort;
  readonly shadow: ShadowPublisher;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  /** @default a DeviceHistory of config.historyMaxDevices (the local runtime passes its own, for its stats) */
  readonly history?: DeviceHistory;
  /** @default Date.now (tests pin "now" for the readings' age checks) */
  readonly clock?: () => number;
  /** @default none: answers are not recorded */
  readonly predictions?: PredictionSink;
  /** @default none: refused readings are not recorded */
  readonly sensorFaults?: SensorFaultSink;
}

export function createHandler(deps: InferenceLambdaDeps): InferenceLambda {
  const { logger, metrics, tracer } = deps;
  const infer = createParsedInference({
    config: deps.config,
    endpoint: deps.endpoint,
    shadow: deps.shadow,
    logger,
    metrics,
    ...(deps.history === undefined ? {} : { history: deps.history }),
    ...(deps.clock === undefined ? {} : { clock: deps.clock }),
    ...(deps.predictions === undefined ? {} : { predictions: deps.predictions }),
    ...(deps.sensorFaults === undefined ? {} : { sensorFaults: deps.sensorFaults }),
    // Lands on the handler's subsegment (captureLambdaHandler), not the Lambda-owned main segment.
    annotate: (key, value) => tracer.putAnnotation(key, value),
  });
  // The Parser middleware (safeParse) replaces the event with its parse result before this runs.
  const wrapped = middy((event: ParsedResult<ShadowDocumentsEvent, ShadowDocumentsEvent>) => infer(event))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(captureLambdaHandler(tracer))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(parser({ schema: ShadowDocumentsEventSchema, safeParse: true }));
  return (event, context) =>
    wrapped(event as ParsedResult<ShadowDocumentsEvent, ShadowDocumentsEvent>, context as never);
}

export interface BuildDepsOptions {
  readonly config: InferenceConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
  /** Endpoints and identity of the clients when not the Lambda environment's (the local runtime). */
  readonly target?: ClientTarget;
  readonly history?: DeviceHistory;
}

/**
 * Deps from a config and the Powertools utilities: the SDK clients (traced), the endpoint and shadow adapters,
 * the metrics' dimensions. The Lambda and the local runtime both build the handler through here.
 */
export function buildDeps(options: BuildDepsOptions): InferenceLambdaDeps & { readonly clients: InferenceClients } {
  const { config, logger, metrics, tracer } = options;
  const clients = createInferenceClients(config, options.target);
  const firehose = tracer.captureAWSv3Client(clients.firehose);
  // The rollback alarm on the fallback rate and the dashboard select these exact dimensions.
  metrics.setDefaultDimensions({ EndpointName: config.endpointName });
  return {
    config,
    logger,
    metrics,
    tracer,
    clients,
    endpoint: new SageMakerEndpoint(tracer.captureAWSv3Client(clients.sagemakerRuntime), {
      endpointName: config.endpointName,
    }),
    shadow: new IotDataShadowPublisher(tracer.captureAWSv3Client(clients.iotData)),
    ...(config.predictionsStreamName === undefined
      ? {}
      : { predictions: firehosePredictionSink(firehose, { streamName: config.predictionsStreamName }) }),
    ...(config.sensorFaultsStreamName === undefined
      ? {}
      : { sensorFaults: firehoseSensorFaultSink(firehose, { streamName: config.sensorFaultsStreamName }) }),
    ...(options.history === undefined ? {} : { history: options.history }),
  };
}

/** The Lambda's deps: config from its environment (validated once), clients from the SDK's provider chains. */
export function defaultDeps(env: Readonly<Record<string, string | undefined>> = process.env) {
  return buildDeps({ config: parseInferenceConfig(env), ...powertools(INFERENCE_SERVICE) });
}
