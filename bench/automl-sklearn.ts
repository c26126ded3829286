/**
 * bench:automl's scikit-learn peers (HistGradientBoosting, LogisticRegression; bench/sklearn_baseline.py), on the
 * same train (+ validation) and holdouts as the other engines. Skipped with a message when no python3 has sklearn.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabelledTable } from '../telemetry/table';
import { type DataOptions, fleetExport, loadDataset } from './automl-data';

function writeCsv(path: string, t: LabelledTable): void {
  const out: string[] = [[...t.names, t.targetName].join(',')];
  for (let r = 0; r < t.rowCount; r++) out.push([...t.columns.map((c) => c[r]), t.target[r]].join(','));
  writeFileSync(path, `${out.join('\n')}\n`);
}

/** The peers' JSON lines (empty when scikit-learn is not installed or failed; the reason goes to stderr). */
export function sklearnLines(name: string, options: DataOptions): string[] {
  const python = ['/usr/bin/python3', 'python3'].find(
    (p) => spawnSync(p, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0,
  );
  if (!python) {
    process.stderr.write('[bench] scikit-learn skipped: no python3 with sklearn (apt-get install python3-sklearn)\n');
    return [];
  }
  let train: string[];
  let holdouts: string[];
  let target: string;
  if (name === 'uci-occupancy') {
    const d = loadDataset(name, options);
    const dir = mkdtempSync(join(tmpdir(), 'bench-automl-'));
    writeCsv(join(dir, 'train.csv'), d.train);
    train = [join(dir, 'train.csv')];
    holdouts = d.holdouts.map((h) => {
      const path = join(dir, `${h.name}.csv`);
      writeCsv(path, h.table);
      return `${h.name}=${path}`;
    });
    target = d.train.targetName;
  } else {
    // The export CSVs as they are: train and validation together, like the other engines.
    const dir = fleetExport(name, options);
    train = [join(dir, 'train.csv'), join(dir, 'validation.csv')];
    holdouts = [`holdout=${join(dir, 'holdout.csv')}`];
    target = 'occupied';
  }
  const script = join(__dirname, 'sklearn_baseline.py');
  const run = spawnSync(python, [script, name, target, train.join(','), ...holdouts], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0) process.stderr.write(`[bench] scikit-learn failed on ${name}: ${run.stderr}\n`);
  return run.stdout.split('\n').filter((l) => l.trim() !== '');
}
