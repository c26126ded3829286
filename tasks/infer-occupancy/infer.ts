import { buildFeatureSpec, type FeatureSpec } from '../../features';
import { numericSignals, type SignalSet, signalSetById } from '../../telemetry/signals';
import type { InferenceConfig } from './config';
import {
  type DocumentReadings,
  deviceTimeOf,
  eventInputError,
  readingsOfEvent,
  type ShadowDocumentsEvent,
  ShadowDocumentsEventSchema,
} from './documents';
import type { EndpointPort } from './endpoint';
import { EndpointInvocationError, InferenceConfigError, InferenceInputError } from './errors';
import { thresholdAnswer } from './fallback';
import { DeviceHistory, type HistorySource } from './history';
import { type PredictionRecord, predictionRecord } from './prediction-record';
import type { PredictionSink } from './predictions';
import type { OccupancyDesiredState, ShadowPublisher } from './publisher';
import { acceptedDeviceTime, type SensorFaultSink, sensorFaultOf } from './sensor-faults';

/** Metric names the handler emits (namespace Occupancy, dimension service). */
export const InferenceMetrics = {
  /** 1 per answered reading. */
  Inferences: 'Inferences',
  /** 1 when the answer came from the threshold rule, else 0: Average = fallback rate, Sum = fallback count. */
  InferenceFallback: 'InferenceFallback',
  /** 1 per fallback answer (the issue's name; equals Sum of InferenceFallback). */
  FallbackCount: 'FallbackCount',
  /** 1 per event that could not be answered (malformed document, invalid telemetry). */
  BadInput: 'BadInput',
  /** Feature building + InvokeEndpoint (+ retry) time of model answers. */
  InferenceLatency: 'InferenceLatency',
} as const;

/** The subset of Powertools Metrics the handler uses (the logMetrics middleware publishes them per invocation). */
export interface MetricsSink {
  addMetric(name: string, unit: 'Count' | 'Milliseconds', value: number): unknown;
}

type LogAttributes = Record<string, string | number | boolean | null | undefined>;

/** The subset of Powertools Logger the handler uses. */
export interface InferenceLogger {
  debug(message: string, attributes: LogAttributes): void;
  warn(message: string, attributes: LogAttributes): void;
  error(message: string, attributes: LogAttributes): void;
}

export interface InferenceDeps {
  readonly config: InferenceConfig;
  readonly endpoint: EndpointPort;
  readonly shadow: ShadowPublisher;
  readonly logger: InferenceLogger;
  readonly metrics: MetricsSink;
  /** @default a DeviceHistory of config.historyMaxDevices */
  readonly history?: DeviceHistory;
  /** Tracer annotations (Powertools Tracer); omitted locally. */
  readonly annotate?: (key: string, value: string | boolean) => void;
  /** @default Date.now */
  readonly clock?: () => number;
  /** Where the record of every answer goes (the predictions stream). @default none: answers are not recorded */
  readonly predictions?: PredictionSink;
  /** Where the record of every refused reading goes (the sensor_faults stream). @default none: not recorded */
  readonly sensorFaults?: SensorFaultSink;
}

export type InferenceOutcome =
  | {
      readonly status: 'answered';
      readonly thingName: string;
      readonly desired: OccupancyDesiredState;
      readonly history: HistorySource;
      /** Why the model did not answer (fallback only). */
      readonly fallbackReason?: string;
      /** The record sent to the predictions stream (absent when there is none, or it was not accepted). */
      readonly prediction?: PredictionRecord;
    }
  /** The endpoint could not answer and there is no static rule to answer with: no desired state published. */
  | { readonly status: 'unanswered'; readonly thingName: string; readonly reason: string }
  | { readonly status: 'bad-input'; readonly field: string; readonly code: string; readonly message: string };

export type InferenceHandler = (event: unknown) => Promise<InferenceOutcome>;

/** What Powertools' Parser middleware hands the handler in safeParse mode. */
export type ParsedDocumentsEvent =
  | { readonly success: true; readonly data: ShadowDocumentsEvent }
  | { readonly success: false; readonly error: Error; readonly originalEvent?: unknown };

/** The thing name a refused event carries (`topic(3)` as the rule added it), when it is a string. */
const rawThingName = (event: unknown): string | undefined => {
  const name = typeof event === 'object' && event !== null ? (event as { thingName?: unknown }).thingName : undefined;
  return typeof name === 'string' ? name : undefined;
};

