import { type EmfDocument, metricDataOfEmf } from '../../local/iot/local-metrics';
import type { MetricDefinition } from '../../observability/metrics';
import type { renderStateMachineAsl } from '../../pipeline/render-asl';

/** What the consistency test compares: metrics selected by alarms and widgets, and metrics code publishes. */

export type CfnTemplate = Parameters<typeof renderStateMachineAsl>[0];

/** A dimension value only known at deploy time (a Ref, an import): any published value matches it. */
export const TOKEN = '<token>';

export interface Consumer {
  /** `alarm <name>`, `dashboard <title>` or `console widget <id>`. */
  readonly where: string;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

export interface Emitted {
  readonly source: string;
  readonly namespace: string;
  readonly name: string;
  readonly unit?: string | undefined;
  /** undefined value: published with several values (per decision, per endpoint…). */
  readonly dimensions: Readonly<Record<string, string | undefined>>;
}

type Json = Record<string, unknown>;
const text = (value: unknown): string => (typeof value === 'string' ? value : TOKEN);

function resourcesOf(template: CfnTemplate, type: string): [string, Json][] {
  return Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, (r.Properties ?? {}) as Json]);
}

function dimensionsOf(list: unknown): Record<string, string> {
  return Object.fromEntries(
    ((list as { Name: string; Value: unknown }[] | undefined) ?? []).map((d) => [d.Name, text(d.Value)]),
  );
}

/** Every alarm's metric: a plain alarm's, and each metric inside a metric-math alarm. */
export function templateAlarmMetrics(template: CfnTemplate): Consumer[] {
  return resourcesOf(template, 'AWS::CloudWatch::Alarm').flatMap(([id, p]) => {
    const where = `alarm ${typeof p.AlarmName === 'string' ? p.AlarmName : id}`;
    if (typeof p.MetricName === 'string') {
      return [{ where, namespace: String(p.Namespace), name: p.MetricName, dimensions: dimensionsOf(p.Dimensions) }];
    }
    return ((p.Metrics as { MetricStat?: { Metric: Json } }[] | undefined) ?? []).flatMap((m) =>
      m.MetricStat
        ? [
            {
              where,
              namespace: String(m.MetricStat.Metric.Namespace),
              name: String(m.MetricStat.Metric.MetricName),
              dimensions: dimensionsOf(m.MetricStat.Metric.Dimensions),
            },
          ]
        : [],
    );
  });
}

/** A DashboardBody (a string, or an Fn::Join around deploy-time values) as JSON, tokens replaced by {@link TOKEN}. */
function dashboardBody(body: unknown): Json {
  if (typeof body === 'string') return JSON.parse(body) as Json;
  const join = (body as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`DashboardBody is neither a string nor an Fn::Join: ${JSON.stringify(body)}`);
  return JSON.parse(join[1].map(text).join(join[0])) as Json;
}

/**
 * Every metric of every dashboard widget. A row is `[namespace, name, dim1, value1, …, {options}]`; a math
 * expression's row is `[{expression}]` and its metrics are rows of their own.
 */
export function dashboardMetrics(template: CfnTemplate): Consumer[] {
  return resourcesOf(template, 'AWS::CloudWatch::Dashboard').flatMap(([, p]) => {
    const widgets = (dashboardBody(p.DashboardBody).widgets ?? []) as { properties?: Json }[];
    return widgets.flatMap((w) => {
      const rows = (w.properties?.metrics ?? []) as unknown[][];
      return rows
        .filter((row) => typeof row[0] === 'string')
        .map((row) => {
          const values = row.filter((v) => typeof v === 'string') as string[];
          if (values.includes('.') || values.includes('...')) throw new Error(`shorthand row: ${JSON.stringify(row)}`);
          const [namespace = '', name = '', ...pairs] = values;
          const dimensions: Record<string, string> = {};
          for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i] as string] = pairs[i + 1] as string;
          return { where: `dashboard ${String(w.properties?.title)}`, namespace, name, dimensions };
        });
    });
  });
}

/** The metrics of one Powertools EMF document, as CloudWatch extracts them (the local metric store's reading). */
export function emfMetrics(doc: Json, source: string): Emitted[] {
  return metricDataOfEmf(doc as EmfDocument).flatMap(({ namespace, data }) =>
    data.map((datum) => ({
      source,
      namespace,
      name: datum.MetricName ?? '',
      unit: datum.Unit,
      dimensions: Object.fromEntries((datum.Dimensions ?? []).map((d) => [d.Name ?? '', text(d.Value)])),
    })),
  );
}

const key = (dimensions: Readonly<Record<string, unknown>>) => Object.keys(dimensions).sort().join(', ');

/** Consumers no emitter publishes with that namespace, name, dimension set and (where both are known) values. */
export function mismatches(consumers: readonly Consumer[], emitted: readonly Emitted[]): string[] {
  const problems: string[] = [];
  for (const c of consumers) {
    const id = `${c.where}: ${c.namespace}/${c.name} [${key(c.dimensions)}]`;
    const named = emitted.filter((e) => e.namespace === c.namespace && e.name === c.name);
    if (named.length === 0) {
      problems.push(`${id} is emitted by nothing`);
      continue;
    }
    const sameSet = named.filter((e) => key(e.dimensions) === key(c.dimensions));
    if (sameSet.length === 0) {
      const seen = named.map((e) => `[${key(e.dimensions)}] by ${e.source}`).join('; ');
      problems.push(`${id} is emitted only with other dimensions: ${seen}`);
      continue;
    }
    const valuesAgree = (e: Emitted) =>
      Object.entries(c.dimensions).every(
        ([d, v]) => v === TOKEN || e.dimensions[d] === undefined || e.dimensions[d] === TOKEN || e.dimensions[d] === v,
      );
    if (!sameSet.some(valuesAgree)) {
      const seen = sameSet.map((e) => `${JSON.stringify(e.dimensions)} by ${e.source}`).join('; ');
      problems.push(`${id} selects ${JSON.stringify(c.dimensions)}, emitted with ${seen}`);
    }
  }
  return problems;
}

/** Powertools' own cold-start metric (logMetrics captureColdStartMetric): published by the library, alarmed on by nothing. */
const LIBRARY_METRICS = new Set(['ColdStart']);

/** Emitted metrics observability/metrics.ts does not declare with that dimension set and unit. */
export function undeclared(emitted: readonly Emitted[], declared: readonly MetricDefinition[]): string[] {
  const problems = new Set<string>();
  for (const e of emitted) {
    if (LIBRARY_METRICS.has(e.name)) continue;
    const id = `${e.source}: ${e.namespace}/${e.name} [${key(e.dimensions)}]`;
    const def = declared.find((d) => d.namespace === e.namespace && d.name === e.name);
    if (!def) problems.add(`${id} is not declared`);
    else if ([...def.dimensions].sort().join(', ') !== key(e.dimensions)) {
      problems.add(`${id} is declared with [${[...def.dimensions].sort().join(', ')}]`);
    } else if (e.unit !== undefined && e.unit !== def.unit) problems.add(`${id} unit ${e.unit}, declared ${def.unit}`);
  }
  return [...problems];
}
