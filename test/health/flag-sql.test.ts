import type { DuckDBConnection } from '@duckdb/node-api';
import { type SqlDialectName, sqlDialect } from '../../features';
import { type FlagRule, flagCtes, flagRuleOf } from '../../health/flag-sql';
import type { SensorFaultRecord } from '../../health/types';
import { type SignalSet, THERMOSTAT } from '../../telemetry/signals';
import { memoryDuckDb, queryRows } from '../features/helpers';

/**
 * The flag rule (health/flag-sql.ts) run on DuckDB in both dialects' text (the Athena text runs on DuckDB as the
 * local Athena stand-in runs it), over a small lake of one-minute readings: stuck runs of at least their signal's
 * minutes flagged whole, shorter ones not, a signal's stuckAfterMinutes overriding the config's, out of range from a
 * refusal until outOfRangeClearMinutes after the last one, other devices untouched.
 */

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 5, 22, 0);
const at = (minute: number): number => T0 + minute * MINUTE;
const day = (ts: number): string => new Date(ts).toISOString().slice(0, 10);

/** Thermostat with humidity stuck only after 90 minutes (the config's default here: 30). */
const SET: SignalSet = {
  ...THERMOSTAT,
  signals: THERMOSTAT.signals.map((s) => (s.name === 'humidity' ? { ...s, stuckAfterMinutes: 90 } : s)),
};
const RULE: FlagRule = flagRuleOf({ stuckMinutes: 30, outOfRangeClearMinutes: 20 }, SET);

interface Row {
  thing: string;
  minute: number;
  temperature: number;
  humidity: number;
  sound: number;
}

/** A value that never repeats between neighbours. */
const varying = (minute: number, base: number): number => base + (minute % 7) * 0.1 + minute * 0.001;

function lake(): { rows: Row[]; faults: SensorFaultRecord[] } {
  const rows: Row[] = [];
  for (let minute = 0; minute < 200; minute++) {
    const reading = (thing: string, over: Partial<Row> = {}): Row => ({
      thing,
      minute,
      temperature: varying(minute, 20),
      humidity: varying(minute, 40),
      sound: varying(minute, 5),
      ...over,
    });
    // stuck: temperature held 41 minutes (20..60, span 40 ≥ 30) and later 21 minutes (100..120, span 20 < 30).
    const stuckTemperature = minute >= 20 && minute <= 60 ? 21.5 : minute >= 100 && minute <= 120 ? 22 : undefined;
    rows.push(reading('dev-stuck', stuckTemperature === undefined ? {} : { temperature: stuckTemperature }));
    // override: humidity held 61 minutes (10..70: stuck under the default 30, not under its 90) and 100 (100..199).
    const heldHumidity = minute >= 10 && minute <= 70 ? 55 : minute >= 100 ? 60 : undefined;
    rows.push(reading('dev-override', heldHumidity === undefined ? {} : { humidity: heldHumidity }));
    rows.push(reading('dev-range'));
    rows.push(reading('dev-fine'));
  }
  const fault = (thing: string, ts: number, kind: SensorFaultRecord['kind']): SensorFaultRecord => ({
    thing_name: thing,
    ts,
    received_at: ts + 300,
    kind,
    field: 'temperature',
    code: kind === 'out-of-range' ? 'out_of_range' : 'wrong_type',
  });
  const faults = [
    // Refused at 50 and 55 (between readings too): flagged from 50 until 55 + 20 minutes.
    fault('dev-range', at(50), 'out-of-range'),
    fault('dev-range', at(55) + 30_000, 'out-of-range'),
    // Malformed refusals never flag a reading.
    fault('dev-range', at(150), 'malformed'),
    fault('dev-fine', at(150), 'malformed'),
    // A device with refusals but no reading.
    fault('dev-gone', at(10), 'out-of-range'),
  ];
  return { rows, faults };
}

async function load(connection: DuckDBConnection, rows: readonly Row[], faults: readonly SensorFaultRecord[]) {
  await connection.run(
    'CREATE TABLE telemetry (thing_name VARCHAR, ts BIGINT, received_at BIGINT, temperature DOUBLE, humidity DOUBLE, sound DOUBLE, hvac_status VARCHAR, dt VARCHAR)',
  );
  await connection.run(
    'CREATE TABLE sensor_faults (thing_name VARCHAR, ts BIGINT, received_at BIGINT, kind VARCHAR, field VARCHAR, code VARCHAR, dt VARCHAR)',
  );
  const telemetry = await connection.createAppender('telemetry');
  for (const r of rows) {
    const ts = at(r.minute);
    telemetry.appendVarchar(r.thing);
    telemetry.appendBigInt(BigInt(ts));
    telemetry.appendBigInt(BigInt(ts + 100));
    telemetry.appendDouble(r.temperature);
    telemetry.appendDouble(r.humidity);
    telemetry.appendDouble(r.sound);
    telemetry.appendVarchar('OFF');
    telemetry.appendVarchar(day(ts));
    telemetry.endRow();
  }
  telemetry.closeSync();
  const table = await connection.createAppender('sensor_faults');
  for (const f of faults) {
    table.appendVarchar(f.thing_name);
    table.appendBigInt(BigInt(f.ts));
    table.appendBigInt(BigInt(f.received_at));
    table.appendVarchar(f.kind);
    table.appendVarchar(f.field);
    table.appendVarchar(f.code);
    table.appendVarchar(day(f.ts));
    table.endRow();
  }
  table.closeSync();
}

