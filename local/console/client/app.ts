import uPlot from 'uplot';
import type { ConsolePage } from '../assets';
import type { WidgetData } from '../dashboard';
import type { EndpointView, RunListItem, RunView } from '../data';
import type { EvaluationView, ModelEvaluation } from '../evaluation-view';
import type { RoomOccupancyView } from '../rooms';
import { approvalPanel } from './approval-panel';
import { app, boot, el, fmt, time } from './dom';

/** The console in the browser: renders the JSON views, polling them while the page is open. */

const STATUS_COLOURS: Record<string, string> = {
  succeeded: '#c9f0c0',
  running: '#b9dcf5',
  failed: '#f7c4b8',
  caught: '#fbe3a6',
  retried: '#fbe3a6',
  'not-run': '#eceff2',
};

const seconds = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

function shell(title: string): HTMLElement {
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
      ),
    );
  }
  const main = el('main', {}, el('h1', {}, title));
  app.append(main);
  return main;
}

function poll(intervalMs: number, tick: () => Promise<boolean | undefined>): void {
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

// ---- runs ----------------------------------------------------------------------------------------------

function runsPage(): void {
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
        : el(
            'table',
            { id: 'runs' },
            el(
              'tr',
              {},
              ...['Run', 'Status', 'Outcome', 'Started', 'Duration', 'Current state', 'Candidate F1'].map((h) =>
                el('th', {}, h),
              ),
            ),
            ...rows,
          ),
    );
    return true;
  });
}

