import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import type { ModelArtifact } from '../../automl/artifact';
import { INFERENCE_OUTPUT } from '../../evaluation/p-occupied';
import { FolderObjectStore } from '../../local/adapters/s3';
import { lambdaContext } from '../../local/aws-endpoints/lambda-context';
import { LocalHosting } from '../../local/hosting/hosting';
import { LocalLake } from '../../local/lake';
import { parsePipelineConfig } from '../../pipeline/config';
import { SHADOW_REJECTED, ShadowStateNames } from '../../pipeline/phases/shadow';
import { renderStateMachineAsl } from '../../pipeline/render-asl';
import { RetrainingStateMachine } from '../../pipeline/retraining-state-machine';
import { parseModelAnswer } from '../../tasks/infer-occupancy';
import { featureCsvLine } from '../../tasks/infer-occupancy/endpoint';
import { predictionRecord, servedFeatureSpec } from '../../tasks/infer-occupancy/prediction-record';
import { powertools } from '../../tasks/powertools';
import { createHandler } from '../../tasks/shadow-compare';
import { THERMOSTAT } from '../../telemetry/signals';
import { SOUND_MODEL } from '../fixtures/sound-model';
import { duckSelect } from '../monitoring/fixture';
import { context, type Handler, stubs } from './local-run';

/**
 * The synthesized retraining ASL with the shadow phase, run by aws-local-stepfunctions: the shadow phase's SageMaker
 * calls go to the real local endpoint host (shadow variant, data capture to local S3), CompareShadow runs the real
 * handler over a real local lake; the rest of the run is stubbed (test/pipeline/local-run.ts). Live traffic is
 * simulated during the bake: each reading is sent to the endpoint, its answer recorded as the inference Lambda does,
 * its label appended.
 */

const spec = servedFeatureSpec(THERMOSTAT);
const features = spec.features.map((f) => f.name);
const SOUND = features.indexOf('sound');
const CONFIG = parsePipelineConfig({
  shadow: { bakeMinutes: 1, minPairedReadings: 20 },
  gate: { bootstrapResamples: 200 },
});

