import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildRunReport } from '../../local/commands/report';
import { simulateIntoLake } from '../../local/commands/simulate';
import { type ConsoleServer, startConsole } from '../../local/console';
import { loadLocalConfig } from '../../local/local-config';
import { LocalStack } from '../../local/runtime/local-stack';
import type { StartedExecution } from '../../local/runtime/runner';

/**
 * The console in a real browser: a local run waits for approval, a person opens the approval link, approves with
 * a comment, sees the run deploy and finds its F1 on the dashboard. Screenshots go to test-artifacts/console/.
 */

jest.setTimeout(180_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'console');
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
];

let stateDir: string;
let stack: LocalStack;
let consoleServer: ConsoleServer;
let browser: Browser;
let execution: StartedExecution;
let approveLink: string;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The approve link AwaitApproval sent (the approval record only keeps hashes of its secrets). */
function sentApproveLink(run: string): string | undefined {
  let log = '';
  try {
    log = readFileSync(join(stateDir, 'notifications.ndjson'), 'utf8');
  } catch {
    return undefined;
  }
  const match = new RegExp(`Approve: (\\S+/approval\\?run=${run}&action=approve&token=[A-Za-z0-9_-]+)`).exec(log);
  return match?.[1];
}

async function newPage(errors: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return page;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  stateDir = mkdtempSync(join(tmpdir(), 'console-'));
  simulateIntoLake(stateDir, 4, 10, 1);
  writeFileSync(
    join(stateDir, 'config.json'),
    JSON.stringify({
      autoML: { maxCandidates: 3, maxRuntimePerTrainingJobSeconds: 600, maxJobRuntimeSeconds: 1000 },
      canary: { sizePercent: 20, waitIntervalSeconds: 300, terminationWaitSeconds: 60 },
    }),
  );
  stack = await LocalStack.start({ stateDir, config: loadLocalConfig(stateDir), timeScale: 0.01 });
  consoleServer = await startConsole(stack, { port: 0 });
  stack.approvalBaseUrl = consoleServer.url;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  execution = stack.startExecution();
  await until('the run to wait for approval', async () =>
    (await stack.approvals.get(execution.name))?.status === 'pending' ? true : undefined,
  );
  approveLink = await until('the approval notification', () => sentApproveLink(execution.name));
});

