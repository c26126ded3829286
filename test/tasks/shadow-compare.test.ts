import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lambdaContext } from '../../local/aws-endpoints/lambda-context';
import { LocalLake } from '../../local/lake';
import { featureCsvLine } from '../../tasks/infer-occupancy/endpoint';
import { predictionRecord, servedFeatureSpec } from '../../tasks/infer-occupancy/prediction-record';
import { MemoryObjectStore } from '../../tasks/ports/object-store';
import { powertools } from '../../tasks/powertools';
import { createHandler } from '../../tasks/shadow-compare';
import {
  CaptureFormatError,
  captureHourPrefix,
  captureHourPrefixes,
  captureLine,
  parseCaptureFile,
  payload,
} from '../../tasks/shadow-compare-capture';
import { compareShadow, rowKey, type ServedReading, shadowAnswersByRow } from '../../tasks/shadow-compare-decision';
import { THERMOSTAT } from '../../telemetry/signals';
import { duckSelect } from '../monitoring/fixture';

const answer = (occupied: 0 | 1) => `${occupied},"[${1 - occupied}, ${occupied}]","['0', '1']"`;
const SETTINGS = { maxF1Loss: 0.02, minPairedReadings: 50, resamples: 200, seed: 1 };

describe('data capture format', () => {
  it('writes the documented key layout and reads back CSV and BASE64 lines', () => {
    const t = Date.UTC(2026, 10, 29, 7, 5, 9);
    expect(captureHourPrefix('s3://lake/capture/', 'occupancy', 'Shadow', t)).toBe(
      's3://lake/capture/occupancy/Shadow/2026/11/29/07/',
    );
    expect(captureHourPrefixes('s3://b/c', 'e', 'v', t, t + 2 * 3_600_000)).toHaveLength(3);
    const csv = captureLine(
      { eventId: 'e1', inferenceTimeMs: t },
      payload('INPUT', 'text/csv', '1,2\n', 'CSV'),
      payload('OUTPUT', 'text/csv', `${answer(1)}\n`, 'CSV'),
    );
    expect(JSON.parse(csv)).toMatchObject({
      captureData: { endpointInput: { mode: 'INPUT', encoding: 'CSV', data: '1,2\n' } },
      eventMetadata: { eventId: 'e1', inferenceTime: '2026-11-29T07:05:09Z' },
      eventVersion: '0',
    });
    const b64 = captureLine(
      { eventId: 'e2', inferenceTimeMs: t },
      payload('INPUT', 'text/csv', '3,4', 'BASE64'),
      undefined,
    );
    const read = parseCaptureFile(`${csv}\n${b64}\n`);
    expect(read).toEqual([
      { eventId: 'e1', inferenceTimeMs: t - 0, input: '1,2\n', output: `${answer(1)}\n` },
      { eventId: 'e2', inferenceTimeMs: t, input: '3,4' },
    ]);
    expect(() => parseCaptureFile('{"captureData":{}}', 'f')).toThrow(CaptureFormatError);
  });

  it('pairs shadow answers by request row, whatever text a store gave the values', () => {
    expect(rowKey(['21.50', '', null, '1.0E-4'])).toBe(rowKey([21.5, Number.NaN, null, 0.0001]));
    const answers = shadowAnswersByRow([{ input: '21.5,,3\n1,2,3\n', output: `${answer(1)}\n${answer(0)}\n` }]);
    expect(answers.get(rowKey([21.5, null, 3]))).toBe(1);
    expect(answers.get(rowKey([1, 2, 3]))).toBe(0);
  });
});

/** n readings, label alternating; the serving model right on `servingRight` of every 10, the candidate on `candRight`. */
function scenario(n: number, servingRight: number, candRight: number) {
  const readings: ServedReading[] = [];
  const shadow = new Map<string, 0 | 1>();
  for (let i = 0; i < n; i++) {
    const label = (i % 2) as 0 | 1;
    const flip = (right: number) => (i % 10 < right ? label : ((1 - label) as 0 | 1));
    const vector = [i, i % 7];
    readings.push({ vector, label, servingDecision: flip(servingRight) });
    shadow.set(rowKey(vector), flip(candRight));
  }
  return { readings, shadow };
}

