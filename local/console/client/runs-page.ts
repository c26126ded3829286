import type { RunListItem } from '../data';
import { dropEmptyColumns, el, fmt, time } from './dom';
import { getJson, poll, shell } from './shell';

/** The runs list: newest first, with why each started, outcome and candidate F1. */

export function runsPage(): void {
  const main = shell('Retraining runs');
  const holder = el('div');
  main.append(holder);
  poll(2000, async () => {
    const runs = await getJson<RunListItem[]>('/api/runs');
    const rows = runs.map((r) =>
      el(
        'tr',
        { 'data-run': r.name },
        el('td', {}, el('a', { href: `/runs/${encodeURIComponent(r.name)}` }, r.name)),
        el('td', { class: `status-${r.status}` }, r.status),
        el(
          'td',
          { class: `trigger trigger-${r.trigger?.kind ?? 'manual'}`, title: r.trigger?.detail ?? '' },
          r.trigger?.text ?? '',
        ),
        el('td', { class: 'outcome' }, r.outcome),
        el('td', {}, time(r.startDate)),
        el('td', { class: 'num' }, `${r.durationSeconds.toFixed(1)} s`),
        el('td', {}, r.currentState ?? ''),
        el('td', { class: 'num' }, fmt(r.candidateF1)),
      ),
    );
    holder.replaceChildren(
      runs.length === 0
        ? el('p', { class: 'muted' }, 'No runs yet.')
        : dropEmptyColumns(
            el(
              'table',
              { id: 'runs' },
              el(
                'tr',
                {},
                ...[
                  'Run',
                  'Status',
                  'Started by',
                  'Outcome',
                  'Started',
                  'Duration',
                  'Current state',
                  'Candidate F1',
                ].map((h) => el('th', {}, h)),
              ),
              ...rows,
            ),
          ),
    );
    return true;
  });
}