function synth() {
  const app = new App();
  const stack = new Stack(app, 'Bare', { env: { account: '123456789012', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const fn = (id: string) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
  const artifacts = new s3.Bucket(stack, 'Artifacts', { encryptionKey: key });
  new RetrainingStateMachine(stack, 'Retraining', {
    config: CONFIG,
    artifactsBucket: artifacts,
    lakeBucket: new s3.Bucket(stack, 'Lake', { encryptionKey: key }),
    key,
    glueDatabaseName: 'occupancy',
    athenaWorkGroupName: 'occupancy',
    sageMakerRole: new iam.Role(stack, 'SageMakerRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
    }),
    notificationTopic: new sns.Topic(stack, 'Topic', { masterKey: key }),
    evaluateFunction: fn('Evaluate'),
    approvalRequestFunction: fn('ApprovalRequest'),
    candidateContainersFunction: fn('CandidateContainers'),
    scoringInputFunction: fn('ScoringInput'),
    shadow: { compareFunction: fn('ShadowCompare'), captureS3Uri: `s3://${artifacts.bucketName}/capture` },
    rollbackAlarmNames: ['occupancy-variant-5xx'],
  });
  return renderStateMachineAsl(Template.fromStack(stack).toJSON(), { region: 'eu-west-1' });
}

/** A logistic on sound alone over the served features: occupied from sound ≈ cutoff. */
function soundModel(version: string, cutoff: number): ModelArtifact {
  // σ(sound − c) ≥ 0.75 ⇔ sound ≥ c + ln 3
  const c = cutoff - Math.log(3);
  return {
    ...SOUND_MODEL,
    version,
    featureNames: features,
    model: {
      family: 'logistic',
      inputs: [SOUND],
      standardisation: { mean: [0], scale: [1] },
      weights: [1],
      intercept: -c,
    },
  };
}

let dir = '';
let hosting: LocalHosting;
let lake: LocalLake;
const asl = synth();

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shadow-phase-'));
  hosting = new LocalHosting({ stateDir: dir, timeScale: 0.0001 });
  lake = LocalLake.open(dir, THERMOSTAT);
  const model = (name: string, artifact: ModelArtifact) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify(artifact));
    hosting.createModel({
      ModelName: name,
      PrimaryContainer: {
        ModelDataUrl: pathToFileURL(path).href,
        Environment: { SAGEMAKER_INFERENCE_OUTPUT: INFERENCE_OUTPUT },
      },
    });
  };
  model('occ-old-candidate', soundModel('serving', 11)); // the truth is sound > 20: serving says occupied too early
  hosting.createEndpointConfig({
    EndpointConfigName: 'occ-old',
    ProductionVariants: [
      {
        VariantName: 'AllTraffic',
        ModelName: 'occ-old-candidate',
        InstanceType: 'ml.m5.large',
        InitialInstanceCount: 2,
      },
    ],
  });
  hosting.createEndpoint({ EndpointName: 'occupancy', EndpointConfigName: 'occ-old' });
  await hosting.whenSettled('occupancy', 10_000);
  (globalThis as { __model?: typeof model }).__model = model;
});
afterEach(() => {
  hosting.close();
  lake.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Live traffic of the bake: 80 readings, each answered by the endpoint (the shadow gets a copy) and labelled. */
function liveTraffic(start: number) {
  const records = [];
  const labels = [];
  for (let i = 0; i < 80; i++) {
    const ts = start + i * 1000;
    const vector = features.map((_, j) => (j === SOUND ? (i % 40) + 0.5 : 0));
    const out = hosting.invoke({
      endpointName: 'occupancy',
      body: `${featureCsvLine(vector)}\n`,
      contentType: 'text/csv',
    });
    const answer = parseModelAnswer(out.body);
    if (!answer) throw new Error(`no answer: ${out.body}`);
    records.push(
      predictionRecord(spec, {
        thingName: `room-${i % 3}`,
        ts,
        predictedAt: ts + 10,
        modelVersion: 'serving',
        variant: out.invokedProductionVariant,
        probability: answer.probability,
        occupied: answer.occupied,
        source: 'model',
        vector,
      }),
    );
    labels.push({ thingName: `room-${i % 3}`, ts, occupied: (i % 40) + 0.5 > 20 });
  }
  for (let r = 0; r < 3; r++) labels.push({ thingName: `room-${r}`, ts: start + 200_000, occupied: false });
  lake.appendPredictions(records);
  lake.appendLabels(labels);
}

function sdk(call: (input: Record<string, unknown>) => unknown): Handler {
  return async (input) => JSON.parse(JSON.stringify(await call(input)));
}

async function run(
  candidateCutoff: number,
  canaryRolledBack = false,
  endpoint: 'InService' | 'missing' = 'InService',
  lostCreateResponse = false,
) {
  const store = new FolderObjectStore(dir);
  const messages: string[] = [];
  const canary: Record<string, unknown>[] = [];
  const log: string[] = [];
  const overrides: Record<string, Handler> = {
    CreateCandidateModel: async (input) => {
      (globalThis as { __model?: (n: string, a: ModelArtifact) => void }).__model?.(
        String(input.ModelName),
        soundModel('candidate', candidateCutoff),
      );
      return {};
    },
    [ShadowStateNames.DescribeShadowEndpoint]: sdk((i) => hosting.describeEndpoint(i as never)),
    [ShadowStateNames.DescribeShadowServingConfig]: sdk((i) => hosting.describeEndpointConfig(i as never)),
    [ShadowStateNames.CreateShadowEndpointConfig]: sdk((i) => {
      log.push(ShadowStateNames.CreateShadowEndpointConfig);
      hosting.createEndpointConfig(i as never);
      // The response is lost: the retried create meets "already exists", as SageMaker answers it.
      if (lostCreateResponse) hosting.createEndpointConfig(i as never);
      return {};
    }),
    [ShadowStateNames.DescribeExistingShadowConfig]: sdk((i) => {
      log.push(ShadowStateNames.DescribeExistingShadowConfig);
      return hosting.describeEndpointConfig(i as never);
    }),
    [ShadowStateNames.StartShadow]: sdk((i) => hosting.updateEndpoint(i as never)),
    [ShadowStateNames.PollShadowEndpoint]: sdk((i) => hosting.describeEndpoint(i as never)),
    [ShadowStateNames.RestoreServingConfig]: sdk((i) => hosting.updateEndpoint(i as never)),
    [ShadowStateNames.PollRestoreEndpoint]: sdk((i) => hosting.describeEndpoint(i as never)),
    [ShadowStateNames.CompareShadow]: async (input) => {
      const payload = (input.Payload ?? input) as Record<string, unknown>;
      const start = Date.now();
      liveTraffic(start);
      const connection = await lake.connect();
      const handler = createHandler({
        ...powertools('shadow-compare'),
        dialect: 'duckdb',
        predictionsTable: 'predictions',
        labelsTable: 'labels',
        store,
        lake: { select: (sql) => duckSelect(connection, sql) },
      });
      // The bake ends after the traffic (the local runtime scales the Wait down).
      return handler({ ...payload, endedAt: start + 120_000 }, lambdaContext('ShadowCompare'));
    },
    ...(canaryRolledBack
      ? {
          // The canary's UpdateEndpoint is stubbed: the endpoint stays on the shadow config, as after a rollback.
          PollEndpoint: sdk((i) => hosting.describeEndpoint(i as never)),
          [ShadowStateNames.RestoreAfterRollback]: sdk((i) => hosting.updateEndpoint(i as never)),
          [ShadowStateNames.PollRollbackRestore]: sdk((i) => hosting.describeEndpoint(i as never)),
        }
      : {}),
    [ShadowStateNames.RejectShadowedPackage]: async () => {
      log.push(ShadowStateNames.RejectShadowedPackage);
      return {};
    },
    UpdateEndpoint: async (input) => {
      canary.push(input);
      return {};
    },
    Notify: async (input) => {
      messages.push(String(input.Message));
      return { MessageId: 'm' };
    },
  };
  const stubbed = stubs({ endpoint }, overrides);
  const { handlers } = stubbed;
  const machine = new StateMachine(asl as never, { validationOptions: { checkArn: false, checkPaths: false } });
  const waits = [
    'WaitAutoML',
    'WaitEndpoint',
    'WaitCandidateTransform',
    'WaitServingTransform',
    ShadowStateNames.BakeShadow,
  ];
  const polls = [
    ShadowStateNames.WaitShadowEndpoint,
    ShadowStateNames.WaitRestoreEndpoint,
    ShadowStateNames.WaitRollbackRestore,
  ];
  const execution = machine.run(
    {},
    {
      context: context(),
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        waitTimeOverrides: {
          ...Object.fromEntries(waits.map((w) => [w, 0])),
          ...Object.fromEntries(polls.map((w) => [w, 20])),
        },
      },
    },
  );
  try {
    const output = (await execution.result) as Record<string, unknown>;
    return { output, calls: [...stubbed.calls, ...log], messages, canary };
  } catch (error) {
    if (error instanceof ExecutionError)
      throw new Error(
        `execution failed: ${String((error.cause as Error)?.message)} after ${stubbed.calls.slice(-4).join(',')}`,
      );
    throw error;
  }
}

describe('shadow before canary (synthesized ASL, local endpoint host, local lake)', () => {
  it('a candidate worse on live labelled traffic ends shadow-rejected; the serving model is untouched', async () => {
    const { output, calls, messages, canary } = await run(31); // misses every occupied reading from 20 to 31
    expect(output.outcome).toBe(SHADOW_REJECTED);
    const shadow = (
      output.result as { shadow: { passed: boolean; delta: number; upper: number; pairedReadings: number } }
    ).shadow;
    expect(shadow).toMatchObject({ passed: false, pairedReadings: 80 });
    expect(shadow.upper).toBeLessThan(0);
    expect(canary).toEqual([]); // no canary UpdateEndpoint
    expect(calls).toContain('RejectShadowedPackage');
    expect(messages[0]).toMatch(/shadow-rejected[\s\S]*shadow: candidate F1 .* vs serving/);
    const endpoint = hosting.describeEndpoint({ EndpointName: 'occupancy' });
    expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'occ-old' });
    expect(endpoint.ShadowProductionVariants).toBeUndefined();
    const served = hosting.describeEndpointConfig({ EndpointConfigName: String(endpoint.EndpointConfigName) });
    expect(served.ProductionVariants?.map((v) => v.ModelName)).toEqual(['occ-old-candidate']);
  });

  it('a candidate as good or better proceeds to the blue/green canary', async () => {
    const { output, canary } = await run(20);
    expect(output.outcome).toBe('deployed');
    expect((output.result as { shadow?: unknown }).shadow).toBeUndefined();
    expect(canary).toHaveLength(1);
    expect(canary[0]).toMatchObject({
      DeploymentConfig: { BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'CANARY' } } },
    });
    // The canary starts from the shadow config: serving model in production, candidate in shadow.
    const endpoint = hosting.describeEndpoint({ EndpointName: 'occupancy' });
    expect(endpoint.EndpointConfigName).toMatch(/-shadow$/);
  });

  it('a canary rolled back onto the shadow config leaves the endpoint on the config that served', async () => {
    const { output, canary } = await run(20, true);
    expect(output.outcome).toBe('rolled-back');
    expect(canary).toHaveLength(1);
    const endpoint = hosting.describeEndpoint({ EndpointName: 'occupancy' });
    expect(endpoint).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'occ-old' });
    expect(endpoint.ShadowProductionVariants).toBeUndefined();
  });

  it('the first deploy (no endpoint when the run started) has no shadow phase', async () => {
    const { output, calls } = await run(20, false, 'missing');
    expect(output.outcome).toBe('deployed');
    expect(calls).toContain('CreateEndpoint');
    expect(calls).not.toContain(ShadowStateNames.CreateShadowEndpointConfig);
  });

  it('a shadow config create whose response was lost is adopted (the same models), and the run goes on', async () => {
    const { output, calls } = await run(31, false, 'InService', true);
    expect(calls).toContain(ShadowStateNames.DescribeExistingShadowConfig);
    expect(output.outcome).toBe(SHADOW_REJECTED);
  });
});
