import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  buildFeatureSpec,
  type DeviceFeatureState,
  FleetFeatureEvaluator,
  initialDeviceState,
  stepFeatures,
} from '../features';
import { readLakeManifest } from '../local/lake-manifest';
import type { Reading } from '../telemetry/reading';

/**
 * Child process of bench/features.ts: the TypeScript evaluator's fast path (FleetFeatureEvaluator.stepBatch) over
 * the bench lake's deduplicated readings in fleet time order, streamed from DuckDB chunk by chunk (never all in JS
 * memory). Only the stepping is timed. The first OBJECT_API_READINGS are also stepped through `stepFeatures` (the
 * object API the inference Lambda calls: a Reading and a JSON state in, a vector and a new state out), timed apart.
 *   tsx bench/features-ts.ts <stateDir> <max readings> [<ts bound, epoch ms>]
 * The bound (readings before it) lets DuckDB skip the row groups of later days instead of sorting the whole lake.
 * Prints one JSON line: vectors, seconds, vectors_per_s, object_api_vectors_per_s, max_rss_mb.
 */

const OBJECT_API_READINGS = 1_000_000;
const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

async function main(): Promise<void> {
  const [stateDir, limitArg, boundArg] = process.argv.slice(2);
  const limit = Number(limitArg);
  const bound = boundArg === undefined ? undefined : Number(boundArg);
  if (!stateDir || !Number.isSafeInteger(limit) || limit <= 0) {
    throw new Error('usage: features-ts.ts <stateDir> <max readings>');
  }
  const set = readLakeManifest(join(stateDir, 'lake', 'manifest.json'));
  if (!set) throw new Error(`no lake in ${stateDir}`);
  const spec = buildFeatureSpec(set);
  const evaluator = new FleetFeatureEvaluator(spec, 8192);
  const numeric = spec.numericInputs.map((s) => `"${s.name}"`);
  const enums = spec.enumInputs.map((s, e) => {
    const cases = s.values.map((v) => `WHEN ${sqlString(v)} THEN ${evaluator.enumCode(e, v)}`).join(' ');
    return `CAST(CASE "${s.name}" ${cases} ELSE -1 END AS INTEGER)`;
  });
  const instance = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '3GB' });
  const connection = await instance.connect();
  const glob = sqlString(join(stateDir, 'lake', 'telemetry', '*', '*.parquet'));
  const result = await connection.stream(`
    WITH deduped AS (
      SELECT * FROM read_parquet(${glob})
      ${bound !== undefined && Number.isSafeInteger(bound) ? `WHERE ts < ${bound}` : ''}
      QUALIFY row_number() OVER (PARTITION BY thing_name, ts ORDER BY received_at DESC, ${numeric.map((c) => `${c} DESC`).join(', ')}) = 1
      ORDER BY ts, thing_name
      LIMIT ${limit}
    ), devices AS (
      SELECT thing_name, CAST(row_number() OVER (ORDER BY thing_name) - 1 AS INTEGER) AS slot
      FROM (SELECT DISTINCT thing_name FROM deduped)
    )
    SELECT devices.slot, CAST(deduped.ts AS DOUBLE), ${numeric.map((c) => `CAST(${c} AS DOUBLE)`).join(', ')}${enums.map((e) => `, ${e}`).join('')}
    FROM deduped JOIN devices USING (thing_name)
    ORDER BY deduped.ts, devices.slot`);
  const valuesByCode = spec.enumInputs.map((s, e) => {
    const byCode: string[] = [];
    for (const v of s.values) byCode[evaluator.enumCode(e, v)] = v;
    return byCode;
  });
  const objectStates: DeviceFeatureState[] = [];
  let objectVectors = 0;
  let objectNs = 0n;
  let vectors = 0;
  let elapsedNs = 0n;
  let checksum = 0;
  let out = new Float64Array(0);
  try {
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const rows = chunk.rowCount;
      const column = (c: number): number[] => chunk.getColumnValues(c).map(Number);
      const slots = Int32Array.from(column(0));
      while (evaluator.size <= Math.max(...slots)) evaluator.addSlot();
      const batch = {
        rows,
        slots,
        ts: Float64Array.from(column(1)),
        numeric: numeric.map((_, i) => Float64Array.from(column(2 + i))),
        enums: enums.map((_, e) => Int32Array.from(column(2 + numeric.length + e))),
      };
      if (out.length < rows * evaluator.width) out = new Float64Array(rows * evaluator.width);
      const begin = process.hrtime.bigint();
      evaluator.stepBatch(batch, out);
      elapsedNs += process.hrtime.bigint() - begin;
      checksum += out[0] ?? 0;
      vectors += rows;
      if (objectVectors < OBJECT_API_READINGS) {
        const readings: Reading[] = [];
        for (let r = 0; r < rows; r++) {
          const values: Record<string, number | string> = {};
          spec.numericInputs.forEach((s, i) => {
            values[s.name] = batch.numeric[i]?.[r] ?? 0;
          });
          spec.enumInputs.forEach((s, e) => {
            values[s.name] = valuesByCode[e]?.[batch.enums[e]?.[r] ?? -1] ?? '';
          });
          readings.push({ thingName: `device-${slots[r]}`, ts: batch.ts[r] ?? 0, values });
        }
        const objectBegin = process.hrtime.bigint();
        for (let r = 0; r < rows; r++) {
          const slot = slots[r] ?? 0;
          const step = stepFeatures(spec, objectStates[slot] ?? initialDeviceState(), readings[r] as Reading);
          objectStates[slot] = step.state;
          checksum += step.vector[0] ?? 0;
        }
        objectNs += process.hrtime.bigint() - objectBegin;
        objectVectors += rows;
      }
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  if (!Number.isFinite(checksum)) throw new Error('evaluator produced a non-finite value');
  const seconds = Number(elapsedNs) / 1e9;
  process.stdout.write(
    `${JSON.stringify({
      vectors,
      devices: evaluator.size,
      seconds,
      vectors_per_s: Math.round(vectors / seconds),
      object_api_vectors: objectVectors,
      object_api_vectors_per_s: Math.round(objectVectors / (Number(objectNs) / 1e9)),
      max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