/** `thing minute` of every reading flagged stuck, and of every one flagged out of range. */
async function flags(
  connection: DuckDBConnection,
  dialect: SqlDialectName,
  rule: FlagRule = RULE,
  startDay?: string,
): Promise<{ stuck: string[]; outOfRange: string[]; rows: number }> {
  const ctes = flagCtes(
    'readings',
    ['"thing_name"', '"ts"'],
    rule,
    sqlDialect(dialect),
    startDay === undefined ? undefined : { startDay },
  );
  const where = startDay === undefined ? '' : ` WHERE "dt" >= '${startDay}'`;
  const sql = `WITH readings AS (SELECT "thing_name", "ts", "temperature", "humidity", "sound" FROM telemetry${where}),
${ctes.join(',\n')}
SELECT "thing_name", "ts", "_stuck", "_out_of_range" FROM flagged ORDER BY "thing_name", "ts"`;
  const result = await queryRows(connection, sql);
  const label = (r: Record<string, unknown>): string => `${r.thing_name} ${(Number(r.ts) - T0) / MINUTE}`;
  return {
    stuck: result.filter((r) => r._stuck === true).map(label),
    outOfRange: result.filter((r) => r._out_of_range === true).map(label),
    rows: result.length,
  };
}

const range = (thing: string, from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `${thing} ${from + i}`);

describe.each(['duckdb', 'athena'] as const)('flag rule in the %s text, run on DuckDB', (dialect) => {
  let db: Awaited<ReturnType<typeof memoryDuckDb>>;
  beforeAll(async () => {
    db = await memoryDuckDb();
    const { rows, faults } = lake();
    await load(db.connection, rows, faults);
  });
  afterAll(() => db.close());

  it('flags a stuck run at least its minutes long whole, a shorter one not, with a signal overriding the minutes', async () => {
    const { stuck, rows } = await flags(db.connection, dialect);
    expect(rows).toBe(800);
    expect(stuck).toEqual([
      // humidity: 10..70 is 60 minutes, under its own 90; 100..199 is 99 minutes.
      ...range('dev-override', 100, 199),
      // temperature: 20..60 is 40 minutes ≥ 30; 100..120 (20 minutes) is not.
      ...range('dev-stuck', 20, 60),
    ]);
  });

  it('without the override, the config minutes flag the 60-minute humidity run too', async () => {
    const plain = flagRuleOf({ stuckMinutes: 30, outOfRangeClearMinutes: 20 }, THERMOSTAT);
    const { stuck } = await flags(db.connection, dialect, plain);
    expect(stuck.filter((s) => s.startsWith('dev-override'))).toEqual([
      ...range('dev-override', 10, 70),
      ...range('dev-override', 100, 199),
    ]);
  });

  it('gives each reading its run’s first time and length, and the latest refusal at or before it', async () => {
    const ctes = flagCtes('readings', ['"thing_name"', '"ts"'], RULE, sqlDialect(dialect));
    const sql = `WITH readings AS (SELECT "thing_name", "ts", "temperature", "humidity", "sound" FROM telemetry),
${ctes.join(',\n')}
SELECT "thing_name", "ts", "_since_temperature", "_span_temperature", "_last_out_of_range" FROM flagged
WHERE ("thing_name" = 'dev-stuck' AND "ts" IN (${at(19)}, ${at(30)})) OR ("thing_name" = 'dev-range' AND "ts" IN (${at(49)}, ${at(56)}))
ORDER BY "thing_name", "ts"`;
    expect(await queryRows(db.connection, sql)).toEqual([
      {
        thing_name: 'dev-range',
        ts: at(49),
        _since_temperature: at(49),
        _span_temperature: 0,
        _last_out_of_range: null,
      },
      {
        thing_name: 'dev-range',
        ts: at(56),
        _since_temperature: at(56),
        _span_temperature: 0,
        _last_out_of_range: at(55) + 30_000,
      },
      {
        thing_name: 'dev-stuck',
        ts: at(19),
        _since_temperature: at(19),
        _span_temperature: 0,
        _last_out_of_range: null,
      },
      {
        thing_name: 'dev-stuck',
        ts: at(30),
        _since_temperature: at(20),
        _span_temperature: 40 * MINUTE,
        _last_out_of_range: null,
      },
    ]);
  });

  it('flags out of range from a refusal until clearMinutes after the last one, on that device only', async () => {
    const { outOfRange } = await flags(db.connection, dialect);
    // Refusals at 50 and 55:30; cleared 20 minutes after the last: readings 50..75 (75 < 75:30).
    expect(outOfRange).toEqual(range('dev-range', 50, 75));
  });

  it('reads only the window’s refusals', async () => {
    // All readings and refusals are on 2026-01-05 (22:00..) or 2026-01-06: a window from the 6th drops those of
    // the 5th (the refusals at 22:50 and 22:55), so nothing is out of range.
    const { outOfRange, rows } = await flags(db.connection, dialect, RULE, '2026-01-06');
    expect(rows).toBe(4 * 80);
    expect(outOfRange).toEqual([]);
  });
});
