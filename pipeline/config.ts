import * as z from 'zod';
import { signalSetSchema } from '../telemetry/signal-set-schema';
import { DEFAULT_STUCK_MINUTES, SIGNAL_SETS, type SignalSet, signalSetById } from '../telemetry/signals';

/**
 * The one typed configuration of the retraining pipeline. The CDK app (from context) and the local
 * runtime (from flags/files) both parse it here, so defaults and limits live in a single place.
 */

/** SageMaker instance type without the `ml.` prefix, e.g. `m5.large` (CDK's `InstanceType` form). */
const instanceType = z
  .string()
  .regex(/^[a-z0-9]+\.[a-z0-9]+$/, 'an instance type without the "ml." prefix, e.g. "m5.large"');

/** SageMaker resource names (endpoint, model package group): alphanumerics and hyphens, ≤ 63. */
const sageMakerName = z
  .string()
  .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'alphanumerics and single hyphens, at most 63 characters');

export const ScheduleSchema = z
  .object({
    /** EventBridge Scheduler expression. @default 'rate(1 day)' */
    expression: z
      .string()
      .regex(/^(rate\(.+\)|cron\(.+\)|at\(.+\))$/, 'rate(...), cron(...) or at(...)')
      .default('rate(1 day)'),
    /** Flexible time window in minutes (0 = off). @default 60 */
    flexibleWindowMinutes: z.number().int().min(0).max(1440).default(60),
    /** Scheduler time zone for cron expressions. @default 'UTC' */
    timezone: z.string().min(1).default('UTC'),
    /** Create the schedule enabled. @default true */
    enabled: z.boolean().default(true),
  })
  .strict();

export const SplitSchema = z
  .object({
    /** Oldest share of the labelled readings. @default 0.7 */
    train: z.number().gt(0).lt(1).default(0.7),
    /** Next share, used by Autopilot for model selection. @default 0.15 */
    validation: z.number().gt(0).lt(1).default(0.15),
    /** The newest share: the future production will see. @default 0.15 */
    holdout: z.number().gt(0).lt(1).default(0.15),
    /**
     * Occupied readings each split (train, validation, holdout) must hold. When the fractions leave fewer, the
     * cutoffs move earlier (still by time); when no cutoffs can, the run ends as `insufficient-data`. @default 50
     */
    minPositives: z.number().int().min(1).default(50),
    /** Empty readings each split must hold, as `minPositives`. @default 50 */
    minNegatives: z.number().int().min(1).default(50),
  })
  .strict()
  .refine((s) => Math.abs(s.train + s.validation + s.holdout - 1) < 1e-9, {
    message: 'train + validation + holdout must equal 1',
    path: ['holdout'],
  });

export const AutoMLSchema = z
  .object({
    /** @default 10 */
    maxCandidates: z.number().int().min(1).max(250).default(10),
    /** @default 1800 (30 min) */
    maxRuntimePerTrainingJobSeconds: z.number().int().min(60).default(1800),
    /** @default 7200 (2 h) */
    maxJobRuntimeSeconds: z.number().int().min(600).default(7200),
    /** Autopilot's objective metric; the gate also compares on F1. @default 'F1' */
    objective: z.enum(['F1', 'Accuracy', 'AUC', 'BalancedAccuracy', 'Precision', 'Recall']).default('F1'),
    /** Autopilot training mode. ENSEMBLING suits datasets under 100 MB. @default 'ENSEMBLING' */
    mode: z.enum(['AUTO', 'ENSEMBLING', 'HYPERPARAMETER_TUNING']).default('ENSEMBLING'),
  })
  .strict()
  .refine((a) => a.maxRuntimePerTrainingJobSeconds <= a.maxJobRuntimeSeconds, {
    message: 'must not exceed maxJobRuntimeSeconds',
    path: ['maxRuntimePerTrainingJobSeconds'],
  });

/** `signal > level` means occupied. Both fields are required: a partial rule means nothing on another signal set. */
export const StaticRuleSchema = z
  .object({
    signal: z.string().min(1),
    level: z.number().finite(),
  })
  .strict();
export type StaticRule = z.infer<typeof StaticRuleSchema>;

export const GateSchema = z
  .object({
    /** The candidate must beat every baseline and the serving model by this much F1. @default 0.01 */
    margin: z.number().min(0).max(1).default(0.01),
    /** Paired bootstrap resamples for the ΔF1 confidence interval. @default 1000 */
    bootstrapResamples: z.number().int().min(100).max(100_000).default(1000),
    /** @default 7 */
    seed: z.number().int().default(7),
  })
  .strict();

