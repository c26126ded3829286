import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/**
 * Parquet part files as DuckDB writes them (Snappy), for the split readers' tests: one SELECT per part, each
 * written single-threaded so rows keep their order, with small row groups so a part holds several.
 */
export async function parquetParts(
  selects: readonly string[],
  options: { rowGroupSize?: number } = {},
): Promise<Uint8Array[]> {
  const dir = mkdtempSync(join(tmpdir(), 'parquet-split-'));
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    const parts: Uint8Array[] = [];
    for (const [i, select] of selects.entries()) {
      const path = join(dir, `part-${i}.parquet`);
      await connection.run(
        `COPY (${select}) TO '${path}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${options.rowGroupSize ?? 2048})`,
      );
      parts.push(new Uint8Array(readFileSync(path)));
    }
    return parts;
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The rows of the CSV fixtures (temperature, humidity, sound, occupied) for i in [from, to), in order: sound > 10
 * is a decent but imperfect rule (every 7th row errs), a third of the rows are occupied.
 */
export const fixtureRows = (from: number, to: number): string => `
  SELECT 21 + (i % 4) / 10 AS temperature, (40 + (i % 9))::DOUBLE AS humidity,
    (CASE WHEN i % 3 = 0 THEN (CASE WHEN i % 7 = 0 THEN 5 ELSE 20 + (i % 5) END)
          ELSE (CASE WHEN i % 7 = 0 THEN 15 ELSE 2 + (i % 3) END) END)::DOUBLE AS sound,
    (CASE WHEN i % 3 = 0 THEN 1 ELSE 0 END)::INTEGER AS occupied
  FROM range(${from}, ${to}) t(i) ORDER BY i`;

/** The same rows as CSV with a header (the splits before Parquet). */
export function fixtureCsv(from: number, to: number): string {
  const line = (i: number) => {
    const occupied = i % 3 === 0 ? 1 : 0;
    const sound = occupied ? (i % 7 === 0 ? 5 : 20 + (i % 5)) : i % 7 === 0 ? 15 : 2 + (i % 3);
    return `${21 + (i % 4) / 10},${40 + (i % 9)},${sound},${occupied}`;
  };
  const lines = ['temperature,humidity,sound,occupied'];
  for (let i = from; i < to; i++) lines.push(line(i));
  return lines.join('\n');
}
