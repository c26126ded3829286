import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalAthena } from '../../local/adapters/athena';
import { FolderObjectStore } from '../../local/adapters/s3';
import { lambdaContext } from '../../local/aws-endpoints/lambda-context';
import { LocalLake } from '../../local/lake';
import { standInAthena } from '../../local/runtime/evidence';
import { computeTrainingBaseline } from '../../monitoring/baseline';
import { countRows, liveMetrics } from '../../monitoring/live-metrics';
import type { MonitorReport } from '../../monitoring/run';
import { parsePipelineConfig } from '../../pipeline/config';
import { predictionRecord, servedFeatureSpec } from '../../tasks/infer-occupancy/prediction-record';
import { createHandler } from '../../tasks/monitor';
import { AthenaLakeQuery } from '../../tasks/ports/lake-query';
import { MemoryObjectStore } from '../../tasks/ports/object-store';
import { powertools } from '../../tasks/powertools';
import { THERMOSTAT } from '../../telemetry/signals';
import {
  duckSelect,
  END,
  expectedRows,
  LABELS,
  type PredictionRow,
  predictionRows,
  WINDOW_MS,
} from '../monitoring/fixture';
import { captureEmf, emfMetrics } from './monitor-emf';

/**
 * The monitor handler over a real local lake (DuckDB views over Parquet/NDJSON parts): labels appended as the
 * simulator does, predictions as the inference Lambda's records (the lake's predictions table), both SQL texts.
 * Its figures must be the ones computed in TypeScript from the same rows.
 */

const spec = servedFeatureSpec(THERMOSTAT);
const BASELINE_URI = 's3://models/v1/artifact.json';

function records(rows: readonly PredictionRow[]) {
  return rows.map((r) =>
    predictionRecord(spec, {
      thingName: r.thing_name,
      ts: r.ts,
      predictedAt: r.ts + 50,
      modelVersion: r.model_version,
      variant: r.variant,
      probability: r.probability,
      occupied: r.decision === 1,
      source: r.source,
      // The served vector: sound as the fixture has it (NaN is recorded as null), every other feature 0.
      vector: spec.features.map((f) => (f.name === 'sound' ? (r.sound ?? Number.NaN) : 0)),
    }),
  );
}

/** What the model trained on: the unshifted fixture's v1 answers. */
function trainingBaseline() {
  const rows = predictionRows().filter((r) => r.model_version === 'v1');
  return computeTrainingBaseline(
    Object.fromEntries(spec.features.map((f) => [f.name, rows.map((r) => (f.name === 'sound' ? r.sound : 0))])),
  );
}

const MODES = [
  ['duckdb', 'the lake connection'],
  ['athena', 'the lake connection'],
  ['athena', 'the Athena stand-in'],
] as const;

