import { randomBytes, timingSafeEqual } from 'node:crypto';
import { secretMatches } from '../../tasks/approval';
import type { ApprovalRecord } from '../../tasks/ports/approval-store';

/**
 * Who may decide a run from the console. The approve/reject secrets exist only in the e-mailed links (stored
 * hashed), so the console's buttons work only for a page opened from such a link:
 * - the approve link's secret may approve or reject (its holder could approve anyway; rejecting is weaker);
 * - the reject link's secret may only reject.
 * Cross-site requests are refused by the Origin check and a double-submit CSRF token bound to a cookie.
 */

export type ConsoleDecision = 'approve' | 'reject';

export function allowedDecisions(record: ApprovalRecord, token: string): ConsoleDecision[] {
  if (secretMatches(token, record.approveSecretHash)) return ['approve', 'reject'];
  if (secretMatches(token, record.rejectSecretHash)) return ['reject'];
  return [];
}

export const CSRF_COOKIE = 'occupancy_csrf';

export const newCsrfToken = (): string => randomBytes(24).toString('base64url');

/** Constant-time equality of the CSRF token in the form and in the cookie; both must be present. */
export function csrfMatches(fromForm: string | undefined, fromCookie: string | undefined): boolean {
  if (!fromForm || !fromCookie) return false;
  const a = Buffer.from(fromForm);
  const b = Buffer.from(fromCookie);
  return a.length === b.length && a.length >= 16 && timingSafeEqual(a, b);
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/** `decidedBy` recorded with the decision (and returned to the state machine): who decided, and their comment. */
export function decidedByWithComment(comment: string): string {
  const trimmed = comment.replace(/\s+/g, ' ').trim().slice(0, 500);
  return trimmed ? `console: ${trimmed}` : 'console';
}
