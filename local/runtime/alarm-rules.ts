import { randomUUID } from 'node:crypto';
import type { AlarmEvaluator, AlarmTransition } from '../metrics';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './identity';
import type { Json } from './runner';

/**
 * EventBridge rules on CloudWatch alarm state changes, read from the synthesized template (AWS::Events::Rule with
 * source aws.cloudwatch: infra/stacks/retrain-on-evidence.ts): a local alarm's transition becomes the event
 * CloudWatch sends (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html),
 * matched against each rule's pattern and handed to its targets through their InputTransformer
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html). Only what the stacks
 * use is emulated; any other pattern operator, path syntax or target is refused at load, never approximated.
 */

export interface RuleTarget {
  /** What the target is: a state machine (StartExecution) or a Lambda function (asynchronous Invoke). */
  readonly type: 'stateMachine' | 'lambda';
  /** Resolved: the local state machine's or function's ARN. */
  readonly arn: string;
  readonly input?: string;
  readonly inputTransformer?: { readonly inputPathsMap: Record<string, string>; readonly inputTemplate: string };
}

export interface AlarmRule {
  readonly logicalId: string;
  readonly eventPattern: Json;
  /** Alarm names the pattern's `resources` name (their ARNs resolved). */
  readonly alarmNames: readonly string[];
  readonly targets: readonly RuleTarget[];
}

export class UnsupportedRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedRuleError';
  }
}

export const localAlarmArn = (name: string) => `arn:aws:cloudwatch:${LOCAL_REGION}:${LOCAL_ACCOUNT}:alarm:${name}`;

type Resource = { Type: string; Properties?: Record<string, unknown> };

function logicalIdOf(value: unknown): string | undefined {
  const v = value as { Ref?: unknown; 'Fn::GetAtt'?: unknown } | null;
  if (typeof v?.Ref === 'string') return v.Ref;
  const att = v?.['Fn::GetAtt'];
  return Array.isArray(att) && typeof att[0] === 'string' ? att[0] : undefined;
}

/**
 * The rules on alarm state changes of a template; `stateMachines` and `functions` resolve a state machine's or a
 * Lambda function's logical ID to its ARN (any other target is refused).
 */
export function alarmRulesOfTemplate(
  resources: Record<string, Resource>,
  stateMachines: Record<string, string>,
  functions: Record<string, string> = {},
): AlarmRule[] {
  const rules: AlarmRule[] = [];
  for (const [logicalId, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::Events::Rule') continue;
    const p = r.Properties ?? {};
    const pattern = p.EventPattern as Record<string, unknown> | undefined;
    if (!pattern || JSON.stringify(pattern.source) !== '["aws.cloudwatch"]') continue;
    const alarmNames = ((pattern.resources as unknown[] | undefined) ?? []).map((ref) => {
      const id = logicalIdOf(ref);
      const alarm = id === undefined ? undefined : resources[id];
      if (alarm?.Type !== 'AWS::CloudWatch::Alarm')
        throw new UnsupportedRuleError(`${logicalId}: resources must be alarms`);
      return String(alarm.Properties?.AlarmName);
    });
    const targets = ((p.Targets as Record<string, unknown>[] | undefined) ?? []).map((t): RuleTarget => {
      const id = logicalIdOf(t.Arn);
      const machine = id === undefined ? undefined : stateMachines[id];
      const fn = id === undefined ? undefined : functions[id];
      const arn = machine ?? fn;
      if (arn === undefined)
        throw new UnsupportedRuleError(`${logicalId}: only state machine and Lambda function targets run locally`);
      const transformer = t.InputTransformer as
        | { InputPathsMap?: Record<string, string>; InputTemplate: string }
        | undefined;
      return {
        type: machine === undefined ? 'lambda' : 'stateMachine',
        arn,
        ...(typeof t.Input === 'string' ? { input: t.Input } : {}),
        ...(transformer
          ? {
              inputTransformer: {
                inputPathsMap: transformer.InputPathsMap ?? {},
                inputTemplate: transformer.InputTemplate,
              },
            }
          : {}),
      };
    });
    const rule = {
      logicalId,
      eventPattern: { ...pattern, resources: alarmNames.map(localAlarmArn) } as Json,
      alarmNames,
      targets,
    };
    checkPattern(rule.eventPattern, logicalId);
    rules.push(rule);
  }
  return rules;
}

/** Only exact-value arrays and nested objects (no prefix/anything-but/numeric/exists operators). */
function checkPattern(pattern: Json, where: string): void {
  for (const [key, value] of Object.entries(pattern as Record<string, Json>)) {
    if (Array.isArray(value)) {
      if (value.some((v) => v !== null && typeof v === 'object'))
        throw new UnsupportedRuleError(`${where}: pattern operator at "${key}" is not emulated locally`);
    } else if (value !== null && typeof value === 'object') checkPattern(value, `${where}.${key}`);
    else throw new UnsupportedRuleError(`${where}: pattern value at "${key}" must be an array or an object`);
  }
}

/** EventBridge matching: every pattern field present in the event, a leaf array matching the value (or any element). */
export function matchesPattern(pattern: Json, event: Json): boolean {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return false;
  return Object.entries(pattern as Record<string, Json>).every(([key, expected]) => {
    const actual = (event as Record<string, Json>)[key];
    if (actual === undefined) return false;
    if (!Array.isArray(expected)) return matchesPattern(expected, actual);
    const values = Array.isArray(actual) ? actual : [actual];
    return values.some((v) => expected.some((e) => e === v));
  });
}

/** A dot-notation path (`$.detail.state.reason`) of the event; other JSONPath syntax is refused. */
function readPath(event: Json, path: string): Json {
  if (!/^\$(\.[A-Za-z0-9_-]+)*$/.test(path))
    throw new UnsupportedRuleError(`input path ${path} is not emulated locally`);
  let value: Json = event;
  for (const key of path.split('.').slice(1)) {
    value = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value[key] ?? null) : null;
  }
  if (value === null) throw new UnsupportedRuleError(`input path ${path} is not in the event (not emulated locally)`);
  return value;
}

