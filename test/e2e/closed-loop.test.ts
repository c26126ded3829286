import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployArtifact } from '../../local/hosting/deploy-artifact';
import { type ServingStack, startServing } from '../../local/iot/serving';
import { inferenceEnv, loadLocalConfig } from '../../local/local-config';
import type { ExecutionRecord } from '../../local/runtime/executions';
import { LocalStack } from '../../local/runtime/local-stack';
import { synthesizePipeline } from '../../local/runtime/synth';
import { METRICS_NAMESPACE, monitorMetricDimensions, OccupancyMetrics } from '../../observability/metrics';
import { ShadowStateNames } from '../../pipeline/phases/shadow';
import { StateNames } from '../../pipeline/state-names';
import type { ShadowComparison } from '../../tasks/shadow-compare-decision';
import { closedLoopFleet, labelledReadings, replayFleet, warmRoomModel, writeHistory } from './closed-loop-fleet';
import { answerApproval, TEST_CONFIG } from './helpers';

/**
 * Issue 21's closed loop on the embedded runtime: a model serves a live simulated fleet (the Lambda's handler over
 * MQTT, the local endpoint host, predictions and labels into the lake); the season drift (heating → cooling)
 * degrades its live F1 below the static rule's on the same readings; the monitor (synthesized handler and
 * environment) publishes the drop into the local metric store; the synthesized alarm goes to ALARM and its
 * EventBridge rule starts a retraining whose input names the reason; the run's candidate, trained on the lake that
 * now holds the drifted day, passes the offline gate, is approved (the test is the person), shadows the serving
 * model on the next live day, passes the paired live comparison and is deployed by the canary.
 */
jest.setTimeout(600_000);

