import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { METRICS_NAMESPACE, PipelineMetrics } from '../../pipeline/state-names';
import { decide } from '../../tasks/approval';
import { BrokerTaskCallback } from '../adapters/approvals';
import type { LocalStack } from '../runtime/local-stack';
import {
  allowedDecisions,
  CSRF_COOKIE,
  cookieValue,
  csrfMatches,
  decidedByWithComment,
  newCsrfToken,
} from './approval';
import { clientAssets, pageHtml } from './assets';
import { dashboardView, endpointsView, listRuns, RunViews } from './data';
import { roomOccupancyView } from './rooms';

/**
 * The local console: runs, a run's state graph and evaluation, approval, the endpoint and the dashboard.
 * Served on loopback only; pages render JSON views from /api/* and poll them for live updates.
 */

export interface ConsoleServer {
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      }
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': type, ...SECURITY_HEADERS, ...headers }).end(body);
}

const json = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
const html = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) =>
  send(res, status, 'text/html; charset=utf-8', body, headers);

export async function startConsole(
  stack: LocalStack,
  opts: { port?: number; host?: string } = {},
): Promise<ConsoleServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
    throw new Error(`The console listens on loopback only, not on "${host}"`);
  }
  clientAssets(); // bundle now: a build error shows at start, not on the first page view
  const runs = new RunViews({
    executions: stack.executions,
    store: stack.store,
    approvals: stack.approvals,
    definition: stack.pipeline.definition,
  });
  const endpointName = stack.options.config.endpointName;
  const approvalDeps = {
    store: stack.approvals,
    callback: new BrokerTaskCallback(stack.broker),
    // What the approval-callback Lambda publishes on AWS (the dashboard's "Approvals: wait" widget).
    onDecided: (d: { status: string; via: string; waitedSeconds: number }) =>
      stack.metrics.putMetricData({
        Namespace: METRICS_NAMESPACE,
        MetricData: [
          {
            MetricName: PipelineMetrics.ApprovalWaitSeconds,
            Value: d.waitedSeconds,
            Unit: 'Seconds',
            Dimensions: [
              { Name: 'service', Value: 'approval-callback' },
              { Name: 'Decision', Value: d.status },
              { Name: 'Via', Value: d.via },
            ],
          },
        ],
      }),
  };
  let origin = '';
  let allowedHosts = new Set<string>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Loopback is not enough against DNS rebinding: only our own host names are served.
    if (!allowedHosts.has(req.headers.host ?? '')) {
      send(res, 421, 'text/plain', 'unknown host');
      return;
    }
    const url = new URL(req.url ?? '/', origin);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'POST' && path === '/approval') {
      await postApproval(req, res);
      return;
    }
    if (method !== 'GET') {
      send(res, 405, 'text/plain', 'method not allowed');
      return;
    }
    if (path === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
    if (path === '/assets/app.js') return send(res, 200, 'text/javascript; charset=utf-8', clientAssets().js);
    if (path === '/assets/app.css') return send(res, 200, 'text/css; charset=utf-8', clientAssets().css);
    if (path === '/') return html(res, 200, pageHtml('occupancy: runs', { mode: 'live', page: 'runs' }));
    if (path === '/endpoints')
      return html(res, 200, pageHtml('occupancy: endpoint', { mode: 'live', page: 'endpoints' }));
    if (path === '/dashboard')
      return html(res, 200, pageHtml('occupancy: dashboard', { mode: 'live', page: 'dashboard' }));
    const runPage = /^\/runs\/([A-Za-z0-9_-]{1,80})$/.exec(path);
    if (runPage?.[1])
      return html(res, 200, pageHtml(`occupancy: ${runPage[1]}`, { mode: 'live', page: 'run', run: runPage[1] }));
    if (path === '/approval') return getApproval(url, res);
    if (path === '/api/runs') return json(res, 200, listRuns(stack.executions));
    const runApi = /^\/api\/runs\/([A-Za-z0-9_-]{1,80})$/.exec(path);
    if (runApi?.[1]) {
      const view = await runs.get(runApi[1]);
      return view ? json(res, 200, view) : json(res, 404, { message: 'no such run' });
    }
    if (path === '/api/endpoints') return json(res, 200, endpointsView(stack.hosting));
    if (path === '/api/rooms') return json(res, 200, roomOccupancyView(stack.liveShadows?.() ?? [], Date.now()));
    if (path === '/api/dashboard') {
      const minutes = Math.min(60 * 24 * 15, Math.max(5, Number(url.searchParams.get('minutes')) || 180));
      const end = Date.now() + 1000;
      return json(
        res,
        200,
        dashboardView(
          stack.metrics,
          stack.executions,
          { endpointName, stateMachineArn: stack.pipeline.stateMachineArn },
          // ~90 buckets over the window: local runs are minutes apart, not days.
          { start: end - minutes * 60_000, end, periodSeconds: Math.max(10, Math.round((minutes * 60) / 90)) },
        ),
      );
    }
    send(res, 404, 'text/plain', 'not found');
  };

  /** The approval link opens the run page with Approve / Reject, if its secret is valid. */
  const getApproval = async (url: URL, res: ServerResponse): Promise<void> => {
    const run = url.searchParams.get('run') ?? '';
    const token = url.searchParams.get('token') ?? '';
    const record = /^[A-Za-z0-9_-]{1,80}$/.test(run) ? await stack.approvals.get(run) : undefined;
    const actions = record ? allowedDecisions(record, token) : [];
    if (!record || actions.length === 0) {
      html(
        res,
        403,
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Link not valid</title></head><body><h1>Link not valid</h1><p>This approval link is not valid.</p></body></html>',
      );
      return;
    }
    const csrf = newCsrfToken();
    html(
      res,
      200,
      pageHtml(`occupancy: approve ${run}?`, { mode: 'live', page: 'run', run, approval: { token, csrf, actions } }),
      {
        'Set-Cookie': `${CSRF_COOKIE}=${csrf}; Path=/approval; HttpOnly; SameSite=Strict`,
      },
    );
  };

  const postApproval = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestOrigin = req.headers.origin;
    if (requestOrigin !== undefined && requestOrigin !== `http://${req.headers.host}`) {
      json(res, 403, { outcome: 'forbidden', message: 'cross-site request refused' });
      return;
    }
    const form = new URLSearchParams(await readBody(req));
    const run = form.get('run') ?? '';
    const action = form.get('action');
    const record = /^[A-Za-z0-9_-]{1,80}$/.test(run) ? await stack.approvals.get(run) : undefined;
    // Unknown run and wrong secret answer alike: the console reveals nothing about which runs exist.
    if (
      !record ||
      (action !== 'approve' && action !== 'reject') ||
      !allowedDecisions(record, form.get('token') ?? '').includes(action)
    ) {
      json(res, 403, { outcome: 'forbidden', message: 'this approval token is not valid for this run' });
      return;
    }
    if (!csrfMatches(form.get('csrf') ?? undefined, cookieValue(req.headers.cookie, CSRF_COOKIE))) {
      json(res, 403, { outcome: 'forbidden', message: 'missing or stale form token: reopen the approval link' });
      return;
    }
    const outcome = await decide(record, action, 'link', decidedByWithComment(form.get('comment') ?? ''), approvalDeps);
    const answers: Record<string, [number, string]> = {
      approved: [200, 'approved: the pipeline deploys the model with a canary'],
      rejected: [200, 'rejected: the serving model stays as it is'],
      'already-decided': [409, 'this run was already decided'],
      expired: [410, 'this approval request has expired'],
    };
    const [status, message] = answers[outcome] ?? [403, 'not allowed'];
    json(res, status, { outcome, message });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', error instanceof Error ? error.message : 'error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 0);
  const urlHost = host === '::1' ? '[::1]' : host;
  origin = `http://${urlHost}:${port}`;
  allowedHosts = new Set([`${urlHost}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
  return {
    url: origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
