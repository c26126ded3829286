import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { saveArtifact } from '../../automl/artifact';
import { FolderObjectStore } from '../../local/adapters/s3';
import { lambdaContext } from '../../local/aws-endpoints/lambda-context';
import { deployArtifact, LocalHosting } from '../../local/hosting';
import { LocalLake } from '../../local/lake';
import { standInSageMaker } from '../../local/runtime/evidence';
import { computeTrainingBaseline } from '../../monitoring/baseline';
import { parsePipelineConfig } from '../../pipeline/config';
import { predictionRecord, servedFeatureSpec } from '../../tasks/infer-occupancy/prediction-record';
import { createHandler } from '../../tasks/monitor';
import { powertools } from '../../tasks/powertools';
import { THERMOSTAT } from '../../telemetry/signals';
import { duckSelect, END, LABELS, predictionRows, WINDOW_MS } from '../monitoring/fixture';
import { captureEmf, emfMetrics } from './monitor-emf';

/**
 * The monitor finds the deployed model's baseline itself: the local endpoint host describes the endpoint, its config
 * and model, whose file:// ModelDataUrl the local store reads; no baseline URIs in the input (the schedule sends {}).
 * The answers are keyed as the inference Lambda records them: `<endpoint>/<variant>` (the host sends no model-version).
 */

const spec = servedFeatureSpec(THERMOSTAT);
const ENDPOINT = 'occupancy';
const served = (soundShift: number) =>
  predictionRows(soundShift).map((r) =>
    r.model_version === 'v1' ? { ...r, model_version: `${ENDPOINT}/AllTraffic` } : r,
  );
const vector = (sound: number | null) => spec.features.map((f) => (f.name === 'sound' ? (sound ?? Number.NaN) : 0));

describe('monitor baselines on the local runtime', () => {
  let dir: string;
  let lake: LocalLake;
  let hosting: LocalHosting;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'monitor-baselines-'));
    lake = LocalLake.open(join(dir, 'lake'), THERMOSTAT);
    lake.appendLabels(LABELS.map((l) => ({ thingName: l.thingName, ts: l.ts, occupied: l.occupied })));
    // The model trained on unshifted rooms: its artifact carries their baseline.
    const training = served(0).filter((r) => r.source === 'model');
    const baseline = computeTrainingBaseline(
      Object.fromEntries(
        spec.features.map((f) => [f.name, training.map((r) => vector(r.sound)[spec.features.indexOf(f)] ?? null)]),
      ),
    );
    const names = spec.features.map((f) => f.name);
    const artifactPath = join(dir, 'model.json');
    writeFileSync(
      artifactPath,
      saveArtifact({
        formatVersion: 2,
        version: 'job-1/c001-threshold',
        family: 'threshold',
        featureNames: names,
        usedFeatures: ['sound'],
        target: 'occupied',
        preprocessing: { missingValues: 'native', standardised: false },
        model: { family: 'threshold', feature: names.indexOf('sound'), level: 10, direction: 'above', scale: 1 },
        threshold: 0.5,
        objective: { name: 'F1', value: 0.8 },
        training: {
          candidateName: 'c001-threshold',
          trainedAt: new Date(0).toISOString(),
          rows: training.length,
          featureSubset: 'all',
          hyperParameters: {},
          validation: {},
          seed: 1,
        },
        trainingBaseline: baseline,
      }),
    );
    hosting = new LocalHosting({ stateDir: join(dir, 'hosting'), timeScale: 0.001 });
    await deployArtifact(hosting, ENDPOINT, artifactPath);
  });
  afterEach(async () => {
    lake.close();
    hosting.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes FeatureDrift above the threshold for the shifted feature only, from the artifact the endpoint serves', async () => {
    lake.appendPredictions(
      served(15).map((r) =>
        predictionRecord(spec, {
          thingName: r.thing_name,
          ts: r.ts,
          predictedAt: r.ts + 50,
          modelVersion: r.model_version,
          variant: r.variant,
          probability: r.probability,
          occupied: r.decision === 1,
          source: r.source,
          vector: vector(r.sound),
        }),
      ),
    );
    const config = parsePipelineConfig({
      endpointName: ENDPOINT,
      monitoring: { windowMinutes: WINDOW_MS / 60_000, minLabelledReadings: 20, minReadings: 20 },
    });
    const handler = createHandler({
      ...powertools('monitor'),
      config,
      dialect: 'duckdb',
      predictionsTable: 'predictions',
      labelsTable: 'labels',
      store: new FolderObjectStore(join(dir, 's3')),
      sagemaker: standInSageMaker(hosting),
      lake: { select: async (sql) => duckSelect(await lake.connect(), sql) },
    });
    const docs = await captureEmf(async () => {
      await handler({ windowEnd: new Date(END).toISOString() }, lambdaContext('Monitor'));
    });
    const drift = emfMetrics(docs).filter((m) => m.name === 'FeatureDrift');
    expect(drift.length).toBe(spec.features.length);
    expect(drift.every((m) => m.dimensions.VariantName === 'AllTraffic')).toBe(true);
    const above = drift
      .filter((m) => Number(m.value) >= config.monitoring.psiThreshold)
      .map((m) => m.dimensions.Feature);
    expect(above).toEqual(['sound']);
  });
});
