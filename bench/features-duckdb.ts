import type { DuckDBConnection } from '@duckdb/node-api';
import { exportDataset } from '../local/export';
import { LocalLake } from '../local/lake';

/**
 * Child process of bench/features.ts: the DuckDB side, `exportDataset` of local/export.ts on the bench lake, run
 * alone in this process so its peak RSS is its own (DuckDB runs in-process).
 *   tsx bench/features-duckdb.ts <stateDir> <outDir> [<memory limit, e.g. 5GB>]
 * Without a memory limit DuckDB runs as the product runs it (LocalLake's instance, DuckDB's default: 80% of RAM).
 * Prints one JSON line: seconds, the export manifest, the DuckDB version, max_rss_mb, and `statements`: the
 * export's SQL statements with their seconds (the connection's run/runAndReadAll timed), slowest first.
 */

interface Timed {
  readonly sql: string;
  readonly seconds: number;
}

/** Times every statement run on `connection` (bench-only instrumentation: the methods are wrapped in place). */
function timeStatements(connection: DuckDBConnection, into: Timed[]): void {
  for (const method of ['run', 'runAndReadAll'] as const) {
    const original = connection[method].bind(connection) as (sql: string, ...rest: unknown[]) => Promise<unknown>;
    Object.assign(connection, {
      [method]: async (sql: string, ...rest: unknown[]) => {
        const begin = process.hrtime.bigint();
        try {
          return await original(sql, ...rest);
        } finally {
          const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
          into.push({ sql: sql.replace(/\s+/g, ' ').trim().slice(0, 100), seconds: Math.round(seconds * 100) / 100 });
        }
      },
    });
  }
}

async function main(): Promise<void> {
  const [stateDir, outDir, memoryLimit] = process.argv.slice(2);
  if (!stateDir || !outDir) throw new Error('usage: features-duckdb.ts <stateDir> <outDir>');
  const lake = LocalLake.open(stateDir);
  try {
    if (memoryLimit !== undefined) {
      if (!/^\d+(\.\d+)?[KMGT]i?B$/.test(memoryLimit)) throw new Error(`memory limit "${memoryLimit}" is not like 5GB`);
      // A global setting of the lake's instance: exportDataset runs on this same connection.
      await (await lake.connect()).run(`SET memory_limit = '${memoryLimit}'`);
    }
    const statements: Timed[] = [];
    timeStatements(await lake.connect(), statements);
    const begin = process.hrtime.bigint();
    const manifest = await exportDataset(lake, { outDir });
    const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
    const version = await (await lake.connect()).runAndReadAll('SELECT version()');
    process.stdout.write(
      `${JSON.stringify({
        seconds,
        manifest,
        duckdb_version: String(version.getRows()[0]?.[0]),
        max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
        statements: statements.sort((a, b) => b.seconds - a.seconds),
      })}\n`,
    );
  } finally {
    lake.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
