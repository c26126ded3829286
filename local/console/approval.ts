import { z } from 'zod';
import { secretMatches } from '../../tasks/approval';
import type { ApprovalRecord } from '../../tasks/ports/approval-store';

/**
 * Who may decide a run from the console. The approve/reject secrets exist only in the e-mailed links (stored
 * hashed), so the console's buttons work only for a page opened from such a link:
 * - the approve link's secret may approve or reject (its holder could approve anyway; rejecting is weaker);
 * - the reject link's secret may only reject.
 * Cross-site requests are refused by the Origin check and a server-issued CSRF token (csrf.ts).
 * A link is single use: once the run is decided, withdrawn, expired or over, it shows what happened instead.
 */

export type ConsoleDecision = 'approve' | 'reject';

export function allowedDecisions(record: ApprovalRecord, token: string): ConsoleDecision[] {
  if (secretMatches(token, record.approveSecretHash)) return ['approve', 'reject'];
  if (secretMatches(token, record.rejectSecretHash)) return ['reject'];
  return [];
}

export const MAX_COMMENT_CHARS = 500;

/** The decision form the approval page posts. */
export const DecisionFormSchema = z.object({
  run: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'run must be a run name'),
  action: z.enum(['approve', 'reject']),
  token: z.string().max(200),
  csrf: z.string().max(200),
  comment: z.string().max(MAX_COMMENT_CHARS, `comment must be at most ${MAX_COMMENT_CHARS} characters`).default(''),
});
export type DecisionForm = z.infer<typeof DecisionFormSchema>;

const CONSOLE_BY = 'console';

/** `decidedBy` recorded with the decision (and returned to the state machine): who decided, and their comment. */
export function decidedByWithComment(comment: string): string {
  const trimmed = comment.replace(/\s+/g, ' ').trim().slice(0, MAX_COMMENT_CHARS);
  return trimmed ? `${CONSOLE_BY}: ${trimmed}` : CONSOLE_BY;
}

/** What happened to an approval request that can no longer be decided. */
export interface ClosedApproval {
  /** approved | rejected | expired | withdrawn | run-over, or a status a later version records. */
  readonly status: string;
  readonly decidedBy: string | null;
  /** Epoch ms, when the store recorded it. */
  readonly decidedAt: number | null;
  readonly comment: string | null;
  /** Why a request was withdrawn (e.g. its run was interrupted). */
  readonly reason: string | null;
  /** One sentence saying it, for the page and the 409 answer. */
  readonly message: string;
}

/**
 * Fields stores record beside ApprovalRecord's: the decision's author and time (DynamoDB: decidedAt), and why and
 * when a request was withdrawn (the local store, at crash recovery).
 */
const RecordExtras = z.object({
  decidedBy: z.string().optional().catch(undefined),
  decidedAt: z.number().optional().catch(undefined),
  withdrawnAt: z.number().optional().catch(undefined),
  withdrawnReason: z.string().optional().catch(undefined),
});

function splitDecidedBy(decidedBy: string | undefined): { who: string | null; comment: string | null } {
  if (!decidedBy) return { who: null, comment: null };
  if (decidedBy.startsWith(`${CONSOLE_BY}: `)) {
    return { who: CONSOLE_BY, comment: decidedBy.slice(CONSOLE_BY.length + 2) };
  }
  return { who: decidedBy, comment: null };
}

/** UTC to the second: the 409 answer is read by people and scripts alike. */
const utc = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const when = (ms: number | null): string => (ms ? ` at ${utc(ms)}` : '');

/**
 * The closed state of an approval request, or undefined while it can still be decided: pending, not expired,
 * and its run (when known) still running.
 */
export function closedApproval(
  record: ApprovalRecord,
  now: number,
  runStatus: string | undefined,
): ClosedApproval | undefined {
  const extras = RecordExtras.parse(record);
  const { who, comment } = splitDecidedBy(extras.decidedBy);
  const base = {
    decidedBy: who,
    decidedAt: extras.decidedAt ?? extras.withdrawnAt ?? null,
    comment,
    reason: extras.withdrawnReason ?? null,
  };
  const by = who ? ` by ${who}` : '';
  const withComment = comment ? ` (comment: "${comment}")` : '';
  if (record.status === 'approved' || record.status === 'rejected') {
    return {
      ...base,
      status: record.status,
      message: `This run was already ${record.status}${by}${when(base.decidedAt)}${withComment}; the link cannot be used again.`,
    };
  }
  if (record.status !== 'pending') {
    const reason = base.reason ? `: ${base.reason}` : '';
    return {
      ...base,
      status: record.status,
      message: `This approval request was ${record.status}${when(base.decidedAt)}${reason}; there is nothing left to approve.`,
    };
  }
  if (record.expiresAt * 1000 < now) {
    return {
      ...base,
      status: 'expired',
      message: `This approval request expired at ${utc(record.expiresAt * 1000)} without a decision.`,
    };
  }
  if (runStatus !== undefined && runStatus !== 'RUNNING') {
    return {
      ...base,
      status: 'run-over',
      message: `This run is over (${runStatus}) without a decision; there is nothing left to approve.`,
    };
  }
  return undefined;
}
