import type { PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildStacks } from '../../infra/stacks';
import { PipelineMetrics } from '../../observability/metrics';
import type { PipelineConfig } from '../../pipeline/config';
import { renderStateMachineAsl, resolveCfnValue } from '../../pipeline/render-asl';
import { type TableSchema, tablesOfTemplate } from '../adapters/dynamodb';
import { type AlarmRule, alarmRulesOfTemplate } from './alarm-rules';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './identity';
import type { AslDefinition } from './runner';

/**
 * The local runtime runs the state machine CDK synthesizes for AWS — the same stacks `cdk deploy`
 * ships, built with the local config — not a copy. Bundling is skipped (the Lambda code runs
 * in-process locally), so synthesis needs neither Docker nor esbuild output.
 */

export interface SynthesizedPipeline {
  readonly definition: AslDefinition;
  readonly stateMachineArn: string;
  /** The rollback alarms of the Serving stack, as PutMetricAlarm inputs for the local alarm evaluator. */
  readonly rollbackAlarms: PutMetricAlarmCommandInput[];
  /** Notes on where a local alarm approximates its AWS definition. */
  readonly alarmNotes: string[];
  /**
   * IAM actions the state machine role's policies Allow (resources and conditions not evaluated): what the local
   * parts check where AWS checks the caller's permissions (kms:CreateGrant). Absent: not checked.
   */
  readonly stateMachineRoleActions?: readonly string[];
  /** DynamoDB tables of the Pipeline stack (the single-run lock), by the names the rendered ASL gives them. */
  readonly tables?: readonly TableSchema[];
  /** The Pipeline stack's alarms on the monitor's metrics (infra/stacks/retrain-on-evidence.ts). @default none */
  readonly evidenceAlarms?: PutMetricAlarmCommandInput[];
  /** The EventBridge rules starting the state machine on those alarms' changes (./alarm-rules.ts). @default none */
  readonly alarmRules?: AlarmRule[];
  /** The monitor Lambda's schedule expression and environment (infra/stacks/monitor.ts). @default no monitor */
  readonly monitor?: MonitorOfTemplate;
  /** The sensor health check, its alarms, rule and notifier (infra/stacks/sensor-health.ts). @default none */
  readonly sensorHealth?: SensorHealthOfTemplate;
}

export interface MonitorOfTemplate {
  readonly scheduleExpression: string;
  readonly environment: Record<string, string>;
}

export interface SynthesizedFunction {
  /** The local stand-in of its ARN (`arn:aws:lambda:<region>:<account>:function:<logical ID>`). */
  readonly arn: string;
  readonly logicalId: string;
  /** Its environment, references resolved as the rendered ASL resolves them (imports: the same stand-in names). */
  readonly environment: Record<string, string>;
  /** @default none (unreserved) */
  readonly reservedConcurrency?: number;
}

export interface SensorHealthOfTemplate {
  readonly check: SynthesizedFunction & { readonly scheduleExpression: string; readonly scheduleEnabled: boolean };
  /** The UnhealthyDevices alarms per kind, as PutMetricAlarm inputs. */
  readonly alarms: PutMetricAlarmCommandInput[];
  /** The rule on those alarms invoking the notifier (its targets are `lambda`). */
  readonly rules: AlarmRule[];
  readonly notifier: SynthesizedFunction;
}

const localFunctionArn = (logicalId: string) => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
const variablesOf = (r: Resource) =>
  (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};

/** The function a predicate picks (exactly one) and the schedule invoking it. */
function scheduledFunction(
  resources: Record<string, Resource>,
  matches: (variables: Record<string, unknown>) => boolean,
): { id: string; fn: Resource; schedule?: Resource } | undefined {
  const entries = Object.entries(resources).filter(
    ([, r]) => r.Type === 'AWS::Lambda::Function' && matches(variablesOf(r)),
  );
  if (entries.length !== 1) return undefined;
  const [id, fn] = entries[0] as [string, Resource];
  const schedule = Object.values(resources).find(
    (r) =>
      r.Type === 'AWS::Scheduler::Schedule' &&
      JSON.stringify((r.Properties?.Target as { Arn?: unknown } | undefined)?.Arn)?.includes(`"${id}"`),
  );
  return { id, fn, ...(schedule ? { schedule } : {}) };
}

