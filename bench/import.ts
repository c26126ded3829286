/**
 * Streaming import memory (issue 16): generates a file of `--mb` MB (default 1024) in a temp dir, streamed (never
 * held in memory), imports it through the CLI in a child process of its own (`node --import tsx local/cli.ts import`,
 * so the RSS measured is the import's alone), and prints JSON: `file_mb`, `rows`, `seconds`, `rows_per_s`,
 * `peak_rss_mb` (the child's `process.resourceUsage().maxRSS`, written at exit by a preload; VmHWM polled from /proc
 * as a cross-check), `bound_mb` (what README documents) and `within_bound`.
 *
 * The file: NDJSON readings of 100 rooms, one a minute each, with an `occupied` label; every 5 000th line repeats
 * the previous reading with the opposite label, so the import resolves that many conflicting labels (checked).
 * `--format csv` writes the same rows as a generic CSV (`when,room,temperature,humidity,sound,occ`) imported with
 * `--format csv --timestamp when --target occ --device room`: two passes, the signal set inferred.
 * Usage: `npm run bench:import` (`-- --mb 50` for a quick run, `-- --format csv`).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** The documented bound (README, "Streaming import"): the import's peak RSS, whatever the file size. */
const BOUND_MB = 350;
const ROOMS = 100;
const CONFLICT_EVERY = 5000;
const ROOT = join(__dirname, '..');

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '1024' }, format: { type: 'string', default: 'ndjson' } },
});
const targetBytes = Number(values.mb) * 1024 * 1024;
const format = values.format === 'csv' ? 'csv' : 'ndjson';
if (!(targetBytes > 0)) throw new Error(`--mb must be a positive number, got ${values.mb}`);

/** Writes the file line by line with backpressure; returns the rows and the conflicting labels written. */
async function generate(file: string): Promise<{ rows: number; conflicts: number }> {
  const out = createWriteStream(file);
  const t0 = Date.now() - 400 * 86_400_000;
  let bytes = 0;
  let rows = 0;
  let conflicts = 0;
  let previous = { room: 0, ts: t0, occupied: false, temp: 20, sound: 5 };
  const line = (r: typeof previous): string =>
    format === 'ndjson'
      ? `{"thingName":"room-${r.room}","timestamp":${r.ts},"temperature":${r.temp},"humidity":41.5,"sound":${r.sound},"hvacStatus":"OFF","occupied":${r.occupied}}\n`
      : `${new Date(r.ts).toISOString()},room-${r.room},${r.temp},41.5,${r.sound},${r.occupied ? 1 : 0}\n`;
  if (format === 'csv') out.write('when,room,temperature,humidity,sound,occ\n');
  let i = 0;
  while (bytes < targetBytes) {
    let chunk = '';
    for (let k = 0; k < 5000; k++, i++) {
      let row: typeof previous;
      if (i > 0 && i % CONFLICT_EVERY === 0) {
        row = { ...previous, occupied: !previous.occupied };
        conflicts++;
      } else {
        const minute = Math.floor(i / ROOMS);
        const occupied = (minute + (i % ROOMS)) % 240 < 90;
        row = {
          room: i % ROOMS,
          ts: t0 + minute * 60_000,
          occupied,
          temp: 18 + ((i * 7) % 80) / 10,
          sound: occupied ? 20 + (i % 30) : i % 8,
        };
      }
      previous = row;
      chunk += line(row);
      rows++;
    }
    bytes += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return { rows, conflicts };
}

/** Peak RSS (VmHWM) of a live process, MB; undefined once it is gone. */
function vmHwmMb(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmHWM:'));
    return line ? Math.round(Number(line.replace(/\D+/g, '')) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-import-'));
  try {
    const file = join(dir, `readings.${format === 'csv' ? 'csv' : 'ndjson'}`);
    const generated = await generate(file);
    const rssFile = join(dir, 'maxrss');
    const preload = join(dir, 'maxrss.cjs');
    writeFileSync(
      preload,
      "process.on('exit', () => require('node:fs').writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));\n",
    );
    const formatArgs =
      format === 'csv'
        ? ['--format', 'csv', '--timestamp', 'when', '--target', 'occ', '--device', 'room']
        : ['--format', 'ndjson'];
    const args = [
      '--import',
      'tsx',
      '--require',
      preload,
      join(ROOT, 'local', 'cli.ts'),
      'import',
      file,
      ...formatArgs,
    ];
    const started = Date.now();
    const child = spawn(process.execPath, [...args, '--state-dir', join(dir, 'state'), '--json'], {
      cwd: ROOT,
      env: { ...process.env, BENCH_RSS_FILE: rssFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    let polledMb = 0;
    const poll = setInterval(() => {
      polledMb = Math.max(polledMb, vmHwmMb(child.pid ?? -1) ?? 0);
    }, 100);
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    clearInterval(poll);
    const seconds = (Date.now() - started) / 1000;
    if (code !== 0) throw new Error(`import exited ${code}`);
    const summary = JSON.parse(stdout) as { imported: number; labels: number; conflictingLabels: number };
    const peakMb = Math.round(Number(readFileSync(rssFile, 'utf8')) / 1024);
    console.log(
      JSON.stringify(
        {
          format,
          file_mb: Math.round(statSync(file).size / (1024 * 1024)),
          rows: generated.rows,
          imported: summary.imported,
          labels: summary.labels,
          conflicting_labels: summary.conflictingLabels,
          conflicts_expected: generated.conflicts,
          seconds: Math.round(seconds * 10) / 10,
          rows_per_s: Math.round(generated.rows / seconds),
          mb_per_s: Math.round((statSync(file).size / (1024 * 1024) / seconds) * 10) / 10,
          peak_rss_mb: peakMb,
          polled_vmhwm_mb: polledMb,
          bound_mb: BOUND_MB,
          within_bound: peakMb <= BOUND_MB,
          complete: summary.imported === generated.rows && summary.conflictingLabels === generated.conflicts,
        },
        null,
        2,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
