import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunViews, runListItem } from '../../local/console/data';
import { liveEmptyStates, monitorContextOf } from '../../local/console/live-dashboard';
import { cooldownOf, runTriggerOf } from '../../local/console/live-trigger';
import { shadowProgressOf, shadowViewOf } from '../../local/console/shadow-view';
import { MetricStore } from '../../local/metrics';
import { ExecutionStore } from '../../local/runtime/executions';
import { featureDriftDimensions, MONITOR_SERVICE } from '../../observability/metrics';
import { dashboardWidgets, LIVE_WIDGET_IDS } from '../../observability/widgets';
import { MemoryObjectStore } from '../../tasks/ports/object-store';
import {
  EVIDENCE_INPUT,
  PASSED_COMPARISON,
  REJECTED_COMPARISON,
  SHADOW_DEFINITION,
  shadowStates,
} from './live-fixtures';
import { dashboardWithMonitor, putMonitorWindow } from './live-metrics';

const context = { endpointName: 'occ', stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:m' };

describe('runTriggerOf: why a retraining started', () => {
  it('names the monitor’s reason in words, the alarm and its figures', () => {
    expect(runTriggerOf(EVIDENCE_INPUT)).toEqual({
      kind: 'evidence',
      reason: 'live-f1-below-static-rule',
      alarmName: 'occupancy-retrain-live-f1-below-static-rule',
      detail: EVIDENCE_INPUT.stateReason,
      text: 'live F1 below the static rule (alarm occupancy-retrain-live-f1-below-static-rule)',
    });
    expect(runTriggerOf({ reason: 'sustained-drift' }).text).toBe('sustained feature drift');
    expect(runTriggerOf({ reason: 'a reason nobody listed' })).toMatchObject({
      kind: 'evidence',
      text: 'a reason nobody listed',
    });
  });

  it('reads the input the evidence rule gives (infra/stacks/retrain-on-evidence.ts)', () => {
    const input = {
      trigger: 'evidence',
      reason: 'sustained-drift',
      alarmName: 'occupancy-retrain-sustained-drift-1',
      stateReason:
        'Threshold Crossed: 3 out of the last 3 datapoints were greater than or equal to the threshold (0.25).',
      time: '2026-11-29T21:00:00Z',
    };
    expect(runTriggerOf(input)).toEqual({
      kind: 'evidence',
      reason: 'sustained-drift',
      alarmName: 'occupancy-retrain-sustained-drift-1',
      detail: input.stateReason,
      text: 'sustained feature drift (alarm occupancy-retrain-sustained-drift-1)',
    });
  });

  it('tells the schedule, a manual start and an alarm’s own state-change event apart', () => {
    expect(runTriggerOf({ trigger: 'schedule' })).toMatchObject({ kind: 'schedule', text: 'schedule', reason: null });
    expect(runTriggerOf({})).toMatchObject({ kind: 'manual', text: 'manual start' });
    expect(runTriggerOf(undefined)).toMatchObject({ kind: 'manual' });
    expect(runTriggerOf('not an object')).toMatchObject({ kind: 'manual' });
    expect(
      runTriggerOf({
        detail: { alarmName: 'occupancy-fallback-rate', state: { reason: 'Threshold Crossed: 1 datapoint' } },
      }),
    ).toMatchObject({
      kind: 'evidence',
      alarmName: 'occupancy-fallback-rate',
      detail: 'Threshold Crossed: 1 datapoint',
    });
  });

  it('reads what the run recorded when the input says nothing, and never trusts odd values', () => {
    expect(runTriggerOf({}, { trigger: { kind: 'evidence', reason: 'fallback-rate' } }).text).toBe(
      'fallback rate over the limit',
    );
    expect(runTriggerOf({ reason: 42, trigger: ['schedule'] })).toMatchObject({ kind: 'manual' });
    expect(runTriggerOf({ reason: 'x'.repeat(1000) }).reason?.length).toBe(300);
  });

  it('rides on every run of the list', () => {
    const record = {
      executionArn: 'arn',
      name: 'run-1',
      stateMachineArn: 'sm',
      status: 'RUNNING' as const,
      startDate: 1,
      input: { trigger: 'schedule' },
      pid: 1,
      states: [],
    };
    expect(runListItem(record, 2).trigger?.text).toBe('schedule');
  });
});

describe('shadowViewOf: the shadow comparison of a run', () => {
  it('reads a rejected comparison with its figures, the allowed loss and the shadow-rejected outcome', () => {
    const view = shadowViewOf(shadowStates(REJECTED_COMPARISON), 'shadow-rejected', SHADOW_DEFINITION);
    expect(view).toMatchObject({
      state: 'CompareShadow',
      passed: false,
      candidateF1: 0.688,
      servingF1: 0.742,
      delta: -0.054,
      lower: -0.091,
      upper: -0.019,
      pairedReadings: 412,
      unpaired: 3,
      maxF1Loss: 0.02,
      rejected: true,
    });
    expect(view?.verdict).toBe(
      'Failed: candidate F1 0.688 vs serving 0.742, ΔF1 -0.054 (95% CI -0.091 to -0.019) on 412 paired labelled readings; worse than serving (allowed loss 0.02).',
    );
  });

  it('reads a passed one, and a refused one (too few readings) by its own sentence', () => {
    expect(shadowViewOf(shadowStates(PASSED_COMPARISON), 'deployed')?.verdict).toMatch(
      /^Passed: candidate F1 0\.801 vs serving 0\.742, ΔF1 \+0\.059/,
    );
    const refused = {
      ...REJECTED_COMPARISON,
      candidateF1: null,
      servingF1: null,
      delta: null,
      lower: null,
      upper: null,
      pairedReadings: 12,
      summary: 'shadow comparison refused: fewer than 100 paired readings (12 paired labelled readings, 0 unpaired)',
    };
    expect(shadowViewOf(shadowStates(refused), 'shadow-rejected')?.verdict).toBe(`Not compared: ${refused.summary}`);
  });

  it('takes the figures from CompareShadow, else from a later shadow state carrying them', () => {
    const states = shadowStates(PASSED_COMPARISON);
    expect(shadowViewOf(states, 'deployed')?.state).toBe('CompareShadow');
    const renamed = states.map((s) => (s.name === 'CompareShadow' ? { ...s, name: 'Compare' } : s));
    expect(shadowViewOf(renamed, 'deployed')?.state).toBe('CheckShadowComparison');
  });

  it('is null for runs without a comparison (older runs, a run still baking, a failed compare)', () => {
    expect(shadowViewOf([], 'deployed')).toBeNull();
    const states = shadowStates(REJECTED_COMPARISON).slice(0, 2);
    expect(shadowViewOf(states, 'running')).toBeNull();
    const failed = shadowStates(REJECTED_COMPARISON).map((s) => ({ ...s, status: 'failed' }));
    expect(shadowViewOf(failed, 'failed')).toBeNull();
  });
});

describe('the live widgets', () => {
  it('draw live F1 against the static rule per variant, and drift per feature', () => {
    const widgets = dashboardWidgets({
      ...context,
      monitor: {
        variants: ['AllTraffic', 'Blue'],
        features: [
          { variant: 'AllTraffic', feature: 'sound' },
          { variant: 'AllTraffic', feature: 'co2' },
        ],
      },
    });
    const f1 = widgets.find((w) => w.id === LIVE_WIDGET_IDS.f1);
    expect(f1?.series.map((s) => s.label)).toEqual([
      'live F1 · AllTraffic',
      'static rule · AllTraffic',
      'live F1 · Blue',
      'static rule · Blue',
    ]);
    const drift = widgets.find((w) => w.id === LIVE_WIDGET_IDS.drift);
    expect(drift?.series.map((s) => s.label)).toEqual(['sound', 'co2']);
    expect(drift?.series[0]).toMatchObject({ dimensions: featureDriftDimensions('occ', 'AllTraffic', 'sound') });
  });

  it('leave the drift widget out when the features are not known (CloudWatch needs a metric per graph)', () => {
    const ids = dashboardWidgets(context).map((w) => w.id);
    expect(ids).toEqual(
      expect.arrayContaining([LIVE_WIDGET_IDS.f1, LIVE_WIDGET_IDS.readings, LIVE_WIDGET_IDS.fallback]),
    );
    expect(ids).not.toContain(LIVE_WIDGET_IDS.drift);
  });

  it('find the variants and features the monitor published for the endpoint', () => {
    const dims = (values: Record<string, string>) => Object.entries(values).map(([Name, Value]) => ({ Name, Value }));
    const monitor = monitorContextOf(
      [
        { MetricName: 'FeatureDrift', Dimensions: dims(featureDriftDimensions('occ', 'AllTraffic', 'sound')) },
        { MetricName: 'FeatureDrift', Dimensions: dims(featureDriftDimensions('other', 'AllTraffic', 'co2')) },
        {
          MetricName: 'LiveF1',
          Dimensions: dims({ EndpointName: 'occ', VariantName: 'Blue', service: MONITOR_SERVICE }),
        },
        { MetricName: 'Inferences', Dimensions: dims({ EndpointName: 'occ', service: 'infer-occupancy' }) },
      ],
      'occ',
    );
    expect(monitor).toEqual({
      variants: ['AllTraffic', 'Blue'],
      features: [{ variant: 'AllTraffic', feature: 'sound' }],
    });
    expect(monitorContextOf([], 'occ')).toEqual({ features: [] });
  });
});

describe('what an empty live widget says', () => {
  const thresholds = { minLabelledReadings: 200, minReadings: 100, schedule: 'rate(1 hour)' };
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'live-views-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const empties = (store: MetricStore) =>
    Object.fromEntries(
      dashboardWithMonitor(store, new ExecutionStore(dir), thresholds)
        .filter((w) => w.empty)
        .map((w) => [w.id, w.empty]),
    );

  it('says the monitor has not run when it published nothing', () => {
    const out = empties(new MetricStore());
    expect(Object.keys(out).sort()).toEqual(['drift', 'live-f1', 'live-fallback', 'live-readings']);
    expect(out['live-f1']).toMatch(
      /^The monitor published nothing in this window: it runs on its schedule \(rate\(1 hour\)\)/,
    );
  });

  it('says no labelled readings yet, then too few of them, then nothing once live F1 is published', () => {
    const store = new MetricStore();
    putMonitorWindow(store, { at: Date.now() - 60_000, answered: 150, labelled: 0 });
    expect(empties(store)['live-f1']).toBe(
      'No labelled readings yet in the window: labels arrive after the readings they judge.',
    );
    expect(empties(store).drift).toMatch(/no training baseline/);
    putMonitorWindow(store, { at: Date.now() - 30_000, answered: 150, labelled: 57 });
    expect(empties(store)['live-f1']).toBe(
      'Fewer than 200 labelled readings in any monitoring window (most: 57): live F1 is published from 200 on.',
    );
    putMonitorWindow(store, {
      at: Date.now() - 10_000,
      answered: 400,
      labelled: 250,
      f1: 0.8,
      ruleF1: 0.7,
      fallbackRate: 0.01,
      psi: { sound: 0.3 },
    });
    expect(empties(store)).toEqual({});
  });

  it('says too few answers for the fallback rate and drift', () => {
    const store = new MetricStore();
    putMonitorWindow(store, { at: Date.now() - 60_000, answered: 40, labelled: 0 });
    const out = empties(store);
    expect(out['live-fallback']).toBe(
      'Fewer than 100 answers in any monitoring window (most: 40): the monitor judges the fallback rate and drift from 100 on.',
    );
    expect(out.drift).toBe(out['live-fallback']);
  });

  it('is pure over the widgets’ data', () => {
    expect(liveEmptyStates([], thresholds)).toEqual({});
  });

  it('puts the most drifting feature first', () => {
    const store = new MetricStore();
    putMonitorWindow(store, { at: Date.now() - 60_000, answered: 400, labelled: 0, psi: { a: 0.1, b: 0.6, c: 0.1 } });
    const drift = dashboardWithMonitor(store, new ExecutionStore(dir), thresholds).find((w) => w.id === 'drift');
    expect(drift?.series.map((s) => s.label)).toEqual(['b', 'a', 'c']);
  });
});

describe('a run between approval and its comparison, and one the cooldown stopped', () => {
  const visit = (name: string, enteredAt: number) => ({ name, status: 'succeeded', enteredAt, output: {} });

  it('says what the shadow phase is doing while the run waits', () => {
    const states = [visit('AwaitApproval', 1), visit('StartShadow', 2), visit('PollShadowEndpoint', 3)];
    expect(shadowProgressOf(states, 'RUNNING')).toMatchObject({ stage: 'starting', since: 3 });
    const baking = [...states, visit('BakeShadow', 4)];
    expect(shadowProgressOf(baking, 'RUNNING')).toMatchObject({ stage: 'baking', since: 4 });
    expect(shadowProgressOf(baking, 'RUNNING')?.text).toMatch(/copy of live traffic as the shadow variant/);
    expect(shadowProgressOf([...baking, visit('CompareShadow', 5)], 'RUNNING')).toMatchObject({ stage: 'comparing' });
    expect(shadowProgressOf(baking, 'SUCCEEDED')).toBeNull();
    expect(shadowProgressOf(states.slice(0, 1), 'RUNNING')).toBeNull();
  });

  it('explains a cooldown: the run it counted from and when the next may start', () => {
    expect(
      cooldownOf({
        outcome: 'cooldown',
        trigger: { kind: 'evidence', reason: 'sustained-drift' },
        cooldown: {
          allowed: false,
          lastExecutionArn: 'arn:aws:states:eu-west-1:1:execution:occupancy-retraining:run-7',
          lastStartedAt: '2026-11-29T08:00:00Z',
          lastReason: 'live-f1-below-static-rule',
          cooldownUntil: '2026-11-30T08:00:00.000Z',
        },
      }),
    ).toBe(
      'Nothing done: within the retraining cooldown (monitoring.retrainingCooldownMinutes); the last run started by evidence, run-7 (live F1 below the static rule), began 2026-11-29T08:00:00Z; the next may start from 2026-11-30T08:00:00.000Z.',
    );
    expect(cooldownOf({ outcome: 'deployed' })).toBeNull();
    expect(cooldownOf({ outcome: 'cooldown' })).toMatch(/another run started by evidence began within it\.$/);
  });
});

describe('RunViews: a stored run the monitor started', () => {
  it('carries why it started, its shadow comparison with the definition’s allowed loss, and no cooldown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'live-runs-'));
    try {
      const executions = new ExecutionStore(dir);
      executions.save({
        executionArn: 'arn:aws:states:us-east-1:1:execution:m:run-9',
        name: 'run-9',
        stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:m',
        status: 'SUCCEEDED',
        startDate: 1_764_000_000_000,
        stopDate: 1_764_000_060_000,
        input: EVIDENCE_INPUT,
        output: { outcome: 'shadow-rejected', trigger: { kind: 'evidence', reason: EVIDENCE_INPUT.reason } },
        pid: 1,
        states: shadowStates(REJECTED_COMPARISON).map(({ error: _error, ...st }) => st),
      });
      const views = new RunViews({
        executions,
        store: new MemoryObjectStore(),
        approvals: { get: async () => undefined },
        definition: SHADOW_DEFINITION,
      });
      const view = await views.get('run-9');
      expect(view?.run.trigger?.alarmName).toBe(EVIDENCE_INPUT.alarmName);
      expect(view?.shadow).toMatchObject({ passed: false, rejected: true, maxF1Loss: 0.02, pairedReadings: 412 });
      expect(view?.shadowProgress).toBeNull();
      expect(view?.cooldown).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
