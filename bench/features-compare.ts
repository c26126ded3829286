import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

/**
 * Equality of two exports on a sample (bench/features.ts): per split the same row count, and at sampled row
 * positions (both sides sort each split by ts, thing_name, so row i is the same reading) every column within
 * `tolerance`. Read with DuckDB on one thread so a row's number is its position in the file(s).
 */

export interface SampleComparison {
  readonly equal: boolean;
  readonly rows: Record<string, [number, number]>;
  readonly sampled: number;
  readonly mismatches: number;
  readonly maxAbsDiff: number;
  readonly firstMismatch?: string;
}

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** A split's data: a .csv (with header) or .parquet file, or a directory of Parquet parts in name order. */
function reader(path: string): string {
  if (existsSync(path) && statSync(path).isDirectory()) {
    const parts = readdirSync(path)
      .filter((n) => n.endsWith('.parquet'))
      .sort()
      .map((n) => sqlString(join(path, n)));
    return `read_parquet([${parts.join(', ')}])`;
  }
  return path.endsWith('.parquet') ? `read_parquet(${sqlString(path)})` : `read_csv(${sqlString(path)}, header = true)`;
}

export async function compareExports(
  splits: readonly string[],
  left: Record<string, string>,
  right: Record<string, string>,
  columns: readonly string[],
  options: { sample: number; tolerance: number; seed: number },
): Promise<SampleComparison> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  let seed = options.seed >>> 0;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const count = async (path: string): Promise<number> =>
    Number((await connection.runAndReadAll(`SELECT count(*)::BIGINT FROM ${reader(path)}`)).getRows()[0]?.[0] ?? 0);
  try {
    const rows: Record<string, [number, number]> = {};
    for (const split of splits) rows[split] = [await count(left[split] ?? ''), await count(right[split] ?? '')];
    const total = Object.values(rows).reduce((n, [l]) => n + l, 0);
    let equal = Object.values(rows).every(([l, r]) => l === r);
    let sampled = 0;
    let mismatches = 0;
    let maxAbsDiff = 0;
    let firstMismatch: string | undefined;
    for (const split of splits) {
      const n = rows[split]?.[0] ?? 0;
      if (!equal || n === 0) continue;
      const positions = new Set<number>();
      const want = Math.max(1, Math.round((options.sample * n) / total));
      while (positions.size < Math.min(want, n)) positions.add(1 + Math.floor(random() * n));
      const picked = `(${[...positions].join(', ')})`;
      const side = (path: string): string =>
        `SELECT * FROM (SELECT row_number() OVER () AS _rn, ${columns.map((c) => `CAST("${c}" AS DOUBLE) AS "${c}"`).join(', ')} FROM ${reader(path)}) WHERE _rn IN ${picked}`;
      const diffs = columns.map((c) => `abs(a."${c}" - b."${c}")`);
      const result = await connection.runAndReadAll(`
        WITH a AS (${side(left[split] ?? '')}), b AS (${side(right[split] ?? '')})
        SELECT a._rn, ${columns.map((c, i) => `${diffs[i]} AS "${c}"`).join(', ')}
        FROM a FULL JOIN b USING (_rn)`);
      for (const row of result.getRows()) {
        sampled++;
        let bad = false;
        row.slice(1).forEach((value, i) => {
          const diff = value === null ? Number.POSITIVE_INFINITY : Number(value);
          if (!(diff <= options.tolerance)) {
            bad = true;
            firstMismatch ??= `${split} row ${String(row[0])} column ${columns[i]}: |diff| ${diff}`;
          }
          if (Number.isFinite(diff)) maxAbsDiff = Math.max(maxAbsDiff, diff);
        });
        if (bad) mismatches++;
      }
    }
    if (mismatches > 0) equal = false;
    return { equal, rows, sampled, mismatches, maxAbsDiff, ...(firstMismatch ? { firstMismatch } : {}) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
