import { join, resolve } from 'node:path';
import type { PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { AutoMLJobRunner } from '../../automl/job';
import type { PipelineConfig } from '../../pipeline/config';
import { FileApprovalStore, LocalNotifier } from '../adapters/approvals';
import { LocalAthena } from '../adapters/athena';
import { LocalDynamoDB } from '../adapters/dynamodb';
import { FolderObjectStore } from '../adapters/s3';
import { LocalModelRegistry } from '../adapters/sagemaker-registry';
import { LocalTransformJobs } from '../adapters/sagemaker-transform';
import { assertRequest, assertSageMakerName, assertSnsSubject, stepFunctionsNameOf } from '../aws-contract';
import { LocalHosting, startInvocationServer, ValidationException } from '../hosting';
import { localShadowCompare } from '../hosting/shadow-compare-binding';
import type { ShadowDocumentSnapshot } from '../iot/shadow-service';
import { LocalLake } from '../lake';
import { AlarmEvaluator, MetricStore } from '../metrics';
import { autoMLBindings } from './automl-bindings';
import { describeExecution } from './describe-execution';
import { LocalEvidence } from './evidence';
import { ExecutionStore } from './executions';
import type { FaultName } from './faults';
import { LocalLambdas } from './lambdas';
import { type PipelineFunctions, pipelineFunctions, startPipelineEndpoints } from './pipeline-functions';
import { type Json, LocalStepFunctionsRunner, type ResourceBinding, type StartedExecution } from './runner';
import { LocalSensorHealth } from './sensor-health';
import { actionAllowed, type SynthesizedPipeline, synthesizePipeline } from './synth';
import { lambda, ServiceError, sdk, serviceCall, toJson } from './task-bindings';
import { TaskTokenBroker } from './task-tokens';

/**
 * The embedded runtime: every local part wired together, and each Task state of the synthesized
 * state machine bound to the local implementation of the API it calls.
 */

export interface LocalStackOptions {
  readonly stateDir: string;
  readonly config: PipelineConfig;
  /** Local time per AWS second: Wait states, canary bake times and alarm periods. @default 0.01 */
  readonly timeScale?: number;
  readonly faults?: ReadonlySet<FaultName>;
  /** Port of the endpoint host (InvokeEndpoint). @default 0 (any free port) */
  readonly endpointPort?: number;
  /** Base URL printed in approval links (the console). @default http://127.0.0.1 */
  readonly approvalBaseUrl?: string;
  readonly onProgress?: (line: string) => void;
  /** A synthesized pipeline to reuse (tests synthesize once). @default synthesized from `config` */
  readonly pipeline?: SynthesizedPipeline;
}

export class LocalStack {
  readonly stateDir: string;
  readonly store: FolderObjectStore;
  readonly lake: LocalLake;
  readonly athena: LocalAthena;
  readonly automl: AutoMLJobRunner;
  readonly metrics: MetricStore;
  readonly alarms: AlarmEvaluator;
  readonly hosting: LocalHosting;
  readonly registry: LocalModelRegistry;
  readonly transforms: LocalTransformJobs;
  readonly executions: ExecutionStore;
  readonly broker: TaskTokenBroker;
  readonly approvals: FileApprovalStore;
  readonly notifier: LocalNotifier;
  readonly pipeline: SynthesizedPipeline;
  readonly runner: LocalStepFunctionsRunner;
  /** DynamoDB tables of the Pipeline stack (the single-run lock), under `<stateDir>/dynamodb/`. */
  readonly dynamodb: LocalDynamoDB;
  /** Live shadow documents, once `npm start` serves live inference (the console's live occupancy widget). */
  liveShadows: (() => { thingName: string; document: ShadowDocumentSnapshot }[]) | undefined;
  /** Base of the approval links AwaitApproval sends (the local approval server or console). */
  approvalBaseUrl: string;
  private probeRows = '';
  private endpointServer: { url: string; close(): Promise<void> } | undefined;
  /** S3, DynamoDB, SNS and Step Functions for the Lambda handlers' SDK clients (local/aws-endpoints). */
  private awsEndpoints: { url: string; close(): Promise<void> } | undefined;
  /** The Pipeline stack's Lambda functions, run from their bundles (./lambdas.ts). */
  readonly lambdas: LocalLambdas;
  /** The monitor, its alarms and the rules starting a retraining on them (./evidence.ts). */
  readonly evidence: LocalEvidence;
  /** The sensor health check, its alarms and notifier (./sensor-health.ts); none if the stacks have none. */
  readonly sensorHealth: LocalSensorHealth | undefined;
  readonly functions: PipelineFunctions;
  /** The last notification published (AwaitApproval's e-mail carries the approve link printed as progress). */
  private lastNotification = '';

  private constructor(readonly options: LocalStackOptions) {
    const timeScale = options.timeScale ?? 0.01;
    const faults = options.faults ?? new Set<FaultName>();
    const progress = options.onProgress ?? (() => undefined);
    this.stateDir = resolve(options.stateDir);
    this.approvalBaseUrl = options.approvalBaseUrl ?? 'http://127.0.0.1';
    this.store = new FolderObjectStore(this.stateDir);
    this.lake = LocalLake.open(this.stateDir);
    this.athena = new LocalAthena(this.lake, this.store);
    this.automl = new AutoMLJobRunner({ workDir: join(this.stateDir, 'automl') });
    this.metrics = new MetricStore({ stateDir: this.stateDir });
    this.alarms = new AlarmEvaluator(this.metrics, { stateDir: this.stateDir, timeScale });
    this.hosting = new LocalHosting({
      stateDir: this.stateDir,
      metrics: this.metrics,
      alarms: this.alarms,
      timeScale,
      faults: faults.has('deploy-5xx') ? { failNewFleets5xx: true } : {},
      // Local-only aid: with no live traffic during a canary, probe the new fleet with holdout rows.
      trafficProbe: () => this.probeRows,
      // SageMaker checks the caller's own permissions (kms:CreateGrant): the caller is the state machine role.
      callerAllows: (action) => {
        const allowed = this.pipeline.stateMachineRoleActions;
        return allowed === undefined || actionAllowed(allowed, action);
      },
    });
    this.registry = new LocalModelRegistry(this.stateDir);
    this.transforms = new LocalTransformJobs(this.hosting, this.store, {
      failTransforms: faults.has('transform-failed'),
    });
    this.executions = new ExecutionStore(this.stateDir);
    this.broker = new TaskTokenBroker(this.stateDir);
    this.approvals = new FileApprovalStore(this.stateDir);
    this.notifier = new LocalNotifier(this.stateDir, (text) => progress(text));
    this.pipeline = options.pipeline ?? synthesizePipeline(options.config);
    this.dynamodb = new LocalDynamoDB(this.stateDir, this.pipeline.tables ?? []);
    this.lambdas = new LocalLambdas({
      logDir: join(this.stateDir, 'logs', 'lambda'),
      endpointUrl: () => this.awsEndpoints?.url ?? '',
    });
    this.functions = pipelineFunctions(() => this.approvalBaseUrl);
    for (const alarm of this.pipeline.rollbackAlarms) this.alarms.putMetricAlarm(alarm);
    this.runner = new LocalStepFunctionsRunner({
      definition: this.pipeline.definition,
      stateMachineArn: this.pipeline.stateMachineArn,
      store: this.executions,
      bindings: this.bindings(faults, timeScale),
      waitScale: timeScale,
      onProgress: progress,
    });
    this.evidence = new LocalEvidence({
      pipeline: this.pipeline,
      lake: this.lake,
      store: this.store,
      hosting: this.hosting,
      metrics: this.metrics,
      alarms: this.alarms,
      startExecution: (input) => this.runner.start(input, newExecutionName()),
      onProgress: progress,
    });
    const health = this.pipeline.sensorHealth;
    this.sensorHealth = health
      ? new LocalSensorHealth({
          sensorHealth: health,
          lake: this.lake,
          store: this.store,
          metrics: this.metrics,
          alarms: this.alarms,
          notifier: this.notifier,
          timeScale,
          onProgress: progress,
        })
      : undefined;
  }

  static async start(options: LocalStackOptions): Promise<LocalStack> {
    const stack = new LocalStack(options);
    stack.endpointServer = await startInvocationServer(stack.hosting, { port: options.endpointPort ?? 0 });
    stack.awsEndpoints = await startPipelineEndpoints({
      store: stack.store,
      dynamodb: stack.dynamodb,
      approvals: stack.approvals,
      broker: stack.broker,
      notifier: {
        publish: async (subject, message) => {
          stack.lastNotification = message;
          await stack.notifier.publish(subject, message);
        },
      },
    });
    return stack;
  }

  /** Base URL of the local SageMaker Runtime (InvokeEndpoint). */
  get endpointUrl(): string {
    return this.endpointServer?.url ?? '';
  }

  /** @param input the execution input, e.g. the schedule's `{ trigger: "schedule" }` (@default `{}`: a manual start) */
  startExecution(name = newExecutionName(), input: Json = {}): StartedExecution {
    return this.runner.start(input, name);
  }

  /** Base URL of the local AWS endpoints the Lambda handlers' SDK clients use. */
  get awsEndpointUrl(): string {
    return this.awsEndpoints?.url ?? '';
  }

  async close(): Promise<void> {
    await this.lambdas.close();
    await this.awsEndpoints?.close();
    await this.endpointServer?.close();
    await this.automl.close();
    this.hosting.close();
    this.metrics.close();
    this.lake.close();
  }

  private bindings(faults: ReadonlySet<FaultName>, timeScale: number): ResourceBinding[] {
    const { config } = this.options;
    const { lambdas, functions } = this;
    return [
      sdk('sfn', 'listExecutions', (input) => ({
        Executions: this.executions
          .list('RUNNING')
          .filter((r) => r.stateMachineArn === input.StateMachineArn)
          .map((r) => ({
            executionArn: r.executionArn,
            name: r.name,
            status: r.status,
            startDate: new Date(r.startDate),
          })),
      })),
      sdk('sfn', 'describeExecution', (input) =>
        describeExecution(this.executions, this.pipeline.stateMachineArn, String(input.ExecutionArn)),
      ),
      // The single-run lock (pipeline/phases/run-lock.ts): optimized integrations, atomic across processes.
      ...(['putItem', 'getItem', 'deleteItem'] as const).map((action) => ({
        resource: `arn:aws:states:::dynamodb:${action}`,
        handler: (input: Json) =>
          serviceCall('dynamodb', action, input, (request) => this.dynamodb[action](request as never)),
      })),
      {
        resource: 'arn:aws:states:::athena:startQueryExecution.sync',
        handler: (input) =>
          serviceCall('athena', 'startQueryExecution', input, async (request) => {
            if (faults.has('export-failed'))
              throw new ServiceError('Athena.InvalidRequestException', 'Injected fault: export-failed');
            return this.athena.startQueryExecutionSync(request as never);
          }),
      },
      {
        resource: 'arn:aws:states:::athena:getQueryResults',
        handler: (input) =>
          serviceCall('athena', 'getQueryResults', input, (request) => this.athena.getQueryResults(request as never)),
      },
      lambda(/ScoringInput/, functions.scoringInput, lambdas),
      lambda(/RetrainingCooldown/, functions.retrainingCooldown, lambdas),
      ...autoMLBindings({
        automl: this.automl,
        store: this.store,
        defaultObjective: config.autoML.objective,
        faults,
        timeScale,
        ...(this.options.onProgress ? { onProgress: this.options.onProgress } : {}),
      }),
      lambda(/CandidateContainers/, functions.candidateContainers, lambdas),
      sdk('sagemaker', 'describeEndpoint', (input) => this.hosting.describeEndpoint(input as never)),
      sdk('sagemaker', 'describeEndpointConfig', (input) => this.hosting.describeEndpointConfig(input as never)),
      // ListEndpoints: NameContains filter, newest first, MaxResults per page (default 10), as SageMaker pages.
      // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpoints.html
      sdk('sagemaker', 'listEndpoints', (input) => {
        const contains = input.NameContains === undefined ? '' : String(input.NameContains);
        const all = this.hosting
          .listEndpoints()
          .filter((e) => e.EndpointName.includes(contains))
          .map((e) => this.hosting.describeEndpoint({ EndpointName: e.EndpointName }))
          .sort((a, b) => (b.CreationTime?.getTime() ?? 0) - (a.CreationTime?.getTime() ?? 0));
        const page = all.slice(0, typeof input.MaxResults === 'number' ? input.MaxResults : 10);
        return {
          Endpoints: page.map((e) => ({
            EndpointName: e.EndpointName,
            EndpointArn: e.EndpointArn,
            CreationTime: e.CreationTime,
            LastModifiedTime: e.LastModifiedTime,
            EndpointStatus: e.EndpointStatus,
          })),
          ...(all.length > page.length ? { NextToken: String(page.length) } : {}),
        };
      }),
      sdk('sagemaker', 'describeModel', (input) => this.hosting.describeModel(input as never)),
      sdk('sagemaker', 'describeTransformJob', (input) => this.transforms.describeTransformJob(input as never)),
      sdk('sagemaker', 'createModel', (input) => this.hosting.createModel(input as never)),
      {
        resource: 'arn:aws:states:::sagemaker:createTransformJob.sync',
        handler: async (input) => {
          // A request SageMaker refuses fails the call itself, before any job exists.
          try {
            assertRequest('sagemaker', 'createTransformJob', input, 'stepfunctions');
            assertSageMakerName('TransformJobName', (input as { TransformJobName?: unknown }).TransformJobName);
          } catch (error) {
            const e = error as Error;
            throw new ServiceError(stepFunctionsNameOf('sagemaker', e), e.message, { cause: error });
          }
          try {
            const uri = (input as { TransformInput?: { DataSource?: { S3DataSource?: { S3Uri?: string } } } })
              .TransformInput?.DataSource?.S3DataSource?.S3Uri;
            // Probe rows for canary bakes: the first object of the input (an S3Prefix or a single object).
            const first = uri === undefined ? undefined : this.store.list(uri)[0];
            if (first) this.probeRows = (await this.store.getText(first)).split('\n').slice(0, 20).join('\n');
            return toJson(await this.transforms.createTransformJobSync(input as never));
          } catch (error) {
            const e = error as Error;
            // A refused CreateTransformJob call is the service's error; a job that ran and failed is the .sync failure.
            const name =
              e instanceof ValidationException ? stepFunctionsNameOf('sagemaker', e) : 'SageMaker.TransformJobFailed';
            throw new ServiceError(name, e.message, { cause: error });
          }
        },
      },
      lambda(/Evaluate/, functions.evaluate, lambdas),
      // Shadow before canary (pipeline/phases/shadow.ts): the comparison in process (local/hosting/shadow-compare-binding.ts).
      {
        resource: /^arn:aws:lambda:[^:]+:\d+:function:.*ShadowCompare/,
        handler: async (input) => toJson(await localShadowCompare(this.lake, this.store)(input)),
      },
      sdk('cloudwatch', 'putMetricData', (input) => {
        this.metrics.putMetricData(input as unknown as PutMetricDataCommandInput);
        return {};
      }),
      sdk('sagemaker', 'createModelPackage', (input) => this.registry.createModelPackage(input as never)),
      sdk('sagemaker', 'updateModelPackage', (input) => this.registry.updateModelPackage(input as never)),
      {
        resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        handler: async (input, context) => {
          try {
            assertRequest('lambda', 'invoke', input, 'stepfunctions');
          } catch (error) {
            const e = error as Error;
            throw new ServiceError(stepFunctionsNameOf('lambda', e), e.message, { cause: error });
          }
          const payload = (input as { Payload?: { taskToken?: unknown; runId?: unknown } }).Payload;
          const runId = String(payload?.runId);
          // The token is answerable from the moment the task starts, as on AWS: an answer may come while the
          // function still runs (it has stored the record, not yet sent the e-mail).
          const waiting = new AbortController();
          const answered = this.broker.wait(
            String(payload?.taskToken),
            { runId, state: context.stateName },
            200,
            waiting.signal,
          );
          answered.catch(() => undefined);
          this.lastNotification = '';
          try {
            await lambdas.invoke(functions.approvalRequest, payload);
            const approveUrl = /^Approve: (\S+)$/m.exec(this.lastNotification)?.[1] ?? '(see the notification)';
            this.options.onProgress?.(
              `           approve: ${approveUrl}\n           or run: occupancy approve ${runId}`,
            );
            if (faults.has('approval-timeout'))
              throw new ServiceError('States.Timeout', 'Injected fault: approval-timeout');
          } catch (error) {
            waiting.abort();
            throw error;
          }
          const outcome = await answered;
          if (outcome.kind === 'success') return toJson(outcome.output);
          throw new ServiceError(outcome.error, outcome.cause);
        },
      },
      sdk('sagemaker', 'createEndpointConfig', (input) => this.hosting.createEndpointConfig(input as never)),
      sdk('sagemaker', 'createEndpoint', (input) => this.hosting.createEndpoint(input as never)),
      sdk('sagemaker', 'updateEndpoint', (input) => this.hosting.updateEndpoint(input as never)),
      {
        resource: 'arn:aws:states:::sns:publish',
        handler: (input) =>
          serviceCall('sns', 'publish', input, async (request) => {
            assertSnsSubject(request.Subject);
            const { Subject, Message } = request as { Subject?: string; Message: string };
            await this.notifier.publish(Subject ?? '(no subject)', Message);
            return { MessageId: `local-${Date.now()}` };
          }),
      },
    ];
  }
}

export function newExecutionName(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `run-${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}
