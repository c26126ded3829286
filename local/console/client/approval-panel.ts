import type { ClosedApproval } from '../approval';
import type { RunView } from '../data';
import { boot, el, time } from './dom';

/**
 * The approval panel of a run page opened from its approval link: Approve / Reject with a comment while the
 * request is open; once it is closed (decided, withdrawn, expired, run over), what happened and no buttons.
 */

/** The answer to this page's decision, kept so the closed panel that replaces the form still shows it. */
let decisionAnswer: { text: string; ok: boolean } | undefined;

/** A closed approval request: what was decided, by whom, when, with which comment; or why it closed. No buttons. */
function closedApprovalPanel(closed: ClosedApproval): HTMLElement {
  const panel = el(
    'section',
    { class: 'panel approval closed', id: 'approval', 'data-status': closed.status },
    el('h2', {}, 'Approval'),
    el('p', { id: 'approval-closed' }, closed.message),
  );
  const rows: [string, string | null][] = [
    ['Decision', closed.status],
    ['By', closed.decidedBy],
    ['When', closed.decidedAt ? time(closed.decidedAt) : null],
    ['Comment', closed.comment],
    ['Reason', closed.reason],
  ];
  const list = el('dl');
  for (const [term, value] of rows) {
    if (value) list.append(el('dt', {}, term), el('dd', { class: `decision-${term.toLowerCase()}` }, value));
  }
  panel.append(list);
  if (decisionAnswer) {
    panel.append(el('p', { id: 'approval-result', class: decisionAnswer.ok ? '' : 'error' }, decisionAnswer.text));
  }
  return panel;
}

/** The console's answers are JSON, except the server's own limits (413, 431), which are plain text. */
async function answerText(res: Response): Promise<string> {
  if ((res.headers.get('Content-Type') ?? '').startsWith('application/json')) {
    const answer = (await res.json()) as { outcome?: string; message?: string };
    return `${answer.outcome ?? 'error'}: ${answer.message ?? ''}`;
  }
  return `HTTP ${res.status}: ${(await res.text()).trim()}`;
}

export function approvalPanel(view: RunView): HTMLElement | null {
  const approval = boot.approval;
  if (!approval || boot.mode !== 'live') return null;
  if (!approval.open) return closedApprovalPanel(approval);
  if (view.approval?.closed) return closedApprovalPanel(view.approval.closed);
  const panel = el('section', { class: 'panel approval', id: 'approval' }, el('h2', {}, 'Approval'));
  const comment = el('textarea', {
    id: 'comment',
    maxlength: '500',
    placeholder: 'Comment (recorded with the decision)',
  });
  const result = el('p', { id: 'approval-result' });
  const buttons = el('div');
  const enable = (on: boolean) => {
    for (const button of Array.from(buttons.querySelectorAll('button'))) button.disabled = !on;
  };
  const send = async (action: string) => {
    enable(false);
    const body = new URLSearchParams({
      run: view.run.name,
      action,
      token: approval.token,
      csrf: approval.csrf,
      comment: comment.value,
    });
    try {
      const res = await fetch('/approval', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body,
      });
      decisionAnswer = { text: await answerText(res), ok: res.ok };
    } catch (error) {
      decisionAnswer = { text: `error: ${error instanceof Error ? error.message : String(error)}`, ok: false };
    }
    result.textContent = decisionAnswer.text;
    result.className = decisionAnswer.ok ? '' : 'error';
    if (!decisionAnswer.ok) enable(true);
  };
  panel.append(el('p', {}, 'The candidate passed the gate and waits for your decision.'), comment);
  for (const action of approval.actions) {
    const button = el(
      'button',
      { id: `${action}-button`, type: 'button' },
      action === 'approve' ? 'Approve and deploy' : 'Reject',
    );
    button.addEventListener('click', () => void send(action));
    buttons.append(button);
  }
  panel.append(buttons, result);
  return panel;
}