export const CanarySchema = z
  .object({
    /**
     * Share of the new fleet's capacity that takes traffic first; at most 50 % and, in whole instances, at most
     * half of `instances.endpointCount`. @default 50 (1 of the 2 default instances)
     */
    sizePercent: z.number().int().min(1).max(50).default(50),
    /** Bake time with the canary share while rollback alarms are watched. @default 600 */
    waitIntervalSeconds: z.number().int().min(0).max(3600).default(600),
    /** Old fleet kept after full shift, for a quick manual rollback. @default 300 */
    terminationWaitSeconds: z.number().int().min(0).max(3600).default(300),
    /** Upper bound of the whole blue/green deployment. @default 3600 */
    maxExecutionTimeoutSeconds: z.number().int().min(600).max(14400).default(3600),
  })
  .strict();

/** Shadow phase (pipeline/phases/shadow.ts): the candidate answers a copy of live traffic before its canary. */
export const ShadowSchema = z
  .object({
    /** Run the shadow phase when an endpoint already serves (the first deploy has none). @default true */
    enabled: z.boolean().default(true),
    /** How long the candidate shadows live traffic (a Wait; the local runtime scales it). @default 60 */
    bakeMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 1440)
      .default(60),
    /** Share of requests data capture records (InitialSamplingPercentage). @default 100 */
    samplingPercent: z.number().int().min(1).max(100).default(100),
    /**
     * F1 the candidate may lose against the serving model on the bake's labelled readings: it passes when the
     * lower bound of the paired bootstrap CI of F1(candidate) − F1(serving) is above −maxF1Loss. @default 0.02
     */
    maxF1Loss: z.number().min(0).lt(1).default(0.02),
    /** Labelled readings both models answered that the comparison needs; fewer: shadow-rejected. @default 100 */
    minPairedReadings: z.number().int().min(10).default(100),
  })
  .strict();

export const AlarmsSchema = z
  .object({
    /** Variant 5xx errors per minute that trigger rollback. @default 1 */
    invocation5xxErrors: z.number().min(0).default(1),
    /** p99 ModelLatency in microseconds (SageMaker's unit) that triggers rollback. @default 500000 */
    modelLatencyMicros: z.number().int().min(1).default(500_000),
    /** Share of inferences answered by the threshold fallback that triggers rollback. @default 0.05 */
    fallbackRate: z.number().gt(0).max(1).default(0.05),
    /** Consecutive one-minute periods in breach before alarming. @default 2 */
    evaluationPeriods: z.number().int().min(1).max(10).default(2),
  })
  .strict();

export const InstancesSchema = z
  .object({
    /** @default 'm5.large' */
    endpoint: instanceType.default('m5.large'),
    /**
     * Instances behind the endpoint, around the clock (a blue/green update runs a second fleet of as many while
     * it deploys). A canary needs at least 2. @default 2
     */
    endpointCount: z.number().int().min(1).max(10).default(2),
    /** @default 'm5.large' */
    transform: instanceType.default('m5.large'),
  })
  .strict();

export const PollSchema = z
  .object({
    /** Wait between DescribeAutoMLJobV2 calls. @default 120 */
    autoMLSeconds: z.number().int().min(1).default(120),
    /** @default 200 (with 120 s: > 6 h) */
    autoMLMaxIterations: z.number().int().min(1).default(200),
    /** Wait between DescribeEndpoint calls while deploying. @default 60 */
    endpointSeconds: z.number().int().min(1).default(60),
    /** @default 120 */
    endpointMaxIterations: z.number().int().min(1).default(120),
  })
  .strict();

/**
 * The live monitor (monitoring/, tasks/monitor.ts): what it measures over which windows, and when its verdicts ask
 * for a retraining. See README "Monitoring".
 */
