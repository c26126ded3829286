import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type ConsolePage, clientAssets, pageHtml } from '../../local/console/assets';
import type { DashboardResponse } from '../../local/console/dashboard';
import { listRuns, type RunView } from '../../local/console/data';
import { stateGraph, summariseStates } from '../../local/console/graph';
import { runTriggerOf } from '../../local/console/live-trigger';
import { foldLoops } from '../../local/console/run-extras';
import { shadowProgressOf, shadowViewOf } from '../../local/console/shadow-view';
import { MetricStore } from '../../local/metrics';
import { ExecutionStore } from '../../local/runtime/executions';
import { EVIDENCE_INPUT, REJECTED_COMPARISON, SHADOW_DEFINITION, shadowStates } from './live-fixtures';
import { dashboardWithMonitor, putMonitorWindow } from './live-metrics';

/**
 * Issue 21 in a real browser: the dashboard over a local metric store holding what the monitor published (live F1
 * falling below the static rule, sound drifting, the fallback rate), and the run page of a retraining the monitor's
 * alarm started whose candidate was rejected in shadow. Pages are served from the console's own views (no pipeline
 * run). Screenshots go to test-artifacts/.
 */

jest.setTimeout(60_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const ORIGIN = 'http://console.test';
const RUN = 'run-live-f1';
/** More features, as a real signal set has them (the drift legend must stay readable). */
const QUIET_FEATURES = [
  'humidity',
  'light',
  'sound_delta_1',
  'co2_delta_1',
  'sound_mean_5',
  'co2_mean_5',
  'hour_sin',
  'hour_cos',
];
const THRESHOLDS = { minLabelledReadings: 200, minReadings: 100, schedule: 'rate(1 hour)' };

let browser: Browser;
let dir: string;

/** Serves one console page and its JSON views from `api` (path → body), with no server. */
async function open(page: ConsolePage, path: string, api: Record<string, () => unknown>, errors: string[]) {
  const tab: Page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  tab.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
  });
  tab.on('pageerror', (e) => errors.push(String(e)));
  const html = pageHtml(`occupancy: ${page}`, { mode: 'live', page, ...(page === 'run' ? { run: RUN } : {}) });
  await tab.route(`${ORIGIN}/**`, (route) => {
    const url = new URL(route.request().url());
    const assets = clientAssets();
    if (url.pathname === path) return route.fulfill({ contentType: 'text/html', body: html });
    if (url.pathname === '/assets/app.js') return route.fulfill({ contentType: 'text/javascript', body: assets.js });
    if (url.pathname === '/assets/app.css') return route.fulfill({ contentType: 'text/css', body: assets.css });
    const answer = api[url.pathname];
    if (answer) return route.fulfill({ contentType: 'application/json', json: answer() });
    return route.fulfill({ status: 404, body: 'not found' });
  });
  await tab.goto(`${ORIGIN}${path}`);
  return tab;
}

function dashboardApi(store: MetricStore): () => DashboardResponse {
  const executions = new ExecutionStore(dir);
  return () => {
    const widgets = dashboardWithMonitor(store, executions, THRESHOLDS);
    const end = Date.now() + 1000;
    return { window: '3h', start: end - 3 * 3_600_000, end, widgets };
  };
}

