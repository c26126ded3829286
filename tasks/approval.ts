import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { PipelineErrors } from '../pipeline/state-names';
import { TaskInputError } from './errors';
import type { ApprovalRecord, ApprovalStore } from './ports/approval-store';
import type { Notifier } from './ports/notifier';
import type { TaskCallback } from './ports/task-callback';
import { firstIssue } from './powertools';

/**
 * Manual approval of a candidate model. AwaitApproval stores the task token and e-mails single-use
 * approve/reject links; the links (via API Gateway) or a decision in the SageMaker console (via the
 * model package state-change event) answer the token. Whichever comes first wins; later answers are ignored.
 */

export const ApprovalRequestSchema = z.object({
  taskToken: z.string().min(1),
  runId: z.string().min(1),
  executionArn: z.string().min(1),
  modelPackageArn: z.string().regex(/^arn:[^:]+:sagemaker:/, 'a SageMaker model package ARN'),
  modelPackageGroupName: z.string().min(1),
  summary: z.string(),
  timeoutSeconds: z.number().int().positive(),
});
export type ApprovalRequest = z.infer<typeof ApprovalRequestSchema>;

/** What the approval task returns to the state machine on approval (`$.approval`). */
export interface ApprovalOutput {
  readonly approved: true;
  readonly via: 'link' | 'console' | 'cli';
  readonly decidedBy: string;
  readonly waitedSeconds: number;
}

/** The cause carried by an `ApprovalRejected` task failure (JSON). */
export interface RejectionCause {
  readonly rejected: true;
  readonly via: 'link' | 'console' | 'cli';
  readonly decidedBy: string;
  readonly waitedSeconds: number;
}

export interface ApprovalDeps {
  readonly store: ApprovalStore;
  readonly notifier: Notifier;
  readonly callback: TaskCallback;
  /** Public base URL of the approval API, e.g. https://abc.execute-api.eu-west-1.amazonaws.com/prod */
  readonly apiBaseUrl: string;
  readonly region: string;
  readonly now?: () => number;
  readonly newSecret?: () => string;
  /** Observes each recorded decision (the Lambda publishes ApprovalWaitSeconds from it). */
  readonly onDecided?: (decision: { status: 'approved' | 'rejected'; via: string; waitedSeconds: number }) => void;
}

