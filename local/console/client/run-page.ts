import type { EnsembleMember } from '../../../automl/report';
import type { RunView } from '../data';
import { membersText, type ValidationSummary } from '../run-extras';
import { approvalPanel } from './approval-panel';
import { boot, dropEmptyColumns, el, time } from './dom';
import { evaluationSection } from './evaluation';
import { shadowProgressSection, shadowSection, triggerLine } from './shadow-section';
import { getJson, poll, seconds, shell } from './shell';
import { graphLegend, graphZoom, stateGraphSvg } from './state-graph';

/** A run: summary, approval (evidence first), AutoML leaderboard, evaluation, state graph, folded states table. */

/** The states, polling loops folded into one row per phase (their count and total time). */
function statesTable(view: RunView): HTMLTableElement {
  const table = el(
    'table',
    { id: 'states' },
    el('tr', {}, ...['State', 'Type', 'Status', 'Entered', 'Duration', 'Rounds', ''].map((h) => el('th', {}, h))),
  );
  for (const phase of view.phases) {
    const s = view.states[phase.last] ?? view.states[phase.first];
    if (!s) continue;
    const folded = phase.names.length > 1 || phase.count > 1;
    const details = el(
      'details',
      {},
      el('summary', {}, folded ? 'last round: input / output' : 'input / output'),
      el('div', {}, 'input'),
      el('pre', {}, JSON.stringify(s.input, null, 2)),
      el('div', {}, s.error ? 'error' : 'output'),
      el('pre', {}, s.error ?? JSON.stringify(s.output, null, 2)),
    );
    table.append(
      el(
        'tr',
        { 'data-phase': phase.names.join(' '), ...(folded ? { class: 'folded' } : {}) },
        el('td', {}, phase.names.join(' → ')),
        el('td', {}, phase.type),
        el('td', { class: `s-${phase.status}` }, phase.status),
        el('td', {}, new Date(phase.enteredAt).toLocaleTimeString()),
        el('td', { class: 'num' }, seconds(phase.durationMs)),
        el('td', { class: 'num rounds' }, folded ? `${phase.count}×` : ''),
        el('td', {}, details),
      ),
    );
  }
  return dropEmptyColumns(table);
}

const fmt3 = (v: number | null): string => (v === null ? '—' : v.toFixed(3));

/** Features shown in the stability table: every drifting one, then the least stable others up to this count. */
const STABILITY_ROWS = 8;

/** What the validation could say: the statement first (prominent when it could not rank), the folds, stability. */
function validationBlock(validation: ValidationSummary): HTMLElement {
  const folds = el(
    'table',
    { id: 'folds' },
    el('tr', {}, ...['Fold', 'Train rows', 'Validation rows', 'Occupied'].map((h) => el('th', {}, h))),
    ...validation.folds.map((fold) =>
      el(
        'tr',
        { 'data-fold': String(fold.index) },
        el('td', { class: 'num' }, String(fold.index)),
        el('td', { class: 'num' }, fold.trainRows.toLocaleString('en')),
        el('td', { class: 'num' }, fold.validationRows.toLocaleString('en')),
        el('td', { class: 'num' }, fold.validationPositives.toLocaleString('en')),
      ),
    ),
  );
  const rows = validation.featureStability;
  const shown = rows.filter((r, i) => r.drifting || i < STABILITY_ROWS);
  const stability = el(
    'table',
    { id: 'stability' },
    el('tr', {}, ...['Feature', 'PSI', 'KS', 'Kind', 'Drift'].map((h) => el('th', {}, h))),
    ...shown.map((r) =>
      el(
        'tr',
        { 'data-feature': r.feature, ...(r.drifting ? { class: 'drifting' } : {}) },
        el('td', {}, r.feature),
        el('td', { class: 'num' }, r.psi.toFixed(3)),
        el('td', { class: 'num' }, r.ks.toFixed(3)),
        el('td', {}, r.relative ? 'relative' : 'level'),
        el('td', { class: 'nowrap' }, r.drifting ? '⚠ drifting' : ''),
      ),
    ),
  );
  const more = rows.length - shown.length;
  const count = validation.folds.length;
  return el(
    'div',
    { id: 'validation' },
    el('h3', {}, 'Validation'),
    el(
      'p',
      { id: 'validation-statement', class: validation.separable ? 'separable' : 'verdict fail' },
      validation.separable ? '' : el('b', {}, 'Not separable: '),
      validation.statement,
    ),
    el(
      'div',
      { class: 'validation-tables' },
      el(
        'div',
        {},
        el(
          'div',
          { class: 'caption' },
          `${count} rolling-origin fold${count === 1 ? '' : 's'}, each with both classes`,
        ),
        folds,
      ),
      rows.length > 0
        ? el(
            'div',
            {},
            el('div', { class: 'caption' }, 'Feature stability between folds (unoccupied rows), least stable first'),
            stability,
            more > 0 ? el('div', { class: 'muted' }, `… and ${more} more stable features`) : null,
          )
        : null,
    ),
  );
}

