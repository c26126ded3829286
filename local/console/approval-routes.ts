import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApprovalDeps, decide } from '../../tasks/approval';
import type { ApprovalRecord } from '../../tasks/ports/approval-store';
import {
  allowedDecisions,
  type ClosedApproval,
  closedApproval,
  DecisionFormSchema,
  decidedByWithComment,
} from './approval';
import { pageHtml } from './assets';
import { type CsrfTokens, cookieValue, SESSION_COOKIE, sessionCookieHeader } from './csrf';
import { BodyTooLargeError, html, json, readBody, text } from './http';

/**
 * GET and POST /approval: the page opened from an approval link, and the decision its form posts.
 * Answers: 403 for a wrong link secret, a cross-site request or a missing/forged/expired form token; 409 once the
 * request is closed (decided, withdrawn, expired, run over); 413 for a body over the form limit.
 */

export interface ApprovalRouteDeps {
  readonly approvals: { get(runId: string): Promise<ApprovalRecord | undefined> };
  /** The run's execution status (RUNNING while it waits), undefined when unknown. */
  readonly runStatus: (run: string) => string | undefined;
  readonly decideDeps: Pick<ApprovalDeps, 'store' | 'callback' | 'onDecided'>;
  readonly csrf: CsrfTokens;
  readonly now: () => number;
}

const RUN = /^[A-Za-z0-9_-]{1,80}$/;

const LINK_NOT_VALID =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Link not valid</title></head><body><h1>Link not valid</h1><p>This approval link is not valid.</p></body></html>';

export function approvalRoutes(deps: ApprovalRouteDeps) {
  const record = async (run: string) => (RUN.test(run) ? deps.approvals.get(run) : undefined);
  const closed = (r: ApprovalRecord): ClosedApproval | undefined =>
    closedApproval(r, deps.now(), deps.runStatus(r.runId));

  /** The run page with Approve / Reject if the link's secret is valid and the request open; its outcome if closed. */
  const get = async (url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const run = url.searchParams.get('run') ?? '';
    const token = url.searchParams.get('token') ?? '';
    const found = await record(run);
    const actions = found ? allowedDecisions(found, token) : [];
    if (!found || actions.length === 0) return html(res, 403, LINK_NOT_VALID);
    const title = `occupancy: approve ${run}?`;
    const done = closed(found);
    if (done) {
      return html(res, 200, pageHtml(title, { mode: 'live', page: 'run', run, approval: { open: false, ...done } }));
    }
    // One session per browser: a cookie this server issued is kept (other open approval pages stay valid).
    const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const existing = deps.csrf.sessionNonce(cookie);
    const session = existing ? (cookie ?? '') : deps.csrf.newSession();
    const nonce = deps.csrf.sessionNonce(session) ?? '';
    const csrf = deps.csrf.issue({ run, linkToken: token }, nonce);
    html(
      res,
      200,
      pageHtml(title, { mode: 'live', page: 'run', run, approval: { open: true, token, csrf, actions } }),
      {
        'Set-Cookie': sessionCookieHeader(session),
      },
    );
  };

  const post = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestOrigin = req.headers.origin;
    if (requestOrigin !== undefined && requestOrigin !== `http://${req.headers.host}`) {
      return json(res, 403, { outcome: 'forbidden', message: 'cross-site request refused' });
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      return json(res, 415, { outcome: 'bad-request', message: 'send the decision as a form (x-www-form-urlencoded)' });
    }
    let body: string;
    try {
      body = await readBody(req, res);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        return text(res, 413, `Payload too large: the decision form is at most ${error.limit} bytes.`);
      }
      throw error;
    }
    const parsed = DecisionFormSchema.safeParse(Object.fromEntries(new URLSearchParams(body)));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'form';
      return json(res, 400, { outcome: 'bad-request', message: `${field}: ${issue?.message ?? 'not valid'}` });
    }
    const form = parsed.data;
    const found = await record(form.run);
    // Unknown run and wrong secret answer alike: the console reveals nothing about which runs exist.
    if (!found || !allowedDecisions(found, form.token).includes(form.action)) {
      return json(res, 403, { outcome: 'forbidden', message: 'this approval token is not valid for this run' });
    }
    const done = closed(found);
    if (done) return json(res, 409, { outcome: done.status, message: done.message });
    const nonce = deps.csrf.sessionNonce(cookieValue(req.headers.cookie, SESSION_COOKIE));
    const verdict = deps.csrf.verify(form.csrf, { run: form.run, linkToken: form.token }, nonce);
    if (verdict !== 'valid') {
      const message =
        verdict === 'expired'
          ? 'this approval page has expired: reopen the approval link'
          : 'missing or forged form token: reopen the approval link in this browser';
      return json(res, 403, { outcome: 'forbidden', message });
    }
    const outcome = await decide(found, form.action, 'link', decidedByWithComment(form.comment), {
      ...deps.decideDeps,
      now: deps.now,
    });
    if (outcome === 'approved' || outcome === 'rejected') {
      const message =
        outcome === 'approved'
          ? 'approved: the pipeline deploys the model with a canary'
          : 'rejected: the serving model stays as it is';
      return json(res, 200, { outcome, message });
    }
    // Decided by someone else between the read above and this decision: answer with what they decided.
    const after = await record(form.run);
    const now = after ? closed(after) : undefined;
    json(res, 409, { outcome: now?.status ?? outcome, message: now?.message ?? 'this run was already decided' });
  };

  return { get, post };
}