/** The monitor: the function whose environment carries PIPELINE_CONFIG and the predictions table. */
function monitorOfTemplate(resources: Record<string, Resource>): MonitorOfTemplate | undefined {
  const found = scheduledFunction(resources, (v) => 'PIPELINE_CONFIG' in v && 'PREDICTIONS_TABLE' in v);
  if (!found) return undefined;
  return {
    scheduleExpression: String(found.schedule?.Properties?.ScheduleExpression ?? ''),
    environment: Object.fromEntries(
      Object.entries(variablesOf(found.fn)).filter(([, v]) => typeof v === 'string') as [string, string][],
    ),
  };
}

function synthesizedFunction(template: { Resources: Record<string, Resource> }, id: string): SynthesizedFunction {
  const fn = template.Resources[id] as Resource;
  const environment = Object.fromEntries(
    Object.entries(variablesOf(fn)).map(([k, v]) => [
      k,
      resolveCfnValue(template, v, { region: LOCAL_REGION, account: LOCAL_ACCOUNT }),
    ]),
  );
  const reserved = fn.Properties?.ReservedConcurrentExecutions;
  return {
    arn: localFunctionArn(id),
    logicalId: id,
    environment,
    ...(reserved === undefined ? {} : { reservedConcurrency: Number(reserved) }),
  };
}

/** The check (the function reading SENSOR_FAULTS_TABLE), and the rules whose targets are functions: its notifier. */
function sensorHealthOfTemplate(
  template: { Resources: Record<string, Resource> },
  lambdaRules: AlarmRule[],
  alarms: PutMetricAlarmCommandInput[],
): SensorHealthOfTemplate | undefined {
  const check = scheduledFunction(template.Resources, (v) => 'PIPELINE_CONFIG' in v && 'SENSOR_FAULTS_TABLE' in v);
  const notifierArn = lambdaRules[0]?.targets[0]?.arn;
  const notifierId = Object.keys(template.Resources).find((id) => localFunctionArn(id) === notifierArn);
  if (!check || notifierId === undefined) return undefined;
  const names = new Set(lambdaRules.flatMap((r) => r.alarmNames));
  return {
    check: {
      ...synthesizedFunction(template, check.id),
      scheduleExpression: String(check.schedule?.Properties?.ScheduleExpression ?? ''),
      scheduleEnabled: check.schedule?.Properties?.State !== 'DISABLED',
    },
    alarms: alarms.filter((a) => names.has(String(a.AlarmName))),
    rules: lambdaRules,
    notifier: synthesizedFunction(template, notifierId),
  };
}

/** Whether an Allow list (`kms:CreateGrant`, `kms:*`, `*`) covers an action; IAM action names are case-insensitive. */
export function actionAllowed(allowed: readonly string[], action: string): boolean {
  const wanted = action.toLowerCase();
  return allowed.some((a) => {
    const pattern = new RegExp(
      `^${a
        .toLowerCase()
        .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')}$`,
    );
    return pattern.test(wanted);
  });
}

/** Allowed actions of the role the (single) state machine runs as, from its inline and attached policies. */
function stateMachineRoleActions(resources: Record<string, Resource>): string[] {
  const machine = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  const roleArn = machine?.Properties?.RoleArn as { 'Fn::GetAtt'?: [string, string] } | undefined;
  const roleId = roleArn?.['Fn::GetAtt']?.[0];
  if (!roleId) return [];
  const documents: unknown[] = [];
  const role = resources[roleId];
  for (const p of (role?.Properties?.Policies as { PolicyDocument?: unknown }[] | undefined) ?? []) {
    documents.push(p.PolicyDocument);
  }
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = (r.Properties?.Roles as { Ref?: string }[] | undefined) ?? [];
    if (roles.some((ref) => ref.Ref === roleId)) documents.push(r.Properties?.PolicyDocument);
  }
  const actions: string[] = [];
  for (const doc of documents) {
    const statements = (doc as { Statement?: { Effect?: string; Action?: string | string[] }[] })?.Statement ?? [];
    for (const st of statements) {
      if (st.Effect !== 'Allow' || st.Action === undefined) continue;
      actions.push(...(Array.isArray(st.Action) ? st.Action : [st.Action]));
    }
  }
  return [...new Set(actions)];
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

