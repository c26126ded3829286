/**
 * `npx tsx bench/automl.ts [--rows 1000000] [--skip-uci] [--skip-synthetic]`: JSON lines
 * `{dataset, engine, f1, accuracy, auc, train_seconds, peak_rss_mb}` for the local AutoML engine, the best
 * single-signal threshold and scikit-learn peers (skipped with a message when python3-sklearn is absent), on
 * (a) UCI Occupancy Detection (train datatraining.txt, holdouts datatest.txt and datatest2.txt) and
 * (b) a simulated thermostat-fleet export (default 1 M rows, time-ordered, 70 % train / 30 % holdout).
 * Each engine trains in its own child process so peak RSS is its own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPredictor } from '../automl/artifact';
import { mulberry32 } from '../automl/random';
import { runSearch } from '../automl/search';
import { applyThreshold, classificationMetrics, fitBestThreshold } from '../evaluation';
import type { LabelledTable } from '../telemetry/table';

const DATA = join(__dirname, '..', '..', 'shared', 'data');
const UCI_FEATURES = ['Temperature', 'Humidity', 'Light', 'CO2', 'HumidityRatio'];

/** UCI files: header of 7 names, rows of 8 fields (a quoted row id first). */
function readUci(path: string): LabelledTable {
  const lines = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const rows = lines.slice(1).map((l) => l.split(','));
  const columns = UCI_FEATURES.map((_, c) => Float64Array.from(rows, (r) => Number(r[c + 2])));
  const target = Uint8Array.from(rows, (r) => Number(r[7]));
  return { names: UCI_FEATURES, columns, rowCount: rows.length, ignored: [], target, targetName: 'Occupancy' };
}

/**
 * A fleet of rooms reporting once a minute, interleaved in time order. Sound is the classic signal but HVAC
 * fans raise it in empty rooms; temperature and humidity drift with the season.
 */
function simulateFleet(rows: number, seed = 42): LabelledTable {
  const rooms = 20;
  const rng = mulberry32(seed);
  const names = [
    'temperature',
    'humidity',
    'sound',
    'hvac_fan',
    'hvac_heating',
    'sound_delta',
    'sound_rolling_mean_5',
    'sound_rolling_std_5',
    'temperature_delta',
    'hour_sin',
    'hour_cos',
  ];
  const columns = names.map(() => new Float64Array(rows));
  const target = new Uint8Array(rows);
  const state = Array.from({ length: rooms }, () => ({
    occupied: 0,
    fan: 0,
    temp: 21,
    sounds: [0, 0, 0, 0, 0],
    last: 0,
  }));
  for (let i = 0; i < rows; i++) {
    const room = state[i % rooms];
    if (!room) continue;
    const minute = Math.floor(i / rooms);
    const hour = (minute / 60) % 24;
    const day = Math.floor(minute / 1440);
    const working = day % 7 < 5 && hour >= 8 && hour < 19;
    if (working && rng() < (room.occupied ? 0.025 : 0.015)) room.occupied = 1 - room.occupied;
    if (!working) room.occupied = 0;
    if (rng() < 0.01) room.fan = 1 - room.fan;
    const heating = hour < 7 || hour > 20 ? 1 : 0;
    const season = Math.sin((2 * Math.PI * day) / 60);
    room.temp += 0.05 * (20 + 2 * season + room.occupied * 1.5 + heating - room.temp) + (rng() - 0.5) * 0.1;
    const sound = Math.max(0, 4 + room.occupied * 9 + room.fan * 7 + (rng() - 0.5) * 10);
    room.sounds.shift();
    room.sounds.push(sound);
    const mean = room.sounds.reduce((a, b) => a + b, 0) / 5;
    const sd = Math.sqrt(room.sounds.reduce((a, b) => a + (b - mean) ** 2, 0) / 5);
    const previousTemp = columns[0]?.[i - rooms] ?? room.temp;
    const values = [
      room.temp,
      40 + 10 * season + room.occupied * 3 + (rng() - 0.5) * 4,
      sound,
      room.fan,
      heating,
      sound - room.last,
      mean,
      sd,
      room.temp - previousTemp,
      Math.sin((2 * Math.PI * hour) / 24),
      Math.cos((2 * Math.PI * hour) / 24),
    ];
    values.forEach((v, c) => {
      const col = columns[c];
      if (col) col[i] = v;
    });
    target[i] = room.occupied;
    room.last = sound;
  }
  return { names, columns, rowCount: rows, ignored: [], target, targetName: 'occupied' };
}

function sliceTable(t: LabelledTable, from: number, to: number): LabelledTable {
  return {
    ...t,
    columns: t.columns.map((c) => c.slice(from, to)),
    rowCount: to - from,
    target: t.target.slice(from, to),
  };
}

interface Dataset {
  readonly name: string;
  readonly train: LabelledTable;
  readonly holdouts: { readonly name: string; readonly table: LabelledTable }[];
}

