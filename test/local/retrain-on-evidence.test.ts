import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetricDatum } from '@aws-sdk/client-cloudwatch';
import { LocalStack } from '../../local/runtime/local-stack';
import { synthesizePipeline } from '../../local/runtime/synth';
import {
  datumDimensions,
  featureDriftDimensions,
  METRICS_NAMESPACE,
  type MetricDefinition,
  monitorEndpointDimensions,
  monitorMetricDimensions,
  OccupancyMetrics,
  selectMetric,
} from '../../observability/metrics';
import { parsePipelineConfig } from '../../pipeline/config';
import { RUN_LOCK_HOLDER, RUN_LOCK_KEY } from '../../pipeline/phases/run-lock';
import { StateNames as S } from '../../pipeline/state-names';

/**
 * Retrain on evidence on the embedded runtime: metrics put into the local store drive a synthesized alarm to ALARM,
 * the synthesized EventBridge rule starts a retraining whose input (its input transformer's) names the reason, and
 * the reason reaches the run's notification and summary; a second alarm within the cooldown starts a run that ends
 * `cooldown` at once; an evidence run overlapping a running one is refused by the single-run lock.
 */
jest.setTimeout(240_000);

const config = parsePipelineConfig({ monitoring: { windowMinutes: 60, consecutiveWindows: 1 } });
const pipeline = synthesizePipeline(config);
const ENDPOINT = config.endpointName;
let dir: string;
let stack: LocalStack;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'evidence-'));
  // 60-minute alarm periods last 3.6 s: every datum put now is in the newest period.
  stack = await LocalStack.start({ stateDir: dir, config, pipeline, timeScale: 0.001 });
});
afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

function put(def: MetricDefinition, dims: Record<string, string>, value: number): void {
  const selected = selectMetric(def, dims);
  const datum: MetricDatum = {
    MetricName: selected.name,
    Unit: def.unit,
    Value: value,
    Dimensions: datumDimensions(selected.dimensions),
  };
  stack.metrics.putMetricData({ Namespace: METRICS_NAMESPACE, MetricData: [datum] });
}

const outcome = (output: unknown) => (output as { outcome?: string }).outcome;

describe('retrain on evidence (local runtime)', () => {
  it('loads the synthesized alarms and the rules that start the state machine on them', () => {
    expect(pipeline.alarmRules?.flatMap((r) => r.alarmNames)).toEqual(
      expect.arrayContaining([
        `${ENDPOINT}-retrain-live-f1-below-static-rule`,
        `${ENDPOINT}-retrain-fallback-rate`,
        `${ENDPOINT}-retrain-sustained-drift-1`,
      ]),
    );
    expect(pipeline.monitor?.scheduleExpression).toBe('rate(1 hour)');
    for (const name of stack.evidence.rules.alarmNames) expect(stack.alarms.has(name)).toBe(true);
  });

  it('the monitor handler runs over the local lake with its synthesized environment', async () => {
    const report = await stack.evidence.runMonitor({});
    expect(report.variants).toEqual([]);
    expect(stack.evidence.started).toEqual([]);
  });

  it('live F1 below the static rule → ALARM → a retraining whose input and notification name the reason', async () => {
    const dims = monitorMetricDimensions(ENDPOINT, 'AllTraffic');
    put(OccupancyMetrics.LiveF1, dims, 0.61);
    put(OccupancyMetrics.StaticRuleLiveF1, dims, 0.74);
    stack.evidence.rules.evaluate();
    expect(
      stack.alarms.describeAlarms({ AlarmNames: [`${ENDPOINT}-retrain-live-f1-below-static-rule`] }),
    ).toMatchObject({ MetricAlarms: [{ StateValue: 'ALARM' }] });
    expect(stack.evidence.started).toHaveLength(1);
    const [first] = stack.evidence.started;
    expect(first?.input).toMatchObject({
      trigger: 'evidence',
      reason: 'live-f1-below-static-rule',
      alarmName: `${ENDPOINT}-retrain-live-f1-below-static-rule`,
      stateReason: expect.stringContaining('Threshold Crossed'),
    });
    const record = await first?.execution.done;
    expect(record?.states.map((s) => s.name)).toContain(S.CheckRetrainingCooldown);
    expect(record?.output).toMatchObject({ trigger: { kind: 'evidence', reason: 'live-f1-below-static-rule' } });
    expect(outcome(record?.output)).not.toBe('cooldown');
    const notified = readFileSync(join(dir, 'notifications.ndjson'), 'utf8');
    expect(notified).toContain('Started by: evidence (live-f1-below-static-rule)');
  });

  it('a second alarm within the cooldown starts a run that ends `cooldown`, naming the run the cooldown counts from', async () => {
    put(OccupancyMetrics.LiveFallbackRate, monitorEndpointDimensions(ENDPOINT), 0.3);
    stack.evidence.rules.evaluate();
    expect(stack.evidence.started).toHaveLength(2);
    const record = await stack.evidence.started[1]?.execution.done;
    expect(record?.output).toMatchObject({
      outcome: 'cooldown',
      trigger: { kind: 'evidence', reason: 'fallback-rate' },
      cooldown: { allowed: false, lastReason: 'live-f1-below-static-rule' },
    });
    expect(record?.states.map((s) => s.name)).not.toContain(S.StartAutoML);
  });

  it('an evidence run while another execution holds the single-run lock ends already-running', async () => {
    const holder = `${pipeline.stateMachineArn.replace(':stateMachine:', ':execution:')}:run-holder`;
    stack.executions.save({
      executionArn: holder,
      name: 'run-holder',
      stateMachineArn: pipeline.stateMachineArn,
      status: 'RUNNING',
      startDate: Date.now(),
      input: {},
      pid: process.pid,
      states: [],
    });
    const table = pipeline.tables?.find((t) => t.keys[0]?.name === RUN_LOCK_KEY)?.name ?? '';
    await stack.dynamodb.putItem({
      TableName: table,
      Item: { [RUN_LOCK_KEY]: { S: 'occupancy-retraining' }, [RUN_LOCK_HOLDER]: { S: holder } },
    });
    put(OccupancyMetrics.FeatureDrift, featureDriftDimensions(ENDPOINT, 'AllTraffic', 'sound'), 0.9);
    stack.evidence.rules.evaluate();
    expect(stack.evidence.started).toHaveLength(3);
    expect(stack.evidence.started[2]?.input).toMatchObject({ reason: 'sustained-drift' });
    const record = await stack.evidence.started[2]?.execution.done;
    expect(record?.output).toMatchObject({ outcome: 'already-running', heldBy: holder });
  });
});
