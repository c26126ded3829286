import uPlot from 'uplot';
import {
  DASHBOARD_WINDOWS,
  type DashboardResponse,
  type DashboardWindowName,
  type DeviceTableData,
  type WidgetData,
} from '../dashboard';
import type { RoomOccupancyView } from '../rooms';
import { dropEmptyColumns, el, fmt, time } from './dom';
import { getJson, poll, shell } from './shell';

/**
 * The dashboard: the CloudWatch dashboard's widgets over local metrics, in a fixed window the user picks. The x-axis
 * is always exactly that window (never fitted to the data, which stretched one point over years); counts are bars,
 * levels lines; the legend shows the value under the cursor, else the newest.
 */

// Twelve distinct colours: the drift widget draws one line per feature.
const PALETTE = [
  '#0073bb',
  '#ec7211',
  '#1d8102',
  '#d13212',
  '#8c4fff',
  '#00a1c9',
  '#c9a100',
  '#7a4b1f',
  '#e377c2',
  '#6b7b8c',
  '#17becf',
  '#9aa000',
];
const WINDOW_LABELS: Record<DashboardWindowName, string> = { '1h': '1 h', '3h': '3 h', '1d': '1 d', '1w': '1 w' };

interface Chart {
  plot: uPlot;
  box: HTMLElement;
  legend: HTMLTableElement;
  widget: WidgetData;
  keys: string;
}

const BAR_PX = 7;

/** Bars of several count series side by side in their bucket (not on top of each other), BAR_PX wide each. */
function groupedBars(i: number, n: number): uPlot.Series.PathBuilder | undefined {
  const width = (u: uPlot) => u.posToVal(BAR_PX, 'x') - u.posToVal(0, 'x');
  return uPlot.paths.bars?.({
    disp: {
      x0: { unit: 1, values: (u: uPlot) => u.data[0].map((x) => x + (i - n / 2) * width(u)) },
      size: { unit: 1, values: (u: uPlot) => [width(u)] },
    },
  } as uPlot.Series.BarsPathBuilderOpts);
}

/** Counts read as whole numbers, levels with three decimals. */
const value3 = (v: number): string => (Number.isInteger(v) ? String(v) : fmt(v, 3));

function legendRows(chart: Chart, idx: number | null): void {
  const { plot, widget } = chart;
  const hasNote = widget.series.some((s) => s.note);
  const x = idx === null ? null : plot.data[0][idx];
  chart.legend.replaceChildren(
    ...widget.series.map((s, i) => {
      const at = idx === null ? null : (plot.data[i + 1]?.[idx] ?? null);
      const value =
        idx === null || x === null || x === undefined
          ? s.latest === null
            ? 'no data in window'
            : `${value3(s.latest)} (newest)`
          : at === null || at === undefined
            ? `no data at ${new Date(x * 1000).toLocaleTimeString()}`
            : value3(at);
      return el(
        'tr',
        { 'data-series': s.label },
        el('td', {}, el('span', { class: 'swatch', style: `background:${PALETTE[i % PALETTE.length]}` }), s.label),
        el('td', { class: 'num latest-value' }, value),
        hasNote ? el('td', { class: 'muted' }, s.note ?? '') : null,
      );
    }),
  );
}

function xsOf(widget: WidgetData): number[] {
  return [...new Set(widget.series.flatMap((s) => s.points.map((p) => p.t)))].sort((a, b) => a - b);
}

function chartData(widget: WidgetData): uPlot.AlignedData {
  const xs = xsOf(widget);
  return [
    xs.map((t) => t / 1000),
    ...widget.series.map((s) => {
      const byT = new Map(s.points.map((p) => [p.t, p.v]));
      return xs.map((t) => byT.get(t) ?? null);
    }),
  ] as uPlot.AlignedData;
}

