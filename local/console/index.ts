import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  approvalWaitDimensions,
  datumDimensions,
  METRICS_NAMESPACE,
  PipelineMetrics,
} from '../../observability/metrics';
import { BrokerTaskCallback } from '../adapters/approvals';
import { recoverInterruptedRuns } from '../runtime/crash-recovery';
import type { LocalStack } from '../runtime/local-stack';
import { approvalRoutes } from './approval-routes';
import { clientAssets, pageHtml } from './assets';
import { CsrfTokens } from './csrf';
import { DASHBOARD_WINDOWS, type DashboardResponse, parseWindowName } from './dashboard';
import { dashboardView, endpointsView, listRuns, RunViews } from './data';
import { html, json, send, text } from './http';
import { roomOccupancyView } from './rooms';
import { sensorsView } from './sensors';

/**
 * The local console: runs, a run's state graph and evaluation, approval, the endpoint and the dashboard.
 * Served on loopback only; pages render JSON views from /api/* and poll them for live updates.
 */

export interface ConsoleServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Limits on what a request may send before the console reads it (node answers 431 past the header limit). */
const MAX_HEADER_BYTES = 8 * 1024;
const MAX_URL_CHARS = 2048;

export interface ConsoleOptions {
  readonly port?: number;
  readonly host?: string;
  /** The clock approval expiry and form tokens are checked against (tests move it). */
  readonly now?: () => number;
  /** How long an approval page's form token stays valid. */
  readonly csrfTtlMs?: number;
}

export async function startConsole(stack: LocalStack, opts: ConsoleOptions = {}): Promise<ConsoleServer> {
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
    automl: stack.automl,
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
            Dimensions: datumDimensions(approvalWaitDimensions(d.status, d.via)),
          },
        ],
      }),
  };
  const now = opts.now ?? Date.now;
  const approval = approvalRoutes({
    approvals: stack.approvals,
    runStatus: (run) => {
      try {
        return stack.executions.get(run)?.status;
      } catch {
        return undefined; // an unreadable execution record does not decide an approval either way
      }
    },
    decideDeps: approvalDeps,
    csrf: new CsrfTokens(opts.csrfTtlMs, now),
    now,
  });
  let origin = '';
  let allowedHosts = new Set<string>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // Loopback is not enough against DNS rebinding: only our own host names are served.
    if (!allowedHosts.has(req.headers.host ?? '')) {
      text(res, 421, 'unknown host');
      return;
    }
    if ((req.url ?? '').length > MAX_URL_CHARS) {
      text(res, 414, `URI too long: the console's addresses are under ${MAX_URL_CHARS} characters.`);
      return;
    }
    const url = new URL(req.url ?? '/', origin);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'POST' && path === '/approval') {
      await approval.post(req, res);
      return;
    }
    if (method !== 'GET') {
      text(res, 405, 'method not allowed', { Allow: 'GET' });
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
    if (path === '/sensors') return html(res, 200, pageHtml('occupancy: sensors', { mode: 'live', page: 'sensors' }));
    const runPage = /^\/runs\/([A-Za-z0-9_-]{1,80})$/.exec(path);
    if (runPage?.[1])
      return html(res, 200, pageHtml(`occupancy: ${runPage[1]}`, { mode: 'live', page: 'run', run: runPage[1] }));
    if (path === '/approval') return approval.get(url, req, res);
    if (path === '/api/runs') {
      // A run another process was running when it died shows as interrupted here too, not RUNNING forever.
      // One read of the run records serves both (recovery updates them in place); the page polls this.
      const records = stack.executions.list();
      recoverInterruptedRuns(stack.stateDir, { records });
      return json(res, 200, listRuns(records));
    }
    const runApi = /^\/api\/runs\/([A-Za-z0-9_-]{1,80})$/.exec(path);
    if (runApi?.[1]) {
      const view = await runs.get(runApi[1], now());
      return view ? json(res, 200, view) : json(res, 404, { message: 'no such run' });
    }
    if (path === '/api/sensors')
      return json(res, 200, sensorsView(stack.store.root, stack.options.config.sensorHealth.everyMinutes));
    if (path === '/api/endpoints') return json(res, 200, endpointsView(stack.hosting));
    if (path === '/api/rooms') return json(res, 200, roomOccupancyView(stack.liveShadows?.() ?? [], Date.now()));
    if (path === '/api/dashboard') {
      const name = parseWindowName(url.searchParams.get('window'));
      const minutes = DASHBOARD_WINDOWS[name];
      const end = Date.now() + 1000;
      const start = end - minutes * 60_000;
      // ~90 buckets over the window: local runs are minutes apart, not days.
      const window = { start, end, periodSeconds: Math.max(10, Math.round((minutes * 60) / 90)) };
      const widgets = dashboardView(
        stack.metrics,
        stack.executions,
        {
          endpointName,
          stateMachineArn: stack.pipeline.stateMachineArn,
          monitoring: stack.options.config.monitoring,
          sensorHealthEveryMinutes: stack.options.config.sensorHealth.everyMinutes,
          healthReport: () => {
            const view = sensorsView(stack.store.root);
            return view.state === 'report' ? view.report : undefined;
          },
        },
        window,
      );
      const body: DashboardResponse = { window: name, start, end, widgets };
      return json(res, 200, body);
    }
    text(res, 404, 'not found');
  };

  const server: Server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) text(res, 500, error instanceof Error ? error.message : 'error');
    });
  });
  // A client that trickles its headers or body is cut off instead of holding a connection open.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
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