/** CloudWatch alarm resource → PutMetricAlarm input; metric math and percentiles get local stand-ins. */
function localAlarm(props: Record<string, unknown>, notes: string[]): PutMetricAlarmCommandInput {
  const name = String(props.AlarmName);
  const base = {
    AlarmName: name,
    ComparisonOperator: props.ComparisonOperator as PutMetricAlarmCommandInput['ComparisonOperator'],
    EvaluationPeriods: Number(props.EvaluationPeriods),
    Threshold: Number(props.Threshold),
    TreatMissingData: props.TreatMissingData as string | undefined,
    DatapointsToAlarm: props.DatapointsToAlarm === undefined ? undefined : Number(props.DatapointsToAlarm),
  };
  if (Array.isArray(props.Metrics)) {
    // IF(total > 0, fallbacks / total, 0) over InferenceFallback (1 per fallback answer, 0 per model answer)
    // equals the Average of InferenceFallback, which the local evaluator supports without metric math.
    const stat = (props.Metrics as { MetricStat?: { Metric: Record<string, unknown>; Period: number } }[]).find(
      (m) => m.MetricStat?.Metric.MetricName === PipelineMetrics.InferenceFallback,
    )?.MetricStat;
    // Other metric math (the monitor's alarms) is evaluated as such: local/metrics/metric-math.ts.
    if (!stat) return { ...base, Metrics: props.Metrics as PutMetricAlarmCommandInput['Metrics'] };
    notes.push(`${name}: metric math evaluated locally as Average(${String(stat.Metric.MetricName)})`);
    return {
      ...base,
      Namespace: String(stat.Metric.Namespace),
      MetricName: String(stat.Metric.MetricName),
      Dimensions: stat.Metric.Dimensions as PutMetricAlarmCommandInput['Dimensions'],
      Statistic: 'Average',
      Period: stat.Period,
    };
  }
  const extended = props.ExtendedStatistic as string | undefined;
  if (extended) notes.push(`${name}: ${extended} evaluated locally as Maximum (stricter)`);
  return {
    ...base,
    Namespace: String(props.Namespace),
    MetricName: String(props.MetricName),
    Dimensions: props.Dimensions as PutMetricAlarmCommandInput['Dimensions'],
    Statistic: (extended ? 'Maximum' : props.Statistic) as PutMetricAlarmCommandInput['Statistic'],
    Period: Number(props.Period),
  };
}

export function synthesizePipeline(config: PipelineConfig): SynthesizedPipeline {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildStacks(app, { pipeline: config, account: LOCAL_ACCOUNT, region: LOCAL_REGION });
  const pipelineTemplate = Template.fromStack(stacks.pipeline).toJSON() as { Resources: Record<string, Resource> };
  const definition = renderStateMachineAsl(pipelineTemplate, {
    region: LOCAL_REGION,
    account: LOCAL_ACCOUNT,
  }) as unknown as AslDefinition;
  const servingTemplate = Template.fromStack(stacks.serving).toJSON() as { Resources: Record<string, Resource> };
  const alarmNotes: string[] = [];
  const rollbackAlarms = Object.values(servingTemplate.Resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties)
    .map((r) => localAlarm(r.Properties ?? {}, alarmNotes));
  const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${stacks.pipeline.retraining.stateMachineName}`;
  const roleActions = stateMachineRoleActions(pipelineTemplate.Resources);
  const tables = tablesOfTemplate(pipelineTemplate.Resources);
  const pipelineAlarms = Object.values(pipelineTemplate.Resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties)
    .map((r) => localAlarm(r.Properties ?? {}, alarmNotes));
  const machineId = Object.entries(pipelineTemplate.Resources).find(
    ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
  )?.[0];
  const functions = Object.fromEntries(
    Object.entries(pipelineTemplate.Resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id]) => [id, localFunctionArn(id)]),
  );
  const rules = alarmRulesOfTemplate(
    pipelineTemplate.Resources,
    machineId ? { [machineId]: stateMachineArn } : {},
    functions,
  );
  // Rules starting the state machine (retrain on evidence) and rules invoking a function (sensor health).
  const alarmRules = rules.filter((r) => r.targets.every((t) => t.type === 'stateMachine'));
  const lambdaRules = rules.filter((r) => r.targets.some((t) => t.type === 'lambda'));
  const sensorHealth = sensorHealthOfTemplate(pipelineTemplate, lambdaRules, pipelineAlarms);
  const healthAlarms = new Set(lambdaRules.flatMap((r) => r.alarmNames));
  const evidenceAlarms = pipelineAlarms.filter((a) => !healthAlarms.has(String(a.AlarmName)));
  const monitor = monitorOfTemplate(pipelineTemplate.Resources);
  return {
    definition,
    stateMachineArn,
    rollbackAlarms,
    alarmNotes,
    stateMachineRoleActions: roleActions,
    tables,
    evidenceAlarms,
    alarmRules,
    ...(monitor ? { monitor } : {}),
    ...(sensorHealth ? { sensorHealth } : {}),
  };
}