type Issue = { path?: readonly PropertyKey[]; message?: string };

/** A refused event's issues: a ZodError's own, or Parser's ParseError's cause (the Standard Schema issues). */
function issuesOf(error: Error): readonly Issue[] {
  const own = (error as { issues?: unknown }).issues;
  if (Array.isArray(own)) return own as Issue[];
  const cause = (error as { cause?: unknown }).cause;
  return Array.isArray(cause) ? (cause as Issue[]) : [];
}

function specOf(config: InferenceConfig): { set: SignalSet; spec: FeatureSpec } {
  let set: SignalSet;
  try {
    set = config.signalSet ?? signalSetById(config.signalSetId);
  } catch (error) {
    throw new InferenceConfigError(`SIGNAL_SET_ID: ${(error as Error).message}`, 'SIGNAL_SET_ID', { cause: error });
  }
  const fallback = config.fallback;
  if (fallback && !numericSignals(set).some((s) => s.name === fallback.signal)) {
    throw new InferenceConfigError(
      `FALLBACK_SIGNAL "${fallback.signal}" is not a numeric signal of "${set.id}"`,
      'FALLBACK_SIGNAL',
    );
  }
  return { set, spec: buildFeatureSpec(set, { rollingWindow: config.rollingWindow }) };
}

/** A short, log-safe description of anything thrown. */
function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** What a refused reading threw, as an InferenceInputError (anything else: `invalid_features`, naming its field). */
function inputErrorOf(error: unknown): InferenceInputError {
  if (error instanceof InferenceInputError) return error;
  const field = typeof (error as { field?: unknown }).field === 'string' ? (error as { field: string }).field : '$';
  return new InferenceInputError(describe(error), field, 'invalid_features', { cause: error });
}

/**
 * The inference use case on a raw event (the event is parsed here): tests and tools without the middlewares.
 * The Lambda (lambda.ts) uses `createParsedInference`, fed by the Parser middleware.
 */
export function createInferenceHandler(deps: InferenceDeps): InferenceHandler {
  const answer = createParsedInference(deps);
  return (event) => {
    const parsed = ShadowDocumentsEventSchema.safeParse(event);
    return answer(
      parsed.success
        ? { success: true, data: parsed.data }
        : { success: false, error: parsed.error, originalEvent: event },
    );
  };
}

/**
 * The inference use case: documents event → reading (+ previous) → features → endpoint, or the threshold rule when
 * the endpoint fails → `desired` state in the shadow. Bad input is logged, counted and returned, never thrown: an
 * IoT rule's async invocation would retry a throw twice and the input would fail the same way each time.
 */
