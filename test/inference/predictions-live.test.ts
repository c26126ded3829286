import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LiveFleet } from '../../local/iot/fleet';
import { type ServingStack, startServing } from '../../local/iot/serving';
import { LocalLake } from '../../local/lake';
import { type InferenceOutcome, predictionFeatureColumn } from '../../tasks/infer-occupancy';
import { Recorder, THERMOSTAT_FEATURES, writeSoundModel } from './helpers';

/**
 * Predictions are data (issue 21, item 1): a live simulated fleet is answered by the Lambda's own handler on the
 * local runtime, by the model and, while the endpoint host is down, by the static rule; every answer's record goes
 * through the handler's PutRecordBatch to the local Firehose and into the lake's `predictions` view.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'predictions-live-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Answered = Extract<InferenceOutcome, { status: 'answered' }>;

it('records one prediction row per answered reading, model and fallback, with its decision and probability', async () => {
  const stateDir = join(dir, 'state');
  const outcomes: Answered[] = [];
  let stack: ServingStack | undefined = await startServing({
    stateDir,
    modelArtifactPath: writeSoundModel(dir, 'model-predictions', 12),
    logger: new Recorder().logger,
    onOutcome: (o) => {
      if (o.status === 'answered') outcomes.push(o);
    },
  });
  let fleet: LiveFleet | undefined;
  try {
    fleet = await LiveFleet.start({ brokerUrl: stack.connection.mqttUrl, rooms: 4, ratePerRoom: 5 });
    await sleep(1500);
    await stack.endpoint.stop();
    await sleep(1500);
    await stack.endpoint.start();
    await sleep(1000);
    const summary = await fleet.stop();
    fleet = undefined;
    expect(summary.unanswered).toBe(0);
    // A device has its answer before the handler returns (it records the prediction, then reports its outcome):
    // under load the last outcomes arrive a moment after the fleet stops, so wait for them (up to 5 s).
    for (let i = 0; i < 50 && outcomes.length < summary.answered; i++) await sleep(100);
    expect(outcomes.length).toBe(summary.answered);
    expect(new Set(outcomes.map((o) => o.desired.occupancySource))).toEqual(new Set(['model', 'fallback']));
    // Every answer was accepted by the stream (an outcome carries its record only then).
    expect(outcomes.every((o) => o.prediction !== undefined)).toBe(true);
    await stack.close();
    stack = undefined;

    const lake = LocalLake.open(stateDir);
    try {
      const connection = await lake.connect();
      const reader = await connection.runAndReadAll(
        `SELECT thing_name, ts, model_version, variant, probability, decision, source, ${predictionFeatureColumn('sound')} AS sound, dt
         FROM predictions ORDER BY thing_name, ts`,
      );
      const rows = reader.getRowObjectsJS();
      expect(rows.length).toBe(outcomes.length);
      const byKey = new Map(rows.map((r) => [`${String(r.thing_name)}@${String(r.ts)}`, r]));
      expect(byKey.size).toBe(outcomes.length);
      for (const o of outcomes) {
        const row = byKey.get(`${o.thingName}@${o.desired.occupancyReadingTs}`);
        expect(row).toMatchObject({
          model_version: o.desired.occupancyModel,
          probability: o.desired.occupancyProbability,
          decision: o.desired.roomOccupancy ? 1 : 0,
          source: o.desired.occupancySource,
          variant: o.desired.occupancySource === 'model' ? 'AllTraffic' : '',
        });
        // The static rule's probability is its decision (it is certain of itself).
        if (o.desired.occupancySource === 'fallback') expect(row?.probability).toBe(row?.decision);
        expect(row?.dt).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
      // The feature columns are the served features, in the view's column order after the fixed ones.
      const columns = (await connection.runAndReadAll('SELECT * FROM predictions LIMIT 0')).columnNames();
      expect(columns.slice(8, -1)).toEqual(THERMOSTAT_FEATURES.map(predictionFeatureColumn));
      expect(columns.at(-1)).toBe('dt');
      expect(rows.every((r) => typeof r.sound === 'number')).toBe(true);
    } finally {
      lake.close();
    }
  } finally {
    await fleet?.stop(0);
    await stack?.close();
  }
});
