import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FileApprovalStore, LocalNotifier } from '../../local/adapters/approvals';
import { LocalDynamoDB } from '../../local/adapters/dynamodb';
import { FolderObjectStore } from '../../local/adapters/s3';
import { startAwsEndpoints } from '../../local/aws-endpoints';
import { ApprovalTable } from '../../local/aws-endpoints/dynamodb-approvals';
import type { ListeningServer } from '../../local/http';
import { type LocalFunction, LocalLambdas } from '../../local/runtime/lambdas';
import { synthesizePipeline } from '../../local/runtime/synth';
import { TaskTokenBroker } from '../../local/runtime/task-tokens';
import { DEFAULT_PIPELINE_CONFIG } from '../../pipeline/config';
import { MODEL_PACKAGE_INDEX } from '../../tasks/ports/approval-store';
import { fixtureRows, parquetParts } from './parquet-split';

/**
 * Each pipeline Lambda as the local runtime runs it: the esbuild bundle (built like CDK's NodejsFunction) in an
 * instance of its own, invoked with the event its Task state passes (the state's Parameters in the synthesized
 * definition, applied to a state input) or the API Gateway proxy event, its SDK clients reaching the local AWS endpoints. Checks the output, what it
 * wrote through the endpoints, and the cold-start metric (an EMF line) in its log.
 */

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:occupancy-approvals';
const TABLE = 'ApprovalTokens';
let dir: string;
let server: ListeningServer;
let lambdas: LocalLambdas;
let broker: TaskTokenBroker;
let store: FolderObjectStore;
let definition: unknown;

function findState(node: unknown, name: string): Record<string, unknown> | undefined {
  if (!node || typeof node !== 'object') return undefined;
  const states = (node as { States?: Record<string, Record<string, unknown>> }).States;
  if (states?.[name]) return states[name];
  for (const child of Object.values(node)) {
    const found = findState(child, name);
    if (found) return found;
  }
  return undefined;
}

/** Parameters with `key.$` paths taken from the state input (`$.a.b`) or the context (`$$.Task.Token`). */
function applyParameters(template: unknown, input: unknown, taskToken: string): unknown {
  if (Array.isArray(template)) return template.map((t) => applyParameters(t, input, taskToken));
  if (!template || typeof template !== 'object') return template;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (!key.endsWith('.$')) {
      out[key] = applyParameters(value, input, taskToken);
      continue;
    }
    const path = String(value);
    out[key.slice(0, -2)] =
      path === '$$.Task.Token'
        ? taskToken
        : path
            .slice(2)
            .split('.')
            .reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], input);
  }
  return out;
}

/** The event a Task state passes its function, from the synthesized state machine. */
function taskEvent(stateName: string, stateInput: unknown, taskToken = ''): unknown {
  const state = findState(definition, stateName);
  if (!state) throw new Error(`No state ${stateName} in the synthesized definition`);
  const parameters = state.Parameters as { Payload?: unknown };
  // lambda:invoke.waitForTaskToken carries the event in Payload; a function ARN resource takes Parameters whole.
  const template = String(state.Resource).startsWith('arn:aws:states:::lambda:invoke')
    ? parameters.Payload
    : parameters;
  return applyParameters(template, stateInput, taskToken);
}

const fn = (functionName: string, entry: string, environment: Record<string, string> = {}): LocalFunction => ({
  functionName,
  entry,
  environment: () => environment,
  timeoutSeconds: 300,
  memoryMB: 512,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bundled-handlers-'));
  broker = new TaskTokenBroker(dir);
  store = new FolderObjectStore(dir);
  server = await startAwsEndpoints({
    s3: store,
    dynamodb: {
      tables: new LocalDynamoDB(dir, []),
      approvals: new ApprovalTable(TABLE, new FileApprovalStore(dir)),
      approvalIndex: MODEL_PACKAGE_INDEX,
    },
    sns: { topicArn: TOPIC, notifier: new LocalNotifier(dir, () => undefined) },
    sfn: broker,
  });
  lambdas = new LocalLambdas({ logDir: join(dir, 'logs'), endpointUrl: () => server.url });
  definition = synthesizePipeline(DEFAULT_PIPELINE_CONFIG).definition;
}, 120_000);