export function createParsedInference(
  deps: InferenceDeps,
): (parsed: ParsedDocumentsEvent) => Promise<InferenceOutcome> {
  const { config, endpoint, shadow, logger, metrics } = deps;
  const { set, spec } = specOf(config);
  const history = deps.history ?? new DeviceHistory(config.historyMaxDevices);
  const clock = deps.clock ?? Date.now;

  /**
   * A refused reading: counted, logged, and recorded as a sensor_faults row when its device is known. A failed put
   * is logged, never thrown (the outcome stays bad-input; a throw would make the async invocation retry it).
   */
  const badInput = async (
    error: InferenceInputError,
    device: { readonly thingName: string | undefined; readonly deviceTs?: number | undefined },
  ): Promise<InferenceOutcome> => {
    metrics.addMetric(InferenceMetrics.BadInput, 'Count', 1);
    logger.error('Bad input: shadow documents event not answered', {
      field: error.field,
      code: error.code,
      reason: error.message,
      thingName: device.thingName,
    });
    const fault =
      deps.sensorFaults &&
      sensorFaultOf({ thingName: device.thingName, deviceTs: device.deviceTs, receivedAt: clock(), error });
    if (fault) {
      try {
        await deps.sensorFaults?.put([fault]);
      } catch (putError) {
        logger.error('Sensor fault record not delivered', { thingName: fault.thing_name, reason: describe(putError) });
      }
    }
    return { status: 'bad-input', field: error.field, code: error.code, message: error.message };
  };

  /**
   * The answer's record to the predictions stream, after the shadow has it (only answered readings are recorded).
   * A failed put is logged, never thrown: the answer is delivered, and a throw would make the IoT rule's async
   * invocation run the reading again (a second desired update).
   */
  const record = async (
    thingName: string,
    ts: number,
    desired: OccupancyDesiredState,
    variant: string,
    vector: readonly number[],
  ): Promise<PredictionRecord | undefined> => {
    if (deps.predictions === undefined) return undefined;
    const prediction = predictionRecord(spec, {
      thingName,
      ts,
      predictedAt: clock(),
      modelVersion: desired.occupancyModel,
      variant,
      probability: desired.occupancyProbability,
      occupied: desired.roomOccupancy,
      source: desired.occupancySource,
      vector,
    });
    try {
      await deps.predictions.put([prediction]);
      return prediction;
    } catch (error) {
      logger.error('Prediction record not delivered; the answer stands', { thingName, ts, reason: describe(error) });
      return undefined;
    }
  };

  return async function inferOccupancy(parsed: ParsedDocumentsEvent): Promise<InferenceOutcome> {
    if (!parsed.success) {
      const error = eventInputError(issuesOf(parsed.error), parsed.error);
      return badInput(error, { thingName: rawThingName(parsed.originalEvent) });
    }
    const { thingName: name, current: doc, timestamp } = parsed.data;
    let readings: DocumentReadings;
    try {
      readings = readingsOfEvent(parsed.data, set, clock());
    } catch (error) {
      const refused = inputErrorOf(error);
      const deviceTs = acceptedDeviceTime(refused, deviceTimeOf(doc.state.reported, timestamp));
      return badInput(refused, { thingName: name, deviceTs });
    }
    let vector: number[];
    let source: HistorySource;
    try {
      ({ vector, source } = history.features(spec, readings.current, readings.previous));
    } catch (error) {
      return badInput(inputErrorOf(error), { thingName: name, deviceTs: readings.current.ts });
    }
    const { current, thingName } = readings;
    const started = clock();
    let desired: OccupancyDesiredState;
    let variant = '';
    let fallbackReason: string | undefined;
    try {
      const answer = await endpoint.predict(vector);
      variant = answer.variant ?? '';
      metrics.addMetric(InferenceMetrics.InferenceLatency, 'Milliseconds', clock() - started);
      desired = {
        roomOccupancy: answer.occupied,
        occupancyProbability: answer.probability,
        occupancyModel: answer.model,
        occupancySource: 'model',
        occupancyReadingTs: current.ts,
      };
    } catch (error) {
      // Whatever went wrong with the endpoint, the reading is answered: by the rule the model replaces.
      fallbackReason = error instanceof EndpointInvocationError ? `${error.kind}: ${error.message}` : describe(error);
      if (config.fallback === null) {
        // No rule to answer with: counted as a fallback, so the fallback-rate alarm still sees the endpoint fail.
        metrics.addMetric(InferenceMetrics.InferenceFallback, 'Count', 1);
        logger.warn('Endpoint did not answer and there is no static rule; reading unanswered', {
          thingName,
          reason: fallbackReason,
        });
        return { status: 'unanswered', thingName, reason: fallbackReason };
      }
      const rule = thresholdAnswer(current, config.fallback);
      logger.warn('Endpoint did not answer; threshold fallback', {
        thingName,
        reason: fallbackReason,
        kind: error instanceof EndpointInvocationError ? error.kind : 'error',
      });
      desired = {
        roomOccupancy: rule.occupied,
        occupancyProbability: rule.probability,
        occupancyModel: rule.model,
        occupancySource: 'fallback',
        occupancyReadingTs: current.ts,
      };
    }
    const fallback = desired.occupancySource === 'fallback';
    metrics.addMetric(InferenceMetrics.Inferences, 'Count', 1);
    metrics.addMetric(InferenceMetrics.InferenceFallback, 'Count', fallback ? 1 : 0);
    if (fallback) metrics.addMetric(InferenceMetrics.FallbackCount, 'Count', 1);
    deps.annotate?.('occupancySource', desired.occupancySource);
    await shadow.publishDesired(thingName, desired);
    logger.debug('Answered', { thingName, source: desired.occupancySource, history: source, ts: current.ts });
    const prediction = await record(thingName, current.ts, desired, variant, vector);
    return {
      status: 'answered',
      thingName,
      desired,
      history: source,
      ...(fallbackReason === undefined ? {} : { fallbackReason }),
      ...(prediction === undefined ? {} : { prediction }),
    };
  };
}
