import type { BootData } from '../assets';

/** What every console page shares in the browser: the boot data the server embedded, and DOM helpers. */

export const boot = JSON.parse(document.getElementById('boot')?.textContent ?? '{}') as BootData;
export const app = document.getElementById('app') as HTMLElement;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string | null)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) if (c !== null) node.append(c);
  return node;
}

export const fmt = (v: number | null | undefined, digits = 3): string =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
export const time = (ms: number | null): string => (ms ? new Date(ms).toLocaleString() : '—');

/** Removes the columns of a table in which no body row has text: a column with nothing in it says nothing. */
export function dropEmptyColumns(table: HTMLTableElement): HTMLTableElement {
  const rows = Array.from(table.rows);
  const width = Math.max(0, ...rows.map((r) => r.cells.length));
  const body = rows.filter((r) => !Array.from(r.cells).every((c) => c.tagName === 'TH'));
  if (body.length === 0 || body.some((r) => r.cells.length !== width)) return table; // colspans: leave as is
  for (let i = width - 1; i >= 0; i--) {
    if (body.every((r) => (r.cells[i]?.textContent ?? '').trim() === '')) {
      for (const r of rows) r.cells[i]?.remove();
    }
  }
  return table;
}
