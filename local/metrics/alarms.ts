/**
 * Local CloudWatch alarms over a MetricStore. Definitions are PutMetricAlarm requests; state is evaluated on
 * demand (describeAlarms / evaluate) from windows ending now. With `timeScale` < 1, periods shrink like every
 * other local wait, so a 60 s alarm period at 0.01 is 0.6 s of wall time.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricAlarm, PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import * as z from 'zod';
import { writeFileAtomic } from '../fs';
import { readStateFileIfExists, StateFileError } from '../state-file';
import { type AlarmDefinition, type AlarmState, evaluateAlarm } from './alarm-evaluation';
import { combinePeriod, parseAnyAlarm } from './metric-math';
import { type MetricStore, statisticOf } from './store';

export class AlarmNotFoundError extends Error {
  override readonly name = 'ResourceNotFound';
  readonly code = 'ResourceNotFound';
  constructor(readonly alarmName: string) {
    super(`Alarm ${alarmName} does not exist`);
  }
}

/** `metrics/alarms.json`: the PutMetricAlarm requests of every alarm (each is re-checked by parseAlarm). */
const ALARMS_FILE = {
  what: 'list of alarm definitions',
  schema: z.array(z.looseObject({ AlarmName: z.string().min(1) })) as unknown as z.ZodType<
    PutMetricAlarmCommandInput[]
  >,
};

/**
 * `metrics/alarm-states.json`: each alarm's state, kept across processes as CloudWatch keeps it (an update leaves
 * the state unchanged: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
 */
const ALARM_STATES_FILE = {
  what: 'record of alarm states',
  schema: z.record(
    z.string(),
    z.object({
      state: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
      reason: z.string(),
      stateUpdated: z.number(),
    }),
  ),
};
type SavedAlarmStates = z.infer<typeof ALARM_STATES_FILE.schema>;

/** Reads `<stateDir>/metrics/alarm-states.json` (none: empty); throws StateFileError when it is broken. */
export function readAlarmStates(stateDir: string): SavedAlarmStates {
  return readStateFileIfExists(join(stateDir, 'metrics', 'alarm-states.json'), ALARM_STATES_FILE) ?? {};
}

/** Reads `<stateDir>/metrics/alarms.json` (none: an empty list); throws StateFileError naming a bad definition. */
export function readAlarmDefinitions(stateDir: string): PutMetricAlarmCommandInput[] {
  const file = join(stateDir, 'metrics', 'alarms.json');
  const saved = readStateFileIfExists(file, ALARMS_FILE) ?? [];
  for (const [i, input] of saved.entries()) {
    try {
      parseAnyAlarm(input);
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new StateFileError(
        file,
        ALARMS_FILE.what,
        'shape',
        `is not a valid ${ALARMS_FILE.what}: entry ${i}: ${reason}`,
        'move-aside',
        {
          cause,
        },
      );
    }
  }
  return saved;
}

export interface AlarmEvaluatorOptions {
  /** Persist definitions as `metrics/alarms.json` here; omit for memory only. */
  readonly stateDir?: string;
  /** Multiplies alarm periods (wall time = Period * timeScale). Default 1. */
  readonly timeScale?: number;
  readonly clock?: () => number;
}

interface AlarmRecord {
  readonly input: PutMetricAlarmCommandInput;
  readonly definition: AlarmDefinition;
  state: AlarmState;
  reason: string;
  stateUpdated: number;
  configUpdated: number;
}

export interface AlarmTransition {
  readonly alarmName: string;
  readonly from: AlarmState;
  readonly to: AlarmState;
  readonly reason: string;
  readonly time: number;
}

export class AlarmEvaluator {
  private readonly alarms = new Map<string, AlarmRecord>();
  private readonly file: string | undefined;
  private readonly statesFile: string | undefined;
  private readonly timeScale: number;
  private readonly clock: () => number;
  private readonly listeners: ((t: AlarmTransition) => void)[] = [];

