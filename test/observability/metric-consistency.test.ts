import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SensorHealthReport } from '../../health/types';
import { loadInfraConfig } from '../../infra/config';
import { lambdaContext } from '../../local/aws-endpoints/lambda-context';
import { deployArtifact } from '../../local/hosting/deploy-artifact';
import { LocalHosting } from '../../local/hosting/hosting';
import {
  ALL_METRICS,
  APPROVAL_CALLBACK_SERVICE,
  METRICS_NAMESPACE,
  MONITOR_SERVICE,
  OccupancyMetrics,
  SAGEMAKER_NAMESPACE,
  SageMakerEndpointMetrics,
  SENSOR_HEALTH_SERVICE,
  StepFunctionsMetrics,
  selectMetric,
} from '../../observability/metrics';
import { dashboardWidgets, type WidgetMetric } from '../../observability/widgets';
import { flattenStates, renderStateMachineAsl } from '../../pipeline/render-asl';
import { type ApprovalRequest, requestApproval } from '../../tasks/approval';
import { createHandler as createApprovalCallbackHandler } from '../../tasks/approval-callback';
import { createHandler as createEvaluateHandler, type EvaluateResult } from '../../tasks/evaluate';
import type { EndpointPort } from '../../tasks/infer-occupancy';
import { createHandler as createInferenceLambda, defaultDeps } from '../../tasks/infer-occupancy/lambda';
import { MemoryApprovalStore } from '../../tasks/ports/approval-store';
import { MemoryObjectStore } from '../../tasks/ports/object-store';
import { powertools } from '../../tasks/powertools';
import { publishCounts } from '../../tasks/sensor-health';
import { documentsEvent, reported, THERMOSTAT_FEATURES, writeSoundModel } from '../inference/helpers';
import { type Synthesized, synthesize } from '../infra/templates';
import {
  type CfnTemplate,
  type Consumer,
  dashboardMetrics,
  type Emitted,
  emfMetrics,
  mismatches,
  TOKEN,
  templateAlarmMetrics,
  undeclared,
} from './metric-sets';

/**
 * Every alarm and dashboard metric is one some code emits, with exactly those dimensions: an alarm on a metric
 * nobody emits never fires. Consumers come from the synthesized stacks (and the shared widget list the console
 * draws); emitters are run for real (the inference and approval Lambdas' EMF output, the evaluate task's datums,
 * the state machine's PutMetricData states), and AWS's own metrics come from observability/metrics.ts.
 */

let synth: Synthesized;
const consumers: Consumer[] = [];
const emitted: Emitted[] = [];
let endpointName: string;

