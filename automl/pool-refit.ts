/**
 * Which ensemble members the pool's workers refit, and in what order (pool.ts). The refit of a member depends only
 * on its plan index (its own seeded stream, the refit rows in order), so a refit may start before the ensemble is
 * known: once no candidate is left to hand out, an idle worker refits the members the candidates finished so far
 * would give (`chooseMembers`), the costliest first; when the ensemble is built, refits of members it left out are
 * cancelled and the rest are queued longest first (LPT), so the biggest member never starts last. Pure bookkeeping:
 * the pool posts the work.
 */
import type { ArtifactModel } from './artifact';
import type { CandidateSetup } from './candidate';
import { chooseMembers } from './ensemble-candidate';
import type { PreparedSearch } from './search';

/**
 * What a worker needs to refit tree members: the bin codes of the refit rows (renumbered in order) and the target;
 * no raw columns (trees read bins only; logistic members refit on the job's thread) and no folds.
 */
export function refitSetupOf(prepared: PreparedSearch): CandidateSetup {
  const { setup, refitRows } = prepared;
  const { table, data } = setup;
  const empty = table.columns.map(() => new Float64Array(0));
  // Below refitRowLimit the refit rows are all rows, in order: the codes serve as they are.
  const all = refitRows.length === table.rowCount;
  const pick = <T extends Uint8Array>(values: T): Uint8Array => {
    if (all) return values;
    const out = new Uint8Array(refitRows.length);
    for (let i = 0; i < refitRows.length; i++) out[i] = values[refitRows[i] ?? 0] ?? 0;
    return out;
  };
  return {
    ...setup,
    table: { ...table, columns: empty, target: pick(table.target), rowCount: refitRows.length },
    data: { bins: data.bins, codes: data.codes.map(pick) },
    folds: [],
  };
}

export class MemberRefits {
  /** Refitted models by plan index. */
  readonly models = new Map<number, ArtifactModel>();
  /** Int32 per plan: non-zero cancels that plan's running refit (a speculative one the ensemble left out). */
  readonly cancelFlags: SharedArrayBuffer;
  private readonly cancel: Int32Array;
  private readonly running = new Set<number>();
  private readonly failed = new Set<number>();
  private final: number[] | undefined;

  constructor(
    plans: number,
    /** Whether plan `index` refits on a worker (tree families). */
    private readonly onWorker: (index: number) => boolean,
    /** Expected cost of refitting plan `index` (its candidate's training time). */
    private readonly cost: (index: number) => number,
  ) {
    this.cancelFlags = new SharedArrayBuffer(4 * Math.max(1, plans));
    this.cancel = new Int32Array(this.cancelFlags);
  }

  /** The next plan to refit, or undefined: from the ensemble's members once known, else from `guess`. */
  next(guess: () => readonly (number | undefined)[]): number | undefined {
    const free = (i: number) => this.onWorker(i) && !this.models.has(i) && !this.running.has(i) && !this.failed.has(i);
    const order = this.final ?? this.byCost(guess().filter((i): i is number => i !== undefined));
    const index = order.find(free);
    if (index !== undefined) this.running.add(index);
    return index;
  }

  /** A refit ended: its model, or undefined when it was cancelled or its worker died. */
  done(index: number, model: ArtifactModel | undefined): void {
    this.running.delete(index);
    if (model) this.models.set(index, model);
    else if (Atomics.load(this.cancel, index) === 0) this.failed.add(index);
  }

  /** The ensemble's members are known: other running refits are cancelled, the members' queued longest first. */
  settle(members: readonly number[]): void {
    const wanted = new Set(members);
    for (const index of this.running) if (!wanted.has(index)) Atomics.store(this.cancel, index, 1);
    this.final = this.byCost(members.filter((i) => this.onWorker(i)));
  }

  /** Every member's refit has ended (refitted or failed: a failed one is refitted on the job's thread). */
  complete(): boolean {
    return this.final?.every((i) => this.models.has(i) || this.failed.has(i)) ?? false;
  }

  private byCost(indices: readonly number[]): number[] {
    return [...indices].sort((a, b) => this.cost(b) - this.cost(a) || a - b);
  }
}

/** The members the completed candidates would give now (`results` by plan index, unfinished ones undefined). */
export function guessMembers<T extends Parameters<typeof chooseMembers>[0][number]>(
  results: readonly (T | undefined)[],
  placeholder: (index: number) => T,
): number[] {
  return chooseMembers(results.map((r, i) => r ?? placeholder(i)));
}