const VERSION = 'warm-room-v1';
let dir: string;
let stack: LocalStack | undefined;
let serving: ServingStack | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'closed-loop-'));
});
afterAll(async () => {
  await serving?.close();
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

const stateOutput = <T>(record: ExecutionRecord, name: string): T | undefined =>
  record.states.find((s) => s.name === name)?.output as T | undefined;

it('a drift that degrades live F1 retrains, and the candidate shadows, passes live and is deployed by canary', async () => {
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      ...TEST_CONFIG,
      // One day per window: the live day is one window; 100 labelled answers are enough to judge it.
      monitoring: { windowMinutes: 1440, consecutiveWindows: 1, minLabelledReadings: 100, minReadings: 100 },
      // 150 minutes of bake last 90 s at the test's time scale: the next day's replay (~17 s) fits in it.
      shadow: { enabled: true, bakeMinutes: 150, minPairedReadings: 100 },
    }),
  );
  const { history, live, bake, liveEnd } = closedLoopFleet();
  writeHistory(dir, history);
  const config = loadLocalConfig(dir);
  stack = await LocalStack.start({ stateDir: dir, config, pipeline: synthesizePipeline(config), timeScale: 0.01 });
  const endpointName = config.endpointName;

  // The model serving before the drift, deployed as `occupancy deploy` does.
  mkdirSync(join(dir, 'serving'), { recursive: true });
  const artifactPath = join(dir, 'serving', `${VERSION}.json`);
  writeFileSync(artifactPath, JSON.stringify(warmRoomModel(VERSION)));
  await deployArtifact(stack.hosting, endpointName, artifactPath);

  // The live fleet's drifted day, answered by the Lambda's handler as `npm start` serves it.
  serving = await startServing({ stateDir: dir, hosting: stack.hosting, env: inferenceEnv(config) });
  const replay = await replayFleet(serving.connection.mqttUrl, live);
  expect(replay.readings).toBeGreaterThan(1000);
  expect(replay.answered).toBe(replay.readings);
  expect(replay.bySource).toEqual({ model: replay.readings, fallback: 0 });
  serving.ingestion?.flush();
  serving.predictions?.flush();

  // The monitor over the live day: the served model falls below the static rule on the same labelled readings.
  const report = await stack.evidence.runMonitor({ windowEnd: liveEnd });
  const [variant] = report.variants;
  expect(report.variants).toHaveLength(1);
  expect(variant?.variant).toBe('AllTraffic');
  const figures = variant?.windows[0]?.metrics;
  expect(figures?.labelledReadings).toBeGreaterThanOrEqual(100);
  expect(figures?.f1).toBeLessThan(figures?.staticRuleF1 ?? 0);
  expect(report.verdicts.map((v) => v.reason)).toEqual(['live-f1-below-static-rule']);

  // …and published it: the values in the local metric store are the report's.
  const dims = Object.entries(monitorMetricDimensions(endpointName, 'AllTraffic')).map(([Name, Value]) => ({
    Name,
    Value,
  }));
  const published = (metricName: string) =>
    stack?.metrics
      .samples({ namespace: METRICS_NAMESPACE, metricName, dimensions: dims }, 0, Number.MAX_SAFE_INTEGER)
      .map((s) => s.max);
  expect(published(OccupancyMetrics.LiveF1.name)).toEqual([figures?.f1]);
  expect(published(OccupancyMetrics.StaticRuleLiveF1.name)).toEqual([figures?.staticRuleF1]);

  // The alarm on it is in ALARM and its rule started one retraining, the reason in its input.
  const alarmName = `${endpointName}-retrain-live-f1-below-static-rule`;
  expect(stack.alarms.describeAlarms({ AlarmNames: [alarmName] })).toMatchObject({
    MetricAlarms: [{ StateValue: 'ALARM' }],
  });
  expect(stack.evidence.started).toHaveLength(1);
  const started = stack.evidence.started[0];
  expect(started?.input).toMatchObject({ trigger: 'evidence', reason: 'live-f1-below-static-rule', alarmName });

  // The run trains on the lake with the drifted day; its candidate beats the serving model on the holdout.
  const runName = started?.execution.name ?? '';
  const pending = await waitForApproval(stack, runName);
  expect(pending).toBe(true);
  const record = stack.executions.get(runName);
  expect(record).toBeDefined();
  if (!record) return;
  const evaluation = stateOutput<{
    evaluation: { promote: boolean; serving: { f1: number } | null; candidate: { f1: number } };
  }>(record, StateNames.Evaluate)?.evaluation;
  expect(evaluation?.promote).toBe(true);
  expect(evaluation?.candidate.f1).toBeGreaterThan(evaluation?.serving?.f1 ?? 1);

  // The person approves; the candidate shadows the serving model while the next live day is replayed.
  answerApproval(stack, runName, 'approve');
  const shadowModel = await untilShadowServes(stack, endpointName);
  const bakeReplay = await replayFleet(serving.connection.mqttUrl, bake);
  expect(bakeReplay.answered).toBe(bakeReplay.readings);
  const finished = await started?.execution.done;
  expect(finished?.status).toBe('SUCCEEDED');
  if (!finished) return;
  expect((finished.output as { outcome?: string }).outcome).toBe('deployed');

  // The live comparison's figures: every labelled reading of the replayed day paired (the replay ends inside the
  // bake; data capture samples 100 %), the candidate not worse than the serving model (here: better).
  const comparison = stateOutput<{ shadowComparison?: ShadowComparison }>(
    finished,
    ShadowStateNames.CompareShadow,
  )?.shadowComparison;
  expect(comparison).toMatchObject({ passed: true });
  expect(comparison).toMatchObject({ pairedReadings: labelledReadings(bake), unpaired: 0 });
  expect(comparison?.candidateF1).toBeGreaterThan(comparison?.servingF1 ?? 1);
  expect(comparison?.lower).toBeGreaterThan(-0.02);

  // The canary deployed the candidate that shadowed: it is the production variant's model now, alone.
  const endpoint = stack.hosting.describeEndpoint({ EndpointName: endpointName });
  expect(endpoint.ShadowProductionVariants ?? []).toEqual([]);
  const productionModel = stack.hosting.describeEndpointConfig({ EndpointConfigName: endpoint.EndpointConfigName })
    .ProductionVariants?.[0]?.ModelName;
  expect(shadowModel).toEqual(expect.any(String));
  expect(productionModel).toBe(shadowModel);
  expect(productionModel).not.toMatch(/^warm-room/);
  const shifts = stack.hosting
    .listEndpointEvents(endpointName)
    .filter((e) => e.type === 'TrafficShifted')
    .map((e) => e.message.split(' ')[0]);
  expect(shifts.slice(-2)).toEqual(['20%', '100%']);
});

/**
 * The shadow variant's model once the endpoint serves with one (the bake has begun: data capture records its
 * answers).
 */
async function untilShadowServes(s: LocalStack, endpointName: string): Promise<string | undefined> {
  for (;;) {
    const endpoint = s.hosting.describeEndpoint({ EndpointName: endpointName });
    if (endpoint.EndpointStatus === 'InService' && (endpoint.ShadowProductionVariants ?? []).length > 0) {
      const config = s.hosting.describeEndpointConfig({ EndpointConfigName: endpoint.EndpointConfigName });
      return config.ShadowProductionVariants?.[0]?.ModelName;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** True once the run's approval is pending (the offline gate passed); false if the run ended first. */
async function waitForApproval(s: LocalStack, runName: string): Promise<boolean> {
  for (;;) {
    const approval = await s.approvals.get(runName);
    if (approval?.status === 'pending') return true;
    const record = s.executions.get(runName);
    if (record && record.status !== 'RUNNING') return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}