/** Runs `fn` and returns the EMF documents Powertools wrote to stdout meanwhile. */
async function captureEmf(fn: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  // The handlers' WARN/ERROR logs go to stderr: kept out of the test output.
  const quiet = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await fn();
  } finally {
    spy.mockRestore();
    quiet.mockRestore();
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The inference Lambda as it is deployed (its defaultDeps and middy/Powertools wrapping), endpoint and shadow stubbed. */
async function inferenceEmission(): Promise<Emitted[]> {
  const deps = defaultDeps({ ENDPOINT_NAME: endpointName, AWS_REGION: 'eu-west-1' });
  let fail = false;
  const endpoint: EndpointPort = {
    predict: async () => {
      if (fail) throw new Error('endpoint down');
      return { occupied: true, probability: 0.9, model: 'm/v1', attempts: 1 };
    },
  };
  const handler = createInferenceLambda({ ...deps, endpoint, shadow: { publishDesired: async () => {} } });
  const context = lambdaContext('InferOccupancy');
  const t0 = Date.now() - 60_000;
  try {
    const docs = await captureEmf(async () => {
      await handler(documentsEvent('room-1', reported(t0, 20)), context);
      fail = true; // the threshold fallback answers: InferenceFallback = 1, FallbackCount
      await handler(documentsEvent('room-1', reported(t0 + 30_000, 3), reported(t0, 20)), context);
      await handler({ not: 'a documents event' }, context); // BadInput
    });
    return docs.flatMap((doc) => emfMetrics(doc, 'inference Lambda'));
  } finally {
    deps.clients.destroy();
  }
}

async function approvalEmission(): Promise<Emitted[]> {
  const request: ApprovalRequest = {
    taskToken: 'token-1',
    runId: 'run-1',
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:occupancy-retraining:run-1',
    modelPackageArn: 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/occupancy/1',
    modelPackageGroupName: 'occupancy',
    summary: 'candidate beats the baselines',
    timeoutSeconds: 3600,
  };
  const deps = {
    store: new MemoryApprovalStore(),
    callback: { succeed: async () => {}, fail: async () => {} },
    notifier: { publish: async () => {} },
    apiBaseUrl: 'https://api.example.com/prod/',
    region: 'eu-west-1',
    now: () => 1_700_000_000_000,
    newSecret: () => `secret-${'x'.repeat(40)}`,
  };
  await requestApproval(request, deps);
  const handler = createApprovalCallbackHandler({ ...powertools(APPROVAL_CALLBACK_SERVICE), ...deps });
  const docs = await captureEmf(async () => {
    await handler(
      {
        'detail-type': 'SageMaker Model Package State Change',
        source: 'aws.sagemaker',
        detail: { ModelPackageArn: request.modelPackageArn, ModelApprovalStatus: 'Approved' },
      },
      lambdaContext('ApprovalCallback'),
    );
  });
  // Decision and Via take each decision's values: any value is published by some decision.
  return docs
    .flatMap((doc) => emfMetrics(doc, 'approval callback Lambda'))
    .map((m) => ({ ...m, dimensions: { ...m.dimensions, Decision: undefined, Via: undefined } }));
}

/** The evaluate Lambda run for real: its result's metricData (PutMetricData datums) and its own EMF metrics. */
async function evaluateEmission(): Promise<{ datums: EvaluateResult['metricData']; emf: Emitted[] }> {
  const header = 'temperature,humidity,sound,occupied';
  const rows = Array.from(
    { length: 60 },
    (_, i) => `${21 + (i % 3) / 10},40,${i % 3 === 0 ? 20 : 3},${i % 3 === 0 ? 1 : 0}`,
  );
  const answers = Array.from({ length: 60 }, (_, i) =>
    i % 3 === 0 ? `1,"[0.1, 0.9]","['0', '1']"` : `0,"[0.8, 0.2]","['0', '1']"`,
  ).join('\n');
  const store = new MemoryObjectStore();
  const uri = (path: string) => `s3://bucket/runs/run-1/${path}`;
  store.objects.set(uri('data/train.csv'), [header, ...rows].join('\n'));
  store.objects.set(uri('data/holdout.csv'), [header, ...rows].join('\n'));
  store.objects.set(uri('predictions/candidate.out'), answers);
  store.objects.set(uri('predictions/serving.out'), answers);
  const handler = createEvaluateHandler({ ...powertools('evaluate'), store });
  let result: EvaluateResult | undefined;
  const docs = await captureEmf(async () => {
    result = await handler(
      {
        runId: 'run-1',
        signalSetId: 'thermostat',
        staticRule: { signal: 'sound', level: 10 },
        gate: { margin: 0.01, resamples: 100, seed: 1 },
        trainUri: uri('data/train.csv'),
        holdoutUri: uri('data/holdout.csv'),
        candidatePredictionsUri: uri('predictions/candidate.out'),
        servingPredictionsUri: uri('predictions/serving.out'),
        evaluationPrefix: uri('evaluation'),
        endpointName,
      },
      lambdaContext('Evaluate'),
    );
  });
  if (!result) throw new Error('evaluate returned nothing');
  return { datums: result.metricData, emf: docs.flatMap((doc) => emfMetrics(doc, 'evaluate Lambda')) };
}

/** The state machine's PutMetricData states: literal datums, and the datums a path points at (the evaluate task's). */
async function stateMachineEmission(): Promise<Emitted[]> {
  const template = synth.templates.pipeline.toJSON() as CfnTemplate;
  const states = flattenStates(renderStateMachineAsl(template));
  const out: Emitted[] = [];
  const puts = Object.entries(states).filter(([, s]) => String(s.Resource).endsWith(':cloudwatch:putMetricData'));
  expect(puts.length).toBeGreaterThanOrEqual(2);
  for (const [name, state] of puts) {
    const parameters = state.Parameters as Record<string, unknown>;
    const namespace = String(parameters.Namespace);
    type Datum = { MetricName: string; Unit?: string; Dimensions?: { Name: string; Value: string }[] };
    let datums: Datum[];
    if (Array.isArray(parameters.MetricData)) datums = parameters.MetricData as Datum[];
    else {
      // The evaluate task's result lands at $.evaluation (its ResultPath); its metricData is published as is.
      expect(parameters['MetricData.$']).toBe('$.evaluation.metricData');
      expect(states.Evaluate?.ResultPath).toBe('$.evaluation');
      const evaluation = await evaluateEmission();
      datums = evaluation.datums;
      out.push(...evaluation.emf);
    }
    for (const d of datums) {
      out.push({
        source: `state ${name}`,
        namespace,
        name: d.MetricName,
        unit: d.Unit,
        dimensions: Object.fromEntries((d.Dimensions ?? []).map((x) => [x.Name, x.Value])),
      });
    }
  }
  return out;
}

/** What AWS publishes for us (observability/metrics.ts lists it, with the documentation it follows). */
function awsEmission(): Emitted[] {
  return [...Object.values(SageMakerEndpointMetrics), ...Object.values(StepFunctionsMetrics)].map((m) => ({
    source: m.publishedBy,
    namespace: m.namespace,
    name: m.name,
    unit: m.unit,
    dimensions: Object.fromEntries(m.dimensions.map((d) => [d, undefined])),
  }));
}

/** The local endpoint host's stand-in for SageMaker's metrics (the local rollback alarms evaluate them). */
async function localHostingEmission(): Promise<Emitted[]> {
  const dir = mkdtempSync(join(tmpdir(), 'metrics-'));
  const hosting = new LocalHosting();
  try {
    await deployArtifact(hosting, endpointName, writeSoundModel(dir, 'model-a'));
    hosting.invoke({ endpointName, body: THERMOSTAT_FEATURES.map(() => '0').join(','), contentType: 'text/csv' });
    hosting.flushMetrics();
    return hosting.metrics.listMetrics({ Namespace: SAGEMAKER_NAMESPACE }).Metrics.map((m) => ({
      source: 'local endpoint host',
      namespace: String(m.Namespace),
      name: String(m.MetricName),
      dimensions: Object.fromEntries((m.Dimensions ?? []).map((d) => [String(d.Name), String(d.Value)])),
    }));
  } finally {
    hosting.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The monitor Lambda's metrics as declared: test/tasks/monitor.test.ts checks that it publishes exactly these, with
 * its `service`; variant and feature values vary with the data.
 */
function monitorEmission(): Emitted[] {
  return Object.values(OccupancyMetrics)
    .filter((m) => m.publishedBy.startsWith('monitor'))
    .map((m) => ({
      source: m.publishedBy,
      namespace: m.namespace,
      name: m.name,
      unit: m.unit,
      dimensions: {
        ...Object.fromEntries(m.dimensions.map((d) => [d, undefined])),
        EndpointName: endpointName,
        service: MONITOR_SERVICE,
      },
    }));
}

/** The sensor health check's UnhealthyDevices as it publishes them (tasks/sensor-health.ts publishCounts), every kind. */
async function sensorHealthEmission(): Promise<Emitted[]> {
  const { metrics } = powertools(SENSOR_HEALTH_SERVICE);
  const report: SensorHealthReport = {
    reportId: 'report-1',
    checkedAt: Date.UTC(2026, 0, 1),
    lookbackHours: 24,
    devicesKnown: 3,
    counts: { stuck: 1, silent: 0, 'out-of-range': 2, malformed: 0 },
    unhealthy: [],
  };
  const docs = await captureEmf(async () => publishCounts(metrics, report));
  return docs.flatMap((doc) => emfMetrics(doc, 'sensor health Lambda'));
}

beforeAll(async () => {
  synth = synthesize();
  endpointName = loadInfraConfig(synth.app).pipeline.endpointName;
  for (const template of [synth.templates.serving, synth.templates.observability]) {
    consumers.push(...templateAlarmMetrics(template.toJSON() as CfnTemplate));
    consumers.push(...dashboardMetrics(template.toJSON() as CfnTemplate));
  }
  // The pipeline stack's alarms: retraining on evidence (the monitor's metrics) and sensor health (UnhealthyDevices).
  consumers.push(...templateAlarmMetrics(synth.templates.pipeline.toJSON() as CfnTemplate));
  const widgets = dashboardWidgets({ endpointName, stateMachineArn: TOKEN });
  consumers.push(
    ...widgets.flatMap((w) =>
      w.series
        .flatMap((s): WidgetMetric[] => (s.kind === 'metric' ? [s] : [s.numerator, s.denominator]))
        .map((m) => ({
          where: `console widget ${w.id}`,
          namespace: m.namespace,
          name: m.name,
          dimensions: m.dimensions,
        })),
    ),
  );
  emitted.push(
    ...(await inferenceEmission()),
    ...(await approvalEmission()),
    ...(await stateMachineEmission()),
    ...awsEmission(),
    ...monitorEmission(),
    ...(await sensorHealthEmission()),
  );
});

describe('metric consistency', () => {
  it('finds the alarms and widgets to check (rollback alarms, fallback pages, both dashboards)', () => {
    const where = new Set(consumers.map((c) => c.where.split(' ')[0]));
    expect(where).toEqual(new Set(['alarm', 'dashboard', 'console']));
    // Every alarm's metric, metric-math alarms' inner metrics included.
    const alarmed = new Set(consumers.filter((c) => c.where.startsWith('alarm ')).map((c) => c.name));
    expect(alarmed).toEqual(
      new Set([
        'Invocation5XXErrors',
        'ModelLatency',
        'InferenceFallback',
        'Inferences',
        'ExecutionsFailed',
        'ExecutionsTimedOut',
        'ExecutionsAborted',
        'LiveF1',
        'StaticRuleLiveF1',
        'FeatureDrift',
        'LiveFallbackRate',
        'UnhealthyDevices',
      ]),
    );
    const drawn = new Set(consumers.filter((c) => c.where.startsWith('dashboard ')).map((c) => c.name));
    expect(drawn).toContain('ApprovalWaitSeconds');
    expect(drawn).toContain('ExecutionsStarted');
    const ours = new Set(emitted.filter((e) => e.namespace === METRICS_NAMESPACE).map((e) => e.name));
    for (const n of [
      'Inferences',
      'InferenceFallback',
      'CandidateF1',
      'ServingF1',
      'Promoted',
      'ApprovalWaitSeconds',
      'FallbackCount',
      'BadInput',
      'Evaluations',
    ]) {
      expect(ours).toContain(n);
    }
  });

  it('every alarm and widget metric is emitted by some code with exactly those dimensions', () => {
    expect(mismatches(consumers, emitted)).toEqual([]);
  });

  it('every metric code emits is declared in observability/metrics.ts with its dimensions and unit', () => {
    expect(undeclared(emitted, ALL_METRICS)).toEqual([]);
  });

  it('the local endpoint host publishes the SageMaker metrics the rollback alarms select, as SageMaker does', async () => {
    const local = await localHostingEmission();
    expect(new Set(local.map((m) => m.name))).toEqual(
      new Set(['Invocations', 'Invocation4XXErrors', 'Invocation5XXErrors', 'ModelLatency']),
    );
    const sagemaker = consumers.filter((c) => c.namespace === SAGEMAKER_NAMESPACE);
    expect(sagemaker.length).toBeGreaterThanOrEqual(2);
    expect(mismatches(sagemaker, local)).toEqual([]);
    expect(undeclared(local, ALL_METRICS)).toEqual([]);
  });

  it('an alarm or widget cannot select a declared metric with another dimension set (synth fails)', () => {
    expect(() => selectMetric(OccupancyMetrics.InferenceFallback, { EndpointName: 'occupancy' })).toThrow(
      expect.objectContaining({ name: 'MetricDimensionsError', field: 'InferenceFallback.dimensions' }),
    );
    expect(selectMetric(OccupancyMetrics.Promoted, { EndpointName: 'occupancy' }).dimensions).toEqual({
      EndpointName: 'occupancy',
    });
  });

  it('a name or dimension changed in one place only is caught', () => {
    const alarmJson = synth.templates.serving.toJSON() as CfnTemplate;
    // The fallback-rate alarm selecting `Service` instead of Powertools' `service`.
    const renamed = JSON.parse(JSON.stringify(alarmJson).replace(/"Name":"service"/, '"Name":"Service"'));
    expect(mismatches(templateAlarmMetrics(renamed), emitted)).toEqual([expect.stringContaining('InferenceFallback')]);
    // The Lambda emitting FallbackRate instead of InferenceFallback: its alarms and widgets select nothing.
    const emitterRenamed = emitted.map((e) => (e.name === 'InferenceFallback' ? { ...e, name: 'FallbackRate' } : e));
    const lost = mismatches(consumers, emitterRenamed);
    expect(lost.length).toBeGreaterThanOrEqual(3);
    expect(lost.every((l) => l.includes('InferenceFallback'))).toBe(true);
    expect(undeclared(emitterRenamed, ALL_METRICS)).toEqual([expect.stringContaining('FallbackRate')]);
    // The state machine publishing Promoted with one dimension more than the dashboard selects.
    const extraDimension = emitted.map((e) =>
      e.name === 'Promoted' ? { ...e, dimensions: { ...e.dimensions, Stage: 'prod' } } : e,
    );
    expect(mismatches(consumers, extraDimension)).toEqual([
      expect.stringContaining('Promoted'),
      expect.stringContaining('Promoted'),
    ]);
  });
});