function newChart(widget: WidgetData, window: { start: number; end: number }): Chart {
  const box = el('div', { class: 'chart widget', id: `widget-${widget.id}` }, el('h3', {}, widget.title));
  const legend = el('table', { class: 'legend' });
  const hasRight = widget.series.some((s) => s.axis === 'right');
  const bars = widget.series.filter((s) => s.draw === 'bars');
  const chart = { box, legend, widget, keys: '' } as Omit<Chart, 'plot'> & { plot?: uPlot };
  const plot = new uPlot(
    {
      width: 420,
      height: 200,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        // Exactly the window, whatever the data: read at every redraw, so polling moves it forward.
        x: { time: true, range: () => [window.start / 1000, window.end / 1000] },
        y: widget.leftYAxis
          ? { range: [widget.leftYAxis.min ?? 0, widget.leftYAxis.max ?? 1] }
          : { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        ...(hasRight ? { r: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } } : {}),
      },
      axes: [{}, { size: 50 }, ...(hasRight ? [{ scale: 'r', side: 1, grid: { show: false } }] : [])],
      series: [
        {},
        ...widget.series.map((s, i) => {
          const colour = PALETTE[i % PALETTE.length] ?? '#0073bb';
          const barsPath = s.draw === 'bars' ? groupedBars(bars.indexOf(s), bars.length) : undefined;
          return {
            label: s.label,
            stroke: colour,
            width: 2,
            spanGaps: true,
            ...(s.draw === 'bars' && barsPath ? { paths: barsPath, fill: `${colour}99`, points: { show: false } } : {}),
            // Filled points: a series with one datum in the window is still plainly visible.
            ...(s.draw === 'line' ? { points: { show: true, size: 7, fill: colour } } : {}),
            ...(s.axis === 'right' ? { scale: 'r' } : {}),
          };
        }),
      ],
      hooks: {
        setCursor: [(u) => chart.plot && legendRows(chart as Chart, u.cursor.idx ?? null)],
        setScale: [
          (u, key) => {
            if (key !== 'x') return;
            // The scale as the chart drew it, for tests and for anyone inspecting the page.
            box.setAttribute('data-x-min', String(u.scales.x?.min ?? ''));
            box.setAttribute('data-x-max', String(u.scales.x?.max ?? ''));
          },
        ],
      },
    },
    chartData(widget),
  );
  chart.plot = plot;
  box.append(plot.root, legend);
  return chart as Chart;
}

function update(chart: Chart, widget: WidgetData): void {
  chart.widget = widget;
  const data = chartData(widget);
  chart.plot.setData(data);
  chart.box.setAttribute('data-xs', data[0].join(','));
  chart.box.querySelector('.empty')?.remove();
  if (data[0].length === 0) {
    // The live monitor's widgets say what is missing; the others have nothing more to say than that.
    chart.box.insertBefore(el('p', { class: 'empty' }, widget.empty ?? 'No data in this window.'), chart.legend);
  }
  legendRows(chart, chart.plot.cursor.idx ?? null);
}

const COLUMN_TITLES: Record<DeviceTableData['columns'][number], string> = {
  thingName: 'Device',
  kind: 'Kind',
  since: 'Since',
  lastGoodReading: 'Last good reading',
  detail: 'Detail',
};

function deviceTable(id: string, title: string, table: DeviceTableData): HTMLElement {
  const cell = (d: DeviceTableData['devices'][number], c: DeviceTableData['columns'][number]): string => {
    if (c === 'since') return time(d.since);
    if (c === 'lastGoodReading') return d.lastGoodReading === null ? 'none' : time(d.lastGoodReading);
    return d[c];
  };
  const body =
    table.checkedAt === null
      ? el('p', { class: 'muted' }, 'No sensor health check has run yet.')
      : table.devices.length === 0
        ? el('p', { class: 'muted' }, `All devices healthy at the check of ${time(table.checkedAt)}.`)
        : el(
            'table',
            { class: 'devices' },
            el('tr', {}, ...table.columns.map((c) => el('th', {}, COLUMN_TITLES[c]))),
            ...table.devices.map((d) =>
              el(
                'tr',
                { 'data-thing': d.thingName, 'data-kind': d.kind },
                ...table.columns.map((c) => el('td', {}, cell(d, c))),
              ),
            ),
          );
  return el(
    'div',
    // Not a `widget`: pages and tests read a widget as a chart with an x-scale; this is a table.
    { class: 'chart device-table', id: `widget-${id}` },
    el('h3', {}, el('a', { href: '/sensors' }, title)),
    body,
  );
}

