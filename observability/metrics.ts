/**
 * Every CloudWatch metric the project publishes, alarms on or draws: namespace, name, dimension names and unit.
 * Emitters, alarms (infra/stacks/serving-stack.ts, observability-stack.ts), both dashboards (observability/widgets.ts)
 * and the local stand-ins take names and dimensions from here. CloudWatch selects a metric by its exact dimension
 * set, so an alarm naming one dimension more or less than the emitter publishes watches a metric nobody emits and
 * never fires; test/observability/metric-consistency.test.ts checks every alarm and widget against what code emits.
 */

/** Namespace of our own metrics (Powertools EMF from the Lambdas, PutMetricData from the state machine). */
export const METRICS_NAMESPACE = 'Occupancy';
/** SageMaker's endpoint invocation metrics. */
export const SAGEMAKER_NAMESPACE = 'AWS/SageMaker';
/** Step Functions' own execution metrics. */
export const STATES_NAMESPACE = 'AWS/States';

/** Powertools service name of the inference Lambda: its EMF metrics always carry a `service` dimension. */
export const INFERENCE_SERVICE = 'infer-occupancy';
/** Powertools service name of the approval callback Lambda. */
export const APPROVAL_CALLBACK_SERVICE = 'approval-callback';
/** Powertools service name of the live monitor Lambda (tasks/monitor.ts). */
export const MONITOR_SERVICE = 'monitor';
/** Powertools service name of the sensor health check Lambda (tasks/sensor-health.ts). */
export const SENSOR_HEALTH_SERVICE = 'sensor-health';

/** Dimension names, spelled as published (Powertools names its default dimension `service`, lower case). */
export const Dimensions = {
  EndpointName: 'EndpointName',
  VariantName: 'VariantName',
  Service: 'service',
  Decision: 'Decision',
  Via: 'Via',
  StateMachineArn: 'StateMachineArn',
  /** A model feature's name (the monitor's FeatureDrift). */
  Feature: 'Feature',
  /** A kind of unhealthy device (health/types.ts HEALTH_KINDS: stuck, silent, out-of-range, malformed). */
  Kind: 'Kind',
} as const;
export type DimensionName = (typeof Dimensions)[keyof typeof Dimensions];

/** CloudWatch units our metrics use (a subset of StandardUnit). */
export type MetricUnit = 'Count' | 'None' | 'Seconds' | 'Milliseconds' | 'Microseconds';

export interface MetricDefinition {
  readonly namespace: string;
  readonly name: string;
  /** The exact dimension set the metric is published with (order does not matter to CloudWatch). */
  readonly dimensions: readonly DimensionName[];
  readonly unit: MetricUnit;
  /** Who publishes it: the emitter an alarm on it depends on. */
  readonly publishedBy: string;
}

