import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, type Dirent, existsSync, openSync, readdirSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LocalLake } from '../../local/lake';

/** Shared by the lake fault tests: the CLI as a real process, a large import file, and what the lake holds. */

export const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'local', 'cli.ts');
const DAY = 86_400_000;

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `occupancy <args>` in its own node process (tsx as a loader, no wrapper process: a signal reaches the CLI itself).
 * `preload` is a CommonJS file loaded first (the filesystem stub when the test cannot mount a tmpfs).
 */
export function cliArgs(args: readonly string[], preload?: string): string[] {
  return [...(preload ? ['--require', preload] : []), '--import', 'tsx', CLI, ...args];
}

export function occupancy(args: readonly string[], env: NodeJS.ProcessEnv = {}, preload?: string): CliResult {
  const result = spawnSync(process.execPath, cliArgs(args, preload), {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function spawnOccupancy(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, cliArgs(args), { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
}

export const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

interface TelemetryRow {
  readonly thing_name: string;
  readonly ts: number;
  readonly temperature: number;
  readonly humidity: number;
  readonly sound: number;
  readonly hvac_status: string;
}

/**
 * Writes the lake's own telemetry `copies` times over as an `--format ndjson` file. Imported whole, it changes no
 * exported row (the export keeps one copy of each reading), so `baseline` and `run` work on "all" as on "none";
 * each 50 000-line stretch spans every day, so a reader of a half-written import sees a day partly filled.
 * Returns the number of lines and, per day (epoch day number), how many.
 */
export async function writeImportFile(
  stateDir: string,
  file: string,
  copies: number,
): Promise<{ lines: number; perDay: Map<number, number> }> {
  const lake = LocalLake.open(stateDir);
  const connection = await lake.connect();
  const reader = await connection.runAndReadAll(
    'SELECT thing_name, ts, temperature, humidity, sound, hvac_status FROM telemetry ORDER BY ts, thing_name',
  );
  const rows = reader.getRowObjectsJS() as unknown as TelemetryRow[];
  lake.close();
  const text = rows
    .map((r) =>
      JSON.stringify({
        thingName: r.thing_name,
        timestamp: Number(r.ts),
        temperature: r.temperature,
        humidity: r.humidity,
        sound: r.sound,
        hvacStatus: r.hvac_status,
      }),
    )
    .join('\n');
  const fd = openSync(file, 'w');
  for (let i = 0; i < copies; i++) writeSync(fd, `${text}\n`);
  closeSync(fd);
  const perDay = new Map<number, number>();
  for (const r of rows) {
    const day = Math.floor(Number(r.ts) / DAY);
    perDay.set(day, (perDay.get(day) ?? 0) + copies);
  }
  return { lines: rows.length * copies, perDay };
}

/** Telemetry rows per epoch day, as a reader sees them now. */
export async function rowsPerDay(stateDir: string): Promise<Map<number, number>> {
  const lake = LocalLake.open(stateDir);
  try {
    const connection = await lake.connect();
    const reader = await connection.runAndReadAll(
      `SELECT (ts // ${DAY})::BIGINT AS day, count(*)::BIGINT AS n FROM telemetry GROUP BY day`,
    );
    return new Map(reader.getRows().map((r) => [Number(r[0]), Number(r[1])]));
  } finally {
    lake.close();
  }
}

export const total = (perDay: Map<number, number>): number => [...perDay.values()].reduce((a, b) => a + b, 0);

/** Bytes in the lake's data files (staged or not; whatever their format), to see an import writing. */
export function lakeDataBytes(stateDir: string): number {
  const root = join(stateDir, 'lake');
  if (!existsSync(root)) return 0;
  let bytes = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(root, { recursive: true, withFileTypes: true });
  } catch (error) {
    // A staging directory removed while it is listed (a commit finishing): look again next time.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  for (const entry of entries) {
    if (!entry.isFile() || entry.name === 'manifest.json' || entry.name.endsWith('.tmp')) continue;
    // A staged file may be renamed into its partition between listing and stat: counted on the next look.
    bytes += statSync(join(entry.parentPath, entry.name), { throwIfNoEntry: false })?.size ?? 0;
  }
  return bytes;
}

/** Every line of every part file in the partitions parses as JSON (no torn file is visible to a reader). */
export function tornPartFiles(stateDir: string): string[] {
  const torn: string[] = [];
  for (const table of ['telemetry', 'labels']) {
    const dir = join(stateDir, 'lake', table);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      if (entry.name.endsWith('.parquet')) {
        // A Parquet file is whole when it starts and ends with its magic bytes (the footer is written last).
        const bytes = readFileSync(path);
        const magic = Buffer.from('PAR1');
        if (!(bytes.subarray(0, 4).equals(magic) && bytes.subarray(-4).equals(magic))) torn.push(path);
        continue;
      }
      const text = readFileSync(path, 'utf8');
      if (entry.name.endsWith('.sources')) {
        // A compaction's list of the part files it replaces: whole JSON.
        if (!text.endsWith('\n')) torn.push(path);
        continue;
      }
      const ok =
        text.endsWith('\n') &&
        text
          .slice(0, -1)
          .split('\n')
          .every((line) => {
            try {
              JSON.parse(line);
              return true;
            } catch {
              return false;
            }
          });
      if (!ok) torn.push(path);
    }
  }
  return torn;
}

/** Files the lake holds besides its manifest and the partitions' part files (staging, temporaries). */
export function leftovers(stateDir: string): string[] {
  const root = join(stateDir, 'lake');
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .filter((p) => p !== 'manifest.json' && !/^(telemetry|labels)\/dt=[\d-]+\/part-[^/]+$/.test(p));
}
