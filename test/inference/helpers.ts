import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelArtifact } from '../../automl/artifact';
import { buildFeatureSpec, featureNames } from '../../features';
import { THERMOSTAT } from '../../telemetry/signals';

/** The model input columns the export produces for the thermostat fleet (default feature options). */
export const THERMOSTAT_FEATURES = featureNames(buildFeatureSpec(THERMOSTAT));

/** A real logistic artifact over the full thermostat feature row: occupied when sound > cutoff. */
export function soundModelArtifact(version: string, soundCutoff = 12): ModelArtifact {
  const sound = THERMOSTAT_FEATURES.indexOf('sound');
  if (sound < 0) throw new Error('no sound feature');
  return {
    formatVersion: 1,
    version,
    family: 'logistic',
    featureNames: [...THERMOSTAT_FEATURES],
    usedFeatures: ['sound'],
    target: 'occupied',
    preprocessing: { missingValues: 'mean', standardised: true },
    model: {
      family: 'logistic',
      inputs: [sound],
      standardisation: { mean: [0], scale: [1] },
      weights: [1.5],
      intercept: -1.5 * soundCutoff,
    },
    threshold: 0.5,
    objective: { name: 'F1', value: 0.9 },
    training: {
      candidateName: version,
      trainedAt: '2026-01-01T00:00:00Z',
      rows: 100,
      featureSubset: 'all',
      hyperParameters: {},
      validation: {},
      seed: 1,
    },
  };
}

export function writeSoundModel(dir: string, version: string, soundCutoff = 12): string {
  const path = join(dir, `${version}.json`);
  writeFileSync(path, JSON.stringify(soundModelArtifact(version, soundCutoff)));
  return path;
}

export interface RecordedMetric {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
}

/** Records what the handler logs and emits, as Powertools would receive it. */
export class Recorder {
  readonly metrics: RecordedMetric[] = [];
  readonly published: RecordedMetric[][] = [];
  private batch: RecordedMetric[] = [];
  readonly logs: { level: string; message: string; attributes: Record<string, unknown> }[] = [];

  readonly metricsSink = {
    addMetric: (name: string, unit: 'Count' | 'Milliseconds', value: number) => {
      const metric = { name, unit, value };
      this.metrics.push(metric);
      this.batch.push(metric);
    },
    publishStoredMetrics: () => {
      this.published.push(this.batch);
      this.batch = [];
    },
  };

  readonly logger = {
    debug: (message: string, attributes: Record<string, unknown>) =>
      this.logs.push({ level: 'debug', message, attributes }),
    warn: (message: string, attributes: Record<string, unknown>) =>
      this.logs.push({ level: 'warn', message, attributes }),
    error: (message: string, attributes: Record<string, unknown>) =>
      this.logs.push({ level: 'error', message, attributes }),
  };

  sum(name: string): number {
    return this.metrics.filter((m) => m.name === name).reduce((s, m) => s + m.value, 0);
  }
}

/** A shadow `update/documents` event as the rule delivers it (SELECT *, topic(3) AS thingName). */
export function documentsEvent(
  thingName: string,
  current: Record<string, unknown>,
  previous?: Record<string, unknown>,
  version = 2,
): Record<string, unknown> {
  return {
    thingName,
    previous: previous === undefined ? null : { state: { reported: previous }, metadata: {}, version: version - 1 },
    current: { state: { reported: current }, metadata: {}, version },
    timestamp: Math.floor(Date.now() / 1000),
  };
}

export const reported = (ts: number, sound: number, extra: Record<string, unknown> = {}) => ({
  temperature: 21.5,
  humidity: 40,
  sound,
  hvacStatus: 'FAN',
  timestamp: ts,
  ...extra,
});