/** Names of our custom metrics (namespace {@link METRICS_NAMESPACE}). */
export const PipelineMetrics = {
  CandidateF1: 'CandidateF1',
  BaselineF1: 'BaselineF1',
  ServingF1: 'ServingF1',
  Promoted: 'Promoted',
  RolledBack: 'RolledBack',
  Deployed: 'Deployed',
  ApprovalWaitSeconds: 'ApprovalWaitSeconds',
  /** Inference Lambda: 1 when a reading was answered by the threshold fallback, else 0. */
  InferenceFallback: 'InferenceFallback',
  /** Inference Lambda: 1 per answered reading. */
  Inferences: 'Inferences',
  /** Inference Lambda: 1 per fallback answer (equals Sum of InferenceFallback). */
  FallbackCount: 'FallbackCount',
  /** Inference Lambda: 1 per event that could not be answered. */
  BadInput: 'BadInput',
  /** Inference Lambda: feature building + InvokeEndpoint time of model answers. */
  InferenceLatency: 'InferenceLatency',
  /** Evaluate Lambda: 1 per evaluation. */
  Evaluations: 'Evaluations',
  /** Approval request Lambda: 1 per approval e-mail sent. */
  ApprovalsRequested: 'ApprovalsRequested',
  /** Monitor: live F1 of the model's answers whose label is now known, newest window. */
  LiveF1: 'LiveF1',
  LivePrecision: 'LivePrecision',
  LiveRecall: 'LiveRecall',
  /** Monitor: the static rule's F1 on the same labelled readings as LiveF1. */
  StaticRuleLiveF1: 'StaticRuleLiveF1',
  /** Monitor: share of the endpoint's answers in the window given by the fallback (no variant: the endpoint failed). */
  LiveFallbackRate: 'LiveFallbackRate',
  /** Monitor: answers in the window (model and fallback). */
  LiveReadings: 'LiveReadings',
  /** Monitor: model answers in the window whose label is known (what LiveF1 is measured on). */
  LabelledReadings: 'LabelledReadings',
  /** Monitor: PSI of one feature's live values against the model's training baseline. */
  FeatureDrift: 'FeatureDrift',
  /** Sensor health check: devices unhealthy now, per kind (0 published too, so alarms return to OK). */
  UnhealthyDevices: 'UnhealthyDevices',
} as const;

const own = (
  name: string,
  dimensions: readonly DimensionName[],
  unit: MetricUnit,
  publishedBy: string,
): MetricDefinition => ({ namespace: METRICS_NAMESPACE, name, dimensions, unit, publishedBy });

const EVALUATE = 'evaluate Lambda output, published by the PublishEvaluationMetrics state';
const REPORT = 'PublishMetrics state (pipeline/phases/report.ts)';
const INFERENCE = 'inference Lambda (Powertools EMF)';
const INFERENCE_DIMS = [Dimensions.EndpointName, Dimensions.Service] as const;

const MONITOR = 'monitor Lambda (Powertools single metrics, tasks/monitor.ts)';
/**
 * Per variant, not per model version: an alarm selects fixed dimension values, and the version behind a variant
 * changes with every deployment (the version rides along as EMF metadata).
 */
const MONITOR_DIMS = [Dimensions.EndpointName, Dimensions.VariantName, Dimensions.Service] as const;