/** An ensemble's members, each kept on one line: the cell wraps between members only. */
function memberSpans(members: readonly EnsembleMember[]): (HTMLElement | string)[] {
  return members.flatMap((m, i) => [
    ...(i > 0 ? [', '] : []),
    el('span', { class: 'nowrap', title: m.features.join(', ') }, membersText([m])),
  ]);
}

/** Every AutoML candidate: family, features, fold scores, robust value, members, time, and why it won or lost. */
function leaderboardSection(view: RunView): HTMLElement | null {
  const board = view.leaderboard;
  if (!board) return null;
  const winner = board.rows.find((r) => r.winner);
  const table = el(
    'table',
    { id: 'leaderboard' },
    el(
      'tr',
      {},
      ...[
        '',
        'Candidate',
        'Family',
        'Features',
        'Members (weight)',
        'CV F1 (pooled)',
        'Fold F1s',
        'Robust',
        'Reads drifting',
        'Threshold',
        'Time',
        'Why',
      ].map((h) => el('th', {}, h)),
    ),
    ...board.rows.map((r) =>
      el(
        'tr',
        { 'data-candidate': r.name, class: r.winner ? 'winner' : r.status !== 'Completed' ? 'muted' : '' },
        el('td', { class: 'mark' }, r.winner ? '★ chosen' : r.isBaseline ? 'reference' : ''),
        el('td', {}, r.name),
        el('td', {}, r.family),
        el('td', { title: r.features.join(', ') }, `${r.featureSubset} (${r.features.length})`),
        el('td', { class: 'members' }, ...(r.ensemble ? memberSpans(r.ensemble) : [])),
        el('td', { class: 'num' }, fmt3(r.objective.value)),
        el('td', { class: 'num nowrap' }, r.foldValues.map((v) => v.toFixed(2)).join(' · ')),
        el('td', { class: 'num robust' }, r.robustValue === null ? '' : r.robustValue.toFixed(3)),
        el('td', { class: 'drifting' }, r.driftingFeatures.join(', ')),
        el('td', { class: 'num' }, r.threshold.toFixed(2)),
        el('td', { class: 'num nowrap' }, seconds(r.seconds * 1000)),
        el('td', { class: 'why' }, r.why),
      ),
    ),
  );
  const threshold = `decision threshold ${winner?.threshold.toFixed(2)}`;
  const chose = winner?.ensemble
    ? `an ensemble of ${winner.ensemble.length} candidates (${membersText(winner.ensemble)}), ${threshold}`
    : `${winner?.family} on the ${winner?.featureSubset} feature set (${winner?.features.length} feature${winner?.features.length === 1 ? '' : 's'}, ${threshold})`;
  return el(
    'section',
    { class: 'panel', id: 'automl' },
    el('h2', {}, 'AutoML leaderboard'),
    board.validation ? validationBlock(board.validation) : null,
    el(
      'p',
      { id: 'leaderboard-summary' },
      winner
        ? `Job ${board.jobName} chose ${winner.name}: ${chose}.`
        : `Job ${board.jobName}: no candidate chosen yet (${board.rows.length} scored).`,
    ),
    // A wide leaderboard scrolls inside its panel instead of spilling out of it.
    el('div', { class: 'table-scroll' }, dropEmptyColumns(table)),
  );
}

/** One vocabulary for decisions, the dashboard's: "approved via link" (the console), "approved via CLI". */
export function decisionWords(status: string, decidedBy: string | null): string {
  if (status === 'pending') return 'waiting for a decision';
  if (!decidedBy) return status;
  const [who, ...comment] = decidedBy.split(': ');
  const via =
    who === 'console'
      ? 'via link'
      : who === 'cli'
        ? 'via CLI'
        : who === 'auto-approve'
          ? 'via CLI (--auto-approve)'
          : `by ${who}`;
  return `${status} ${via}${comment.length > 0 ? `: “${comment.join(': ')}”` : ''}`;
}

