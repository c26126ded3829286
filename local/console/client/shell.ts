import { app, boot, el } from './dom';

/** What every page does: the header, polling its JSON view, durations. */

export const seconds = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export function shell(title: string): HTMLElement {
  app.replaceChildren();
  if (boot.mode === 'live') {
    app.append(
      el(
        'header',
        {},
        el('span', { class: 'brand' }, 'occupancy'),
        el('a', { href: '/' }, 'Runs'),
        el('a', { href: '/endpoints' }, 'Endpoint'),
        el('a', { href: '/dashboard' }, 'Dashboard'),
        el('a', { href: '/sensors' }, 'Sensors'),
      ),
    );
  }
  const main = el('main', {}, el('h1', {}, title));
  app.append(main);
  return main;
}

export function poll(intervalMs: number, tick: () => Promise<boolean | undefined>): void {
  const run = async () => {
    let again: boolean | undefined = true;
    try {
      again = await tick();
    } catch (error) {
      console.warn(error);
    }
    if (again !== false) setTimeout(run, intervalMs);
  };
  void run();
}
