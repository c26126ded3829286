import type { RunView } from '../data';
import { el } from './dom';
import { seconds } from './shell';

/** The state graph as SVG: layered top-down, coloured by status, catch edges faint, with a legend. */

const STATUS_COLOURS: Record<string, string> = {
  succeeded: '#c9f0c0',
  running: '#b9dcf5',
  failed: '#f7c4b8',
  caught: '#fbe3a6',
  retried: '#fbe3a6',
  'not-run': '#eceff2',
};

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function stateGraphSvg(view: RunView): SVGElement {
  const w = 168;
  const h = 26;
  const gapX = 14;
  const gapY = 22;
  const { graph } = view;
  const width = graph.widestLayer * (w + gapX) + gapX;
  const height = graph.layers * (h + gapY) + gapY;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, id: 'state-graph' });
  const perLayer = new Map<number, number>();
  for (const n of graph.nodes) perLayer.set(n.layer, (perLayer.get(n.layer) ?? 0) + 1);
  const pos = new Map<string, { x: number; y: number }>();
  for (const n of graph.nodes) {
    const count = perLayer.get(n.layer) ?? 1;
    const offset = (width - count * (w + gapX) + gapX) / 2;
    pos.set(n.name, { x: offset + n.slot * (w + gapX), y: gapY + n.layer * (h + gapY) });
  }
  const ran = (name: string) => (view.stateSummary[name]?.status ?? 'not-run') !== 'not-run';
  for (const e of graph.edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) continue;
    const back = b.y <= a.y;
    const x1 = a.x + w / 2;
    const y1 = a.y + h;
    const x2 = b.x + w / 2;
    const y2 = back ? b.y + h / 2 : b.y;
    const d = back
      ? `M${a.x + w} ${a.y + h / 2} C ${a.x + w + 40} ${a.y + h / 2}, ${b.x + w + 40} ${y2}, ${b.x + w} ${y2}`
      : `M${x1} ${y1} C ${x1} ${y1 + gapY / 2}, ${x2} ${y2 - gapY / 2}, ${x2} ${y2}`;
    root.append(
      svg('path', {
        d,
        fill: 'none',
        // Catch edges are the exceptional path: faint and thin so the main flow reads first.
        stroke: e.kind === 'catch' ? '#d13212' : '#5f6b7a',
        // The path the run took reads first; branches it never entered stay in the background.
        'stroke-opacity': e.kind === 'catch' ? 0.18 : ran(e.from) && ran(e.to) ? 0.9 : 0.3,
        'stroke-width': e.kind === 'catch' ? 0.8 : 1.4,
        'stroke-dasharray': e.kind === 'catch' ? '2 4' : e.kind === 'branch' || e.kind === 'join' ? '5 3' : '',
        'data-edge': e.kind,
      }),
    );
  }
  for (const n of graph.nodes) {
    const p = pos.get(n.name);
    if (!p) continue;
    const summary = view.stateSummary[n.name];
    const status = summary?.status ?? 'not-run';
    const g = svg('g', {
      'data-state': n.name,
      'data-status': status,
      ...(status === 'not-run' ? { opacity: 0.55 } : {}),
    });
    const title = svg(
      'title',
      {},
      `${n.name} (${n.type}) ${status}${summary ? `, ${summary.visits}× ${seconds(summary.totalMs)}` : ''}`,
    );
    g.append(
      title,
      svg('rect', {
        x: p.x,
        y: p.y,
        width: w,
        height: h,
        rx: n.type === 'Choice' ? 12 : 3,
        fill: STATUS_COLOURS[status] ?? '#eceff2',
        stroke: n.type === 'Parallel' ? '#232f3e' : '#8d99a8',
      }),
      svg('text', { x: p.x + 6, y: p.y + 17 }, n.name.length > 24 ? `${n.name.slice(0, 23)}…` : n.name),
    );
    root.append(g);
  }
  return root;
}

const LEGEND: [string, string][] = [
  ['succeeded', 'succeeded'],
  ['running', 'running'],
  ['failed', 'failed'],
  ['caught', 'caught / retried'],
  ['not-run', 'not run'],
];

/** What the colours and lines of the graph mean. */
export function graphLegend(): HTMLElement {
  return el(
    'div',
    { class: 'graph-legend', id: 'graph-legend' },
    ...LEGEND.map(([status, label]) =>
      el('span', {}, el('span', { class: 'swatch', style: `background:${STATUS_COLOURS[status] ?? '#eee'}` }), label),
    ),
    el('span', {}, el('span', { class: 'edge-solid' }), 'next / choice'),
    el('span', {}, el('span', { class: 'edge-dashed' }), 'parallel branch'),
    el('span', {}, el('span', { class: 'edge-catch' }), 'error path (Catch)'),
    el('span', {}, '▢ rounded: Choice, dark border: Parallel'),
  );
}

/** Zoom for a graph taller than the screen: the SVG scales with its viewBox, so text stays sharp. */
export function graphZoom(body: HTMLElement): HTMLElement {
  const levels = [0.5, 0.75, 1];
  let level = 2;
  const label = el('span', { class: 'muted' }, '100 %');
  const apply = () => {
    const graph = body.querySelector('svg');
    const factor = levels[level] ?? 1;
    const width = Number(graph?.getAttribute('width'));
    const height = Number(graph?.getAttribute('height'));
    if (graph && width > 0 && height > 0) {
      graph.style.width = `${Math.round(width * factor)}px`;
      graph.style.height = `${Math.round(height * factor)}px`;
    }
    label.textContent = `${Math.round((levels[level] ?? 1) * 100)} %`;
  };
  const button = (text: string, step: number) => {
    const b = el('button', { type: 'button', class: 'zoom' }, text);
    b.addEventListener('click', () => {
      level = Math.min(levels.length - 1, Math.max(0, level + step));
      apply();
    });
    return b;
  };
  // A poll redraws the SVG: keep the chosen zoom.
  new MutationObserver(apply).observe(body, { childList: true });
  return el('div', { class: 'zoom-bar' }, button('−', -1), button('+', 1), label);
}
