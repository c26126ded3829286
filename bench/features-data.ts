import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { writeLakeManifest } from '../local/lake-manifest';
import { THERMOSTAT } from '../telemetry/signals';

/**
 * The bench's fleet, generated in SQL by DuckDB straight into the lake layout (never held in JS memory):
 * `<stateDir>/lake/{telemetry,labels}/dt=YYYY-MM-DD/part-bench-*.parquet` + manifest.json. The seed's shape:
 * `devices` meters (default 4 meter types × 1449 buildings) reporting once a minute, ~2% redeliveries (half
 * received later with other values, half earlier), a label event every 30 minutes per device (some devices' first
 * one late, so their first readings have no label in force; some on a reading's exact ts).
 */

export const BENCH_START = Date.UTC(2024, 0, 1);
const MINUTE_MS = 60_000;
const LABEL_EVERY_MS = 1_800_000;

export interface BenchFleet {
  readonly readings: number;
  readonly devices: number;
  /** Rows in the telemetry table (readings + redeliveries). */
  readonly telemetryRows: number;
  readonly labelRows: number;
  readonly days: number;
}

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export async function generateBenchLake(stateDir: string, readings: number, devices: number): Promise<BenchFleet> {
  const root = join(stateDir, 'lake');
  mkdirSync(root, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:', {
    threads: '2',
    memory_limit: '3GB',
    temp_directory: join(stateDir, 'generate-spill'),
  });
  const connection = await instance.connect();
  try {
    await connection.run('SELECT setseed(0.42)');
    // Device d: building d // 4, meter type d % 4; its readings land at second d % 60 of each minute.
    const reading = (redelivery: string, receivedShift: string) => `
      SELECT 'b' || lpad(CAST(i % ${devices} // 4 AS VARCHAR), 4, '0') || '-m' || CAST(i % ${devices} % 4 AS VARCHAR) AS thing_name,
        CAST(${BENCH_START} + (i // ${devices}) * ${MINUTE_MS} + (i % ${devices} % 60) * 1000 AS BIGINT) AS ts,
        CAST(${BENCH_START} + (i // ${devices}) * ${MINUTE_MS} + (i % ${devices} % 60) * 1000 + 1000 + ${receivedShift} AS BIGINT) AS received_at,
        19 + random() * 6 AS temperature,
        35 + random() * 20 AS humidity,
        random() * 30 AS sound,
        ['OFF', 'HEATING', 'COOLING', 'FAN'][1 + CAST(floor(random() * 4) AS INTEGER)] AS hvac_status
      FROM range(${readings}) t(i)
      WHERE ${redelivery}`;
    const telemetry = `
      SELECT *, strftime(epoch_ms(ts), '%Y-%m-%d') AS dt FROM (
        ${reading('true', '0')}
        UNION ALL ${reading('i % 97 = 13', '500')}
        UNION ALL ${reading('i % 89 = 7', '-500')}
      )`;
    const options = "FORMAT parquet, COMPRESSION snappy, PARTITION_BY (dt), FILENAME_PATTERN 'part-bench-{i}'";
    await connection.run(`COPY (${telemetry}) TO ${sqlString(join(root, 'telemetry'))} (${options})`);
    const minutes = Math.ceil(readings / devices);
    const events = Math.ceil((minutes * MINUTE_MS) / LABEL_EVERY_MS) + 1;
    const labels = `
      SELECT *, strftime(epoch_ms(ts), '%Y-%m-%d') AS dt FROM (
        SELECT 'b' || lpad(CAST(d // 4 AS VARCHAR), 4, '0') || '-m' || CAST(d % 4 AS VARCHAR) AS thing_name,
          CAST(${BENCH_START} + k * ${LABEL_EVERY_MS} + (d % 60) * 1000 AS BIGINT) AS ts,
          random() < 0.4 AS occupied
        FROM range(${devices}) a(d), range(${events}) b(k)
        WHERE NOT (k = 0 AND d % 7 = 0)
      )`;
    await connection.run(`COPY (${labels}) TO ${sqlString(join(root, 'labels'))} (${options})`);
    const counts = await connection.runAndReadAll(`
      SELECT (SELECT count(*) FROM read_parquet(${sqlString(join(root, 'telemetry', '*', '*.parquet'))}))::BIGINT,
        (SELECT count(*) FROM read_parquet(${sqlString(join(root, 'labels', '*', '*.parquet'))}))::BIGINT`);
    const [telemetryRows, labelRows] = (counts.getRows()[0] ?? []).map(Number);
    writeLakeManifest(join(root, 'manifest.json'), THERMOSTAT);
    return {
      readings,
      devices,
      telemetryRows: telemetryRows ?? 0,
      labelRows: labelRows ?? 0,
      days: Math.ceil((minutes * MINUTE_MS) / 86_400_000),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
