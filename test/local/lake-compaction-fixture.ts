import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { LocalLake } from '../../local/lake';
import type { LabelEvent, Reading } from '../../telemetry/reading';
import { THERMOSTAT } from '../../telemetry/signals';

/** Shared by the compaction tests: lakes of NDJSON appends, and what their files hold read independently. */

export const DAY = 86_400_000;
export const START = Date.UTC(2026, 0, 5);

/** `n` readings of `rooms` rooms spread over `days` days from `from` (one per room every `step` ms). */
export function readings(from: number, days: number, rooms: number, perRoomPerDay: number): Reading[] {
  const out: Reading[] = [];
  const step = Math.floor(DAY / perRoomPerDay);
  for (let d = 0; d < days; d++)
    for (let i = 0; i < perRoomPerDay; i++)
      for (let r = 0; r < rooms; r++) {
        const ts = from + d * DAY + i * step + r;
        out.push({
          thingName: `room-${r}`,
          ts,
          values: {
            temperature: 20 + (ts % 97) / 10,
            humidity: 40 + (i % 7),
            sound: (ts % 13) / 2,
            hvac_status: i % 3 === 0 ? 'ON' : 'OFF',
          },
        });
      }
  return out;
}

export const labels = (from: number, days: number): LabelEvent[] =>
  Array.from({ length: days * 4 }, (_, i) => ({
    thingName: `room-${i % 3}`,
    ts: from + i * (DAY / 4) + 7,
    occupied: i % 2 === 0,
  }));

/** Appends `batches` NDJSON appends of readings and labels (no compaction: appends alone never compact). */
export function appendBatches(dir: string, batches: number, days: number, perRoomPerDay: number): void {
  const lake = LocalLake.open(dir, THERMOSTAT);
  for (let b = 0; b < batches; b++) {
    const tx = lake.beginAppend();
    tx.appendReadings(readings(START + b, days, 3, perRoomPerDay), 1_000 + b);
    tx.appendLabels(labels(START + b * 1000, days));
    tx.commit();
  }
  lake.close();
}

const TELEMETRY =
  "{'thing_name': 'VARCHAR', 'ts': 'BIGINT', 'received_at': 'BIGINT', 'temperature': 'DOUBLE', 'humidity': 'DOUBLE', 'sound': 'DOUBLE', 'hvac_status': 'VARCHAR'}";
const LABELS = "{'thing_name': 'VARCHAR', 'ts': 'BIGINT', 'occupied': 'BOOLEAN'}";

export interface TableDigest {
  readonly rows: number;
  /** Order-independent checksum of every column, `dt` included. */
  readonly checksum: string;
  readonly perDay: Record<string, number>;
}

const DIGEST = (cols: string): string =>
  `SELECT count(*)::BIGINT AS n, sum(hash(${cols}, dt) % 1000000007)::HUGEINT::VARCHAR AS checksum FROM src`;

async function digest(connection: Awaited<ReturnType<DuckDBInstance['connect']>>, cols: string): Promise<TableDigest> {
  const [n, checksum] = (await connection.runAndReadAll(DIGEST(cols))).getRows()[0] ?? [];
  const days = (await connection.runAndReadAll('SELECT dt, count(*)::BIGINT FROM src GROUP BY dt')).getRows();
  return {
    rows: Number(n),
    checksum: String(checksum),
    perDay: Object.fromEntries(days.map(([d, c]) => [String(d), Number(c)])),
  };
}

const T_COLS = 'thing_name, ts, received_at, temperature, humidity, sound, hvac_status';
const L_COLS = 'thing_name, ts, occupied';

/** Digests of the lake's NDJSON part files read directly (before any compaction: the oracle). */
export async function ndjsonDigest(dir: string): Promise<{ telemetry: TableDigest; labels: TableDigest }> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const read = async (table: string, columns: string, cols: string): Promise<TableDigest> => {
      const glob = join(dir, 'lake', table, '*', '*.ndjson').replace(/'/g, "''");
      await c.run(
        `CREATE OR REPLACE VIEW src AS SELECT * FROM read_json('${glob}', format = 'newline_delimited', columns = ${columns}, hive_partitioning = true, hive_types = {'dt': 'VARCHAR'})`,
      );
      return digest(c, cols);
    };
    return { telemetry: await read('telemetry', TELEMETRY, T_COLS), labels: await read('labels', LABELS, L_COLS) };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** Digests of the lake's views (what every reader sees). */
export async function viewDigest(lake: LocalLake): Promise<{ telemetry: TableDigest; labels: TableDigest }> {
  const c = await lake.connect();
  await c.run('CREATE OR REPLACE TEMP VIEW src AS SELECT * FROM telemetry');
  const telemetry = await digest(c, T_COLS);
  await c.run('CREATE OR REPLACE TEMP VIEW src AS SELECT * FROM labels');
  return { telemetry, labels: await digest(c, L_COLS) };
}

/** Files per partition directory of `table`. */
export function filesPerPartition(dir: string, table: string): Record<string, string[]> {
  const root = join(dir, 'lake', table);
  return Object.fromEntries(readdirSync(root).map((day) => [day, readdirSync(join(root, day)).sort()]));
}