  constructor(
    private readonly store: MetricStore,
    options: AlarmEvaluatorOptions = {},
  ) {
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${this.timeScale}`);
    this.clock = options.clock ?? store.clock;
    if (options.stateDir !== undefined) {
      const dir = join(options.stateDir, 'metrics');
      mkdirSync(dir, { recursive: true });
      this.file = join(dir, 'alarms.json');
      this.statesFile = join(dir, 'alarm-states.json');
      for (const input of readAlarmDefinitions(options.stateDir)) this.register(input);
      for (const [name, saved] of Object.entries(readAlarmStates(options.stateDir))) {
        const record = this.alarms.get(name);
        if (record) Object.assign(record, saved);
      }
    }
  }

  /** Create or update an alarm: a new one starts at INSUFFICIENT_DATA, an updated one keeps its state (as CloudWatch). */
  putMetricAlarm(input: PutMetricAlarmCommandInput): void {
    this.register(input);
    this.save();
  }

  deleteAlarms(input: { AlarmNames?: readonly string[] }): void {
    for (const name of input.AlarmNames ?? []) this.alarms.delete(name);
    this.save();
    this.saveStates();
  }

  has(alarmName: string): boolean {
    return this.alarms.has(alarmName);
  }

  onTransition(listener: (t: AlarmTransition) => void): void {
    this.listeners.push(listener);
  }

  /** Re-evaluate one alarm now and return its state. */
  evaluate(alarmName: string): { state: AlarmState; reason: string } {
    const record = this.alarms.get(alarmName);
    if (!record) throw new AlarmNotFoundError(alarmName);
    const def = record.definition;
    const now = this.clock();
    const periodMs = def.periodSeconds * 1000 * this.timeScale;
    const windowStart = now - def.evaluationPeriods * periodMs;
    const series = (
      key: { namespace: string; metricName: string; dimensions: AlarmDefinition['dimensions'] },
      statistic: AlarmDefinition['statistic'],
    ) => {
      const samples = this.store.samples(key, windowStart, now + 1);
      const values: (number | undefined)[] = [];
      for (let i = 0; i < def.evaluationPeriods; i++) {
        const from = windowStart + i * periodMs;
        const to = i === def.evaluationPeriods - 1 ? now + 1 : from + periodMs;
        values.push(
          statisticOf(
            samples.filter((s) => s.timestamp >= from && s.timestamp < to),
            statistic,
          ),
        );
      }
      return values;
    };
    const math = def.math;
    let periods: (number | undefined)[];
    if (math) {
      const terms = math.terms.map((t) => series(t, t.statistic));
      periods =
        terms[0]?.map((_, i) =>
          combinePeriod(
            math,
            terms.map((values) => values[i]),
          ),
        ) ?? [];
    } else {
      periods = series(def, def.statistic);
    }
    const result = evaluateAlarm(def, periods, record.state);
    if (result.state !== record.state) {
      const transition: AlarmTransition = {
        alarmName,
        from: record.state,
        to: result.state,
        reason: result.reason,
        time: now,
      };
      record.stateUpdated = now;
      record.state = result.state;
      record.reason = result.reason;
      this.saveStates();
      for (const listener of this.listeners) listener(transition);
    }
    record.state = result.state;
    record.reason = result.reason;
    return result;
  }

  describeAlarms(input: { AlarmNames?: readonly string[]; StateValue?: AlarmState } = {}): {
    MetricAlarms: MetricAlarm[];
  } {
    const names = input.AlarmNames ?? [...this.alarms.keys()];
    const out: MetricAlarm[] = [];
    for (const name of names) {
      const record = this.alarms.get(name);
      if (!record) continue;
      this.evaluate(name);
      if (input.StateValue !== undefined && record.state !== input.StateValue) continue;
      const d = record.definition;
      out.push({
        AlarmName: d.alarmName,
        AlarmArn: `arn:aws:cloudwatch:local:000000000000:alarm:${d.alarmName}`,
        ...(d.alarmDescription === undefined ? {} : { AlarmDescription: d.alarmDescription }),
        AlarmConfigurationUpdatedTimestamp: new Date(record.configUpdated),
        StateValue: record.state,
        StateReason: record.reason,
        StateUpdatedTimestamp: new Date(record.stateUpdated),
        MetricName: d.metricName,
        Namespace: d.namespace,
        Statistic: d.statistic,
        Dimensions: d.dimensions.map((x) => ({ ...x })),
        Period: d.periodSeconds,
        EvaluationPeriods: d.evaluationPeriods,
        DatapointsToAlarm: d.datapointsToAlarm,
        Threshold: d.threshold,
        ComparisonOperator: d.comparisonOperator,
        TreatMissingData: d.treatMissingData,
      });
    }
    return { MetricAlarms: out };
  }

  private register(input: PutMetricAlarmCommandInput): void {
    const definition = parseAnyAlarm(input);
    const now = this.clock();
    // An update leaves the state unchanged; a new alarm starts at INSUFFICIENT_DATA (API_PutMetricAlarm, above).
    const existing = this.alarms.get(definition.alarmName);
    this.alarms.set(definition.alarmName, {
      input,
      definition,
      state: existing?.state ?? 'INSUFFICIENT_DATA',
      reason: existing?.reason ?? 'Unchecked: Initial alarm creation',
      stateUpdated: existing?.stateUpdated ?? now,
      configUpdated: now,
    });
  }

  private saveStates(): void {
    if (this.statesFile === undefined) return;
    const states: SavedAlarmStates = {};
    for (const [name, r] of this.alarms)
      states[name] = { state: r.state, reason: r.reason, stateUpdated: r.stateUpdated };
    writeFileAtomic(this.statesFile, JSON.stringify(states));
  }

  private save(): void {
    if (this.file === undefined) return;
    writeFileAtomic(this.file, JSON.stringify([...this.alarms.values()].map((r) => r.input)));
  }
}