export const MonitoringSchema = z
  .object({
    /** When the monitor runs (EventBridge Scheduler). @default rate(1 hour), 5 min flexible window */
    schedule: ScheduleSchema.default(ScheduleSchema.parse({ expression: 'rate(1 hour)', flexibleWindowMinutes: 5 })),
    /** Length of one monitoring window. @default 360 (6 h) */
    windowMinutes: z
      .number()
      .int()
      .min(5)
      .max(7 * 1440)
      .default(360),
    /** Windows in a row a feature must drift in before drift is a verdict (one noisy window is not). @default 3 */
    consecutiveWindows: z.number().int().min(1).max(48).default(3),
    /** PSI on the training baseline's deciles at or above which a feature moved (0.25: significant shift). @default 0.25 */
    psiThreshold: z.number().gt(0).default(0.25),
    /** Chi-square p-value below which the move is more than sampling noise. @default 0.01 */
    pValueThreshold: z.number().gt(0).lt(1).default(0.01),
    /** Labelled model answers the newest window needs before live F1 is compared with the static rule's. @default 200 */
    minLabelledReadings: z.number().int().min(1).default(200),
    /** Answers a window needs before its fallback rate and drift are judged. @default 100 */
    minReadings: z.number().int().min(1).default(100),
    /** Share of answers from the fallback above which the newest window is a verdict. @default 0.05 */
    fallbackRateLimit: z.number().gt(0).max(1).default(0.05),
    /** No retraining is started by a verdict within this long of the last one it started. @default 1440 (24 h) */
    retrainingCooldownMinutes: z
      .number()
      .int()
      .min(0)
      .max(30 * 1440)
      .default(1440),
  })
  .strict();
export type MonitoringConfig = z.infer<typeof MonitoringSchema>;

/**
 * Sensor health (health/, tasks/sensor-health.ts): which devices are stuck, silent, out of range or sending malformed
 * readings, alarmed per kind and left out of training. See README "Sensor health".
 */
export const SensorHealthSchema = z
  .object({
    /** Run the check on its schedule (its alarms exist either way). @default true */
    enabled: z.boolean().default(true),
    /** Minutes between checks; also the period of the UnhealthyDevices alarms. @default 15 */
    everyMinutes: z.number().int().min(1).max(1440).default(15),
    /** Hours of telemetry a check reads; a device with nothing in them is no longer known. @default 24 */
    lookbackHours: z.number().int().min(1).max(168).default(24),
    /**
     * A numeric signal holding one value this long is stuck; a signal's own `stuckAfterMinutes` (signal set) wins.
     * @default 180 (healthy UCI temperature holds a value up to 133 min)
     */
    stuckMinutes: z.number().int().min(1).max(10_080).default(DEFAULT_STUCK_MINUTES),
    /** A device is silent after this many of its usual intervals (median gap of its readings) without one. @default 10 */
    silentIntervals: z.number().int().min(2).max(1000).default(10),
    /** …and never before this many minutes. @default 15 */
    silentMinMinutes: z.number().int().min(1).max(10_080).default(15),
    /** An out-of-range reading flags its device until this long passes without another. @default 60 */
    outOfRangeClearMinutes: z.number().int().min(1).max(10_080).default(60),
    /** Malformed readings from one device within `malformedWindowMinutes` that make it unhealthy. @default 5 */
    malformedBurst: z.number().int().min(1).max(100_000).default(5),
    /** @default 15 */
    malformedWindowMinutes: z.number().int().min(1).max(1440).default(15),
    /** Unhealthy devices of one kind that put that kind's alarm in ALARM. @default 1 */
    alarmDevices: z.number().int().min(1).max(1_000_000).default(1),
    /** Leave readings from a device while it is flagged stuck or out of range out of the training export. @default true */
    excludeFromTraining: z.boolean().default(true),
  })
  .strict();
export type SensorHealthConfig = z.infer<typeof SensorHealthSchema>;