function dataset(name: string, rows: number): Dataset {
  if (name === 'uci-occupancy') {
    return {
      name,
      train: readUci(join(DATA, 'datatraining.txt')),
      holdouts: ['datatest', 'datatest2'].map((h) => ({ name: h, table: readUci(join(DATA, `${h}.txt`)) })),
    };
  }
  const all = simulateFleet(rows);
  const cut = Math.floor(rows * 0.7);
  return { name, train: sliceTable(all, 0, cut), holdouts: [{ name: 'holdout', table: sliceTable(all, cut, rows) }] };
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const r4 = (x: number | undefined) => (x === undefined ? null : Number(x.toFixed(4)));

function line(
  d: Dataset,
  holdout: string,
  engine: string,
  m: ReturnType<typeof classificationMetrics>,
  seconds: number,
) {
  return JSON.stringify({
    dataset: `${d.name}/${holdout}`,
    engine,
    f1: r4(m.f1),
    accuracy: r4(m.accuracy),
    auc: r4(m.rocAuc),
    train_seconds: Number(seconds.toFixed(2)),
    peak_rss_mb: peakRssMb(),
  });
}

/** Child mode: train one engine on one dataset, print its lines. */
function child(engine: string, name: string, rows: number, maxCandidates: number): void {
  const d = dataset(name, rows);
  const start = performance.now();
  if (engine === 'automl') {
    const result = runSearch(d.train, undefined, { jobName: 'bench', maxCandidates, seed: 1 });
    const seconds = (performance.now() - start) / 1000;
    if (!result.best) throw new Error('no candidate completed');
    const predictor = loadPredictor(result.best.artifact);
    process.stderr.write(
      `[bench] ${name}: best ${result.best.candidate.name} F1(validation) ${result.best.candidate.objective.value.toFixed(4)}; baseline ${result.baseline.name} ${result.baseline.objective.value.toFixed(4)}\n`,
    );
    for (const h of d.holdouts) {
      const scored = predictor.predictTable(h.table);
      console.log(
        line(d, h.name, 'automl', classificationMetrics(h.table.target, scored.label, scored.probability), seconds),
      );
    }
  } else {
    const rule = fitBestThreshold(d.train);
    const seconds = (performance.now() - start) / 1000;
    process.stderr.write(`[bench] ${name}: best threshold ${rule.signal} ${rule.direction} ${rule.level}\n`);
    for (const h of d.holdouts) {
      const predicted = applyThreshold(rule, h.table);
      console.log(
        line(d, h.name, `threshold-${rule.signal}`, classificationMetrics(h.table.target, predicted), seconds),
      );
    }
  }
}

function writeCsv(path: string, t: LabelledTable): void {
  const out: string[] = [[...t.names, t.targetName].join(',')];
  for (let r = 0; r < t.rowCount; r++) out.push([...t.columns.map((c) => c[r]), t.target[r]].join(','));
  writeFileSync(path, `${out.join('\n')}\n`);
}

function sklearn(name: string, rows: number): void {
  const python = ['/usr/bin/python3', 'python3'].find(
    (p) => spawnSync(p, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0,
  );
  if (!python) {
    process.stderr.write('[bench] scikit-learn skipped: no python3 with sklearn (apt-get install python3-sklearn)\n');
    return;
  }
  const d = dataset(name, rows);
  const dir = mkdtempSync(join(tmpdir(), 'bench-automl-'));
  writeCsv(join(dir, 'train.csv'), d.train);
  const holdouts = d.holdouts.map((h) => {
    const path = join(dir, `${h.name}.csv`);
    writeCsv(path, h.table);
    return `${h.name}=${path}`;
  });
  const script = join(__dirname, 'sklearn_baseline.py');
  const run = spawnSync(python, [script, d.name, join(dir, 'train.csv'), ...holdouts], { encoding: 'utf8' });
  process.stdout.write(run.stdout);
  if (run.status !== 0) process.stderr.write(`[bench] scikit-learn failed: ${run.stderr}\n`);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      dataset: { type: 'string' },
      rows: { type: 'string', default: '1000000' },
      'max-candidates': { type: 'string', default: '12' },
      'skip-uci': { type: 'boolean', default: false },
      'skip-synthetic': { type: 'boolean', default: false },
      'skip-sklearn': { type: 'boolean', default: false },
    },
  });
  const rows = Number(values.rows);
  const maxCandidates = Number(values['max-candidates']);
  if (values.child) {
    child(values.child, values.dataset ?? 'uci-occupancy', rows, maxCandidates);
    return;
  }
  const datasets = [
    ...(values['skip-uci'] || !existsSync(join(DATA, 'datatraining.txt')) ? [] : ['uci-occupancy']),
    ...(values['skip-synthetic'] ? [] : ['simulated-fleet']),
  ];
  for (const name of datasets) {
    for (const engine of ['threshold', 'automl']) {
      const run = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          __filename,
          '--child',
          engine,
          '--dataset',
          name,
          '--rows',
          String(rows),
          '--max-candidates',
          String(maxCandidates),
        ],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      );
      if (run.status !== 0) process.stderr.write(`[bench] ${engine} on ${name} exited ${run.status}\n`);
    }
    if (!values['skip-sklearn']) sklearn(name, rows);
  }
}

main();