const legend = (tab: Page, widget: string) =>
  tab
    .locator(`#widget-${widget} table.legend tr`)
    .evaluateAll((rows) =>
      rows.map((r) => [r.getAttribute('data-series'), r.querySelector('td.latest-value')?.textContent ?? '']),
    );

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'live-browser-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard with what the monitor published', () => {
  it('draws live F1 against the static rule, drift per feature and the fallback rate, newest values in the legend', async () => {
    const store = new MetricStore();
    const now = Date.now();
    // Six hourly monitor runs squeezed into the last 2 h: the model degrades below the rule, sound drifts.
    for (let i = 0; i < 6; i++) {
      putMonitorWindow(store, {
        at: now - (6 - i) * 20 * 60_000,
        answered: 420 + i * 10,
        labelled: 250 + i * 20,
        f1: 0.86 - i * 0.05,
        ruleF1: 0.72,
        fallbackRate: i === 5 ? 0.08 : 0.01,
        psi: {
          sound: 0.05 + i * 0.07,
          co2: 0.02,
          temperature: 0.04 + i * 0.01,
          ...Object.fromEntries(QUIET_FEATURES.map((f, k) => [f, 0.01 * (k + 1)])),
        },
      });
    }
    const errors: string[] = [];
    const tab = await open(
      'dashboard',
      '/dashboard',
      { '/api/dashboard': dashboardApi(store), '/api/rooms': () => [] },
      errors,
    );
    await tab.locator('#dashboard[data-ready="3h"]').waitFor();
    expect(await legend(tab, 'live-f1')).toEqual([
      ['live F1', '0.610 (newest)'],
      ['static rule', '0.720 (newest)'],
    ]);
    // One line per feature, the most drifting first.
    const drift = await legend(tab, 'drift');
    expect(drift.slice(0, 3)).toEqual([
      ['sound', '0.400 (newest)'],
      ['temperature', '0.090 (newest)'],
      ['hour_cos', '0.080 (newest)'],
    ]);
    expect(drift.map(([name]) => name).sort()).toEqual(['co2', ...QUIET_FEATURES, 'sound', 'temperature'].sort());
    expect(await legend(tab, 'live-fallback')).toEqual([['fallback rate', '0.080 (newest)']]);
    expect(await legend(tab, 'live-readings')).toEqual([
      ['answers', '470 (newest)'],
      ['labelled', '350 (newest)'],
    ]);
    // The pipeline's 7 widgets (no run here) and unhealthy devices per kind (no check here).
    expect(await tab.locator('#dashboard .empty').count()).toBe(8);
    for (const id of ['live-f1', 'drift', 'live-fallback', 'live-readings']) {
      expect(await tab.locator(`#widget-${id} .empty`).count()).toBe(0);
      expect(await tab.locator(`#widget-${id} canvas`).count()).toBe(1);
    }
    await tab.screenshot({ path: join(ARTIFACTS, 'live-dashboard.png'), fullPage: true });
    expect(errors).toEqual([]);
    await tab.close();
  });

  it('says what is missing: labelled readings not there yet', async () => {
    const store = new MetricStore();
    putMonitorWindow(store, { at: Date.now() - 10 * 60_000, answered: 180, labelled: 0, fallbackRate: 0 });
    const errors: string[] = [];
    const tab = await open(
      'dashboard',
      '/dashboard',
      { '/api/dashboard': dashboardApi(store), '/api/rooms': () => [] },
      errors,
    );
    await tab.locator('#dashboard[data-ready="3h"]').waitFor();
    expect(await tab.locator('#widget-live-f1 .empty').textContent()).toBe(
      'No labelled readings yet in the window: labels arrive after the readings they judge.',
    );
    expect(await tab.locator('#widget-drift .empty').textContent()).toMatch(/no training baseline/);
    await tab.screenshot({ path: join(ARTIFACTS, 'live-dashboard-empty.png'), fullPage: true });
    expect(errors).toEqual([]);
    await tab.close();
  });
});