// ---- run -------------------------------------------------------------------------------------------------

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function stateGraphSvg(view: RunView): SVGElement {
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
        stroke: e.kind === 'catch' ? '#d13212' : '#8d99a8',
        'stroke-opacity': e.kind === 'catch' ? 0.3 : 1,
        'stroke-dasharray': e.kind === 'branch' || e.kind === 'join' || e.kind === 'catch' ? '4 3' : '',
      }),
    );
  }
  for (const n of graph.nodes) {
    const p = pos.get(n.name);
    if (!p) continue;
    const summary = view.stateSummary[n.name];
    const status = summary?.status ?? 'not-run';
    const g = svg('g', { 'data-state': n.name, 'data-status': status });
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

function statesTable(view: RunView): HTMLElement {
  const table = el(
    'table',
    { id: 'states' },
    el('tr', {}, ...['State', 'Type', 'Status', 'Entered', 'Duration', ''].map((h) => el('th', {}, h))),
  );
  for (const s of view.states) {
    const details = el(
      'details',
      {},
      el('summary', {}, 'input / output'),
      el('div', {}, 'input'),
      el('pre', {}, JSON.stringify(s.input, null, 2)),
      el('div', {}, s.error ? 'error' : 'output'),
      el('pre', {}, s.error ?? JSON.stringify(s.output, null, 2)),
    );
    table.append(
      el(
        'tr',
        {},
        el('td', {}, s.name),
        el('td', {}, s.type),
        el('td', { class: `s-${s.status}` }, s.status),
        el('td', {}, new Date(s.enteredAt).toLocaleTimeString()),
        el('td', { class: 'num' }, seconds(s.durationMs)),
        el('td', {}, details),
      ),
    );
  }
  return table;
}

function lineChart(
  title: string,
  id: string,
  xs: number[],
  series: { label: string; ys: (number | null)[]; colour: string; dash?: number[] }[],
  axes: { x: string; y: string },
): HTMLElement {
  const box = el('div', { class: 'chart', id }, el('h3', {}, title));
  const opts: uPlot.Options = {
    width: 340,
    height: 260,
    scales: { x: { time: false, range: [0, 1] }, y: { range: [0, 1] } },
    axes: [{ label: axes.x }, { label: axes.y }],
    series: [{ label: axes.x }, ...series.map((s) => ({ label: s.label, stroke: s.colour, dash: s.dash, width: 2 }))],
  };
  new uPlot(opts, [xs, ...series.map((s) => s.ys)] as uPlot.AlignedData, box);
  return box;
}

function modelCharts(model: ModelEvaluation): HTMLElement[] {
  const curves = model.curves;
  if (!curves) return [];
  const calibration = curves.calibration.filter((b) => b.meanProbability !== null && b.fractionPositive !== null);
  const calX = calibration.map((b) => b.meanProbability ?? 0);
  return [
    lineChart(
      `ROC — ${model.name}`,
      `roc-${model.name}`,
      curves.roc.fpr,
      [
        { label: model.name, ys: curves.roc.tpr, colour: '#0073bb' },
        { label: 'chance', ys: curves.roc.fpr, colour: '#999', dash: [4, 4] },
      ],
      { x: 'false positive rate', y: 'true positive rate' },
    ),
    lineChart(
      `Precision–recall — ${model.name}`,
      `pr-${model.name}`,
      curves.pr.recall,
      [{ label: model.name, ys: curves.pr.precision, colour: '#1d8102' }],
      { x: 'recall', y: 'precision' },
    ),
    lineChart(
      `Calibration — ${model.name}`,
      `calibration-${model.name}`,
      calX,
      [
        { label: 'observed', ys: calibration.map((b) => b.fractionPositive), colour: '#ec7211' },
        { label: 'perfect', ys: calX, colour: '#999', dash: [4, 4] },
      ],
      { x: 'mean predicted probability', y: 'fraction occupied' },
    ),
  ];
}

function confusionTable(model: ModelEvaluation): HTMLElement {
  const c = model.confusion;
  return el(
    'table',
    { class: 'confusion', 'data-model': model.name },
    el('tr', {}, el('th', {}, model.name), el('th', {}, 'predicted 0'), el('th', {}, 'predicted 1')),
    el(
      'tr',
      {},
      el('th', {}, 'actual 0'),
      el('td', { class: 'num' }, String(c.tn)),
      el('td', { class: 'num' }, String(c.fp)),
    ),
    el(
      'tr',
      {},
      el('th', {}, 'actual 1'),
      el('td', { class: 'num' }, String(c.fn)),
      el('td', { class: 'num' }, String(c.tp)),
    ),
  );
}

function evaluationSection(evaluation: EvaluationView): HTMLElement {
  const section = el('section', { class: 'panel', id: 'evaluation' }, el('h2', {}, 'Evaluation'));
  section.append(el('p', {}, evaluation.summary), el('ul', {}, ...evaluation.reasons.map((r) => el('li', {}, r))));
  const head = [
    'Model',
    'Role',
    'F1',
    `F1 ${Math.round((evaluation.models[0]?.f1Interval.confidence ?? 0.95) * 100)}% CI`,
  ];
  head.push('Precision', 'Recall', 'Accuracy', 'MCC', 'ROC AUC', 'PR AUC', 'Brier');
  const table = el('table', { id: 'metrics' }, el('tr', {}, ...head.map((h) => el('th', {}, h))));
  for (const m of evaluation.models) {
    const x = m.metrics;
    table.append(
      el(
        'tr',
        { 'data-model': m.name, title: m.description },
        el('td', {}, m.name),
        el('td', {}, m.role),
        el('td', { class: 'num f1' }, fmt(x.f1)),
        el('td', { class: 'num' }, `${fmt(m.f1Interval.lower)} – ${fmt(m.f1Interval.upper)}`),
        el('td', { class: 'num' }, fmt(x.precision)),
        el('td', { class: 'num' }, fmt(x.recall)),
        el('td', { class: 'num' }, fmt(x.accuracy)),
        el('td', { class: 'num' }, fmt(x.mcc)),
        el('td', { class: 'num' }, fmt(x.rocAuc)),
        el('td', { class: 'num' }, fmt(x.prAuc)),
        el('td', { class: 'num' }, fmt(x.brier)),
      ),
    );
  }
  section.append(table);
  if (evaluation.comparisons.length > 0) {
    section.append(
      el('h3', {}, 'Gate: candidate vs each other model (paired bootstrap ΔF1)'),
      el(
        'table',
        { id: 'comparisons' },
        el('tr', {}, ...['Against', 'ΔF1', 'CI', 'Passed'].map((h) => el('th', {}, h))),
        ...evaluation.comparisons.map((c) =>
          el(
            'tr',
            {},
            el('td', {}, c.against),
            el('td', { class: 'num' }, fmt(c.delta)),
            el('td', { class: 'num' }, `${fmt(c.lower)} – ${fmt(c.upper)}`),
            el('td', {}, c.passed ? 'yes' : 'no'),
          ),
        ),
      ),
    );
  }
  section.append(
    el('h3', {}, 'Confusion matrices'),
    el('div', { class: 'charts' }, ...evaluation.models.map(confusionTable)),
  );
  section.append(el('h3', {}, 'Curves'), el('div', { class: 'charts' }, ...evaluation.models.flatMap(modelCharts)));
  return section;
}

function renderRun(main: HTMLElement, view: RunView, parts: { evaluationShown: boolean }): void {
  const r = view.run;
  const header = el(
    'section',
    { class: 'panel', id: 'run-summary' },
    el('div', {}, 'Status: ', el('b', { class: `status-${r.status}`, id: 'run-status' }, r.status)),
    el('div', {}, 'Outcome: ', el('b', { id: 'run-outcome' }, r.outcome)),
    el('div', {}, `Started ${time(r.startDate)}, duration ${r.durationSeconds.toFixed(1)} s`),
    r.currentState ? el('div', {}, `Now in ${r.currentState}`) : null,
    view.approval
      ? el(
          'div',
          { id: 'approval-status' },
          `Approval: ${view.approval.status}${view.approval.decidedBy ? ` (${view.approval.decidedBy})` : ''}`,
        )
      : null,
    r.cause ? el('div', { class: 'error' }, `${r.error ?? ''}: ${r.cause}`) : null,
  );
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
  if (!shown || shown.classList.contains('closed') || view.approval?.closed) {
    const panel = approvalPanel(view);
    slot('slot-approval').replaceChildren(...(panel ? [panel] : []));
  }
  slot('slot-graph').replaceChildren(
    el('section', { class: 'panel graph' }, el('h2', {}, 'State graph'), stateGraphSvg(view)),
  );
  if (!parts.evaluationShown) {
    if (view.evaluation) {
      slot('slot-evaluation').replaceChildren(evaluationSection(view.evaluation));
      parts.evaluationShown = true;
    } else if (view.evaluationError) {
      slot('slot-evaluation').replaceChildren(el('p', { class: 'error' }, `Evaluation: ${view.evaluationError}`));
    }
  }
  slot('slot-states').replaceChildren(el('section', { class: 'panel' }, el('h2', {}, 'States'), statesTable(view)));
}

function runPage(): void {
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

// ---- endpoint ------------------------------------------------------------------------------------------

function endpointsPage(): void {
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
              el('td', { class: 'num' }, String(v.CurrentInstanceCount ?? '')),
              el('td', {}, JSON.stringify(v.VariantStatus ?? '')),
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

// ---- dashboard -----------------------------------------------------------------------------------------

const PALETTE = ['#0073bb', '#ec7211', '#1d8102', '#d13212', '#8c4fff'];

function dashboardPage(): void {
  const main = shell('Dashboard');
  const grid = el('div', { class: 'charts', id: 'dashboard' });
  main.append(
    el('p', { class: 'muted' }, 'The CloudWatch dashboard’s widgets over local metrics, last 3 hours.'),
    grid,
  );
  const charts = new Map<string, { plot: uPlot; legend: HTMLElement; keys: string }>();
  const rooms = el('table', { class: 'latest', id: 'live-rooms' });
  main.append(el('div', { class: 'card' }, el('h3', {}, 'Live occupancy per room'), rooms));
  poll(2000, async () => {
    const rows = await getJson<RoomOccupancyView[]>('/api/rooms');
    rooms.replaceChildren(
      el('tr', {}, ...['room', 'occupied', 'probability', 'source', 'model', 'answered'].map((h) => el('th', {}, h))),
      ...(rows.length === 0
        ? [
            el(
              'tr',
              {},
              el('td', { colspan: '6', class: 'muted' }, 'No live thermostats yet: occupancy simulate --live'),
            ),
          ]
        : rows.map((r) =>
            el(
              'tr',
              { 'data-room': r.thingName },
              el('td', {}, r.thingName),
              el('td', {}, r.occupied === null ? '—' : r.occupied ? 'occupied' : 'free'),
              el('td', { class: 'num' }, fmt(r.probability, 2)),
              el('td', {}, r.source ?? '—'),
              el('td', { class: 'muted' }, r.model ?? '—'),
              el('td', { class: 'muted' }, r.ageSeconds === null ? '—' : `${r.ageSeconds} s ago`),
            ),
          )),
    );
    return true;
  });
  poll(3000, async () => {
    const widgets = await getJson<WidgetData[]>('/api/dashboard?minutes=180');
    for (const w of widgets) {
      const xs = [...new Set(w.series.flatMap((s) => s.points.map((p) => p.t)))].sort((a, b) => a - b);
      const data = [
        xs.map((t) => t / 1000),
        ...w.series.map((s) => {
          const byT = new Map(s.points.map((p) => [p.t, p.v]));
          return xs.map((t) => byT.get(t) ?? null);
        }),
      ] as uPlot.AlignedData;
      const keys = w.series.map((s) => s.label).join('|');
      let entry = charts.get(w.id);
      if (!entry || entry.keys !== keys) {
        const box = el('div', { class: 'chart widget', id: `widget-${w.id}` }, el('h3', {}, w.title));
        const legend = el('table', { class: 'latest' });
        const hasRight = w.series.some((s) => s.axis === 'right');
        const plot = new uPlot(
          {
            width: 420,
            height: 220,
            scales: {
              // One point would otherwise stretch the axis over years.
              x: { range: (_u, min, max) => (max - min < 600 ? [max - 1800, max + 60] : [min, max]) },
              y: w.leftYAxis ? { range: [w.leftYAxis.min ?? 0, w.leftYAxis.max ?? 1] } : {},
              ...(hasRight ? { r: {} } : {}),
            },
            axes: [{}, {}, ...(hasRight ? [{ scale: 'r', side: 1 }] : [])],
            series: [
              {},
              ...w.series.map((s, i) => ({
                label: s.label,
                stroke: PALETTE[i % PALETTE.length],
                width: 2,
                spanGaps: true,
                points: { show: true, size: 6 },
                ...(s.axis === 'right' ? { scale: 'r' } : {}),
              })),
            ],
          },
          data,
          box,
        );
        box.append(legend);
        const old = document.getElementById(`widget-${w.id}`);
        if (old) old.replaceWith(box);
        else grid.append(box);
        entry = { plot, legend, keys };
        charts.set(w.id, entry);
      } else {
        entry.plot.setData(data);
      }
      entry.legend.replaceChildren(
        ...w.series.map((s) =>
          el(
            'tr',
            { 'data-series': s.label },
            el('td', {}, s.label),
            el('td', { class: 'num latest-value' }, fmt(s.latest)),
            el('td', { class: 'muted' }, s.note ?? ''),
          ),
        ),
      );
    }
    return true;
  });
}

const pages: Record<ConsolePage, () => void> = {
  runs: runsPage,
  run: runPage,
  endpoints: endpointsPage,
  dashboard: dashboardPage,
};
(pages[boot.page] ?? runsPage)();
