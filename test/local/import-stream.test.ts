import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../local/args';
import { importIntoLake } from '../../local/commands/import';
import { BATCH_ROWS } from '../../local/commands/import-stream';
import { LocalLake } from '../../local/lake';
import { UCI_TRAINING } from '../fixtures/uci-occupancy';

const ROOT = join(__dirname, '..', '..');
const T0 = Date.UTC(2026, 0, 5);

function occupancy(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'occupancy.js'), ...args], {
    encoding: 'utf8',
    cwd: ROOT,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const reading = (thingName: string, ts: number, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ thingName, timestamp: ts, temperature: 21, humidity: 40, sound: 5, hvacStatus: 'OFF', ...extra });

async function query(stateDir: string, sql: string): Promise<unknown[][]> {
  const lake = LocalLake.open(stateDir);
  try {
    const connection = await lake.connect();
    return (await connection.runAndReadAll(sql)).getRows();
  } finally {
    lake.close();
  }
}

/** Writes lines through a stream (the test files are larger than one import batch). */
async function writeLines(file: string, count: number, line: (i: number) => string, head?: string): Promise<void> {
  const out = createWriteStream(file);
  if (head !== undefined) out.write(`${head}\n`);
  for (let i = 0; i < count; i++) {
    if (!out.write(`${line(i)}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

describe('occupancy import, streamed', () => {
  let dir: string;
  let n = 0;
  const stateDir = (): string => join(dir, `state-${n++}`);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'import-stream-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('conflicting labels for one (device, time): the last in the file wins, and they are counted', async () => {
    const file = join(dir, 'conflict.ndjson');
    writeFileSync(
      file,
      [
        reading('r1', T0, { occupied: true }),
        reading('r1', T0, { occupied: false }), // conflicts with the line above: this one wins
        reading('r1', T0 + 60_000, { occupied: true }),
        reading('r1', T0 + 60_000, { occupied: true }), // an identical repeat is no conflict
        reading('r2', T0, { occupied: false }),
        reading('r2', T0, { occupied: true }),
        reading('r2', T0, { occupied: false }), // three labels, last wins: false
      ].join('\n'),
    );
    const dirA = stateDir();
    const summary = await importIntoLake(dirA, file, 'ndjson');
    expect(summary).toMatchObject({ imported: 7, labels: 3, conflictingLabels: 2, rejected: 0 });
    const labels = await query(dirA, 'SELECT thing_name, ts, occupied FROM labels ORDER BY thing_name, ts');
    expect(labels).toEqual([
      ['r1', BigInt(T0), false],
      ['r1', BigInt(T0 + 60_000), true],
      ['r2', BigInt(T0), false],
    ]);
    const cli = occupancy(['import', file, '--format', 'ndjson', '--state-dir', stateDir(), '--json']);
    expect(cli.status).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ conflictingLabels: 2, labels: 3 });
    const text = occupancy(['import', file, '--format', 'ndjson', '--state-dir', stateDir()]);
    expect(text.stdout).toContain('2 (device, time) had conflicting labels: the last one in the file was kept');
  });

  it('a file larger than several batches lands whole; a 5 MB line in it is rejected, quoted by a short prefix', async () => {
    const file = join(dir, 'big.ndjson');
    const rows = BATCH_ROWS * 2 + 500;
    await writeLines(file, rows, (i) =>
      i === 1234
        ? `{"thingName":"${'x'.repeat(5 * 1024 * 1024)}"}`
        : reading(`r${i % 7}`, T0 + i * 1000, { occupied: i % 3 === 0 }),
    );
    const dirA = stateDir();
    const summary = await importIntoLake(dirA, file, 'ndjson');
    expect(summary).toMatchObject({ imported: rows - 1, labels: rows - 1, conflictingLabels: 0, rejected: 1 });
    expect(summary.rejectedSample[0]?.line).toBe(1235);
    expect(summary.rejectedSample[0]?.reason.length).toBeLessThan(300);
    expect(JSON.stringify(summary.rejectedByReason).length).toBeLessThan(500);
    expect(await query(dirA, 'SELECT count(*)::INT FROM telemetry')).toEqual([[rows - 1]]);
    expect(await query(dirA, 'SELECT count(*)::INT FROM labels')).toEqual([[rows - 1]]);
    // Nothing staged is left behind.
    expect(readdirSync(join(dirA, 'lake', '_staging'))).toEqual([]);
  });

  it('--format csv infers from every row (two passes): a range set by the last row of a multi-batch file holds', async () => {
    const file = join(dir, 'wide.csv');
    const rows = BATCH_ROWS + 2000;
    // The last row's co2 is far outside what the first rows show: a sample-based inference would reject it.
    await writeLines(
      file,
      rows,
      (i) => `${new Date(T0 + i * 60_000).toISOString()},${i === rows - 1 ? 90_000 : 400 + (i % 50)},${i % 2}`,
      'when,co2,occ',
    );
    const summary = await importIntoLake(stateDir(), file, 'csv', { csv: { timestamp: 'when', target: 'occ' } });
    expect(summary).toMatchObject({ imported: rows, rejected: 0, signalSet: 'wide' });
  });

  it('a UTF-8 BOM is accepted: the UCI training file with one imports whole', async () => {
    const file = join(dir, 'bom.txt');
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(UCI_TRAINING)]));
    const summary = await importIntoLake(stateDir(), file, 'uci-occupancy');
    expect(summary).toMatchObject({ imported: 8143, labels: 8143, rejected: 0, conflictingLabels: 0 });
  });

  it('a 5 MB header line is refused quoting a short prefix; the lake is not created', async () => {
    const file = join(dir, 'header.csv');
    writeFileSync(file, `${'Date,'.repeat(1024 * 1024)}\n1,2\n`);
    const dirA = stateDir();
    const error = await importIntoLake(dirA, file, 'uci-occupancy').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toContain('Not a uci-occupancy file: its first line is 5242880 bytes long');
    expect(message.length).toBeLessThan(400);
    expect(existsSync(join(dirA, 'lake'))).toBe(false);
  });

  it('binary input is refused with one short error, exit 2, and the lake is untouched', async () => {
    const dirA = stateDir();
    await importIntoLake(dirA, UCI_TRAINING, 'uci-occupancy');
    const before = await query(dirA, 'SELECT count(*)::INT FROM telemetry');
    const file = join(dir, 'garbage.ndjson');
    writeFileSync(file, Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919 + 13) % 256)));
    const result = occupancy(['import', file, '--format', 'ndjson', '--state-dir', dirA]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/looks like a binary file .*not ndjson/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr.length).toBeLessThan(400);
    expect(await query(dirA, 'SELECT count(*)::INT FROM telemetry')).toEqual(before);
    const fresh = stateDir();
    expect(occupancy(['import', file, '--format', 'ndjson', '--state-dir', fresh]).status).toBe(2);
    expect(existsSync(fresh)).toBe(false);
  });

  it('a wrong --format exits 2 saying what was expected and which format fits, without a class name', () => {
    const ndjson = join(dir, 'readings.ndjson');
    writeFileSync(ndjson, `${reading('r1', T0)}\n${reading('r1', T0 + 1000)}\n`);
    const asUci = occupancy(['import', ndjson, '--format', 'uci-occupancy', '--state-dir', stateDir()]);
    expect(asUci.status).toBe(2);
    expect(asUci.stderr).toContain('Not a uci-occupancy file: header lacks date');
    expect(asUci.stderr).toContain('It looks like --format ndjson.');
    const asNdjson = occupancy(['import', UCI_TRAINING, '--format', 'ndjson', '--state-dir', stateDir()]);
    expect(asNdjson.status).toBe(2);
    expect(asNdjson.stderr).toMatch(/none of its 8144 data rows could be imported as ndjson/);
    expect(asNdjson.stderr).toContain('It looks like --format uci-occupancy.');
    for (const r of [asUci, asNdjson]) {
      expect(r.stderr).not.toMatch(/ImportFormatError|UsageError|\n\s+at /);
    }
  });
});
