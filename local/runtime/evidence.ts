import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListTagsCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { MonitorReport } from '../../monitoring/run';
import { METRICS_NAMESPACE } from '../../observability/metrics';
import { parseEnv, pipelineConfigFromEnv } from '../../tasks/lambda-handler';
import { createHandler, MonitorEnvSchema, type MonitorInput } from '../../tasks/monitor';
import { AthenaLakeQuery } from '../../tasks/ports/lake-query';
import { LocalAthena } from '../adapters/athena';
import type { FolderObjectStore } from '../adapters/s3';
import { lambdaContext } from '../aws-endpoints/lambda-context';
import type { LocalHosting } from '../hosting';
import { LocalStoreMetrics } from '../iot/local-metrics';
import type { LocalLake } from '../lake';
import type { AlarmEvaluator, MetricStore } from '../metrics';
import { scheduleIntervalMs } from '../schedule';
import { AlarmEventRules, type AlarmRule } from './alarm-rules';
import type { Json, StartedExecution } from './runner';
import type { SynthesizedPipeline } from './synth';

/**
 * Retrain on evidence, locally (issue 21 items 2–3): the monitor Lambda's handler (tasks/monitor.ts) with its
 * synthesized environment, its Athena queries answered by the local Athena stand-in and its EMF metrics landing in
 * the local metric store; the synthesized alarms on those metrics in the local alarm evaluator; and the synthesized
 * EventBridge rules starting the state machine through their input transformers (./alarm-rules.ts).
 */

export interface LocalEvidenceParts {
  readonly pipeline: SynthesizedPipeline;
  readonly lake: LocalLake;
  readonly store: FolderObjectStore;
  /**
   * The local SageMaker: the monitor describes the endpoint and its models there to find their training baselines
   * (their file:// ModelDataUrl read through the local store). @default none: no baselines, no drift figures
   */
  readonly hosting?: LocalHosting;
  readonly metrics: MetricStore;
  readonly alarms: AlarmEvaluator;
  /** StartExecution of the local state machine (what the rule's target calls). */
  readonly startExecution: (input: Json) => StartedExecution;
  readonly onProgress?: (line: string) => void;
}

export interface EvidenceStart {
  readonly rule: string;
  readonly input: Json;
  readonly execution: StartedExecution;
}

/** Where the local monitor's Athena results go (on AWS: the workgroup's result location). */
const LOCAL_MONITOR_RESULTS = 's3://occupancy-athena-results/monitor/';

/** AthenaLakeQuery's client, answered in process by the local Athena stand-in (the local endpoints have no Athena). */
export function standInAthena(athena: LocalAthena): AthenaClient {
  const done = new Map<string, GetQueryExecutionCommandOutput>();
  const send = async (command: unknown) => {
    if (command instanceof StartQueryExecutionCommand) {
      const out = await athena.startQueryExecutionSync(command.input);
      const id = out.QueryExecution?.QueryExecutionId ?? '';
      done.set(id, out);
      return { QueryExecutionId: id };
    }
    if (command instanceof GetQueryExecutionCommand) return done.get(command.input.QueryExecutionId ?? '');
    if (command instanceof GetQueryResultsCommand) return athena.getQueryResults(command.input);
    throw new Error(`The local monitor's Athena stand-in does not answer ${String(command)}`);
  };
  return { send } as unknown as AthenaClient;
}

/** The monitor's SageMaker client, answered in process by the local endpoint host (its errors are SageMaker's). */
export function standInSageMaker(hosting: LocalHosting): SageMakerClient {
  const send = async (command: unknown) => {
    if (command instanceof DescribeEndpointCommand) return hosting.describeEndpoint(command.input);
    if (command instanceof DescribeEndpointConfigCommand) return hosting.describeEndpointConfig(command.input);
    if (command instanceof DescribeModelCommand) return hosting.describeModel(command.input);
    if (command instanceof ListTagsCommand) return hosting.listTags(command.input);
    throw new Error(`The local monitor's SageMaker stand-in does not answer ${String(command)}`);
  };
  return { send } as unknown as SageMakerClient;
}

export class LocalEvidence {
  readonly rules: AlarmEventRules;
  /** Every execution an alarm rule started, oldest first. */
  readonly started: EvidenceStart[] = [];
  private handler: ((input: MonitorInput) => Promise<MonitorReport>) | undefined;

  constructor(private readonly parts: LocalEvidenceParts) {
    const { pipeline, alarms } = parts;
    for (const alarm of pipeline.evidenceAlarms ?? []) alarms.putMetricAlarm(alarm);
    this.rules = new AlarmEventRules(pipeline.alarmRules ?? [], alarms, (arn, input, rule) =>
      this.start(arn, input, rule),
    );
  }

  private start(arn: string, input: Json, rule: AlarmRule): void {
    if (arn !== this.parts.pipeline.stateMachineArn)
      throw new Error(`${rule.logicalId}: no local state machine ${arn}`);
    const execution = this.parts.startExecution(input);
    this.started.push({ rule: rule.logicalId, input, execution });
    const reason = (input as { reason?: unknown }).reason;
    this.parts.onProgress?.(`evidence: ${String(reason)} → retraining ${execution.executionArn}`);
  }

  /** The monitor handler as deployed: the synthesized environment, validated by the function's own schema. */
  private monitorHandler(): (input: MonitorInput) => Promise<MonitorReport> {
    if (this.handler) return this.handler;
    const monitor = this.parts.pipeline.monitor;
    if (!monitor) throw new Error('The synthesized Pipeline stack has no monitor function');
    const env = parseEnv(MonitorEnvSchema, monitor.environment);
    const handler = createHandler({
      logger: new Logger({ serviceName: 'monitor', logLevel: 'WARN' }),
      metrics: new LocalStoreMetrics(this.parts.metrics, { namespace: METRICS_NAMESPACE, serviceName: 'monitor' }),
      tracer: new Tracer({ serviceName: 'monitor', enabled: false }),
      config: pipelineConfigFromEnv(env.PIPELINE_CONFIG),
      dialect: 'athena',
      predictionsTable: env.PREDICTIONS_TABLE,
      labelsTable: env.LABELS_TABLE,
      store: this.parts.store,
      ...(this.parts.hosting ? { sagemaker: standInSageMaker(this.parts.hosting) } : {}),
      lake: new AthenaLakeQuery(standInAthena(new LocalAthena(this.parts.lake, this.parts.store)), {
        database: env.ATHENA_DATABASE,
        workGroup: env.ATHENA_WORKGROUP,
        outputLocation: env.ATHENA_OUTPUT_LOCATION ?? LOCAL_MONITOR_RESULTS,
        pollMs: 0,
      }),
    });
    this.handler = (input) => handler(input, lambdaContext('MonitorFunction', { timeoutMs: 300_000 }));
    return this.handler;
  }

  /** One scheduled invocation: the monitor publishes, then the alarms are evaluated (CloudWatch does so every period). */
  async runMonitor(input: MonitorInput = {}): Promise<MonitorReport> {
    const report = await this.monitorHandler()(input);
    this.rules.evaluate();
    return report;
  }

  /** The monitor on the synthesized schedule expression (local/schedule.ts: rate() runs on its interval). */
  startSchedule(onError: (error: unknown) => void): { close(): void } {
    const expression = this.parts.pipeline.monitor?.scheduleExpression ?? '';
    const { intervalMs, note } = scheduleIntervalMs(expression);
    if (note) this.parts.onProgress?.(note.replace('retraining', 'monitoring'));
    const timer = setInterval(() => {
      this.runMonitor().catch(onError);
    }, intervalMs);
    return { close: () => clearInterval(timer) };
  }
}
