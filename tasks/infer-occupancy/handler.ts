import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { INFERENCE_SERVICE } from '../../pipeline/state-names';
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

/** SDK retries off: the endpoint port owns the single retry within its timeout budget. */
export const sagemakerClient = tracer.captureAWSv3Client(
  new SageMakerRuntimeClient({
    maxAttempts: 1,
    ...(config.sagemakerRuntimeUrl === undefined ? {} : { endpoint: config.sagemakerRuntimeUrl }),
  }),
);
export const iotDataClient = tracer.captureAWSv3Client(
  new IoTDataPlaneClient(config.iotDataEndpoint === undefined ? {} : { endpoint: config.iotDataEndpoint }),
);

const infer: InferenceHandler = createInferenceHandler({
  config,
  endpoint: new SageMakerEndpoint(sagemakerClient, {
    endpointName: config.endpointName,
    timeoutMs: config.invokeTimeoutMs,
    maxAttempts: config.invokeMaxAttempts,
  }),
  shadow: new IotDataShadowPublisher(iotDataClient),
  logger,
  metrics,
  annotate: (key, value) => tracer.putAnnotation(key, value),
});

export const handler: InferenceHandler = (event) => infer(event);