describe.each(MODES)('monitor handler on a local lake (%s SQL through %s)', (dialect, through) => {
  let dir: string;
  let lake: LocalLake;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'monitor-local-'));
    lake = LocalLake.open(dir, THERMOSTAT);
    lake.appendLabels(LABELS.map((l) => ({ thingName: l.thingName, ts: l.ts, occupied: l.occupied })));
  });
  afterEach(() => {
    lake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function monitor(rows: readonly PredictionRow[], monitoring: Record<string, number>) {
    lake.appendPredictions(records(rows));
    const store = new MemoryObjectStore();
    store.objects.set(BASELINE_URI, JSON.stringify({ version: 'v1', trainingBaseline: trainingBaseline() }));
    const handler = createHandler({
      ...powertools('monitor'),
      config: parsePipelineConfig({
        endpointName: 'occupancy',
        monitoring: { windowMinutes: WINDOW_MS / 60_000, minLabelledReadings: 20, minReadings: 20, ...monitoring },
      }),
      dialect,
      predictionsTable: 'predictions',
      labelsTable: 'labels',
      store,
      lake:
        through === 'the Athena stand-in'
          ? new AthenaLakeQuery(standInAthena(new LocalAthena(lake, new FolderObjectStore(dir))), {
              database: 'occupancy',
              workGroup: 'occupancy',
              outputLocation: 's3://athena-results/monitor/',
            })
          : { select: async (sql) => duckSelect(await lake.connect(), sql) },
    });
    let report: MonitorReport | undefined;
    const docs = await captureEmf(async () => {
      report = await handler(
        { windowEnd: new Date(END).toISOString(), baselineUris: { v1: BASELINE_URI } },
        lambdaContext('Monitor'),
      );
    });
    if (!report) throw new Error('no report');
    return { report, published: emfMetrics(docs) };
  }

  it('measures what the lake holds: live F1s, fallback rate and drift equal the TypeScript figures', async () => {
    // The room got louder in the newest window: sound drifts there, not in the two before.
    const rows = predictionRows(15);
    const { report, published } = await monitor(rows, { consecutiveWindows: 3 });
    const expected = countRows(expectedRows(rows)).map(liveMetrics);
    const v1 = report.variants.find((v) => v.modelVersion === 'v1');
    const measured = v1?.windows.map((w) => w.metrics) ?? [];
    const wanted = expected.filter((m) => m.modelVersion === 'v1');
    // Brier is a floating sum: the lake adds in another order.
    expect(measured.map(({ brier, ...m }) => m)).toEqual(wanted.map(({ brier, ...m }) => m));
    for (const [i, m] of measured.entries()) expect(m.brier).toBeCloseTo(wanted[i]?.brier ?? Number.NaN, 12);
    expect(v1?.windows.map((w) => w.drift.find((d) => d.feature === 'sound')?.drifting)).toEqual([true, false, false]);
    // Features that never moved (constant 0 in training and live) do not drift.
    expect(v1?.windows[0]?.drift.filter((d) => d.drifting).map((d) => d.feature)).toEqual(['sound']);
    const inSpan = rows.filter((r) => r.ts >= END - 3 * WINDOW_MS && r.ts < END);
    const newest = inSpan.filter((r) => r.ts >= END - WINDOW_MS);
    expect(report.endpoint[0]).toEqual({
      windowIndex: 0,
      answered: newest.length,
      fallbacks: newest.filter((r) => r.source === 'fallback').length,
      fallbackRate: newest.filter((r) => r.source === 'fallback').length / newest.length,
    });
    // One window of drift is not sustained drift.
    expect(report.verdicts.map((v) => v.reason)).not.toContain('sustained-drift');
    const sound = published.find((m) => m.name === 'FeatureDrift' && m.dimensions.Feature === 'sound');
    expect(sound?.value).toBeCloseTo(v1?.windows[0]?.drift.find((d) => d.feature === 'sound')?.psi ?? Number.NaN, 12);
  });

  it('a model that degrades in the newest window falls below the static rule and is reported with the figures', async () => {
    // v1 answers wrongly (decision flipped) in the newest window.
    const rows = predictionRows().map((r) =>
      r.model_version === 'v1' && r.ts >= END - WINDOW_MS ? { ...r, decision: r.decision === 1 ? 0 : 1 } : r,
    ) as PredictionRow[];
    const { report, published } = await monitor(rows, { consecutiveWindows: 1 });
    const v1 = report.variants.find((v) => v.modelVersion === 'v1')?.windows[0]?.metrics;
    expect(v1?.f1).toBeLessThan(v1?.staticRuleF1 ?? 0);
    expect(report.verdicts).toContainEqual(
      expect.objectContaining({
        reason: 'live-f1-below-static-rule',
        detail: expect.stringContaining(`on the same ${v1?.labelledReadings} labelled readings`),
      }),
    );
    const dims = { EndpointName: 'occupancy', VariantName: 'AllTraffic', service: 'monitor' };
    expect(published).toContainEqual({ name: 'LiveF1', value: v1?.f1, dimensions: dims, modelVersion: 'v1' });
    expect(published).toContainEqual({
      name: 'StaticRuleLiveF1',
      value: v1?.staticRuleF1,
      dimensions: dims,
      modelVersion: 'v1',
    });
    // The shadow answers every 4th reading correctly: no verdict for it.
    expect(report.variants.find((v) => v.variant === 'shadow')?.verdicts).toEqual([]);
  });
});
