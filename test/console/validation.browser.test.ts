import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { clientAssets, pageHtml } from '../../local/console/assets';
import type { RunView } from '../../local/console/data';
import { buildEvaluationView } from '../../local/console/evaluation-view';
import { stateGraph } from '../../local/console/graph';
import { type AutoMLSource, leaderboardOf } from '../../local/console/run-extras';
import { candidateFixture, ensembleJobFixture, UNSEPARABLE_VALIDATION } from './fixtures';

/**
 * The run page of a job whose validation could not rank its candidates and whose winner is an ensemble, in a real
 * browser: the page is served from fixtures (no pipeline run), so the engine's report fields are exercised whether
 * or not a local search produces them. Screenshots go to test-artifacts/.
 */

jest.setTimeout(60_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const ORIGIN = 'http://console.test';
const RUN = 'run-ensemble';

let browser: Browser;

/** A run waiting for approval, its AutoML job read from `automl`. */
function runView(automl: AutoMLSource): RunView {
  const y = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const probability = y.map((label, i) => (label ? 0.6 + (i % 7) * 0.05 : 0.1 + (i % 5) * 0.08));
  const predicted = probability.map((p) => (p >= 0.5 ? 1 : 0));
  const rule = y.map((label, i) => (i % 10 === 0 ? 1 - label : label));
  return {
    run: {
      name: RUN,
      status: 'RUNNING',
      outcome: 'awaiting-approval',
      startDate: Date.UTC(2026, 10, 29, 20),
      stopDate: null,
      durationSeconds: 42,
      currentState: 'AwaitApproval',
      candidateF1: 1,
      error: null,
      cause: null,
    },
    graph: stateGraph({ StartAt: 'AwaitApproval', States: { AwaitApproval: { Type: 'Task', End: true } } }),
    stateSummary: {},
    states: [],
    phases: [],
    approval: null,
    leaderboard: leaderboardOf('job-ensemble', automl),
    deployment: null,
    evaluation: buildEvaluationView({
      runId: RUN,
      y,
      models: [
        { name: 'candidate', role: 'candidate', description: 'ensemble-1', predicted, probability },
        { name: 'light threshold', role: 'baseline', description: 'light > 400', predicted: rule },
      ],
      decision: 'promote',
      summary: 'the candidate beats the baseline',
      reasons: [],
      comparisons: [
        {
          against: 'light threshold',
          candidateF1: 1,
          otherF1: 0.86,
          delta: 0.14,
          lower: 0.09,
          upper: 0.19,
          passed: true,
        },
      ],
      resamples: 100,
    }),
    evaluationError: null,
  };
}

/** Serves the live run page (opened from an approval link) and its JSON view from `view`, with no server. */
async function openRunPage(view: RunView, errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  const html = pageHtml(`occupancy: ${RUN}`, {
    mode: 'live',
    page: 'run',
    run: RUN,
    approval: { open: true, token: 't'.repeat(43), csrf: 'c'.repeat(32), actions: ['approve', 'reject'] },
  });
  await page.route(`${ORIGIN}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    const assets = clientAssets();
    if (path === `/runs/${RUN}`) return route.fulfill({ contentType: 'text/html', body: html });
    if (path === '/assets/app.js') return route.fulfill({ contentType: 'text/javascript', body: assets.js });
    if (path === '/assets/app.css') return route.fulfill({ contentType: 'text/css', body: assets.css });
    if (path === `/api/runs/${RUN}`) return route.fulfill({ contentType: 'application/json', json: view });
    return route.fulfill({ status: 404, body: 'not found' });
  });
  await page.goto(`${ORIGIN}/runs/${RUN}`);
  return page;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
});

describe('the run page of a job with a validation report and an ensemble winner', () => {
  it('shows the statement, the folds, feature stability, robust values and the ensemble’s members', async () => {
    const errors: string[] = [];
    const page = await openRunPage(runView(ensembleJobFixture()), errors);
    await page.locator('#validation').waitFor();
    // The statement leads, above the leaderboard, and is visible.
    const statement = page.locator('#validation-statement');
    expect(await statement.isVisible()).toBe(true);
    expect(await statement.textContent()).toBe(`Not separable: ${UNSEPARABLE_VALIDATION.statement}`);
    const statementBox = await statement.boundingBox();
    const tableBox = await page.locator('#leaderboard').boundingBox();
    expect(statementBox && tableBox && statementBox.y < tableBox.y).toBe(true);
    // The folds with their rows and positives.
    expect(await page.locator('#folds tr[data-fold]').count()).toBe(2);
    expect(await page.locator('#folds tr[data-fold="2"] td').allTextContents()).toEqual(['2', '5,000', '1,000', '280']);
    // Stability: least stable first, the drifting feature marked.
    const features = await page
      .locator('#stability tr[data-feature]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-feature')));
    expect(features).toEqual(['light', 'sound', 'co2_slope']);
    expect(await page.locator('#stability tr.drifting td').allTextContents()).toEqual([
      'light',
      '0.610',
      '0.420',
      'level',
      '⚠ drifting',
    ]);
    // The leaderboard: the ensemble chosen, its members and weights, robust values, drift read.
    const winner = page.locator('#leaderboard tr.winner');
    expect(await winner.getAttribute('data-candidate')).toBe('ensemble-1');
    expect(await winner.locator('td.members').textContent()).toBe('sound·gbt 0.55, co2·logistic 0.45');
    expect(await winner.locator('td.robust').textContent()).toBe('0.935');
    expect(await winner.textContent()).toContain('0.93 · 0.95');
    expect(await page.locator('#leaderboard tr[data-candidate="light-logistic"] td.drifting').textContent()).toBe(
      'light',
    );
    expect(await page.locator('#leaderboard tr[data-candidate="sound-gbt"]').textContent()).toContain(
      'member of the chosen ensemble (weight 0.55)',
    );
    expect(await page.locator('#leaderboard-summary').textContent()).toBe(
      'Job job-ensemble chose ensemble-1: an ensemble of 2 candidates (sound·gbt 0.55, co2·logistic 0.45), decision threshold 0.50.',
    );
    // The approval panel names the members and the statement the decision rests on.
    await page.locator('#approval-members').waitFor();
    expect(await page.locator('#approval-model').textContent()).toBe(
      'ensemble of 2 candidates (ensemble-1), decision threshold 0.50',
    );
    expect(await page.locator('#approval-members').textContent()).toBe('sound·gbt 0.55, co2·logistic 0.45');
    expect(await page.locator('#approval-validation').textContent()).toBe(UNSEPARABLE_VALIDATION.statement);
    await page.locator('#automl').screenshot({ path: join(ARTIFACTS, 'run-validation.png') });
    await page.locator('#approval').screenshot({ path: join(ARTIFACTS, 'approval-ensemble.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('renders an older job (no validation report, no ensemble) as before: no validation block, no empty columns', async () => {
    const errors: string[] = [];
    const older: AutoMLSource = {
      listCandidates: () => [
        candidateFixture('c1', 0.9),
        candidateFixture('t', 0.7, { isBaseline: true, family: 'threshold' }),
      ],
      describe: () => ({ BestCandidate: { CandidateName: 'c1' } }),
    };
    const page = await openRunPage(runView(older), errors);
    await page.locator('#leaderboard').waitFor();
    expect(await page.locator('#validation').count()).toBe(0);
    const headers = await page.locator('#leaderboard th').allTextContents();
    expect(headers).not.toContain('Members (weight)');
    expect(headers).not.toContain('Robust');
    expect(headers).not.toContain('Reads drifting');
    expect(await page.locator('#leaderboard-summary').textContent()).toBe(
      'Job job-ensemble chose c1: gbt on the all feature set (2 features, decision threshold 0.50).',
    );
    await page.locator('#approval-model').waitFor();
    expect(await page.locator('#approval-members, #approval-validation').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
