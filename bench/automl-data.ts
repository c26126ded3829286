/**
 * bench:automl's datasets: UCI Occupancy Detection (the fixture files), simulated fleets and drift scenarios, each
 * simulated and exported with the project's own CLI (`occupancy simulate` then `occupancy baseline`) and cached under
 * the fleet root. Engines train on train + validation and are scored on the holdout(s).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabelledTable } from '../telemetry/table';

export const UCI_DATA = join(__dirname, '..', 'test', 'fixtures', 'uci-occupancy');
const UCI_FEATURES = ['Temperature', 'Humidity', 'Light', 'CO2', 'HumidityRatio'];

/** A simulated fleet: its size and, for a drift dataset, the scenario of telemetry/drift.ts. */
export interface FleetSpec {
  readonly rooms: number;
  readonly days: number;
  readonly drift?: string;
}

export const FLEETS: Record<string, FleetSpec> = {
  '1m': { rooms: 70, days: 10 },
  '20x14': { rooms: 20, days: 14 },
};

/** Drift datasets are named `drift-<scenario>`; their size comes from --drift-rooms/--drift-days. */
export const DRIFT_PREFIX = 'drift-';

export interface Dataset {
  readonly name: string;
  readonly train: LabelledTable;
  readonly validation: LabelledTable | undefined;
  readonly holdouts: { readonly name: string; readonly table: LabelledTable }[];
}

/** Where the datasets live and how big a drift fleet is. */
export interface DataOptions {
  readonly root: string;
  readonly driftRooms: number;
  readonly driftDays: number;
}

/** UCI files: header of 7 names, rows of 8 fields (a quoted row id first). */
function readUci(path: string): LabelledTable {
  const lines = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const rows = lines.slice(1).map((l) => l.split(','));
  const columns = UCI_FEATURES.map((_, c) => Float64Array.from(rows, (r) => Number(r[c + 2])));
  const target = Uint8Array.from(rows, (r) => Number(r[7]));
  return { names: UCI_FEATURES, columns, rowCount: rows.length, ignored: [], target, targetName: 'Occupancy' };
}

/** An all-numeric export CSV (header, target column named), parsed line by line to keep the footprint small. */
function readNumericCsv(path: string, targetName: string): LabelledTable {
  const text = readFileSync(path, 'latin1');
  let at = text.indexOf('\n');
  const header = text.slice(0, at).trim().split(',');
  const targetIndex = header.indexOf(targetName);
  if (targetIndex < 0) throw new Error(`${path}: no column "${targetName}"`);
  let rowCount = 0;
  for (let i = at + 1; i < text.length; i++) if (text.charCodeAt(i) === 10) rowCount++;
  if (!text.endsWith('\n')) rowCount++;
  const names = header.filter((_, i) => i !== targetIndex);
  const columns = names.map(() => new Float64Array(rowCount));
  const target = new Uint8Array(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const end = text.indexOf('\n', at + 1);
    const line = text.slice(at + 1, end < 0 ? text.length : end);
    at = end;
    const cells = line.split(',');
    let c = 0;
    for (let i = 0; i < cells.length; i++) {
      const v = cells[i] === '' ? Number.NaN : Number(cells[i]);
      if (i === targetIndex) target[r] = v === 1 ? 1 : 0;
      else {
        const col = columns[c++];
        if (col) col[r] = v;
      }
    }
  }
  return { names, columns, rowCount, ignored: [], target, targetName };
}

/** The export's Parquet splits also as CSV (header, `occupied` last): what this bench's reader and scikit-learn take. */
function splitCsvs(exportDir: string): string {
  if (existsSync(join(exportDir, 'holdout.csv'))) return exportDir;
  const copies = ['train', 'validation', 'holdout'].map(
    (s) => `await c.run("COPY '${join(exportDir, `${s}.parquet`)}' TO '${join(exportDir, `${s}.csv`)}' (HEADER)");`,
  );
  const code = `import { DuckDBInstance } from '@duckdb/node-api'; const c = await (await DuckDBInstance.create(':memory:')).connect(); ${copies.join(' ')}`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: join(__dirname, '..'),
    stdio: 'inherit',
  });
  if (run.status !== 0) throw new Error(`writing the CSVs of ${exportDir} exited ${run.status}`);
  return exportDir;
}

/** The fleet of a dataset name (`fleet-1m`, `drift-season`). */
export function fleetSpec(name: string, options: DataOptions): FleetSpec {
  if (name.startsWith(DRIFT_PREFIX)) {
    return { rooms: options.driftRooms, days: options.driftDays, drift: name.slice(DRIFT_PREFIX.length) };
  }
  const spec = FLEETS[name.replace(/^fleet-/, '')];
  if (!spec) throw new Error(`unknown fleet "${name}" (one of ${Object.keys(FLEETS).join(', ')}, or drift-<scenario>)`);
  return spec;
}

/**
 * The export folder of a simulated dataset, simulated and exported with the project CLI when not cached. A drift
 * fleet's folder names its size, so a cache of another size is not reused.
 */
export function fleetExport(name: string, options: DataOptions): string {
  const spec = fleetSpec(name, options);
  const folder = spec.drift === undefined ? name : `${name}-${spec.rooms}x${spec.days}`;
  const stateDir = join(options.root, folder);
  const exportDir = join(stateDir, 'export');
  // A cache of an older bench holds only the CSVs; either form is a finished export.
  if (['holdout.parquet', 'holdout.csv'].some((f) => existsSync(join(exportDir, f)))) return splitCsvs(exportDir);
  const cli = join(__dirname, '..', 'local', 'cli.ts');
  const simulate = ['simulate', '--rooms', String(spec.rooms), '--days', String(spec.days), '--state-dir', stateDir];
  if (spec.drift !== undefined) simulate.push('--drift', spec.drift);
  for (const args of [simulate, ['baseline', '--state-dir', stateDir, '--out', exportDir, '--json']]) {
    process.stderr.write(`[bench] occupancy ${args.join(' ')}\n`);
    const run = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
      stdio: ['ignore', args[0] === 'baseline' ? 'pipe' : 'inherit', 'inherit'],
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`occupancy ${args.join(' ')} exited ${run.status}`);
    if (args[0] === 'baseline') writeFileSync(join(stateDir, 'baseline.json'), run.stdout);
  }
  return splitCsvs(exportDir);
}

export function loadDataset(name: string, options: DataOptions): Dataset {
  if (name === 'uci-occupancy') {
    return {
      name,
      train: readUci(join(UCI_DATA, 'datatraining.txt')),
      validation: undefined,
      holdouts: ['datatest', 'datatest2'].map((h) => ({ name: h, table: readUci(join(UCI_DATA, `${h}.txt`)) })),
    };
  }
  const dir = fleetExport(name, options);
  const read = (file: string) => readNumericCsv(join(dir, `${file}.csv`), 'occupied');
  return {
    name,
    train: read('train'),
    validation: read('validation'),
    holdouts: [{ name: 'holdout', table: read('holdout') }],
  };
}
