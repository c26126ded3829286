import {
  buildFeatureQuery,
  buildFeatureSpec,
  type FeatureSpec,
  featureNames,
  initialDeviceState,
  stepFeatures,
} from '../../features';
import { type SignalSet, THERMOSTAT, UCI_OCCUPANCY, UCI_ROOM_OCCUPANCY } from '../../telemetry/signals';
import { dedupedStreams, generateTelemetry, type LakeRecord, loadTelemetry, memoryDuckDb, queryRows } from './helpers';

const TOLERANCE = 1e-9;

interface Mismatch {
  readonly row: number;
  readonly column: string;
  readonly sql: unknown;
  readonly ts: unknown;
}

/** Runs both interpreters on the same records and returns every disagreement (at most 20). */
async function compareInterpreters(
  set: SignalSet,
  spec: FeatureSpec,
  records: readonly LakeRecord[],
): Promise<{ sqlRows: number; tsRows: number; mismatches: Mismatch[] }> {
  const db = await memoryDuckDb();
  try {
    await loadTelemetry(db.connection, set, records);
    const sqlRows = await queryRows(db.connection, buildFeatureQuery(spec, { dialect: 'duckdb' }));
    const names = featureNames(spec);
    const tsRows: { thing_name: string; ts: number; vector: number[] }[] = [];
    for (const [thingName, stream] of dedupedStreams(records)) {
      let state = initialDeviceState();
      for (const reading of stream) {
        const step = stepFeatures(spec, state, reading);
        state = step.state;
        tsRows.push({ thing_name: thingName, ts: reading.ts, vector: step.vector });
      }
    }
    const mismatches: Mismatch[] = [];
    const note = (m: Mismatch) => {
      if (mismatches.length < 20) mismatches.push(m);
    };
    const rows = Math.min(sqlRows.length, tsRows.length);
    for (let r = 0; r < rows; r++) {
      const sqlRow = sqlRows[r] ?? {};
      const tsRow = tsRows[r];
      if (!tsRow) break;
      if (sqlRow.thing_name !== tsRow.thing_name)
        note({ row: r, column: 'thing_name', sql: sqlRow.thing_name, ts: tsRow.thing_name });
      if (sqlRow.ts !== tsRow.ts) note({ row: r, column: 'ts', sql: sqlRow.ts, ts: tsRow.ts });
      names.forEach((name, c) => {
        const sqlValue = sqlRow[name];
        const tsValue = tsRow.vector[c];
        if (
          typeof sqlValue !== 'number' ||
          typeof tsValue !== 'number' ||
          !(Math.abs(sqlValue - tsValue) <= TOLERANCE)
        ) {
          note({ row: r, column: name, sql: sqlValue, ts: tsValue });
        }
      });
    }
    return { sqlRows: sqlRows.length, tsRows: tsRows.length, mismatches };
  } finally {
    db.close();
  }
}

describe('SQL and TypeScript interpreters agree (parity)', () => {
  const start = Date.UTC(2024, 0, 1, 6, 0, 0);

  test('thermostat fleet: 12 000+ readings over 6 devices with gaps, out-of-order arrival and duplicates', async () => {
    const records = generateTelemetry(THERMOSTAT, {
      devices: 6,
      readingsPerDevice: 2000,
      seed: 42,
      duplicateRate: 0.05,
      start,
    });
    const streams = dedupedStreams(records);
    const distinct = [...streams.values()].reduce((n, s) => n + s.length, 0);
    // The data really has the hard cases in it.
    expect(distinct).toBeGreaterThanOrEqual(10_000);
    expect(records.length - distinct).toBeGreaterThan(300);
    const outOfOrder = records.filter((r, i) => i > 0 && r.reading.ts < (records[i - 1]?.reading.ts ?? 0)).length;
    expect(outOfOrder).toBeGreaterThan(1000);
    const longGaps = [...streams.values()].flatMap((s) =>
      s.slice(1).filter((r, i) => r.ts - (s[i]?.ts ?? 0) > 3_600_000),
    );
    expect(longGaps.length).toBeGreaterThan(20);

    const spec = buildFeatureSpec(THERMOSTAT);
    const result = await compareInterpreters(THERMOSTAT, spec, records);
    expect(result.mismatches).toEqual([]);
    expect(result.sqlRows).toBe(distinct);
    expect(result.tsRows).toBe(distinct);
  });

  test('UCI occupancy signal set (light crossing, tiny humidity ratio values)', async () => {
    const records = generateTelemetry(UCI_OCCUPANCY, {
      devices: 5,
      readingsPerDevice: 600,
      seed: 7,
      duplicateRate: 0.05,
      start,
    });
    const spec = buildFeatureSpec(UCI_OCCUPANCY);
    const result = await compareInterpreters(UCI_OCCUPANCY, spec, records);
    expect(result.mismatches).toEqual([]);
    expect(result.sqlRows).toBe(result.tsRows);
    expect(result.sqlRows).toBeGreaterThan(2900);
  });

  test('UCI room occupancy signal set with a window of 1 and of 12', async () => {
    const records = generateTelemetry(UCI_ROOM_OCCUPANCY, {
      devices: 5,
      readingsPerDevice: 200,
      seed: 3,
      duplicateRate: 0.1,
      start,
    });
    for (const rollingWindow of [1, 12]) {
      const spec = buildFeatureSpec(UCI_ROOM_OCCUPANCY, { rollingWindow });
      const result = await compareInterpreters(UCI_ROOM_OCCUPANCY, spec, records);
      expect(result.mismatches).toEqual([]);
      expect(result.sqlRows).toBe(result.tsRows);
    }
  });
});