function renderRun(main: HTMLElement, view: RunView, parts: { evaluationShown: boolean }): void {
  const r = view.run;
  const header = el(
    'section',
    { class: 'panel', id: 'run-summary' },
    el('div', {}, 'Status: ', el('b', { class: `status-${r.status}`, id: 'run-status' }, r.status)),
    el('div', {}, 'Outcome: ', el('b', { id: 'run-outcome' }, r.outcome)),
    triggerLine(r.trigger),
    view.cooldown ? el('div', { id: 'run-cooldown' }, view.cooldown) : null,
    el('div', {}, `Started ${time(r.startDate)}, duration ${r.durationSeconds.toFixed(1)} s`),
    r.currentState ? el('div', {}, `Now in ${r.currentState}`) : null,
    view.approval
      ? el(
          'div',
          { id: 'approval-status' },
          `Approval: ${decisionWords(view.approval.status, view.approval.decidedBy)}`,
        )
      : null,
    r.cause ? el('div', { class: 'error' }, `${r.error ?? ''}: ${r.cause}`) : null,
  );
  // Fixed order: what a decision needs first, the graph and the states last.
  for (const id of [
    'slot-summary',
    'slot-approval',
    'slot-shadow',
    'slot-leaderboard',
    'slot-evaluation',
    'slot-graph',
    'slot-states',
  ]) {
    if (!document.getElementById(id)) main.append(el('div', { id }));
  }
  const slot = (id: string) => {
    let node = document.getElementById(id);
    if (!node) {
      node = el('div', { id });
      main.append(node);
    }
    return node;
  };
  slot('slot-summary').replaceChildren(header);
  // The open form is built once (a poll must not clear a comment being typed); a closed panel follows the run.
  const shown = document.getElementById('approval');
  const evidenceMissing = shown && !shown.hasAttribute('data-evidence') && view.evaluation;
  if (!shown || shown.classList.contains('closed') || view.approval?.closed || evidenceMissing) {
    const panel = approvalPanel(view);
    slot('slot-approval').replaceChildren(...(panel ? [panel] : []));
  }
  if (!parts.evaluationShown) {
    if (view.evaluation) {
      slot('slot-evaluation').replaceChildren(evaluationSection(view.evaluation));
      parts.evaluationShown = true;
    } else if (view.evaluationError) {
      slot('slot-evaluation').replaceChildren(el('p', { class: 'error' }, `Evaluation: ${view.evaluationError}`));
    }
  }
  const shadow = view.shadow
    ? shadowSection(view.shadow)
    : view.shadowProgress
      ? shadowProgressSection(view.shadowProgress)
      : null;
  slot('slot-shadow').replaceChildren(...(shadow ? [shadow] : []));
  const board = leaderboardSection(view);
  slot('slot-leaderboard').replaceChildren(...(board ? [board] : []));
  // The graph sits in a <details> kept across polls: collapsed under an approval's evidence, open elsewhere.
  let graph = document.getElementById('graph-panel') as HTMLDetailsElement | null;
  if (!graph) {
    graph = el('details', { class: 'panel graph', id: 'graph-panel' }, el('summary', {}, el('h2', {}, 'State graph')));
    graph.open = !boot.approval;
    const body = el('div', { class: 'graph-body' });
    graph.append(el('div', { class: 'toolbar' }, graphLegend(), graphZoom(body)), body);
    slot('slot-graph').replaceChildren(graph);
  }
  graph.querySelector('.graph-body')?.replaceChildren(stateGraphSvg(view));
  slot('slot-states').replaceChildren(el('section', { class: 'panel' }, el('h2', {}, 'States'), statesTable(view)));
}

export function runPage(): void {
  const name = boot.run ?? '';
  const main = shell(`Run ${name}`);
  const parts = { evaluationShown: false };
  if (boot.mode === 'static') {
    renderRun(main, boot.data as RunView, parts);
    return;
  }
  poll(1500, async () => {
    const view = await getJson<RunView>(`/api/runs/${encodeURIComponent(name)}`);
    // The poll picks up a decision's effect (the closed approval panel, the run moving on).
    renderRun(main, view, parts);
    return true;
  });
}
