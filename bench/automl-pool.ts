/**
 * bench:automl's pool line: one fixed search (no budget) with a candidate pool of 1 worker and of n, wall times
 * and their ratio (goal ≤ 0.65), the winner's serial refit timed apart, and a CPU spin ratio taken before and after
 * so a ratio measured on a busy machine reads as such.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { runSearchPool } from '../automl/pool';
import type { SearchResult } from '../automl/search';
import type { Dataset } from './automl-data';
import { peakRssMb } from './automl-engines';

/**
 * Wall time of `n` threads each spinning the same fixed loop, over one thread's: 1.0 when `n` cores are free,
 * `n` when the machine gives only one.
 */
async function spinRatio(n: number): Promise<number> {
  const code = `let x = 0; for (let i = 0; i < 2e8; i++) x = (x + i * 7) % 1000003; require('node:worker_threads').parentPort.postMessage(x);`;
  const wall = async (threads: number) => {
    const start = performance.now();
    await Promise.all(
      Array.from(
        { length: threads },
        () => new Promise((done) => new Worker(code, { eval: true }).once('message', done)),
      ),
    );
    return performance.now() - start;
  };
  const one = await wall(1);
  return Number(((await wall(n)) / one).toFixed(2));
}

/** The same fixed search with 1 worker, then with `poolSize`; one JSON line. */
export async function poolLine(d: Dataset, candidates: number, poolSize: number): Promise<string> {
  const run = async (size: number) => {
    const start = performance.now();
    let refitAt = Number.NaN;
    const result = await runSearchPool(d.train, d.validation, {
      jobName: 'bench-pool',
      maxCandidates: candidates,
      seed: 1,
      poolSize: size,
      onProgress: (e) => {
        // The first: a winning ensemble's members refit on the pool before finishSearch announces its own refit.
        if (e.type === 'refitting' && Number.isNaN(refitAt)) refitAt = performance.now();
      },
    });
    const end = performance.now();
    return { seconds: (end - start) / 1000, refitSeconds: (end - refitAt) / 1000, result };
  };
  const board = (r: SearchResult) => JSON.stringify(r.candidates.map((c) => [c.name, c.status, c.objective.value]));
  const spinBefore = await spinRatio(poolSize);
  const one = await run(1);
  const many = await run(poolSize);
  const spinAfter = await spinRatio(poolSize);
  return JSON.stringify({
    dataset: d.name,
    engine: 'automl-pool',
    candidates,
    pool_size: poolSize,
    cores: availableParallelism(),
    seconds_pool_1: Number(one.seconds.toFixed(2)),
    seconds_pool_n: Number(many.seconds.toFixed(2)),
    ratio: Number((many.seconds / one.seconds).toFixed(3)),
    // The winner's refit, after every candidate finished: on the job's thread, or a winning ensemble's members on
    // the pool's cores, timed from when the members are known (refits the workers started speculatively before then
    // count in the rest).
    refit_seconds_pool_1: Number(one.refitSeconds.toFixed(2)),
    refit_seconds_pool_n: Number(many.refitSeconds.toFixed(2)),
    ratio_without_refit: Number(((many.seconds - many.refitSeconds) / (one.seconds - one.refitSeconds)).toFixed(3)),
    same_leaderboard: board(one.result) === board(many.result),
    cpu_spin_ratio_before: spinBefore,
    cpu_spin_ratio_after: spinAfter,
    best: many.result.best?.candidate.name ?? null,
    peak_rss_mb: peakRssMb(),
  });
}