describe('a run the monitor started, rejected in shadow', () => {
  const states = shadowStates(REJECTED_COMPARISON);
  const record = {
    executionArn: `arn:aws:states:us-east-1:1:execution:m:${RUN}`,
    name: RUN,
    stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:m',
    status: 'SUCCEEDED' as const,
    startDate: Date.UTC(2026, 10, 29, 20),
    stopDate: Date.UTC(2026, 10, 29, 21),
    input: EVIDENCE_INPUT,
    output: { outcome: 'shadow-rejected' },
    pid: 1,
    states: states.map(({ error: _error, ...s }) => s),
  };
  const [item] = listRuns([record]);
  if (!item) throw new Error('no run');

  it('lists why it started and its outcome', async () => {
    const errors: string[] = [];
    const tab = await open('runs', '/', { '/api/runs': () => [item] }, errors);
    const row = tab.locator(`#runs tr[data-run="${RUN}"]`);
    await row.waitFor();
    expect(await row.locator('td.trigger').textContent()).toBe(
      'live F1 below the static rule (alarm occupancy-retrain-live-f1-below-static-rule)',
    );
    expect(await row.locator('td.outcome').textContent()).toBe('shadow-rejected');
    await tab.screenshot({ path: join(ARTIFACTS, 'live-runs.png') });
    expect(errors).toEqual([]);
    await tab.close();
  });

  it('shows the shadow comparison plainly: F1 each, ΔF1 and its CI, readings, fail, the endpoint untouched', async () => {
    const view: RunView = {
      run: { ...item, error: null, cause: null },
      graph: stateGraph(SHADOW_DEFINITION),
      stateSummary: Object.fromEntries(summariseStates(states, Date.now())),
      states: states.map((s) => ({ ...s, durationMs: 500, exitedAt: s.exitedAt })),
      phases: foldLoops(states, Date.now()),
      approval: null,
      leaderboard: null,
      deployment: null,
      evaluation: null,
      evaluationError: null,
      shadow: shadowViewOf(states, item.outcome, SHADOW_DEFINITION),
    };
    expect(view.run.trigger).toEqual(runTriggerOf(EVIDENCE_INPUT));
    const errors: string[] = [];
    const tab = await open('run', `/runs/${RUN}`, { [`/api/runs/${RUN}`]: () => view }, errors);
    await tab.locator('#shadow').waitFor();
    expect(await tab.locator('#run-outcome').textContent()).toBe('shadow-rejected');
    expect(await tab.locator('#run-trigger').textContent()).toBe(
      `Started by: live F1 below the static rule (alarm occupancy-retrain-live-f1-below-static-rule) — ${EVIDENCE_INPUT.stateReason}`,
    );
    expect(await tab.locator('#shadow-verdict').textContent()).toBe(
      'Failed: candidate F1 0.688 vs serving 0.742, ΔF1 -0.054 (95% CI -0.091 to -0.019) on 412 paired labelled readings; worse than serving (allowed loss 0.02).',
    );
    expect(await tab.locator('#shadow-rejected').textContent()).toMatch(
      /^Run ended shadow-rejected: .*endpoint was left/,
    );
    const figures = await tab
      .locator('#shadow-figures tr')
      .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-figure'), r.querySelector('td')?.textContent]));
    expect(figures).toEqual([
      ['candidate', '0.688'],
      ['serving', '0.742'],
      ['delta', '-0.054'],
      ['ci', '-0.091 to -0.019'],
      ['paired', '412'],
      ['unpaired', '3'],
      ['loss', '0.02'],
      ['result', 'fail'],
    ]);
    await tab.screenshot({ path: join(ARTIFACTS, 'live-run-shadow-rejected.png'), fullPage: true });
    expect(errors).toEqual([]);
    await tab.close();
  });

  it('while the candidate bakes in shadow, says so', async () => {
    const baking = states.slice(0, 2).map((st) => ({ ...st, exitedAt: undefined, status: 'running' as const }));
    const view: RunView = {
      run: { ...item, status: 'RUNNING', outcome: 'running', currentState: 'BakeShadow', error: null, cause: null },
      graph: stateGraph(SHADOW_DEFINITION),
      stateSummary: {},
      states: [],
      phases: [],
      approval: null,
      leaderboard: null,
      deployment: null,
      evaluation: null,
      evaluationError: null,
      shadow: shadowViewOf(baking, 'running'),
      shadowProgress: shadowProgressOf(baking, 'RUNNING'),
    };
    const errors: string[] = [];
    const tab = await open('run', `/runs/${RUN}`, { [`/api/runs/${RUN}`]: () => view }, errors);
    await tab.locator('#shadow-progress').waitFor();
    expect(await tab.locator('#shadow').getAttribute('data-stage')).toBe('baking');
    expect(await tab.locator('#shadow-progress').textContent()).toMatch(
      /^The candidate answers a copy of live traffic as the shadow variant .* Since /,
    );
    expect(await tab.locator('#shadow-verdict').count()).toBe(0);
    await tab.screenshot({ path: join(ARTIFACTS, 'live-run-shadow-baking.png') });
    expect(errors).toEqual([]);
    await tab.close();
  });
});