/** Our metrics by name. */
export const OccupancyMetrics = {
  CandidateF1: own(PipelineMetrics.CandidateF1, [Dimensions.EndpointName], 'None', EVALUATE),
  BaselineF1: own(PipelineMetrics.BaselineF1, [Dimensions.EndpointName], 'None', EVALUATE),
  ServingF1: own(PipelineMetrics.ServingF1, [Dimensions.EndpointName], 'None', EVALUATE),
  Promoted: own(PipelineMetrics.Promoted, [Dimensions.EndpointName], 'Count', REPORT),
  Deployed: own(PipelineMetrics.Deployed, [Dimensions.EndpointName], 'Count', REPORT),
  RolledBack: own(PipelineMetrics.RolledBack, [Dimensions.EndpointName], 'Count', REPORT),
  ApprovalWaitSeconds: own(
    PipelineMetrics.ApprovalWaitSeconds,
    [Dimensions.Service, Dimensions.Decision, Dimensions.Via],
    'Seconds',
    'approval callback Lambda (Powertools single metric)',
  ),
  Inferences: own(PipelineMetrics.Inferences, INFERENCE_DIMS, 'Count', INFERENCE),
  InferenceFallback: own(PipelineMetrics.InferenceFallback, INFERENCE_DIMS, 'Count', INFERENCE),
  FallbackCount: own(PipelineMetrics.FallbackCount, INFERENCE_DIMS, 'Count', INFERENCE),
  BadInput: own(PipelineMetrics.BadInput, INFERENCE_DIMS, 'Count', INFERENCE),
  InferenceLatency: own(PipelineMetrics.InferenceLatency, INFERENCE_DIMS, 'Milliseconds', INFERENCE),
  Evaluations: own(PipelineMetrics.Evaluations, [Dimensions.Service], 'Count', 'evaluate Lambda (Powertools EMF)'),
  ApprovalsRequested: own(
    PipelineMetrics.ApprovalsRequested,
    [Dimensions.Service],
    'Count',
    'approval request Lambda (Powertools EMF)',
  ),
  LiveF1: own(PipelineMetrics.LiveF1, MONITOR_DIMS, 'None', MONITOR),
  LivePrecision: own(PipelineMetrics.LivePrecision, MONITOR_DIMS, 'None', MONITOR),
  LiveRecall: own(PipelineMetrics.LiveRecall, MONITOR_DIMS, 'None', MONITOR),
  StaticRuleLiveF1: own(PipelineMetrics.StaticRuleLiveF1, MONITOR_DIMS, 'None', MONITOR),
  LiveFallbackRate: own(
    PipelineMetrics.LiveFallbackRate,
    [Dimensions.EndpointName, Dimensions.Service],
    'None',
    MONITOR,
  ),
  LiveReadings: own(PipelineMetrics.LiveReadings, MONITOR_DIMS, 'Count', MONITOR),
  LabelledReadings: own(PipelineMetrics.LabelledReadings, MONITOR_DIMS, 'Count', MONITOR),
  FeatureDrift: own(PipelineMetrics.FeatureDrift, [...MONITOR_DIMS, Dimensions.Feature], 'None', MONITOR),
  UnhealthyDevices: own(
    PipelineMetrics.UnhealthyDevices,
    [Dimensions.Kind, Dimensions.Service],
    'Count',
    'sensor health Lambda (Powertools single metrics, tasks/sensor-health.ts)',
  ),
} as const satisfies Record<keyof typeof PipelineMetrics, MetricDefinition>;

const VARIANT_DIMS = [Dimensions.EndpointName, Dimensions.VariantName] as const;
const SAGEMAKER = 'SageMaker, per endpoint variant (locally: local/hosting)';
const sagemaker = (name: string, unit: MetricUnit): MetricDefinition => ({
  namespace: SAGEMAKER_NAMESPACE,
  name,
  dimensions: VARIANT_DIMS,
  unit,
  publishedBy: SAGEMAKER,
});

/**
 * What SageMaker publishes for a real-time endpoint variant, dimensions EndpointName and VariantName
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html, "Endpoint invocation metrics").
 */
export const SageMakerEndpointMetrics = {
  Invocations: sagemaker('Invocations', 'None'),
  Invocation4XXErrors: sagemaker('Invocation4XXErrors', 'None'),
  Invocation5XXErrors: sagemaker('Invocation5XXErrors', 'None'),
  ModelLatency: sagemaker('ModelLatency', 'Microseconds'),
  OverheadLatency: sagemaker('OverheadLatency', 'Microseconds'),
} as const;

const execution = (name: string): MetricDefinition => ({
  namespace: STATES_NAMESPACE,
  name,
  dimensions: [Dimensions.StateMachineArn],
  unit: 'Count',
  publishedBy: 'Step Functions, per state machine (locally: the execution store)',
});

/** Step Functions' execution metrics (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html). */
export const StepFunctionsMetrics = {
  ExecutionsStarted: execution('ExecutionsStarted'),
  ExecutionsSucceeded: execution('ExecutionsSucceeded'),
  ExecutionsFailed: execution('ExecutionsFailed'),
  ExecutionsTimedOut: execution('ExecutionsTimedOut'),
  ExecutionsAborted: execution('ExecutionsAborted'),
} as const;

/** Every metric above: what the consistency test accepts as published. */
export const ALL_METRICS: readonly MetricDefinition[] = [
  ...Object.values(OccupancyMetrics),
  ...Object.values(SageMakerEndpointMetrics),
  ...Object.values(StepFunctionsMetrics),
];