describe('shadow comparison', () => {
  it('rejects a candidate worse on the same labelled readings, with the figures', () => {
    const { readings, shadow } = scenario(400, 9, 6);
    const c = compareShadow(readings, shadow, SETTINGS);
    expect(c.passed).toBe(false);
    expect(c.pairedReadings).toBe(400);
    expect(c.delta).toBeLessThan(0);
    expect(c.upper).toBeLessThan(0);
    expect(c.summary).toMatch(/worse than serving/);
  });

  it('passes a candidate as good or better', () => {
    const { readings, shadow } = scenario(400, 7, 9);
    const c = compareShadow(readings, shadow, SETTINGS);
    expect(c.passed).toBe(true);
    expect(c.lower).toBeGreaterThan(0);
  });

  it('refuses too few paired readings and counts the unpaired', () => {
    const { readings, shadow } = scenario(60, 9, 9);
    for (const key of [...shadow.keys()].slice(0, 20)) shadow.delete(key);
    const c = compareShadow(readings, shadow, SETTINGS);
    expect(c).toMatchObject({ passed: false, pairedReadings: 40, unpaired: 20, delta: null });
  });
});

describe('ShadowCompare handler over a local lake and captured files', () => {
  const spec = servedFeatureSpec(THERMOSTAT);
  const features = spec.features.map((f) => f.name);
  const START = Date.UTC(2026, 0, 5, 10, 0);
  let dir: string;
  let lake: LocalLake;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'shadow-compare-'));
    lake = LocalLake.open(dir, THERMOSTAT);
  });
  afterEach(() => {
    lake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(candidateRight: number) {
    const labels = [];
    const records = [];
    const captureLines: string[] = [];
    for (let i = 0; i < 200; i++) {
      const ts = START + i * 10_000;
      const occupied = i % 2 === 1;
      labels.push({ thingName: 'room-1', ts, occupied });
      const vector = features.map((f, j) => (f === 'sound' ? i + 0.25 : j === 1 ? Number.NaN : j));
      const servingRight = i % 10 < 9;
      const servingSays = servingRight === occupied;
      records.push(
        predictionRecord(spec, {
          thingName: 'room-1',
          ts,
          predictedAt: ts + 100,
          modelVersion: 'v1',
          variant: 'AllTraffic',
          probability: servingSays ? 0.9 : 0.1,
          occupied: servingSays,
          source: 'model',
          vector,
        }),
      );
      const candidateSays = i % 10 < candidateRight === occupied ? 1 : 0;
      captureLines.push(
        captureLine(
          { eventId: `e${i}`, inferenceTimeMs: ts + 100 },
          payload('INPUT', 'text/csv', featureCsvLine(vector), 'CSV'),
          payload('OUTPUT', 'text/csv', `${answer(candidateSays as 0 | 1)}\n`, 'CSV'),
        ),
      );
    }
    labels.push({ thingName: 'room-1', ts: START + 10_000_000, occupied: false });
    lake.appendLabels(labels);
    lake.appendPredictions(records);
    const store = new MemoryObjectStore();
    const prefix = captureHourPrefix('s3://lake/capture', 'occupancy', 'Shadow', START);
    store.objects.set(`${prefix}capture-1.jsonl`, `${captureLines.join('\n')}\n`);
    const connection = await lake.connect();
    const handler = createHandler({
      ...powertools('shadow-compare'),
      dialect: 'duckdb',
      predictionsTable: 'predictions',
      labelsTable: 'labels',
      store,
      lake: { select: (sql) => duckSelect(connection, sql) },
    });
    return handler(
      {
        runId: 'r1',
        endpointName: 'occupancy',
        servingVariant: 'AllTraffic',
        shadowVariant: 'Shadow',
        captureUri: 's3://lake/capture',
        startedAt: new Date(START).toISOString(),
        endedAt: new Date(START + 3_000_000).toISOString(),
        features,
        settings: SETTINGS,
      },
      lambdaContext('ShadowCompare'),
    );
  }

  it('pairs every labelled reading with its captured shadow answer and rejects a worse candidate', async () => {
    const worse = await run(6);
    expect(worse).toMatchObject({ passed: false, pairedReadings: 200, unpaired: 0 });
    expect(worse.servingF1).toBeCloseTo(0.9, 1);
  });

  it('passes a better candidate', async () => {
    const better = await run(10);
    expect(better).toMatchObject({ passed: true, pairedReadings: 200, candidateF1: 1 });
  });
});