/**
 * The InputTemplate with each `<variable>` replaced: inside a JSON string its text (escaped as JSON string
 * content), outside a string its JSON value — the doc's `{"myInstance": <instance>, "myStatus": "<instance> is …"}`.
 */
export function transformInput(transformer: NonNullable<RuleTarget['inputTransformer']>, event: Json): Json {
  const values = Object.fromEntries(
    Object.entries(transformer.inputPathsMap).map(([name, path]) => [name, readPath(event, path)]),
  );
  let out = '';
  let inString = false;
  const t = transformer.inputTemplate;
  for (let i = 0; i < t.length; i++) {
    const c = t[i] as string;
    if (c === '"' && t[i - 1] !== '\\') inString = !inString;
    const placeholder = c === '<' ? /^<([A-Za-z0-9_.-]+)>/.exec(t.slice(i)) : null;
    const name = placeholder?.[1];
    if (placeholder && name !== undefined && name in values) {
      const value = values[name] as Json;
      out += inString
        ? JSON.stringify(typeof value === 'string' ? value : JSON.stringify(value)).slice(1, -1)
        : JSON.stringify(value);
      i += placeholder[0].length - 1;
      continue;
    }
    out += c;
  }
  // Step Functions' StartExecution takes JSON input only.
  return JSON.parse(out) as Json;
}

/** The event CloudWatch sends for a transition. */
export function alarmStateChangeEvent(t: AlarmTransition): Json {
  const time = new Date(t.time).toISOString();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: LOCAL_ACCOUNT,
    time: time.replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [localAlarmArn(t.alarmName)],
    detail: {
      alarmName: t.alarmName,
      state: { value: t.to, reason: t.reason, timestamp: time },
      previousState: { value: t.from, timestamp: time },
    },
  };
}

/**
 * The rules wired to the local alarms: each transition of an alarm a rule names is matched and delivered to the
 * rule's targets (`start(arn, input, rule, target)`); `evaluate()` re-evaluates those alarms now (CloudWatch does so
 * every period).
 */
export class AlarmEventRules {
  constructor(
    readonly rules: readonly AlarmRule[],
    private readonly alarms: AlarmEvaluator,
    private readonly start: (targetArn: string, input: Json, rule: AlarmRule, target: RuleTarget) => void,
  ) {
    alarms.onTransition((t) => this.deliver(t));
  }

  get alarmNames(): string[] {
    return [...new Set(this.rules.flatMap((r) => r.alarmNames))];
  }

  evaluate(): void {
    for (const name of this.alarmNames) if (this.alarms.has(name)) this.alarms.evaluate(name);
  }

  private deliver(t: AlarmTransition): void {
    const event = alarmStateChangeEvent(t);
    for (const rule of this.rules) {
      if (!matchesPattern(rule.eventPattern, event)) continue;
      for (const target of rule.targets) {
        const input = target.inputTransformer
          ? transformInput(target.inputTransformer, event)
          : target.input !== undefined
            ? (JSON.parse(target.input) as Json)
            : event;
        this.start(target.arn, input, rule, target);
      }
    }
  }
}