afterAll(async () => {
  await browser?.close();
  await consoleServer?.close();
  await stack?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('the console', () => {
  it('refuses a guessed approval token, on the page and on POST', async () => {
    const guessed = approveLink.replace(/token=[^&]+/, `token=${'x'.repeat(43)}`);
    const errors: string[] = [];
    const page = await newPage(errors);
    const response = await page.goto(guessed);
    expect(response?.status()).toBe(403);
    expect(await page.locator('#approve-button').count()).toBe(0);
    // A forged POST from the console's own origin with the CSRF cookie still needs the run's secret.
    const status = await page.evaluate(async (run) => {
      const res = await fetch('/approval', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ run, action: 'approve', token: 'y'.repeat(43), csrf: 'z'.repeat(32) }),
      });
      return res.status;
    }, execution.name);
    expect(status).toBe(403);
    expect((await stack.approvals.get(execution.name))?.status).toBe('pending');
    await page.close();
  });

  it('refuses a cross-site POST even with the right secret', async () => {
    const token = new URL(approveLink).searchParams.get('token') ?? '';
    const res = await fetch(`${consoleServer.url}/approval`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://evil.example' },
      body: new URLSearchParams({ run: execution.name, action: 'approve', token, csrf: 'z'.repeat(32) }),
    });
    expect(res.status).toBe(403);
    const noCookie = await fetch(`${consoleServer.url}/approval`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ run: execution.name, action: 'approve', token, csrf: 'z'.repeat(32) }),
    });
    expect(noCookie.status).toBe(403);
    expect((await stack.approvals.get(execution.name))?.status).toBe('pending');
  });

  it('approves from the approval link, shows the run deployed, its evaluation and its F1 on the dashboard', async () => {
    const errors: string[] = [];
    const page = await newPage(errors);
    await page.goto(approveLink);
    await page
      .locator('#evaluation #metrics')
      .waitFor()
      .catch(async (error: unknown) => {
        await page.screenshot({ path: join(ARTIFACTS, 'approval-failed.png'), fullPage: true });
        throw new Error(`no evaluation on the approval page; page errors: ${errors.join(' | ')}`, { cause: error });
      });
    await page.locator('svg#state-graph g[data-state="AwaitApproval"][data-status="running"]').waitFor();
    expect(await page.locator('#evaluation canvas').count()).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: join(ARTIFACTS, 'awaiting-approval.png'), fullPage: true });
    await page.screenshot({ path: '/tmp/h6-awaiting-approval.png' });

    await page.locator('#comment').fill('F1 looks good');
    await page.locator('#approve-button').click();
    await page.locator('#approval-result', { hasText: 'approved' }).waitFor();
    await execution.done;
    await page.locator('#run-outcome', { hasText: 'deployed' }).waitFor({ timeout: 30_000 });
    await page.locator('svg#state-graph g[data-state="Done"][data-status="succeeded"]').waitFor();
    expect((await stack.approvals.get(execution.name))?.status).toBe('approved');
    expect(await page.locator('#approval-status').textContent()).toContain('F1 looks good');
    await page.screenshot({ path: join(ARTIFACTS, 'run-deployed.png') });

    const candidateF1 = (await page.locator('#metrics tr[data-model="candidate"] td.f1').textContent()) ?? '';
    expect(candidateF1).toMatch(/^0\.\d{3}$/);

    await page.goto(`${consoleServer.url}/`);
    const row = page.locator(`#runs tr[data-run="${execution.name}"]`);
    await row.locator('td.outcome', { hasText: 'deployed' }).waitFor();

    await page.goto(`${consoleServer.url}/dashboard`);
    const latest = page.locator('#widget-f1 tr[data-series="CandidateF1"] td.latest-value');
    await latest.filter({ hasText: candidateF1 }).waitFor();
    expect(await page.locator('#widget-f1 canvas').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    await page.goto(`${consoleServer.url}/endpoints`);
    await page.locator('.endpoint .events td', { hasText: 'InService' }).first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'endpoint.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a used approval link with the decision, who made it, when, the comment, and no buttons', async () => {
    const errors: string[] = [];
    const page = await newPage(errors);
    const response = await page.goto(approveLink);
    expect(response?.status()).toBe(200);
    const closed = page.locator('#approval-closed');
    await closed.waitFor();
    expect(await closed.textContent()).toContain('This run was already approved by console');
    expect(await page.locator('#approval .decision-decision').textContent()).toBe('approved');
    expect(await page.locator('#approval .decision-comment').textContent()).toBe('F1 looks good');
    expect(await page.locator('#approval .decision-when').textContent()).not.toBe('');
    expect(await page.locator('#approval button, #approve-button, #reject-button, #comment').count()).toBe(0);
    await page.screenshot({ path: '/tmp/h6-used-link.png' });
    await page.screenshot({ path: join(ARTIFACTS, 'used-approval-link.png') });
    expect(errors).toEqual([]);
    // Posting anyway, from the console's own origin with the link's secret: 409 with the decision.
    const token = new URL(approveLink).searchParams.get('token') ?? '';
    const answer = await page.evaluate(
      async ({ run, token }) => {
        const res = await fetch('/approval', {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ run, action: 'reject', token, csrf: 'x' }),
        });
        return { status: res.status, body: (await res.json()) as { message?: string } };
      },
      { run: execution.name, token },
    );
    expect(answer.status).toBe(409);
    expect(answer.body.message).toContain('already approved');
    expect((await stack.approvals.get(execution.name))?.status).toBe('approved');
    await page.close();
  });

  it('writes a static report that draws its charts from a file, with no server', async () => {
    const path = join(ARTIFACTS, 'report.html');
    writeFileSync(path, await buildRunReport(stateDir, execution.name, { pipeline: stack.pipeline }));
    const errors: string[] = [];
    const page = await newPage(errors);
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(`file://${path}`);
    await page.locator('#evaluation #metrics').waitFor();
    expect(await page.locator('#evaluation canvas').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#run-outcome').textContent()).toBe('deployed');
    expect(await page.locator('svg#state-graph g[data-status="succeeded"]').count()).toBeGreaterThan(10);
    await page.screenshot({ path: join(ARTIFACTS, 'report.png') });
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
