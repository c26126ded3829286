import type { EndpointView } from '../data';
import { el, fmt } from './dom';
import { getJson, poll, shell } from './shell';

/** The endpoint: status, blue and green fleets with their weights, and its events. */

/** VariantStatus is a list of {Status, StatusMessage, StartTime}; an empty list means the variant is serving. */
function variantStatus(value: unknown): string {
  if (!Array.isArray(value) || value.length === 0) return 'serving';
  return value
    .map((s) => {
      const item = s as { Status?: unknown; StatusMessage?: unknown };
      return [item.Status, item.StatusMessage].filter((x) => typeof x === 'string' && x !== '').join(': ');
    })
    .filter((x) => x !== '')
    .join('; ');
}

export function endpointsPage(): void {
  const main = shell('Endpoint');
  const holder = el('div');
  main.append(holder);
  poll(2000, async () => {
    const endpoints = await getJson<EndpointView[]>('/api/endpoints');
    holder.replaceChildren(
      ...(endpoints.length === 0
        ? [el('p', { class: 'muted' }, 'No endpoint yet: it appears after the first deployment.')]
        : []),
      ...endpoints.map((e) => {
        const d = e.description as {
          EndpointStatus?: string;
          EndpointConfigName?: string;
          ProductionVariants?: Record<string, unknown>[];
          PendingDeploymentSummary?: { EndpointConfigName?: string; ProductionVariants?: Record<string, unknown>[] };
        };
        const variants = (list: Record<string, unknown>[] | undefined, fleet: string) =>
          (list ?? []).map((v) =>
            el(
              'tr',
              {},
              el('td', {}, fleet),
              el('td', {}, String(v.VariantName ?? '')),
              el('td', { class: 'num' }, fmt(Number(v.CurrentWeight ?? Number.NaN), 2)),
              el('td', { class: 'num' }, fmt(Number(v.DesiredWeight ?? Number.NaN), 2)),
              el('td', { class: 'num' }, String(v.CurrentInstanceCount ?? '—')),
              el('td', {}, variantStatus(v.VariantStatus)),
            ),
          );
        return el(
          'section',
          { class: 'panel endpoint', 'data-endpoint': e.name },
          el('h2', {}, e.name),
          el('p', {}, `Status ${d.EndpointStatus ?? '?'}, config ${d.EndpointConfigName ?? '—'}`),
          d.PendingDeploymentSummary
            ? el(
                'p',
                { class: 'canary' },
                `Deployment in progress to ${d.PendingDeploymentSummary.EndpointConfigName ?? ''}`,
              )
            : null,
          el(
            'table',
            { class: 'variants' },
            el(
              'tr',
              {},
              ...['Fleet', 'Variant', 'Weight', 'Desired', 'Instances', 'Status'].map((h) => el('th', {}, h)),
            ),
            ...variants(d.ProductionVariants, 'serving (blue)'),
            ...variants(d.PendingDeploymentSummary?.ProductionVariants, 'new (green)'),
          ),
          el('h3', {}, 'Events'),
          el(
            'table',
            { class: 'events' },
            el('tr', {}, el('th', {}, 'Time'), el('th', {}, 'Event'), el('th', {}, 'Message')),
            ...[...e.events]
              .reverse()
              .map((ev) =>
                el(
                  'tr',
                  {},
                  el('td', {}, new Date(ev.time).toLocaleTimeString()),
                  el('td', {}, ev.type),
                  el('td', {}, ev.message),
                ),
              ),
          ),
        );
      }),
    );
    return true;
  });
}