export class MetricDimensionsError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'MetricDimensionsError';
  }
}

/** A metric selected with dimension values: what an alarm or widget watches. */
export interface MetricSelection {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** Selects `metric` with exactly its dimensions (a missing or extra one throws: it would select nothing). */
export function selectMetric(metric: MetricDefinition, values: Readonly<Record<string, string>>): MetricSelection {
  const given = Object.keys(values).sort();
  const wanted = [...metric.dimensions].sort();
  if (given.join('\0') !== wanted.join('\0')) {
    throw new MetricDimensionsError(
      `${metric.namespace}/${metric.name} is published with dimensions [${wanted.join(', ')}], not [${given.join(', ')}]`,
      `${metric.name}.dimensions`,
    );
  }
  return { namespace: metric.namespace, name: metric.name, dimensions: { ...values } };
}

/** Dimensions of the pipeline's per-endpoint metrics (F1s, Promoted, Deployed, RolledBack). */
export function endpointMetricDimensions(endpointName: string): { EndpointName: string } {
  return { [Dimensions.EndpointName]: endpointName };
}

/** Dimensions of the inference Lambda's metrics (InferenceFallback, Inferences, …): alarms must match them exactly. */
export function inferenceMetricDimensions(endpointName: string): { EndpointName: string; service: string } {
  return { [Dimensions.EndpointName]: endpointName, [Dimensions.Service]: INFERENCE_SERVICE };
}

/** Dimensions of the monitor's per-variant metrics (LiveF1, StaticRuleLiveF1, LiveFallbackRate, …). */
/** The dimensions the sensor health check publishes UnhealthyDevices with, for one kind. */
export function unhealthyDevicesDimensions(kind: string): { Kind: string; service: string } {
  return { [Dimensions.Kind]: kind, [Dimensions.Service]: SENSOR_HEALTH_SERVICE };
}

export function monitorMetricDimensions(
  endpointName: string,
  variantName: string,
): { EndpointName: string; VariantName: string; service: string } {
  return {
    [Dimensions.EndpointName]: endpointName,
    [Dimensions.VariantName]: variantName,
    [Dimensions.Service]: MONITOR_SERVICE,
  };
}

/** Dimensions of the monitor's per-endpoint LiveFallbackRate. */
export function monitorEndpointDimensions(endpointName: string): { EndpointName: string; service: string } {
  return { [Dimensions.EndpointName]: endpointName, [Dimensions.Service]: MONITOR_SERVICE };
}

/** Dimensions of FeatureDrift: the monitor's per-variant dimensions and the feature. */
export function featureDriftDimensions(
  endpointName: string,
  variantName: string,
  feature: string,
): Record<string, string> {
  return { ...monitorMetricDimensions(endpointName, variantName), [Dimensions.Feature]: feature };
}

/** Dimensions of SageMaker's variant metrics. */
export function variantMetricDimensions(
  endpointName: string,
  variantName: string,
): { EndpointName: string; VariantName: string } {
  return { [Dimensions.EndpointName]: endpointName, [Dimensions.VariantName]: variantName };
}

/** Dimensions of Step Functions' execution metrics. */
export function stateMachineMetricDimensions(stateMachineArn: string): { StateMachineArn: string } {
  return { [Dimensions.StateMachineArn]: stateMachineArn };
}

/** Dimensions of ApprovalWaitSeconds: the callback's `service` plus what was decided and how. */
export function approvalWaitDimensions(decision: string, via: string): Record<string, string> {
  return { [Dimensions.Service]: APPROVAL_CALLBACK_SERVICE, [Dimensions.Decision]: decision, [Dimensions.Via]: via };
}

/** Dimensions as PutMetricData takes them. */
export function datumDimensions(values: Readonly<Record<string, string>>): { Name: string; Value: string }[] {
  return Object.entries(values).map(([Name, Value]) => ({ Name, Value }));
}
