import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  buildExportQuery,
  buildFeatureSpec,
  type DeviceFeatureState,
  initialDeviceState,
  stepFeatures,
} from '../features';
import type { Reading } from '../telemetry/reading';
import { HVAC_STATUSES, THERMOSTAT } from '../telemetry/signals';

/**
 * Feature throughput of both interpreters on simulated thermostat telemetry.
 *   npx tsx bench/features.ts [--readings N] [--devices D]   (default 10 000 000 readings, 200 devices)
 * Prints one JSON object: {ts_vectors_per_s, duckdb_export_rows_per_s, readings, peak_rss_mb}; progress on stderr.
 * - TS: readings are generated in chunks (never all at once) and stepped through the streaming evaluator;
 *   only the stepping is timed.
 * - DuckDB: telemetry (with ~1% redeliveries) and labels are generated in SQL, then
 *   COPY (export query) TO a temp CSV is timed; rows/s counts telemetry rows in.
 */

function argument(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const readings = argument('readings', 10_000_000);
const devices = argument('devices', 200);
const START = Date.UTC(2024, 0, 1);
const INTERVAL_MS = 60_000;
const spec = buildFeatureSpec(THERMOSTAT);
const progress = (message: string): void => {
  process.stderr.write(`[bench:features] ${message}\n`);
};
const peakRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

function benchTypeScript(): number {
  const chunkSize = 100_000;
  const states: DeviceFeatureState[] = Array.from({ length: devices }, () => initialDeviceState());
  const names = Array.from({ length: devices }, (_, d) => `room-${d}`);
  let seed = 12345;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  let elapsedNs = 0n;
  let checksum = 0;
  for (let done = 0; done < readings; done += chunkSize) {
    const chunk: Reading[] = [];
    for (let i = done; i < Math.min(readings, done + chunkSize); i++) {
      const d = i % devices;
      chunk.push({
        thingName: names[d] ?? '',
        ts: START + Math.floor(i / devices) * INTERVAL_MS + d,
        values: {
          temperature: 19 + random() * 6,
          humidity: 35 + random() * 20,
          sound: random() * 30,
          hvac_status: HVAC_STATUSES[Math.floor(random() * HVAC_STATUSES.length)] ?? 'OFF',
        },
      });
    }
    const begin = process.hrtime.bigint();
    for (let i = 0; i < chunk.length; i++) {
      const reading = chunk[i] as Reading;
      const d = (done + i) % devices;
      const step = stepFeatures(spec, states[d] as DeviceFeatureState, reading);
      states[d] = step.state;
      checksum += step.vector[0] ?? 0;
    }
    elapsedNs += process.hrtime.bigint() - begin;
    if ((done / chunkSize) % 20 === 0) progress(`ts evaluator: ${done + chunk.length} / ${readings}`);
  }
  if (!Number.isFinite(checksum)) throw new Error('evaluator produced a non-finite value');
  return readings / (Number(elapsedNs) / 1e9);
}

async function benchDuckDb(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-features-'));
  const instance = await DuckDBInstance.create(':memory:', {
    threads: '2',
    memory_limit: '4GB',
    temp_directory: join(dir, 'spill'),
  });
  const connection = await instance.connect();
  try {
    progress(`duckdb: generating ${readings} readings in SQL`);
    await connection.run('SELECT setseed(0.42)');
    await connection.run(`CREATE TABLE telemetry AS
      SELECT 'room-' || CAST(i % ${devices} AS VARCHAR) AS thing_name,
        CAST(${START} + (i // ${devices}) * ${INTERVAL_MS} + i % ${devices} AS BIGINT) AS ts,
        CAST(${START} + (i // ${devices}) * ${INTERVAL_MS} + 1000 AS BIGINT) AS received_at,
        19 + random() * 6 AS temperature,
        35 + random() * 20 AS humidity,
        random() * 30 AS sound,
        ['OFF', 'HEATING', 'COOLING', 'FAN'][1 + CAST(floor(random() * 4) AS INTEGER)] AS hvac_status
      FROM range(${readings}) t(i)`);
    // ~1% MQTT redeliveries: same (thing_name, ts), received later, other values.
    await connection.run(`INSERT INTO telemetry
      SELECT thing_name, ts, received_at + 500, temperature + 0.1, humidity, sound, hvac_status
      FROM telemetry USING SAMPLE 1 PERCENT (bernoulli, 7)`);
    // A label every 30 minutes per device.
    await connection.run(`CREATE TABLE labels AS
      SELECT 'room-' || CAST(d AS VARCHAR) AS thing_name, CAST(${START} + k * 1800000 AS BIGINT) AS ts, random() < 0.4 AS occupied
      FROM range(${devices}) a(d), range(${Math.ceil((readings / devices) * (INTERVAL_MS / 1_800_000)) + 1}) b(k)`);
    const split = { kind: 'fractions', train: 0.7, validation: 0.15 } as const;
    const out = join(dir, 'export.csv').replace(/'/g, "''");
    progress('duckdb: running the export query');
    const begin = process.hrtime.bigint();
    await connection.run(
      `COPY (${buildExportQuery(spec, { dialect: 'duckdb', split })}) TO '${out}' (HEADER, DELIMITER ',')`,
    );
    const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
    progress(`duckdb: export took ${seconds.toFixed(1)} s`);
    return readings / seconds;
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const tsRate = benchTypeScript();
  progress(`ts evaluator: ${Math.round(tsRate)} vectors/s`);
  const duckRate = await benchDuckDb();
  process.stdout.write(
    `${JSON.stringify({
      ts_vectors_per_s: Math.round(tsRate),
      duckdb_export_rows_per_s: Math.round(duckRate),
      readings,
      peak_rss_mb: peakRssMb(),
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
