import { dirname, join } from 'node:path';
import { SENSOR_FAULT_COLUMNS } from '../health/types';
import { predictionColumns, servedFeatureSpec } from '../tasks/infer-occupancy/prediction-record';
import type { SignalSet } from '../telemetry/signals';
import type { PartFile } from './lake-files';
import type { LakeTable } from './lake-staging';

/** SQL column type per signal, the same as the Glue table's. */
function telemetryColumns(set: SignalSet): Record<string, string> {
  const columns: Record<string, string> = { thing_name: 'VARCHAR', ts: 'BIGINT', received_at: 'BIGINT' };
  for (const signal of set.signals) columns[signal.name] = signal.kind === 'numeric' ? 'DOUBLE' : 'VARCHAR';
  return columns;
}

const LABEL_COLUMNS: Record<string, string> = { thing_name: 'VARCHAR', ts: 'BIGINT', occupied: 'BOOLEAN' };

/** The predictions table's columns (the Glue table's: tasks/infer-occupancy/prediction-record.ts). */
const predictionsColumns = (set: SignalSet): Record<string, string> =>
  Object.fromEntries(predictionColumns(servedFeatureSpec(set)).map((c) => [c.name, c.duckdb]));

/** The sensor_faults table's columns: the Glue table's (health/types.ts), Glue types spelled as DuckDB's. */
export const SENSOR_FAULT_DUCKDB: Readonly<Record<string, string>> = Object.fromEntries(
  SENSOR_FAULT_COLUMNS.map((c) => [c.name, c.type === 'bigint' ? 'BIGINT' : 'VARCHAR']),
);

/** The columns of a lake table (without the partition column `dt`), in order. */
export function columnsOf(table: LakeTable, set: SignalSet): Record<string, string> {
  switch (table) {
    case 'telemetry':
      return telemetryColumns(set);
    case 'labels':
      return LABEL_COLUMNS;
    case 'predictions':
      return predictionsColumns(set);
    case 'sensor_faults':
      return SENSOR_FAULT_DUCKDB;
  }
}

export const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

function duckColumnsStruct(columns: Record<string, string>): string {
  return `{${Object.entries(columns)
    .map(([name, type]) => `${sqlString(name)}: ${sqlString(type)}`)
    .join(', ')}}`;
}

const fileList = (files: readonly PartFile[]): string => `[${files.map((f) => sqlString(f.path)).join(', ')}]`;

// dt is the partition value as a string, like Athena's string partition key (DuckDB would infer DATE).
const HIVE = `hive_partitioning = true, hive_types = {'dt': 'VARCHAR'}`;

/**
 * A SELECT of `files` (Parquet and legacy NDJSON parts) with the table's typed columns, plus `dt` last when
 * `withDt`. Files are named one by one (never a glob: see lake-files.ts); the first Parquet file gives DuckDB the
 * schema, so callers list the newest partition first and a `"dt" >= …` filter never opens an older one.
 */
export function selectParts(files: readonly PartFile[], columns: Record<string, string>, withDt: boolean): string {
  const typed = Object.entries(columns).map(([name, type]) => `CAST(${ident(name)} AS ${type}) AS ${ident(name)}`);
  const list = [...typed, ...(withDt ? ['dt'] : [])].join(', ');
  const hive = withDt ? `, ${HIVE}` : '';
  const parquet = files.filter((f) => f.format === 'parquet');
  const ndjson = files.filter((f) => f.format === 'ndjson');
  const parts: string[] = [];
  if (parquet.length > 0) parts.push(`SELECT ${list} FROM read_parquet(${fileList(parquet)}${hive})`);
  if (ndjson.length > 0) {
    parts.push(
      `SELECT ${list} FROM read_json(${fileList(ndjson)}, format = 'newline_delimited', ` +
        `columns = ${duckColumnsStruct(columns)}${hive})`,
    );
  }
  if (parts.length === 0) {
    const nulls = Object.entries(columns).map(([name, type]) => `CAST(NULL AS ${type}) AS ${ident(name)}`);
    return `SELECT ${[...nulls, ...(withDt ? ['CAST(NULL AS VARCHAR) AS dt'] : [])].join(', ')} WHERE false`;
  }
  return parts.join(' UNION ALL ');
}

/**
 * DuckDB options of every instance over the lake: spills (sorts and windows bigger than memory) go under the state
 * dir, next to the lake, instead of DuckDB's default `.tmp` in whatever directory the command runs from (a fleet-size
 * export spills gigabytes).
 */
export const lakeDuckDbOptions = (lakeRoot: string): Record<string, string> => ({
  temp_directory: join(dirname(lakeRoot), 'duckdb-spill'),
});