afterAll(async () => {
  await lambdas.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The EMF document of the instance's cold start, from the function's log. */
function coldStartMetric(functionName: string): Record<string, unknown> | undefined {
  const lines = readFileSync(join(dir, 'logs', `${functionName}.log`), 'utf8').split('\n');
  const docs = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return docs.find((d) => '_aws' in d && 'ColdStart' in d);
}

/** The handler's structured log line with that message. */
function logLine(functionName: string, message: string): Record<string, unknown> | undefined {
  const lines = readFileSync(join(dir, 'logs', `${functionName}.log`), 'utf8').split('\n');
  return lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((d) => d.message === message);
}

const answer = (label: number, p: number) => `${label},"[${1 - p}, ${p}]","['0', '1']"`;

/** Parquet part files under a split prefix, as UNLOAD leaves them (names without extension). */
async function putParts(prefix: string, selects: string[]): Promise<void> {
  const parts = await parquetParts(selects);
  parts.forEach((bytes, i) => {
    const path = store.pathOf(`${prefix}${i}_20261129_part`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
  });
}

describe('the bundled pipeline Lambdas, invoked as the local runtime invokes them', () => {
  it('PrepareScoringInput: streams the Parquet holdout parts into the headerless CSV through S3', async () => {
    await putParts('s3://artifacts/runs/r1/data/holdout/', [
      'SELECT 1.0 AS a, 1 AS occupied, 2.0 AS b UNION ALL SELECT 3.0, 0, 4.0',
      'SELECT 5.5 AS a, 0 AS occupied, NULL::DOUBLE AS b',
    ]);
    const event = taskEvent('PrepareScoringInput', {
      run: {
        holdoutUri: 's3://artifacts/runs/r1/data/holdout/',
        scoringInputUri: 's3://artifacts/runs/r1/data/holdout-input.csv',
      },
    });
    const out = await lambdas.invoke(fn('ScoringInputFunction', 'tasks/prepare-scoring-input.ts'), event);
    expect(out).toEqual({
      scoringInputUri: 's3://artifacts/runs/r1/data/holdout-input.csv',
      rows: 3,
      featureNames: ['a', 'b'],
    });
    expect(await store.getText('s3://artifacts/runs/r1/data/holdout-input.csv')).toBe('1,2\n3,4\n5.5,\n');
    expect(coldStartMetric('ScoringInputFunction')).toMatchObject({ ColdStart: 1, service: 'prepare-scoring-input' });
    // injectLambdaContext: the handler's log lines carry the invocation's context.
    expect(logLine('ScoringInputFunction', 'scoring input written')).toMatchObject({
      cold_start: true,
      function_name: 'ScoringInputFunction',
      function_request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      rows: 3,
    });
  });

  it('PrepareCandidateContainers: probability output; a refused event is a TaskInputError naming the field', async () => {
    const containers = fn('CandidateContainersFunction', 'tasks/candidate-containers.ts');
    const BestCandidate = {
      CandidateName: 'best-1',
      FinalAutoMLJobObjectiveMetric: { MetricName: 'F1', Value: 0.93 },
      InferenceContainers: [
        {
          Image: 'autogluon-inference',
          ModelDataUrl: 's3://artifacts/model.tar.gz',
          Environment: { SAGEMAKER_INFERENCE_SUPPORTED: 'predicted_label,probability,labels,probabilities' },
        },
      ],
    };
    const out = await lambdas.invoke(
      containers,
      taskEvent('PrepareCandidateContainers', { autoML: { BestCandidate } }),
    );
    expect(out).toMatchObject({
      candidateName: 'best-1',
      containers: [{ Environment: { SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label,probabilities,labels' } }],
    });
    await expect(lambdas.invoke(containers, { containers: [] })).rejects.toMatchObject({
      name: 'TaskInputError',
      message: expect.stringContaining('containers'),
    });
    expect(coldStartMetric('CandidateContainersFunction')).toMatchObject({ ColdStart: 1 });
  });

  it('Evaluate: gates the candidate on the Parquet splits and writes both reports through S3', async () => {
    const prefix = 's3://artifacts/runs/r2';
    await putParts(`${prefix}/data/train/`, [fixtureRows(0, 3000), fixtureRows(3000, 6000)]);
    await putParts(`${prefix}/data/holdout/`, [fixtureRows(10_000, 12_500), fixtureRows(12_500, 13_000)]);
    const lines: string[] = [];
    for (let i = 10_000; i < 13_000; i++) lines.push(i % 3 === 0 ? answer(1, 0.9) : answer(0, 0.2));
    await store.putText(`${prefix}/predictions/c.out`, `${lines.join('\n')}\n`);
    const event = taskEvent('Evaluate', {
      run: {
        id: 'r2',
        trainUri: `${prefix}/data/train/`,
        holdoutUri: `${prefix}/data/holdout/`,
        evaluationPrefix: `${prefix}/evaluation`,
      },
      scoring: { candidatePredictionsUri: `${prefix}/predictions/c.out`, servingPredictionsUri: null },
      serving: { exists: false },
    });
    const out = (await lambdas.invoke(fn('EvaluateFunction', 'tasks/evaluate.ts'), event)) as {
      promote: boolean;
      evaluationUri: string;
      metricData: { MetricName: string }[];
    };
    expect(out.promote).toBe(true);
    expect(out.metricData.map((m) => m.MetricName)).toEqual(['CandidateF1', 'BaselineF1']);
    const report = JSON.parse(await store.getText(out.evaluationUri));
    expect(report.candidate.f1).toBe(1);
    expect(report.rows).toEqual({ train: 6000, holdout: 3000 });
    expect(coldStartMetric('EvaluateFunction')).toMatchObject({ ColdStart: 1, service: 'evaluate' });
  });

  it('AwaitApproval and the approval link: DynamoDB, SNS and SendTaskSuccess through the endpoints', async () => {
    const environment = { APPROVAL_TABLE: TABLE, TOPIC_ARN: TOPIC, APPROVAL_API_URL: 'http://127.0.0.1:9/' };
    const request = fn('ApprovalRequestFunction', 'tasks/approval-request.ts', environment);
    const callback = fn('ApprovalCallbackFunction', 'tasks/approval-callback.ts', { APPROVAL_TABLE: TABLE });
    const waiting = broker.wait('token-r3', { runId: 'r3' }, 10);
    const stateInput = {
      run: { id: 'r3', executionArn: 'arn:aws:states:us-east-1:000000000000:execution:occupancy:r3' },
      registration: { modelPackageArn: 'arn:aws:sagemaker:us-east-1:000000000000:model-package/occupancy/3' },
      evaluation: { summary: 'Candidate F1 0.950' },
    };
    const requested = await lambdas.invoke(request, taskEvent('AwaitApproval', stateInput, 'token-r3'));
    expect(requested).toEqual({ runId: 'r3' });
    const [mail] = readFileSync(join(dir, 'notifications.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { subject: string; message: string });
    expect(mail?.subject).toBe('occupancy: approve model from run r3?');
    const link = /Approve: (\S+)/.exec(mail?.message ?? '')?.[1] ?? '';
    const params = Object.fromEntries(new URL(link).searchParams);
    // The form the GET page posts, as API Gateway's proxy integration passes it.
    const response = await lambdas.invoke(callback, {
      resource: '/approval',
      path: '/approval',
      httpMethod: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      queryStringParameters: null,
      body: new URLSearchParams(params).toString(),
      isBase64Encoded: false,
      requestContext: { requestId: 'req-1', stage: 'prod' },
    });
    expect(response).toMatchObject({ statusCode: 200, body: expect.stringContaining('Approved') });
    await expect(waiting).resolves.toMatchObject({ kind: 'success', output: { approved: true, via: 'link' } });
    expect(coldStartMetric('ApprovalRequestFunction')).toMatchObject({ ColdStart: 1 });
    expect(coldStartMetric('ApprovalCallbackFunction')).toMatchObject({ ColdStart: 1 });
  });
});
