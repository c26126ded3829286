import { INFERENCE_SERVICE } from '../../pipeline/state-names';
import { awsEnvironment, iotDataUrl, SignedHttpClient, sagemakerRuntimeUrl, xrayExchanges } from '../aws-http';
import { powertools } from '../powertools';
import { parseInferenceConfig } from './config';
import { SageMakerEndpoint } from './endpoint';
import { createInferenceHandler, type InferenceHandler } from './infer';
import { IotDataShadowPublisher } from './publisher';

/**
 * Lambda entry behind the Serving stack's IoT rule (rule-sql.ts). Config, clients and the per-device feature
 * history are built once per instance, at module load; tests build their own with `createInferenceHandler`.
 */
const config = parseInferenceConfig(process.env);
const { logger, metrics, tracer } = powertools(INFERENCE_SERVICE);
// The rollback alarm on the fallback rate and the dashboard select these exact dimensions.
metrics.setDefaultDimensions({ EndpointName: config.endpointName });

const { region, credentials } = awsEnvironment(process.env);
// The Tracer's automatic http capture patches node:http, which SignedHttpClient does not use: record the calls.
const onExchange = tracer.isTracingEnabled() ? xrayExchanges(() => tracer.getSegment()) : undefined;

/**
 * Signed HTTP, not the SDK clients: this runs once per reading, and the SDK client costs 4–6 times the CPU per
 * call and ~90 ms of cold start each (see tasks/aws-http/client.ts). Each call is an X-Ray subsegment (onExchange).
 */
export const sagemakerRuntime = new SignedHttpClient({
  url: config.sagemakerRuntimeUrl ?? sagemakerRuntimeUrl(region),
  service: 'sagemaker',
  region,
  credentials,
  ...(onExchange === undefined ? {} : { onExchange }),
});
export const iotData = new SignedHttpClient({
  url: config.iotDataEndpoint ?? iotDataUrl(region),
  service: 'iotdata',
  region,
  credentials,
  ...(onExchange === undefined ? {} : { onExchange }),
});

const infer: InferenceHandler = createInferenceHandler({
  config,
  endpoint: new SageMakerEndpoint(sagemakerRuntime, {
    endpointName: config.endpointName,
    timeoutMs: config.invokeTimeoutMs,
    maxAttempts: config.invokeMaxAttempts,
  }),
  shadow: new IotDataShadowPublisher(iotData),
  logger,
  metrics,
  annotate: (key, value) => tracer.putAnnotation(key, value),
});

export const handler: InferenceHandler = (event) => infer(event);
