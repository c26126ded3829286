import type { RunTrigger } from '../live-trigger';
import type { ShadowProgress, ShadowView } from '../shadow-view';
import { el } from './dom';

/** The run page's shadow comparison and the line saying why the run started. */

const f3 = (v: number | null): string => (v === null ? '—' : v.toFixed(3));
const signed = (v: number | null): string => (v === null ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(3)}`);

/** "Started by: live F1 below the static rule (alarm …)", with the monitor's figures when the input gave them. */
export function triggerLine(trigger: RunTrigger | undefined): HTMLElement | null {
  if (!trigger) return null;
  return el(
    'div',
    { id: 'run-trigger', class: `trigger-${trigger.kind}` },
    'Started by: ',
    el('b', {}, trigger.text),
    trigger.detail ? el('span', { class: 'muted' }, ` — ${trigger.detail}`) : null,
  );
}

/** Candidate vs serving on the bake's labelled readings: F1 each, ΔF1 and its CI, readings, pass or fail. */
export function shadowSection(view: ShadowView): HTMLElement {
  const ci = `${Math.round(view.confidence * 1000) / 10}% CI of ΔF1`;
  const row = (label: string, value: string, key: string) =>
    el('tr', { 'data-figure': key }, el('th', {}, label), el('td', { class: 'num' }, value));
  return el(
    'section',
    { class: 'panel', id: 'shadow' },
    el('h2', {}, 'Shadow comparison on live labelled traffic'),
    el('p', { id: 'shadow-verdict', class: `verdict ${view.passed ? 'pass' : 'fail'}` }, view.verdict),
    view.rejected
      ? el(
          'p',
          { id: 'shadow-rejected', class: 'error' },
          el('b', {}, 'Run ended shadow-rejected: '),
          'the candidate only ever answered in shadow; the endpoint was left serving the model it had.',
        )
      : null,
    el(
      'table',
      { id: 'shadow-figures' },
      row('Candidate F1 (shadow variant)', f3(view.candidateF1), 'candidate'),
      row('Serving F1', f3(view.servingF1), 'serving'),
      row('ΔF1 (candidate − serving)', signed(view.delta), 'delta'),
      row(
        ci,
        view.lower === null || view.upper === null ? '—' : `${signed(view.lower)} to ${signed(view.upper)}`,
        'ci',
      ),
      row('Labelled readings compared (paired)', String(view.pairedReadings), 'paired'),
      row('Readings without a shadow answer', String(view.unpaired), 'unpaired'),
      view.maxF1Loss === null ? null : row('Loss allowed (CI lower bound above −this)', String(view.maxF1Loss), 'loss'),
      row('Result', view.passed ? 'pass' : 'fail', 'result'),
    ),
    el('p', { class: 'muted' }, `${view.state}: ${view.summary}`),
  );
}

/** A running run's shadow phase before its comparison: what is happening, since when. */
export function shadowProgressSection(progress: ShadowProgress): HTMLElement {
  return el(
    'section',
    { class: 'panel', id: 'shadow', 'data-stage': progress.stage },
    el('h2', {}, 'Shadow phase'),
    el(
      'p',
      { id: 'shadow-progress' },
      progress.text,
      el('span', { class: 'muted' }, ` Since ${new Date(progress.since).toLocaleTimeString()}.`),
    ),
  );
}
