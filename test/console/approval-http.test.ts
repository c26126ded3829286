import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConsoleServer, startConsole } from '../../local/console';
import { CSRF_TTL_MS } from '../../local/console/csrf';
import { loadLocalConfig } from '../../local/local-config';
import { LocalStack } from '../../local/runtime/local-stack';
import type { TaskOutcome } from '../../local/runtime/task-tokens';
import { sha256Hex } from '../../tasks/approval';
import type { ApprovalRecord } from '../../tasks/ports/approval-store';

/**
 * The approval endpoints of a real console server over HTTP: server-issued CSRF tokens, the body limit, and a
 * link that is single use. Approval records are put in the local store with known link secrets, and the task
 * token each one answers is registered with the real task-token broker, as AwaitApproval does.
 */

let stateDir: string;
let stack: LocalStack;
let consoleServer: ConsoleServer;
let clock = Date.now();
const waits = new AbortController();

const approveSecret = (run: string) => `approve-${run}-0123456789abcdef`;
const rejectSecret = (run: string) => `reject-${run}-0123456789abcdef`;

/** A run waiting for approval: its record, and the answer its task token receives. */
async function waitingRun(
  run: string,
  overrides: Partial<ApprovalRecord> = {},
): Promise<{ answered: Promise<TaskOutcome> }> {
  const record: ApprovalRecord = {
    runId: run,
    taskToken: `task-token-${run}`,
    executionArn: `arn:aws:states:local:000000000000:execution:occupancy:${run}`,
    modelPackageArn: `arn:aws:sagemaker:local:000000000000:model-package/occupancy/${run}`,
    approveSecretHash: sha256Hex(approveSecret(run)),
    rejectSecretHash: sha256Hex(rejectSecret(run)),
    createdAt: clock,
    expiresAt: Math.floor(clock / 1000) + 3600,
    status: 'pending',
    ...overrides,
  };
  await stack.approvals.put(record);
  const answered = stack.broker.wait(record.taskToken, { runId: run }, 50, waits.signal);
  answered.catch(() => undefined); // rejected when the test ends (aborted)
  return { answered }; // wrapped: an async function would wait for a returned promise
}

interface ApprovalPage {
  status: number;
  cookie: string | undefined;
  boot: { approval?: Record<string, unknown> } | undefined;
}

async function openLink(run: string, token: string, cookie?: string): Promise<ApprovalPage> {
  const res = await fetch(`${consoleServer.url}/approval?run=${run}&action=approve&token=${token}`, {
    headers: cookie ? { Cookie: cookie } : {},
  });
  const body = await res.text();
  const boot = /<script type="application\/json" id="boot">(.*?)<\/script>/.exec(body)?.[1];
  return {
    status: res.status,
    cookie: res.headers.get('set-cookie')?.split(';')[0],
    boot: boot ? (JSON.parse(boot) as ApprovalPage['boot']) : undefined,
  };
}

/** The form token and session cookie of a page opened from a run's approve link. */
async function form(run: string, cookie?: string): Promise<{ csrf: string; cookie: string }> {
  const page = await openLink(run, approveSecret(run), cookie);
  expect(page.status).toBe(200);
  expect(page.boot?.approval).toMatchObject({ open: true, actions: ['approve', 'reject'] });
  return { csrf: String(page.boot?.approval?.csrf), cookie: page.cookie ?? cookie ?? '' };
}

async function post(
  fields: Record<string, string>,
  cookie: string | undefined,
): Promise<{ status: number; outcome?: string; message?: string }> {
  const res = await fetch(`${consoleServer.url}/approval`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams(fields),
  });
  return { status: res.status, ...((await res.json()) as { outcome?: string; message?: string }) };
}

const decision = (run: string, csrf: string, extra: Record<string, string> = {}) => ({
  run,
  action: 'approve',
  token: approveSecret(run),
  csrf,
  ...extra,
});

/** A raw request, so the test sees exactly what the server answers to a body it did not want. */
function rawPost(
  body: Buffer,
  chunked: boolean,
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const url = new URL('/approval', consoleServer.url);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          ...(chunked ? {} : { 'Content-Length': String(body.length) }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    if (chunked) {
      for (let at = 0; at < body.length; at += 1024) req.write(body.subarray(at, at + 1024));
    } else {
      req.write(body);
    }
    req.end();
  });
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'console-http-'));
  stack = await LocalStack.start({ stateDir, config: loadLocalConfig(stateDir), timeScale: 0.01 });
  consoleServer = await startConsole(stack, { port: 0, now: () => clock });
});