export const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/** Constant-time comparison of a presented secret with a stored SHA-256 hash. */
export function secretMatches(presented: string, storedHash: string): boolean {
  const a = Buffer.from(sha256Hex(presented), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && b.length > 0 && timingSafeEqual(a, b);
}

export function parseApprovalRequest(input: unknown): ApprovalRequest {
  const result = ApprovalRequestSchema.safeParse(input);
  if (!result.success) {
    const { field, message } = firstIssue(result.error.issues);
    throw new TaskInputError(`Invalid AwaitApproval input: ${message}`, field, { cause: result.error });
  }
  return result.data;
}

export function consoleUrl(region: string, modelPackageGroupName: string): string {
  return `https://${region}.console.aws.amazon.com/sagemaker/home?region=${region}#/model-registry/${encodeURIComponent(modelPackageGroupName)}`;
}

function linkFor(base: string, runId: string, action: 'approve' | 'reject', secret: string): string {
  const query = new URLSearchParams({ run: runId, action, token: secret });
  return `${base.replace(/\/$/, '')}/approval?${query.toString()}`;
}

/** AwaitApproval: store the token (hashed secrets, TTL = timeout) and tell people where to decide. */
export async function requestApproval(
  input: ApprovalRequest,
  deps: ApprovalDeps,
): Promise<{ runId: string; approveUrl: string; rejectUrl: string }> {
  const now = (deps.now ?? Date.now)();
  const newSecret = deps.newSecret ?? (() => randomBytes(32).toString('base64url'));
  const approveSecret = newSecret();
  const rejectSecret = newSecret();
  const record: ApprovalRecord = {
    runId: input.runId,
    taskToken: input.taskToken,
    executionArn: input.executionArn,
    modelPackageArn: input.modelPackageArn,
    approveSecretHash: sha256Hex(approveSecret),
    rejectSecretHash: sha256Hex(rejectSecret),
    createdAt: now,
    expiresAt: Math.ceil(now / 1000) + input.timeoutSeconds + 86_400,
    status: 'pending',
  };
  await deps.store.put(record);
  const approveUrl = linkFor(deps.apiBaseUrl, input.runId, 'approve', approveSecret);
  const rejectUrl = linkFor(deps.apiBaseUrl, input.runId, 'reject', rejectSecret);
  const hours = Math.round((input.timeoutSeconds / 3600) * 10) / 10;
  await deps.notifier.publish(
    `occupancy: approve model from run ${input.runId}?`,
    [
      `A candidate occupancy model passed the gate and waits for approval (${hours} h, then it is rejected).`,
      '',
      input.summary,
      '',
      `Approve: ${approveUrl}`,
      `Reject:  ${rejectUrl}`,
      '',
      `Or decide in the SageMaker model registry: ${consoleUrl(deps.region, input.modelPackageGroupName)}`,
      `Model package: ${input.modelPackageArn}`,
      `Execution: ${input.executionArn}`,
    ].join('\n'),
  );
  return { runId: input.runId, approveUrl, rejectUrl };
}

export type Decision = 'approve' | 'reject';
export type DecisionOutcome = 'approved' | 'rejected' | 'already-decided' | 'unknown-run' | 'forbidden' | 'expired';

/** Records a decision once and answers the task token. */
export async function decide(
  record: ApprovalRecord,
  decision: Decision,
  via: 'link' | 'console' | 'cli',
  decidedBy: string,
  deps: Pick<ApprovalDeps, 'store' | 'callback' | 'now' | 'onDecided'>,
): Promise<DecisionOutcome> {
  const now = (deps.now ?? Date.now)();
  if (record.expiresAt * 1000 < now) return 'expired';
  const status = decision === 'approve' ? 'approved' : 'rejected';
  if (!(await deps.store.decide(record.runId, status, decidedBy))) return 'already-decided';
  const waitedSeconds = Math.max(0, Math.round((now - record.createdAt) / 1000));
  if (decision === 'approve') {
    const output: ApprovalOutput = { approved: true, via, decidedBy, waitedSeconds };
    await deps.callback.succeed(record.taskToken, output);
  } else {
    const cause: RejectionCause = { rejected: true, via, decidedBy, waitedSeconds };
    await deps.callback.fail(record.taskToken, PipelineErrors.ApprovalRejected, JSON.stringify(cause));
  }
  deps.onDecided?.({ status, via, waitedSeconds });
  return status;
}

export const LinkParamsSchema = z.object({
  run: z.string().min(1).max(200),
  action: z.enum(['approve', 'reject']),
  token: z.string().min(16).max(200),
});

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const page = (statusCode: number, title: string, body: string): HttpResponse => ({
  statusCode,
  headers: {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    'Referrer-Policy': 'no-referrer',
  },
  body: `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
});

/**
 * The e-mailed link. GET only shows a confirmation form (mail scanners prefetch GET links, which must
 * not decide anything); POST of that form decides.
 */
export async function handleApprovalLink(
  request: { method: string; params: Record<string, string | undefined> },
  deps: Pick<ApprovalDeps, 'store' | 'callback' | 'now' | 'onDecided'>,
): Promise<HttpResponse & { outcome?: DecisionOutcome }> {
  const parsed = LinkParamsSchema.safeParse(request.params);
  if (!parsed.success) return page(400, 'Invalid approval link', '<p>The link is incomplete or malformed.</p>');
  const { run, action, token } = parsed.data;
  const record = await deps.store.get(run);
  const storedHash = record ? (action === 'approve' ? record.approveSecretHash : record.rejectSecretHash) : '';
  // Unknown run and wrong secret answer alike, so the endpoint reveals nothing about which runs exist.
  if (!record || !secretMatches(token, storedHash)) {
    return {
      ...page(403, 'Link not valid', '<p>This approval link is not valid.</p>'),
      outcome: record ? 'forbidden' : 'unknown-run',
    };
  }
  if (record.status !== 'pending') {
    return {
      ...page(409, 'Already decided', `<p>Run ${escapeHtml(run)} was already ${escapeHtml(record.status)}.</p>`),
      outcome: 'already-decided',
    };
  }
  if (request.method.toUpperCase() === 'GET') {
    const verb = action === 'approve' ? 'Approve and deploy' : 'Reject';
    return page(
      200,
      `${verb} the model of run ${run}?`,
      `<form method="post"><input type="hidden" name="run" value="${escapeHtml(run)}"><input type="hidden" name="action" value="${action}"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit">${verb}</button></form>`,
    );
  }
  const outcome = await decide(record, action, 'link', 'approval-link', deps);
  const messages: Record<DecisionOutcome, [number, string]> = {
    approved: [200, 'Approved: the pipeline deploys the model with a canary.'],
    rejected: [200, 'Rejected: the serving model stays as it is.'],
    'already-decided': [409, 'This run was already decided.'],
    expired: [410, 'This approval request has expired.'],
    'unknown-run': [403, 'This approval link is not valid.'],
    forbidden: [403, 'This approval link is not valid.'],
  };
  const [status, text] = messages[outcome];
  return { ...page(status, text, `<p>Run ${escapeHtml(run)}.</p>`), outcome };
}

export const ModelPackageEventSchema = z.object({
  'detail-type': z.literal('SageMaker Model Package State Change'),
  source: z.literal('aws.sagemaker'),
  detail: z
    .object({
      ModelPackageArn: z.string().min(1),
      ModelApprovalStatus: z.string(),
      ModelPackageGroupName: z.string().optional(),
    })
    .passthrough(),
});
export type ModelPackageEvent = z.infer<typeof ModelPackageEventSchema>;

/** A person approved or rejected the package in the SageMaker console. */
export async function handleModelPackageEvent(
  event: ModelPackageEvent,
  deps: Pick<ApprovalDeps, 'store' | 'callback' | 'now' | 'onDecided'>,
): Promise<DecisionOutcome | 'ignored'> {
  const status = event.detail.ModelApprovalStatus;
  if (status !== 'Approved' && status !== 'Rejected') return 'ignored';
  const record = await deps.store.findByModelPackage(event.detail.ModelPackageArn);
  if (!record) return 'unknown-run';
  // Our own ApproveModelPackage/RejectModelPackage calls raise this event too: the record is decided by then.
  if (record.status !== 'pending') return 'already-decided';
  return decide(record, status === 'Approved' ? 'approve' : 'reject', 'console', 'sagemaker-console', deps);
}
