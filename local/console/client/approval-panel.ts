import type { ClosedApproval } from '../approval';
import type { RunView } from '../data';
import { membersText } from '../run-extras';
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
    // The dashboard's vocabulary: a console decision is one made via the approval link.
    ['By', closed.decidedBy === 'console' ? 'via link (console)' : closed.decidedBy],
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
    const outcome = answer.outcome ?? 'error';
    const message = answer.message ?? '';
    return message.startsWith(`${outcome}:`) ? message : `${outcome}: ${message}`;
  }
  return `HTTP ${res.status}: ${(await res.text()).trim()}`;
}

const f3 = (v: number): string => v.toFixed(3);
const signed = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(3)}`;

/** The evidence a decision rests on: the gate's verdict, the candidate's F1, each comparison, the model, the plan. */
function evidence(view: RunView): HTMLElement[] {
  const evaluation = view.evaluation;
  if (!evaluation) return [el('p', { class: 'muted' }, 'Loading the evaluation…')];
  const candidate = evaluation.models.find((m) => m.role === 'candidate');
  const ci = (m: { f1Interval: { lower: number; upper: number; confidence: number } }) =>
    `${Math.round(m.f1Interval.confidence * 100)}% CI ${f3(m.f1Interval.lower)} – ${f3(m.f1Interval.upper)}`;
  const passed = evaluation.decision === 'promote';
  const out: HTMLElement[] = [
    el(
      'div',
      { id: 'approval-verdict', class: `verdict ${passed ? 'pass' : 'fail'}` },
      el('b', {}, passed ? 'Gate passed' : 'Gate not passed'),
      ` — ${evaluation.summary}`,
    ),
  ];
  if (candidate) {
    out.push(
      el(
        'p',
        { id: 'approval-f1', class: 'headline' },
        'Candidate F1 ',
        el('b', { class: 'f1' }, f3(candidate.metrics.f1)),
        ` (${ci(candidate)}) on ${evaluation.holdoutRows} holdout rows`,
      ),
    );
  }
  const byName = new Map(evaluation.models.map((m) => [m.name, m]));
  const noServing = !evaluation.models.some((m) => m.role === 'serving');
  out.push(
    el(
      'table',
      { id: 'approval-comparisons' },
      el('tr', {}, ...['Candidate vs', 'Its F1', 'Its F1 CI', 'ΔF1', 'ΔF1 CI', 'Verdict'].map((h) => el('th', {}, h))),
      ...evaluation.comparisons.map((c) => {
        const other = byName.get(c.against);
        return el(
          'tr',
          { 'data-against': c.against },
          el('td', {}, `${c.against}${other?.role === 'serving' ? ' (serving now)' : ''}`),
          el('td', { class: 'num' }, f3(c.otherF1)),
          el('td', { class: 'num' }, other ? `${f3(other.f1Interval.lower)} – ${f3(other.f1Interval.upper)}` : '—'),
          el('td', { class: 'num' }, signed(c.delta)),
          el('td', { class: 'num' }, `${signed(c.lower)} – ${signed(c.upper)}`),
          el('td', { class: c.passed ? 's-succeeded' : 's-failed' }, c.passed ? '✓ better' : '✗ not shown better'),
        );
      }),
      ...(noServing
        ? [
            el(
              'tr',
              { class: 'muted' },
              el('td', { colspan: '6' }, 'serving model: none yet (this run creates the endpoint)'),
            ),
          ]
        : []),
    ),
  );
  const facts = el('dl', { class: 'facts' });
  const winner = view.leaderboard?.rows.find((r) => r.winner);
  if (winner) {
    facts.append(
      el('dt', {}, 'Model'),
      el(
        'dd',
        { id: 'approval-model' },
        `${winner.ensemble ? `ensemble of ${winner.ensemble.length} candidates` : winner.family} (${winner.name}), decision threshold ${winner.threshold.toFixed(2)}`,
      ),
      ...(winner.ensemble
        ? [el('dt', {}, 'Members'), el('dd', { id: 'approval-members' }, membersText(winner.ensemble))]
        : []),
      el('dt', {}, 'Features'),
      el('dd', {}, `${winner.featureSubset}: ${winner.features.join(', ')}`),
      el('dt', {}, 'Validation folds'),
      el(
        'dd',
        {},
        `F1 ${winner.foldValues.map((v) => v.toFixed(3)).join(' · ')} (${winner.foldValues.length} time-ordered folds)`,
      ),
    );
    const validation = view.leaderboard?.validation;
    if (validation && !validation.separable) {
      // The decision should know when the ranking it rests on is not evidence.
      facts.append(el('dt', {}, 'Validation'), el('dd', { id: 'approval-validation' }, validation.statement));
    }
  }
  const plan = view.deployment;
  if (plan) {
    const parts = [
      plan.canary ? `a blue/green deployment sends ${plan.canary} to the new model` : 'a blue/green deployment',
      plan.bakeSeconds !== null ? `bakes for ${plan.bakeSeconds} s` : null,
      'then shifts all traffic',
      plan.terminationWaitSeconds !== null ? `and retires the old fleet ${plan.terminationWaitSeconds} s later` : null,
    ].filter((p): p is string => p !== null);
    facts.append(
      el('dt', {}, 'On approve'),
      el('dd', { id: 'approval-plan' }, `${parts.join(', ')}.`),
      el('dt', {}, 'Rolls back if'),
      el(
        'dd',
        {},
        plan.rollbackAlarms.length > 0
          ? `any alarm fires during the bake: ${plan.rollbackAlarms.join(', ')}`
          : 'no alarm is configured',
      ),
    );
  }
  if (facts.childElementCount > 0) out.push(facts);
  return out;
}

/** Asks before deciding: a modal dialog naming what will happen. Resolves true on confirm. */
function confirmDecision(action: string, view: RunView): Promise<boolean> {
  const approve = action === 'approve';
  const plan = view.deployment;
  const dialog = el(
    'dialog',
    { id: 'confirm-dialog' },
    el('h3', {}, approve ? 'Approve and deploy this candidate?' : 'Reject this candidate?'),
    el(
      'p',
      {},
      approve
        ? `Run ${view.run.name} will deploy it${plan?.canary ? ` as a ${plan.canary} canary` : ''}${plan?.bakeSeconds ? ` for ${plan.bakeSeconds} s` : ''}, then to all traffic.`
        : `Run ${view.run.name} will end without deploying; the serving model stays.`,
    ),
  );
  const confirm = el(
    'button',
    { type: 'button', id: 'confirm-button', class: approve ? 'primary' : 'danger' },
    approve ? 'Approve and deploy' : 'Reject',
  );
  const cancel = el('button', { type: 'button', id: 'cancel-button' }, 'Cancel');
  dialog.append(el('div', { class: 'actions' }, confirm, cancel));
  document.body.append(dialog);
  dialog.showModal();
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    confirm.addEventListener('click', () => done(true));
    cancel.addEventListener('click', () => done(false));
    dialog.addEventListener('cancel', () => done(false));
  });
}

export function approvalPanel(view: RunView): HTMLElement | null {
  const approval = boot.approval;
  if (!approval || boot.mode !== 'live') return null;
  if (!approval.open) return closedApprovalPanel(approval);
  if (view.approval?.closed) return closedApprovalPanel(view.approval.closed);
  const panel = el(
    'section',
    { class: 'panel approval', id: 'approval', ...(view.evaluation ? { 'data-evidence': 'shown' } : {}) },
    el('h2', {}, 'Decide: deploy this run’s candidate?'),
    ...evidence(view),
  );
  const comment = el('textarea', {
    id: 'comment',
    maxlength: '500',
    placeholder: 'Optional comment (recorded with the decision)',
  });
  const result = el('p', { id: 'approval-result' });
  const buttons = el('div', { class: 'actions' });
  const enable = (on: boolean) => {
    for (const button of Array.from(buttons.querySelectorAll('button'))) button.disabled = !on;
  };
  const send = async (action: string) => {
    if (!(await confirmDecision(action, view))) return;
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
  panel.append(comment);
  for (const action of approval.actions) {
    const button = el(
      'button',
      { id: `${action}-button`, type: 'button', class: action === 'approve' ? 'primary' : 'secondary' },
      action === 'approve' ? 'Approve and deploy…' : 'Reject…',
    );
    button.addEventListener('click', () => void send(action));
    buttons.append(button);
  }
  panel.append(buttons, result);
  return panel;
}
