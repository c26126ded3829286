import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SENSOR_FAULT_COLUMNS, type SensorFaultRecord } from '../../health/types';
import { LocalAthena } from '../../local/adapters/athena';
import { FolderObjectStore } from '../../local/adapters/s3';
import { LakeError, LocalLake } from '../../local/lake';

/** The local lake's sensor_faults table: appended all-or-nothing, read through DuckDB and the Athena stand-in. */

const T0 = Date.UTC(2026, 0, 5, 23, 59);

const fault = (thing: string, ts: number, over: Partial<SensorFaultRecord> = {}): SensorFaultRecord => ({
  thing_name: thing,
  ts,
  received_at: ts + 500,
  kind: 'out-of-range',
  field: 'co2',
  code: 'out_of_range',
  ...over,
});

describe('LocalLake sensor_faults', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lake-faults-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is an empty view with the Glue columns (plus dt) before any fault', async () => {
    const lake = LocalLake.open(dir);
    expect(await lake.count('sensor_faults')).toBe(0);
    const connection = await lake.connect();
    const described = (await connection.runAndReadAll('DESCRIBE sensor_faults')).getRows().map((r) => [r[0], r[1]]);
    expect(described).toEqual([
      ...SENSOR_FAULT_COLUMNS.map((c) => [c.name, c.type === 'bigint' ? 'BIGINT' : 'VARCHAR']),
      ['dt', 'VARCHAR'],
    ]);
    lake.close();
  });

  it('partitions appended faults by their ts day and reads them back typed', async () => {
    const lake = LocalLake.open(dir);
    const summary = lake.appendSensorFaults([
      fault('room-01', T0),
      fault('room-02', T0 + 2 * 60_000, { kind: 'malformed', field: 'timestamp', code: 'wrong_type' }),
    ]);
    expect(summary).toEqual({ rows: 2, files: 2 });
    expect(readdirSync(join(dir, 'lake', 'sensor_faults')).sort()).toEqual(['dt=2026-01-05', 'dt=2026-01-06']);
    expect(await lake.count('sensor_faults')).toBe(2);
    const connection = await lake.connect();
    const rows = (
      await connection.runAndReadAll(
        'SELECT thing_name, ts, received_at, kind, field, code, dt FROM sensor_faults ORDER BY ts',
      )
    )
      .getRows()
      .map((r) => [r[0], Number(r[1]), Number(r[2]), r[3], r[4], r[5], r[6]]);
    expect(rows).toEqual([
      ['room-01', T0, T0 + 500, 'out-of-range', 'co2', 'out_of_range', '2026-01-05'],
      ['room-02', T0 + 120_000, T0 + 120_500, 'malformed', 'timestamp', 'wrong_type', '2026-01-06'],
    ]);
    // Other tables are untouched, and a fault alone makes the folder a lake (never simulated over).
    expect(await lake.count('telemetry')).toBe(0);
    lake.close();
    expect(LocalLake.exists(dir)).toBe(true);
  });

  it('appends all or nothing: one bad row leaves no row of its batch', async () => {
    const lake = LocalLake.open(dir);
    expect(() => lake.appendSensorFaults([fault('room-01', T0), fault('room-01', Number.NaN)])).toThrow(LakeError);
    expect(await lake.count('sensor_faults')).toBe(0);
    lake.close();
  });

  it('compacts its parts into Parquet with the same rows', async () => {
    const lake = LocalLake.open(dir);
    lake.appendSensorFaults([fault('room-01', T0)]);
    lake.appendSensorFaults([fault('room-01', T0 + 1000, { kind: 'malformed', field: '$', code: 'invalid_json' })]);
    const report = await lake.compact({ convert: true });
    expect(report).toMatchObject({ partitions: 1, filesIn: 2, rows: 2 });
    const day = join(dir, 'lake', 'sensor_faults', 'dt=2026-01-05');
    expect(readdirSync(day).some((f) => f.endsWith('.parquet'))).toBe(true);
    expect(await lake.count('sensor_faults')).toBe(2);
    lake.close();
  });

  it('is a table of the Glue database the Athena stand-in queries', async () => {
    const lake = LocalLake.open(dir);
    lake.appendSensorFaults([fault('room-01', T0), fault('room-01', T0 + 1, { kind: 'malformed', code: 'missing' })]);
    const store = new FolderObjectStore(dir);
    const athena = new LocalAthena(lake, store);
    const out = await athena.startQueryExecutionSync({
      QueryString: 'SELECT kind, count(*) AS n FROM sensor_faults GROUP BY kind ORDER BY kind',
      QueryExecutionContext: { Database: 'occupancy_lake' },
      ResultConfiguration: { OutputLocation: 's3://results/athena/' },
    });
    const csv = readFileSync(store.pathOf(out.QueryExecution?.ResultConfiguration?.OutputLocation ?? ''), 'utf8');
    expect(csv.trim().split('\n')).toEqual(['kind,n', 'malformed,1', 'out-of-range,1']);
    lake.close();
  });
});