afterAll(async () => {
  waits.abort();
  await consoleServer?.close();
  await stack?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('the approval form token', () => {
  it('refuses a made-up session cookie with a matching form field, even with the right link secret', async () => {
    await waitingRun('forged');
    const madeUp = 'A'.repeat(24);
    for (const [cookie, csrf] of [
      [`occupancy_session=${madeUp}`, madeUp],
      [`occupancy_session=${madeUp}.${'B'.repeat(43)}`, `${'1'.repeat(8)}.${'B'.repeat(43)}`],
      [`occupancy_csrf=${madeUp}`, madeUp],
      [undefined, madeUp],
    ] as const) {
      const answer = await post(decision('forged', csrf), cookie);
      expect(answer).toMatchObject({ status: 403, outcome: 'forbidden' });
      expect(answer.message).toContain('reopen the approval link');
    }
    expect((await stack.approvals.get('forged'))?.status).toBe('pending');
  });

  it('accepts the token the server issued once, then answers 409 with the decision', async () => {
    const { answered } = await waitingRun('valid');
    const { csrf, cookie } = await form('valid');
    expect(cookie).toMatch(/^occupancy_session=/);
    const first = await post(decision('valid', csrf, { comment: 'F1 looks good' }), cookie);
    expect(first).toMatchObject({ status: 200, outcome: 'approved' });
    const outcome = await answered;
    expect(outcome).toMatchObject({ kind: 'success', output: { approved: true, decidedBy: 'console: F1 looks good' } });

    const again = await post(decision('valid', csrf), cookie);
    expect(again).toMatchObject({ status: 409, outcome: 'approved' });
    expect(again.message).toContain('already approved by console');
    expect(again.message).toContain('F1 looks good');
    const rejectAfter = await post(
      { run: 'valid', action: 'reject', token: rejectSecret('valid'), csrf, comment: '' },
      cookie,
    );
    expect(rejectAfter.status).toBe(409);
    expect((await stack.approvals.get('valid'))?.status).toBe('approved');
  });

  it('refuses a token issued for another link or another browser session', async () => {
    await waitingRun('link-a');
    await waitingRun('link-b');
    const a = await form('link-a');
    const b = await form('link-b', a.cookie);
    expect(b.cookie).toBe(a.cookie); // one session per browser: a's page stays valid
    expect(await post(decision('link-b', a.csrf), a.cookie)).toMatchObject({ status: 403 });
    const rejectLink = { run: 'link-a', action: 'reject', token: rejectSecret('link-a'), csrf: a.csrf };
    expect(await post(rejectLink, a.cookie)).toMatchObject({ status: 403 });
    const other = await form('link-a');
    expect(other.cookie).not.toBe(a.cookie);
    expect(await post(decision('link-a', a.csrf), other.cookie)).toMatchObject({ status: 403 });
    expect((await stack.approvals.get('link-a'))?.status).toBe('pending');
    expect((await stack.approvals.get('link-b'))?.status).toBe('pending');
    expect(await post(decision('link-b', b.csrf), b.cookie)).toMatchObject({ status: 200, outcome: 'approved' });
  });

  it('refuses an expired token, and the reopened link issues one that works', async () => {
    await waitingRun('stale', { expiresAt: Math.floor(clock / 1000) + 24 * 3600 });
    const { csrf, cookie } = await form('stale');
    clock += CSRF_TTL_MS + 1000;
    const stale = await post(decision('stale', csrf), cookie);
    expect(stale).toMatchObject({ status: 403, message: 'this approval page has expired: reopen the approval link' });
    const fresh = await form('stale', cookie);
    expect(await post(decision('stale', fresh.csrf, { action: 'reject' }), cookie)).toMatchObject({
      status: 200,
      outcome: 'rejected',
    });
  });

  it('keeps refusing a cross-site POST', async () => {
    await waitingRun('cross-site');
    const { csrf, cookie } = await form('cross-site');
    const res = await fetch(`${consoleServer.url}/approval`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://evil.example', Cookie: cookie },
      body: new URLSearchParams(decision('cross-site', csrf)),
    });
    expect(res.status).toBe(403);
    expect((await stack.approvals.get('cross-site'))?.status).toBe('pending');
  });
});

describe('a closed approval link', () => {
  it('shows the decision, who made it, and its comment, with no form, and no new session', async () => {
    await waitingRun('shown');
    const { csrf, cookie } = await form('shown');
    await post(decision('shown', csrf, { comment: 'ship it' }), cookie);
    for (const secret of [approveSecret('shown'), rejectSecret('shown')]) {
      const page = await openLink('shown', secret);
      expect(page.status).toBe(200);
      expect(page.cookie).toBeUndefined();
      expect(page.boot?.approval).toMatchObject({ open: false, status: 'approved', decidedBy: 'console' });
      expect(page.boot?.approval?.comment).toBe('ship it');
      expect(page.boot?.approval?.decidedAt).toEqual(expect.any(Number));
      expect(page.boot?.approval).not.toHaveProperty('csrf');
      expect(page.boot?.approval).not.toHaveProperty('actions');
    }
    expect((await openLink('shown', 'x'.repeat(30))).status).toBe(403);
  });

  it('shows an expired request as expired and answers a POST with 409', async () => {
    await waitingRun('too-late', { expiresAt: Math.floor(clock / 1000) - 60 });
    const page = await openLink('too-late', approveSecret('too-late'));
    expect(page.boot?.approval).toMatchObject({ open: false, status: 'expired' });
    const answer = await post(decision('too-late', 'anything'), undefined);
    expect(answer).toMatchObject({ status: 409, outcome: 'expired' });
    expect(answer.message).toContain('expired');
  });

  it('shows why a request was withdrawn and answers a POST with 409 naming the reason', async () => {
    const reason = 'the run was interrupted: its process is gone';
    await waitingRun('withdrawn');
    const record = await stack.approvals.get('withdrawn');
    if (!record) throw new Error('no record');
    await stack.approvals.put({
      ...record,
      status: 'withdrawn',
      ...{ decidedBy: 'crash-recovery', withdrawnAt: clock, withdrawnReason: reason },
    });
    const page = await openLink('withdrawn', approveSecret('withdrawn'));
    expect(page.boot?.approval).toMatchObject({ open: false, status: 'withdrawn', reason });
    const answer = await post(decision('withdrawn', 'anything'), undefined);
    expect(answer).toMatchObject({ status: 409, outcome: 'withdrawn' });
    expect(answer.message).toContain(reason);
  });
});

describe('request limits', () => {
  const big = Buffer.from(`run=limits&action=approve&comment=${'x'.repeat(20 * 1024)}`);

  it('answers a 20 KB form with 413, with or without Content-Length, and the record stays pending', async () => {
    await waitingRun('limits');
    for (const chunked of [false, true]) {
      const answer = await rawPost(big, chunked);
      expect(answer.status).toBe(413);
      expect(answer.headers.connection).toBe('close');
      expect(answer.text).toBe('Payload too large: the decision form is at most 8192 bytes.\n');
    }
    const viaFetch = await fetch(`${consoleServer.url}/approval`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: big,
    });
    expect(viaFetch.status).toBe(413);
    expect((await stack.approvals.get('limits'))?.status).toBe('pending');
  });

  it('still answers 413 for a chunked body too large to drain, and keeps serving', async () => {
    const answer = await rawPost(Buffer.alloc(3 * 1024 * 1024, 'a'), true).catch((error: unknown) => error);
    // The server closes the connection once the answer is written; the client may see it or the reset.
    if (!(answer instanceof Error)) expect(answer).toMatchObject({ status: 413 });
    expect((await fetch(`${consoleServer.url}/api/runs`)).status).toBe(200);
  });

  it('refuses a comment over 500 characters by name, and a request that is not a form', async () => {
    await waitingRun('wordy');
    const { csrf, cookie } = await form('wordy');
    const answer = await post(decision('wordy', csrf, { comment: 'y'.repeat(501) }), cookie);
    expect(answer).toMatchObject({ status: 400, message: 'comment: comment must be at most 500 characters' });
    const asJson = await fetch(`${consoleServer.url}/approval`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: cookie },
      body: JSON.stringify(decision('wordy', csrf)),
    });
    expect(asJson.status).toBe(415);
    expect((await stack.approvals.get('wordy'))?.status).toBe('pending');
  });

  it('answers 431 to oversized headers and 414 to an oversized address', async () => {
    const headers = await fetch(`${consoleServer.url}/`, { headers: { 'X-Padding': 'p'.repeat(10 * 1024) } });
    expect(headers.status).toBe(431);
    const address = await fetch(`${consoleServer.url}/approval?run=x&token=${'t'.repeat(3000)}`);
    expect(address.status).toBe(414);
  });
});

describe('the runs list', () => {
  it('shows a run whose process died in another terminal as interrupted, not RUNNING', async () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    stack.executions.save({
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:occupancy-retraining:killed-elsewhere',
      name: 'killed-elsewhere',
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:occupancy-retraining',
      status: 'RUNNING',
      startDate: Date.now() - 60_000,
      input: {},
      pid: gone,
      states: [{ name: 'WaitAutoML', type: 'Wait', status: 'running', enteredAt: Date.now() - 1000 }],
    });
    const runs = (await (await fetch(`${consoleServer.url}/api/runs`)).json()) as Array<{
      name: string;
      status: string;
    }>;
    expect(runs.find((r) => r.name === 'killed-elsewhere')?.status).toBe('FAILED');
    expect(stack.executions.get('killed-elsewhere')?.error).toBe('Local.Interrupted');
  });
});