export function dashboardPage(): void {
  const main = shell('Dashboard');
  const params = new URLSearchParams(location.search);
  let selected = (
    Object.hasOwn(DASHBOARD_WINDOWS, params.get('window') ?? '') ? params.get('window') : '3h'
  ) as DashboardWindowName;
  const picker = el('div', { class: 'picker', id: 'window-picker' });
  const caption = el('span', { class: 'muted' });
  const grid = el('div', { class: 'charts', id: 'dashboard' });
  main.append(el('div', { class: 'toolbar' }, picker, caption), grid);
  const window = { start: 0, end: 0 };
  const charts = new Map<string, Chart>();
  let refresh = async (): Promise<void> => undefined;
  const drawPicker = () =>
    picker.replaceChildren(
      ...(Object.keys(WINDOW_LABELS) as DashboardWindowName[]).map((name) => {
        const button = el(
          'button',
          { type: 'button', 'data-window': name, class: name === selected ? 'selected' : '' },
          WINDOW_LABELS[name],
        );
        button.addEventListener('click', () => {
          selected = name;
          history.replaceState(null, '', `?window=${name}`);
          drawPicker();
          void refresh();
        });
        return button;
      }),
    );
  drawPicker();

  refresh = async () => {
    const answer = await getJson<DashboardResponse>(`/api/dashboard?window=${selected}`);
    if (answer.window !== selected) return;
    window.start = answer.start;
    window.end = answer.end;
    grid.setAttribute('data-window', answer.window);
    grid.setAttribute('data-start', String(answer.start / 1000));
    grid.setAttribute('data-end', String(answer.end / 1000));
    caption.textContent = `The CloudWatch dashboard’s widgets over local metrics: ${new Date(answer.start).toLocaleString()} – ${new Date(answer.end).toLocaleTimeString()}.`;
    for (const w of answer.widgets) {
      if (w.table) {
        // A device table (issue 22): the newest sensor health report's devices, redrawn at each refresh.
        const box = deviceTable(w.id, w.title, w.table);
        const old = document.getElementById(box.id);
        if (old) old.replaceWith(box);
        else grid.append(box);
        continue;
      }
      const keys = w.series.map((s) => `${s.label}:${s.draw}:${s.axis}`).join('|');
      let chart = charts.get(w.id);
      if (!chart || chart.keys !== keys) {
        const fresh = newChart(w, window);
        fresh.keys = keys;
        if (chart) chart.box.replaceWith(fresh.box);
        else grid.append(fresh.box);
        chart?.plot.destroy();
        chart = fresh;
        charts.set(w.id, chart);
      }
      update(chart, w);
    }
    grid.setAttribute('data-ready', answer.window);
  };

  const rooms = el('div', { id: 'live-rooms' });
  main.append(el('div', { class: 'panel' }, el('h3', {}, 'Live occupancy per room'), rooms));
  poll(2000, async () => {
    const rows = await getJson<RoomOccupancyView[]>('/api/rooms');
    if (rows.length === 0) {
      rooms.replaceChildren(
        el(
          'p',
          { class: 'muted' },
          'No live thermostats yet: run `npx occupancy simulate --live` beside this console.',
        ),
      );
      return true;
    }
    rooms.replaceChildren(
      dropEmptyColumns(
        el(
          'table',
          { class: 'latest' },
          el(
            'tr',
            {},
            ...['Room', 'Occupied', 'Probability', 'Source', 'Model', 'Answered'].map((h) => el('th', {}, h)),
          ),
          ...rows.map((r) =>
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
          ),
        ),
      ),
    );
    return true;
  });
  poll(3000, async () => {
    await refresh();
    return true;
  });
}