export const PipelineConfigSchema = z
  .object({
    schedule: ScheduleSchema.default(ScheduleSchema.parse({})),
    /** Which signal set the fleet reports (telemetry/signals.ts). @default 'thermostat' */
    signalSetId: z.string().min(1).default('thermostat'),
    /** A user's signal set document (`--signal-set FILE`, `-c signalSet=FILE`); when set, `signalSetId` is its id. */
    signalSet: signalSetSchema.optional(),
    split: SplitSchema.default(SplitSchema.parse({})),
    /**
     * Days of data a run trains on: the newest days up to the newest labelled day; the export reads only those
     * `dt` partitions, so a run's cost is bounded by the window, not the fleet's history. 0 = all history.
     * @default 30
     */
    trainingWindowDays: z.number().int().min(0).max(3650).default(30),
    /**
     * The rule in force today, the baseline to beat; `null`: none (the best single-signal threshold is the bar).
     * @default the signal set's own rule (thermostat: `sound > 10`), or none when the set has no rule
     */
    staticRule: StaticRuleSchema.nullable().optional(),
    autoML: AutoMLSchema.default(AutoMLSchema.parse({})),
    gate: GateSchema.default(GateSchema.parse({})),
    canary: CanarySchema.default(CanarySchema.parse({})),
    shadow: ShadowSchema.default(ShadowSchema.parse({})),
    alarms: AlarmsSchema.default(AlarmsSchema.parse({})),
    /** How long a candidate waits for a person. @default 259200 (72 h) */
    approvalTimeoutSeconds: z
      .number()
      .int()
      .min(60)
      .max(365 * 86_400)
      .default(72 * 3600),
    instances: InstancesSchema.default(InstancesSchema.parse({})),
    /** @default 'occupancy' */
    endpointName: sageMakerName.default('occupancy'),
    /** @default 'occupancy' */
    modelPackageGroupName: sageMakerName.default('occupancy'),
    poll: PollSchema.default(PollSchema.parse({})),
    monitoring: MonitoringSchema.default(MonitoringSchema.parse({})),
    sensorHealth: SensorHealthSchema.default(SensorHealthSchema.parse({})),
  })
  .strict()
  .superRefine((c, ctx) => {
    const canary = canaryInstances(c.canary.sizePercent, c.instances.endpointCount);
    // The canary must be at most 50 % of the new fleet's capacity:
    // https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green-canary.html
    if (canary * 2 > c.instances.endpointCount) {
      const message =
        `a ${c.canary.sizePercent} % canary of ${c.instances.endpointCount} instance(s) is ${canary} instance(s), ` +
        'more than half the fleet: SageMaker refuses it (raise instances.endpointCount or lower canary.sizePercent)';
      ctx.addIssue({ code: 'custom', path: ['canary', 'sizePercent'], message });
      ctx.addIssue({
        code: 'custom',
        path: ['instances', 'endpointCount'],
        message: `${c.instances.endpointCount} instance(s) cannot carry that canary (see canary.sizePercent)`,
      });
    }
  })
  .transform(({ staticRule, ...rest }) => {
    const signalSetId = rest.signalSet?.id ?? rest.signalSetId;
    const own = rest.signalSet?.staticRule;
    const rule =
      staticRule === undefined && rest.signalSet ? (own ? { signal: own.signal, level: own.level } : null) : undefined;
    return { ...rest, signalSetId, staticRule: rule !== undefined ? rule : resolveStaticRule(signalSetId, staticRule) };
  });

/** The config's signal set document when it is not a built-in (what generated resources must carry), else undefined. */
export function customSignalSet(config: {
  readonly signalSetId: string;
  readonly signalSet?: SignalSet;
}): SignalSet | undefined {
  const doc = config.signalSet;
  if (!doc) return undefined;
  const builtIn = SIGNAL_SETS[doc.id];
  return builtIn && JSON.stringify(builtIn) === JSON.stringify(doc) ? undefined : doc;
}

/** The signal set a config runs on: its document when it carries one, else the built-in of its id. */
export function signalSetOf(config: { readonly signalSetId: string; readonly signalSet?: SignalSet }): SignalSet {
  return config.signalSet ?? signalSetById(config.signalSetId);
}

/**
 * The static rule in force: the one configured (`null`: none), else the signal set's own rule, else none.
 * An unknown signal set id resolves to none here; whoever reads the signal set refuses the id.
 */
export function resolveStaticRule(signalSetId: string, configured: StaticRule | null | undefined): StaticRule | null {
  if (configured !== undefined) return configured;
  const own = SIGNAL_SETS[signalSetId]?.staticRule;
  return own ? { signal: own.signal, level: own.level } : null;
}

/**
 * Instances a CAPACITY_PERCENT canary takes. SageMaker does not document its rounding, so the stricter
 * reading is assumed: whole instances rounded up, and never fewer than one.
 */
export function canaryInstances(sizePercent: number, endpointCount: number): number {
  return Math.max(1, Math.ceil((endpointCount * sizePercent) / 100));
}

export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;
/** What a caller may pass: every field optional, defaults fill the rest. */
export type PipelineConfigInput = z.input<typeof PipelineConfigSchema>;

export class PipelineConfigError extends Error {
  /** Dotted path of the first offending field, e.g. `canary.sizePercent`. */
  readonly field: string;
  readonly issues: readonly { field: string; message: string }[];

  constructor(issues: readonly { field: string; message: string }[], options?: { cause?: unknown }) {
    const first = issues[0] ?? { field: '(root)', message: 'invalid' };
    super(`Invalid pipeline config: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, options);
    this.name = 'PipelineConfigError';
    this.field = first.field;
    this.issues = issues;
  }
}

export function parsePipelineConfig(input: unknown): PipelineConfig {
  const result = PipelineConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : '(root)',
    message: issue.message,
  }));
  throw new PipelineConfigError(issues, { cause: result.error });
}

export const DEFAULT_PIPELINE_CONFIG: PipelineConfig = parsePipelineConfig({});
