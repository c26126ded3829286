import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { MetricSelection } from '../../observability/metrics';

/** A metric of observability/metrics.ts (chosen with `selectMetric`) as a CDK metric for an alarm or a graph. */
export function cloudWatchMetric(
  selection: MetricSelection,
  options: { readonly statistic: string; readonly period: Duration; readonly label?: string },
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: selection.namespace,
    metricName: selection.name,
    dimensionsMap: { ...selection.dimensions },
    statistic: options.statistic,
    period: options.period,
    ...(options.label === undefined ? {} : { label: options.label }),
  });
}
