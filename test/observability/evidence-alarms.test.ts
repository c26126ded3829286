import { buildFeatureSpec } from '../../features';
import type { MonitorReport } from '../../monitoring/run';
import { ALL_METRICS } from '../../observability/metrics';
import { parsePipelineConfig, signalSetOf } from '../../pipeline/config';
import { publishReport } from '../../tasks/monitor';
import { powertools } from '../../tasks/powertools';
import { synthesize } from '../infra/templates';
import { captureEmf } from '../tasks/monitor-emf';
import { type CfnTemplate, emfMetrics, mismatches, templateAlarmMetrics, undeclared } from './metric-sets';

/**
 * The retraining alarms (infra/stacks/retrain-on-evidence.ts, in the Pipeline stack) select only what the monitor
 * emits, with exactly those dimensions: the monitor's own publishReport is run on a report of the serving variant
 * with every feature drifting, and its EMF is what CloudWatch would extract. An alarm on a metric nobody emits never
 * starts a retraining. (The other stacks' alarms: metric-consistency.test.ts.)
 */

const config = parsePipelineConfig({});
const features = buildFeatureSpec(signalSetOf(config)).features.map((f) => f.name);

function servingReport(): MonitorReport {
  const metrics = {
    windowIndex: 0,
    modelVersion: 'v1',
    variant: 'AllTraffic',
    answered: 1000,
    labelledReadings: 900,
    fallbackRate: 0,
    precision: 0.7,
    recall: 0.6,
    f1: 0.65,
    staticRuleF1: 0.8,
    brier: 0.2,
  };
  const drift = features.map((feature) => ({
    feature,
    readings: 1000,
    psi: 0.4,
    chiSquare: 50,
    pValue: 0.001,
    drifting: true,
  }));
  return {
    windowEndMs: Date.UTC(2026, 0, 1),
    windowMs: 6 * 3_600_000,
    windows: 1,
    endpoint: [{ windowIndex: 0, answered: 1000, fallbacks: 100, fallbackRate: 0.1 }],
    variants: [
      { modelVersion: 'v1', variant: 'AllTraffic', hasBaseline: true, windows: [{ metrics, drift }], verdicts: [] },
    ],
    verdicts: [],
  } as unknown as MonitorReport;
}

describe('retraining alarms select what the monitor emits', () => {
  it('every metric of every retraining alarm (metric-math terms included) is published by the monitor with those dimensions', async () => {
    const { templates } = synthesize();
    const consumers = templateAlarmMetrics(templates.pipeline.toJSON() as CfnTemplate).filter((c) =>
      c.where.includes('-retrain-'),
    );
    expect(new Set(consumers.map((c) => c.name))).toEqual(
      new Set(['LiveF1', 'StaticRuleLiveF1', 'FeatureDrift', 'LiveFallbackRate']),
    );
    expect(consumers.filter((c) => c.name === 'FeatureDrift')).toHaveLength(features.length);
    const { metrics } = powertools('monitor');
    const docs = await captureEmf(async () => {
      publishReport(metrics, config.endpointName, servingReport(), config);
    });
    const emitted = docs.flatMap((doc) => emfMetrics(doc as never, 'monitor Lambda'));
    expect(mismatches(consumers, emitted)).toEqual([]);
    expect(undeclared(emitted, ALL_METRICS)).toEqual([]);
  });
});
