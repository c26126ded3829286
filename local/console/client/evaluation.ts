import uPlot from 'uplot';
import type { EvaluationView, ModelEvaluation } from '../evaluation-view';
import { el, fmt } from './dom';

/** A run's evaluation: metrics with F1 intervals, the gate's comparisons, confusion matrices and curves. */

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
    // uPlot's own legend reads "--" off the curve; a key of the lines says what they are instead.
    legend: { show: false },
    series: [{ label: axes.x }, ...series.map((s) => ({ label: s.label, stroke: s.colour, dash: s.dash, width: 2 }))],
  };
  new uPlot(opts, [xs, ...series.map((s) => s.ys)] as uPlot.AlignedData, box);
  box.append(
    el(
      'div',
      { class: 'graph-legend' },
      ...series.map((s) =>
        el(
          'span',
          {},
          el('span', { class: s.dash ? 'edge-dashed' : 'edge-solid', style: `border-top-color:${s.colour}` }),
          s.label,
        ),
      ),
    ),
  );
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

export function evaluationSection(evaluation: EvaluationView): HTMLElement {
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
        el('tr', {}, ...['Against', 'ΔF1', 'ΔF1 CI', 'Verdict'].map((h) => el('th', {}, h))),
        ...evaluation.comparisons.map((c) =>
          el(
            'tr',
            {},
            el('td', {}, c.against),
            el('td', { class: 'num' }, fmt(c.delta)),
            el('td', { class: 'num' }, `${fmt(c.lower)} – ${fmt(c.upper)}`),
            el('td', { class: c.passed ? 's-succeeded' : 's-failed' }, c.passed ? '✓ better' : '✗ not shown better'),
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
