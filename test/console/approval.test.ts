import { allowedDecisions, closedApproval, decidedByWithComment } from '../../local/console/approval';
import { CsrfTokens, cookieValue } from '../../local/console/csrf';
import type { ApprovalRecord } from '../../tasks/ports/approval-store';
import { approvalRecordFixture } from './fixtures';

const record = approvalRecordFixture('approve-secret-0123456789', 'reject-secret-0123456789');

describe('console approval rules', () => {
  it('lets the approve link approve or reject, the reject link only reject, anything else nothing', () => {
    expect(allowedDecisions(record, 'approve-secret-0123456789')).toEqual(['approve', 'reject']);
    expect(allowedDecisions(record, 'reject-secret-0123456789')).toEqual(['reject']);
    expect(allowedDecisions(record, 'guessed-secret-0123456789')).toEqual([]);
    expect(allowedDecisions(record, '')).toEqual([]);
  });

  it('records the comment with who decided', () => {
    expect(decidedByWithComment('  looks\n good ')).toBe('console: looks good');
    expect(decidedByWithComment('')).toBe('console');
    expect(decidedByWithComment('x'.repeat(600))).toHaveLength('console: '.length + 500);
  });

  it('reads a cookie by name, keeping "=" in its value', () => {
    expect(cookieValue('x=1; occupancy_session=abc=.d; y=2', 'occupancy_session')).toBe('abc=.d');
    expect(cookieValue(undefined, 'occupancy_session')).toBeUndefined();
  });
});

describe('server-issued CSRF tokens', () => {
  let clock = 1_000_000;
  const tokens = new CsrfTokens(60_000, () => clock);
  const link = { run: 'run-1', linkToken: 'approve-secret-0123456789' };

  it('accepts a token issued for this link and session, and only that', () => {
    const session = tokens.newSession();
    const nonce = tokens.sessionNonce(session);
    expect(nonce).toBeDefined();
    const token = tokens.issue(link, nonce ?? '');
    expect(tokens.verify(token, link, nonce)).toBe('valid');
    expect(tokens.verify(token, { ...link, run: 'run-2' }, nonce)).toBe('invalid');
    expect(tokens.verify(token, { ...link, linkToken: 'reject-secret-0123456789' }, nonce)).toBe('invalid');
    expect(tokens.verify(token, link, tokens.sessionNonce(tokens.newSession()))).toBe('invalid');
    expect(tokens.verify(token, link, undefined)).toBe('invalid');
    expect(tokens.verify(`${token}x`, link, nonce)).toBe('invalid');
    expect(tokens.verify('', link, nonce)).toBe('invalid');
  });

  it('refuses a made-up session cookie and one signed by another process', () => {
    expect(tokens.sessionNonce('a'.repeat(24))).toBeUndefined();
    expect(tokens.sessionNonce(`${'a'.repeat(24)}.${'b'.repeat(43)}`)).toBeUndefined();
    expect(tokens.sessionNonce(new CsrfTokens().newSession())).toBeUndefined();
    expect(tokens.sessionNonce(undefined)).toBeUndefined();
  });

  it('expires a token after its time to live, and never calls a forged token merely expired', () => {
    const nonce = tokens.sessionNonce(tokens.newSession());
    const token = tokens.issue(link, nonce ?? '');
    clock += 60_001;
    expect(tokens.verify(token, link, nonce)).toBe('expired');
    const [, mac] = token.split('.');
    expect(tokens.verify(`1.${mac}`, link, nonce)).toBe('invalid');
  });
});

describe('closedApproval', () => {
  const now = 1_700_000_000_000;

  it('is undefined while the request is pending, unexpired and its run still running', () => {
    expect(closedApproval(record, now, 'RUNNING')).toBeUndefined();
    expect(closedApproval(record, now, undefined)).toBeUndefined();
  });

  it('says who decided, when, and with which comment', () => {
    const decided = { ...record, status: 'approved', decidedBy: 'console: F1 looks good', decidedAt: now };
    const closed = closedApproval(decided as ApprovalRecord, now, 'SUCCEEDED');
    expect(closed).toMatchObject({
      status: 'approved',
      decidedBy: 'console',
      comment: 'F1 looks good',
      decidedAt: now,
    });
    expect(closed?.message).toBe(
      `This run was already approved by console at ${new Date(now).toISOString().replace('.000Z', 'Z')} (comment: "F1 looks good"); the link cannot be used again.`,
    );
    const byCli = closedApproval({ ...record, status: 'rejected', decidedBy: 'cli' } as ApprovalRecord, now, undefined);
    expect(byCli).toMatchObject({ status: 'rejected', decidedBy: 'cli', comment: null, decidedAt: null });
  });

  it('gives the reason a request was withdrawn', () => {
    const withdrawn = {
      ...record,
      status: 'withdrawn',
      decidedBy: 'crash-recovery',
      withdrawnAt: now,
      withdrawnReason: 'the run was interrupted (its process is gone)',
    };
    const closed = closedApproval(withdrawn as ApprovalRecord, now, 'FAILED');
    expect(closed).toMatchObject({ status: 'withdrawn', reason: 'the run was interrupted (its process is gone)' });
    expect(closed?.message).toContain('withdrawn');
    expect(closed?.message).toContain('the run was interrupted (its process is gone)');
  });

  it('closes an expired request and one whose run is over', () => {
    expect(closedApproval({ ...record, expiresAt: now / 1000 - 1 }, now, 'RUNNING')?.status).toBe('expired');
    expect(closedApproval(record, now, 'FAILED')).toMatchObject({
      status: 'run-over',
      message: 'This run is over (FAILED) without a decision; there is nothing left to approve.',
    });
  });
});
