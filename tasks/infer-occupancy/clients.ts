import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { InferenceConfig } from './config';

/** Where the clients go and as whom, when not from the Lambda environment (the local runtime, tests). */
export interface ClientTarget {
  /** @default the SDK's own resolution (AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME, AWS_ENDPOINT_URL, the region) */
  readonly sagemakerRuntimeEndpoint?: string;
  /** @default config.iotDataEndpoint, else the SDK's own resolution */
  readonly iotDataEndpoint?: string;
  /** @default the SDK's own resolution (AWS_ENDPOINT_URL_FIREHOSE, AWS_ENDPOINT_URL, the region) */
  readonly firehoseEndpoint?: string;
  /** @default AWS_REGION (the SDK's provider chain) */
  readonly region?: string;
  /** @default the SDK's provider chain (the function role's variables on Lambda) */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface InferenceClients {
  readonly sagemakerRuntime: SageMakerRuntimeClient;
  readonly iotData: IoTDataPlaneClient;
  /** The predictions stream's client (created whatever the config: no I/O until used). */
  readonly firehose: FirehoseClient;
  /** Closes the kept-alive sockets (tests, the local runtime's shutdown). */
  destroy(): void;
}

/**
 * The handler's two SDK clients, created once per instance (no I/O until the first call). Kept-alive sockets
 * (one reading at a time per instance, so the socket of the previous reading is reused), explicit connection
 * and per-attempt timeouts from the config, and the SDK's standard retry mode: throttling, 5xx, timeouts and
 * connection errors are retried with jittered exponential backoff within `maxAttempts`; other 4xx are not.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
export function createInferenceClients(config: InferenceConfig, target: ClientTarget = {}): InferenceClients {
  const agents = () => ({
    httpAgent: new HttpAgent({ keepAlive: true }),
    httpsAgent: new HttpsAgent({ keepAlive: true }),
  });
  // The middleware stack is resolved once per command class instead of on every send (the stack is final once
  // captureAWSv3Client has added its middleware, before the first call).
  const shared = { cacheMiddleware: true, retryMode: 'standard' } as const;
  const identity = {
    ...(target.region === undefined ? {} : { region: target.region }),
    ...(target.credentials === undefined ? {} : { credentials: { ...target.credentials } }),
  };
  const sagemakerRuntime = new SageMakerRuntimeClient({
    ...identity,
    ...(target.sagemakerRuntimeEndpoint === undefined ? {} : { endpoint: target.sagemakerRuntimeEndpoint }),
    ...shared,
    maxAttempts: config.invokeMaxAttempts,
    requestHandler: {
      ...agents(),
      connectionTimeout: config.invokeTimeoutMs,
      requestTimeout: config.invokeTimeoutMs,
      // Without it a late answer only logs a warning and the reading waits for it (smithy's requestTimeout).
      throwOnRequestTimeout: true,
    },
  });
  const iotEndpoint = target.iotDataEndpoint ?? config.iotDataEndpoint;
  const iotData = new IoTDataPlaneClient({
    ...identity,
    ...(iotEndpoint === undefined ? {} : { endpoint: iotEndpoint }),
    ...shared,
    maxAttempts: config.publishMaxAttempts,
    requestHandler: {
      ...agents(),
      connectionTimeout: config.publishTimeoutMs,
      requestTimeout: config.publishTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
  const firehose = new FirehoseClient({
    ...identity,
    ...(target.firehoseEndpoint === undefined ? {} : { endpoint: target.firehoseEndpoint }),
    ...shared,
    maxAttempts: config.publishMaxAttempts,
    requestHandler: {
      ...agents(),
      connectionTimeout: config.predictionsTimeoutMs,
      requestTimeout: config.predictionsTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
  return {
    sagemakerRuntime,
    iotData,
    firehose,
    destroy() {
      sagemakerRuntime.destroy();
      iotData.destroy();
      firehose.destroy();
    },
  };
}
