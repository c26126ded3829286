import * as z from 'zod';
import { DEFAULT_PIPELINE_CONFIG } from '../../pipeline/config';
import { parseSignalSetText } from '../../telemetry/signal-set-schema';
import { SIGNAL_SETS, type SignalSet } from '../../telemetry/signals';
import { firstIssue } from '../first-issue';
import { InferenceConfigError } from './errors';

/**
 * The inference Lambda's configuration, read from its environment (the Serving stack sets it). Defaults are
 * sized for a thermostat reporting about once a minute: an answer late by a second is still useful, an answer
 * that never comes is not, so one short retry then the threshold fallback.
 */
export const InferenceConfigSchema = z.object({
  /** SageMaker endpoint to invoke. @default pipeline config endpointName ('occupancy') */
  ENDPOINT_NAME: z.string().min(1).default(DEFAULT_PIPELINE_CONFIG.endpointName),
  /** Per-attempt InvokeEndpoint timeout in ms. @default 300 */
  INVOKE_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(300),
  /** Attempts per reading: 2 = one retry, with the SDK's backoff (throttling, 5xx, timeout, network). @default 2 */
  INVOKE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(5).default(2),
  /** Which signal set the fleet reports (telemetry/signals.ts). @default 'thermostat' */
  SIGNAL_SET_ID: z.string().min(1).default(DEFAULT_PIPELINE_CONFIG.signalSetId),
  /** A user's signal set document (JSON); when set, it is the set and `SIGNAL_SET_ID` must be its id. */
  SIGNAL_SET: z.string().min(2).optional(),
  /** Rolling window k the model was trained with (features/spec.ts). @default 5 */
  FEATURE_ROLLING_WINDOW: z.coerce.number().int().min(1).max(1000).default(5),
  /**
   * The static rule answering when the endpoint cannot. @default the signal set's own rule (thermostat: sound > 10);
   * none when the set has no rule (then a reading the endpoint cannot answer is left unanswered).
   */
  FALLBACK_SIGNAL: z.string().min(1).optional(),
  /** @default the signal set's rule level when FALLBACK_SIGNAL is its signal; required for any other signal */
  FALLBACK_LEVEL: z.coerce.number().finite().optional(),
  /** Devices whose feature history one Lambda instance keeps (LRU). @default 10000 */
  HISTORY_MAX_DEVICES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** Per-attempt timeout of the shadow publish in ms. @default 1000 */
  PUBLISH_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  /** Attempts per publish (throttling, 5xx, timeout, network retried; a 4xx is not). @default 3 */
  PUBLISH_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(5).default(3),
  /**
   * The account's IoT data endpoint (`https://<prefix>-ats.iot.<region>.amazonaws.com`), given to the client as
   * its `endpoint`. The SageMaker Runtime URL needs no variable of ours: the SDK reads AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME
   * (and AWS_ENDPOINT_URL) itself. https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
   */
  IOT_DATA_ENDPOINT: z.url().optional(),
  /**
   * Firehose stream the record of every answer goes to (the `predictions` table). @default none: answers are not
   * recorded (the Serving stack always sets it).
   */
  PREDICTIONS_STREAM_NAME: z.string().min(1).max(64).optional(),
  /**
   * Firehose stream the record of every refused reading goes to (the `sensor_faults` table, read by the sensor
   * health check). @default none: refused readings are only counted (BadInput) and logged
   */
  SENSOR_FAULTS_STREAM_NAME: z.string().min(1).max(64).optional(),
  /** Per-attempt PutRecordBatch timeout in ms (both streams). @default 1000 */
  PREDICTIONS_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
});

export interface InferenceConfig {
  readonly endpointName: string;
  readonly invokeTimeoutMs: number;
  readonly invokeMaxAttempts: number;
  readonly signalSetId: string;
  /** The document from SIGNAL_SET; undefined for a built-in set (looked up by id). */
  readonly signalSet?: SignalSet;
  readonly rollingWindow: number;
  /** null: no rule to answer with when the endpoint cannot. */
  readonly fallback: { readonly signal: string; readonly level: number } | null;
  readonly historyMaxDevices: number;
  readonly publishTimeoutMs: number;
  readonly publishMaxAttempts: number;
  readonly iotDataEndpoint: string | undefined;
  /** undefined: answers are not recorded. */
  readonly predictionsStreamName: string | undefined;
  readonly predictionsTimeoutMs: number;
  /** undefined: refused readings are not recorded. */
  readonly sensorFaultsStreamName: string | undefined;
}

/** The environment variables the handler reads, for the Serving stack. */
export const INFERENCE_ENV_VARS = Object.keys(InferenceConfigSchema.shape);

export function parseInferenceConfig(env: Readonly<Record<string, string | undefined>>): InferenceConfig {
  const picked: Record<string, string> = {};
  for (const key of INFERENCE_ENV_VARS) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const result = InferenceConfigSchema.safeParse(picked);
  if (!result.success) {
    const { field, message } = firstIssue(result.error.issues);
    throw new InferenceConfigError(`Invalid inference config: ${message}`, field, { cause: result.error });
  }
  const c = result.data;
  let document: SignalSet | undefined;
  if (c.SIGNAL_SET !== undefined) {
    try {
      document = parseSignalSetText(c.SIGNAL_SET, 'SIGNAL_SET');
    } catch (error) {
      throw new InferenceConfigError(`Invalid inference config: ${(error as Error).message}`, 'SIGNAL_SET', {
        cause: error,
      });
    }
    if (picked.SIGNAL_SET_ID !== undefined && picked.SIGNAL_SET_ID !== document.id) {
      throw new InferenceConfigError(
        `Invalid inference config: SIGNAL_SET_ID "${picked.SIGNAL_SET_ID}" is not SIGNAL_SET's id "${document.id}"`,
        'SIGNAL_SET_ID',
      );
    }
  }
  const own = (document ?? SIGNAL_SETS[c.SIGNAL_SET_ID])?.staticRule;
  const signal = c.FALLBACK_SIGNAL ?? own?.signal;
  const level = c.FALLBACK_LEVEL ?? (signal === own?.signal ? own?.level : undefined);
  if (signal !== undefined && level === undefined) {
    throw new InferenceConfigError(
      `Invalid inference config: FALLBACK_LEVEL is required with FALLBACK_SIGNAL "${signal}"`,
      'FALLBACK_LEVEL',
    );
  }
  return {
    endpointName: c.ENDPOINT_NAME,
    invokeTimeoutMs: c.INVOKE_TIMEOUT_MS,
    invokeMaxAttempts: c.INVOKE_MAX_ATTEMPTS,
    signalSetId: document?.id ?? c.SIGNAL_SET_ID,
    ...(document ? { signalSet: document } : {}),
    rollingWindow: c.FEATURE_ROLLING_WINDOW,
    fallback: signal !== undefined && level !== undefined ? { signal, level } : null,
    historyMaxDevices: c.HISTORY_MAX_DEVICES,
    publishTimeoutMs: c.PUBLISH_TIMEOUT_MS,
    publishMaxAttempts: c.PUBLISH_MAX_ATTEMPTS,
    iotDataEndpoint: c.IOT_DATA_ENDPOINT,
    predictionsStreamName: c.PREDICTIONS_STREAM_NAME,
    predictionsTimeoutMs: c.PREDICTIONS_TIMEOUT_MS,
    sensorFaultsStreamName: c.SENSOR_FAULTS_STREAM_NAME,
  };
}
