import type { HealthKind } from '../../../health/types';
import type { SensorsView } from '../sensors';
import { el, time } from './dom';
import { getJson, poll, shell } from './shell';

/** Sensors: the devices the newest sensor health check found unhealthy, by kind, since when, last good reading. */

const KIND_TITLES: Record<HealthKind, string> = {
  stuck: 'Stuck',
  silent: 'Silent',
  'out-of-range': 'Out of range',
  malformed: 'Malformed',
};

/** What an operator does about each kind (the notification says the same). */
const KIND_ACTIONS: Record<HealthKind, string> = {
  stuck:
    'A value that never changes: check the sensor (frozen, covered, firmware). Its readings stay out of training while flagged.',
  silent: 'No readings: check power, network and the device certificate.',
  'out-of-range':
    'Readings outside the physical range are refused: check wiring and calibration. Its readings near them stay out of training.',
  malformed: 'Readings the validator refuses (wrong type or format): check the device firmware.',
};

/** Fixed widths, so the columns line up from one kind's table to the next. */
const COLUMNS = [
  ['Device', '12%'],
  ['Since', '20%'],
  ['Last good reading', '18%'],
  ['Signal', '10%'],
  ['Detail', '40%'],
] as const;

/** "3 h 10 min", "47 min", "2 d 4 h". */
export function span(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  return `${Math.floor(hours / 24)} d${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

function render(view: SensorsView, now: number): Node[] {
  if (view.state === 'no-report') {
    return [
      el(
        'p',
        { class: 'muted', id: 'sensors-state' },
        'No sensor health check has run yet: the check runs on its schedule while the local stack serves, and this page shows its newest report.',
      ),
    ];
  }
  if (view.state === 'unreadable') {
    return [
      el(
        'p',
        { class: 'error', id: 'sensors-state' },
        `The newest report (${view.source}) cannot be read: ${view.message}`,
      ),
    ];
  }
  const { report } = view;
  // A device may be listed once per kind: count devices, not rows.
  const unhealthy = new Set(report.unhealthy.map((d) => d.thingName)).size;
  const checked = el(
    'p',
    { id: 'sensors-checked' },
    `Checked ${time(report.checkedAt)} (${span(now - report.checkedAt)} ago) over the last ${report.lookbackHours} h: ` +
      `${report.devicesKnown} device${report.devicesKnown === 1 ? '' : 's'} known.`,
  );
  const counts = el(
    'div',
    { class: 'toolbar', id: 'sensors-counts' },
    ...view.byKind.map((g) =>
      el(
        'span',
        { class: `kind-count ${g.count > 0 ? 'error' : 'muted'}`, 'data-kind': g.kind },
        `${KIND_TITLES[g.kind]}: ${g.count}`,
      ),
    ),
  );
  // Two missed checks: the list below may no longer be true.
  const stale =
    view.everyMinutes !== undefined && now - report.checkedAt > 2 * view.everyMinutes * 60_000
      ? el(
          'p',
          { class: 'verdict fail', id: 'sensors-stale' },
          `This report is older than two check intervals (the check runs every ${view.everyMinutes} min): is the check running?`,
        )
      : null;
  if (unhealthy === 0) {
    return [
      checked,
      ...(stale ? [stale] : []),
      counts,
      el('p', { class: 'verdict pass', id: 'sensors-state' }, `All ${report.devicesKnown} devices healthy.`),
    ];
  }
  const sections = view.byKind
    .filter((g) => g.count > 0)
    .map((g) =>
      el(
        'section',
        { class: 'panel sensors-kind', 'data-kind': g.kind },
        el('h2', {}, `${KIND_TITLES[g.kind]} (${g.count})`),
        el('p', { class: 'muted' }, KIND_ACTIONS[g.kind]),
        el(
          'table',
          { class: 'sensors', style: 'width:100%;table-layout:fixed' },
          el('tr', {}, ...COLUMNS.map(([h, width]) => el('th', { style: `width:${width}` }, h))),
          ...g.devices.map((d) =>
            el(
              'tr',
              { 'data-thing': d.thingName, 'data-kind': d.kind },
              el('td', { class: 'nowrap' }, d.thingName),
              el(
                'td',
                {},
                time(d.since),
                el('br'),
                el('span', { class: 'muted' }, `${span(report.checkedAt - d.since)} before the check`),
              ),
              el(
                'td',
                { class: 'nowrap' },
                d.lastGoodReading === null ? 'none in the lookback' : time(d.lastGoodReading),
              ),
              el('td', {}, d.signal ?? '—'),
              el('td', {}, d.detail),
            ),
          ),
        ),
      ),
    );
  return [
    checked,
    ...(stale ? [stale] : []),
    counts,
    el(
      'p',
      { class: 'verdict fail', id: 'sensors-state' },
      `${unhealthy} unhealthy of ${report.devicesKnown} device${report.devicesKnown === 1 ? '' : 's'}.`,
    ),
    ...sections,
  ];
}

export function sensorsPage(): void {
  const main = shell('Sensors');
  const holder = el('div');
  main.append(holder);
  poll(5000, async () => {
    holder.replaceChildren(...render(await getJson<SensorsView>('/api/sensors'), Date.now()));
    return true;
  });
}
